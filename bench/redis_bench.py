"""Redis export rate for 100k and 1M high-risk rows vs `redis-benchmark -P 100 -t set`.

    .venv/bin/python bench/redis_bench.py [--url redis://127.0.0.1:6379/15] [--rows 100000 1000000]

Prints rows/s of `export_high_risk` (encode + write + atomic switch), the share of the
redis-benchmark SET rate on the same server, and reader latency (p50/p99 of RiskLookup.get).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time
from datetime import date
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pyarrow as pa
import redis

from ml.scoring.publish import SCHEMA
from ml.serving.redis_export import export_high_risk, live_key, meta_key
from ml.serving.risk_lookup import RiskLookup


def synthetic_rows(count: int, seed: int = 1) -> pa.Table:
    """High-risk rows shaped like a published predictions file."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:08d}" for i in range(count)],
            "score_date": date(2026, 6, 2),
            "score": rng.uniform(0.35, 1.0, count),
            "risk_band": "high",
            "model_name": "bench",
            "model_version": 3,
            "feature_version": 2,
            "reasons": [["days since last event = 41", "logins last 30d = 0"]] * count,
            "is_shadow": False,
        }
    )
    return pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)


def redis_benchmark_rate(url: str) -> float:
    parsed = urlparse(url)
    out = subprocess.run(
        ["redis-benchmark", "-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 6379),
         "-P", "100", "-t", "set", "-r", "1000000", "-n", "2000000", "-q",
         "--dbnum", (parsed.path or "/0").strip("/") or "0"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(re.search(r"SET: ([\d.]+) requests per second", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    client = redis.Redis.from_url(args.url)
    client.ping()
    reference = redis_benchmark_rate(args.url)
    print(f"redis-benchmark -P 100 -t set -r 1000000: {reference:,.0f} SET/s")
    plain = []
    for _ in range(5000):
        started = time.perf_counter()
        client.get("scoreline-bench-probe")
        plain.append((time.perf_counter() - started) * 1e6)
    print(f"plain GET from redis-py: p50 {np.percentile(plain, 50):.0f} us (for scale)")
    for count in args.rows:
        rows = synthetic_rows(count)
        client.delete(live_key("bench"), meta_key("bench"))
        result = export_high_risk(client, rows, "bench", date(2026, 6, 2), 3600)
        assert client.hlen(live_key("bench")) == count
        print(
            f"export {count:>9,} rows: {result.seconds:6.2f} s = {result.rows_per_second:>9,.0f} "
            f"rows/s ({result.rows_per_second / reference:.0%} of redis-benchmark)"
        )
    lookup = RiskLookup(client, "bench")
    ids = [f"c{i:08d}" for i in np.random.default_rng(2).integers(0, count, 5000)]
    latencies = []
    for customer in ids:
        started = time.perf_counter()
        lookup.get(customer)
        latencies.append((time.perf_counter() - started) * 1e6)
    print(
        f"reader get: p50 {np.percentile(latencies, 50):.0f} us, "
        f"p99 {np.percentile(latencies, 99):.0f} us"
    )
    client.delete(live_key("bench"), meta_key("bench"))


if __name__ == "__main__":
    main()
