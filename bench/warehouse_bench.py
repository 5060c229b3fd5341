"""Benchmark the feature warehouse: generation, full dbt build, and one nightly day.

Prints events/s and peak memory per phase, and the nightly ratio between 12 and 6 months of
history (target <= 1.2: a night must cost the new day, not the whole history).

    .venv/bin/python bench/warehouse_bench.py --customers 1000000 --days 365
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ml.config import Settings
from ml.generate import generate
from ml.warehouse import build_warehouse

START = date(2026, 1, 1)


def training_sample_pct(customers: int, days: int, target_rows: int = 1_000_000) -> int:
    """Sample so the training set lands near `target_rows` (weekly as-of dates)."""
    spine_rows = 0.85 * customers * max(days - 30, 7) / 7
    return max(1, min(100, round(100 * target_rows / spine_rows)))


def count_events(raw_dir: Path, until: date) -> int:
    return duckdb.execute(
        f"select count(*) from read_parquet('{raw_dir}/day=*/events.parquet', "
        f"hive_partitioning = true) where day < date '{until}'"
    ).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--data-dir", type=Path, help="default: data/bench-<customers>")
    parser.add_argument("--skip-generate", action="store_true", help="reuse raw data")
    args = parser.parse_args()

    base = Settings.from_env()
    data_dir = (args.data_dir or base.data_dir / f"bench-{args.customers}").resolve()
    settings = replace(
        base,
        data_dir=data_dir,
        raw_dir=data_dir / "raw",
        warehouse_path=data_dir / "warehouse.duckdb",
        dbt_target_dir=data_dir / "dbt_target",
        training_sample_pct=training_sample_pct(args.customers, args.days),
    )
    pct = settings.training_sample_pct
    rows: list[tuple[str, float, int, float]] = []

    if not args.skip_generate:
        shutil.rmtree(settings.raw_dir, ignore_errors=True)
        started = time.perf_counter()
        # No drift scenario: a price rise inside one of the two measured nights would make
        # the 6- vs 12-month comparison measure the scenario, not the history.
        summary = generate(settings.raw_dir, customers=args.customers, days=args.days, start=START)
        rows.append(("generate", time.perf_counter() - started, summary.events, float("nan")))

    half = START + timedelta(days=args.days // 2)
    last = START + timedelta(days=args.days - 1)
    for label, full_date in (("6 months", half), ("12 months", last)):
        settings.warehouse_path.unlink(missing_ok=True)
        full = build_warehouse(settings, score_date=full_date, full_refresh=True, capture=True)
        events = count_events(settings.raw_dir, full_date)
        rows.append((f"full build, {label}", full.seconds, events, full.peak_rss_mib))
        nightly = build_warehouse(
            settings, score_date=full_date + timedelta(days=1), with_training=False, capture=True
        )
        day_events = count_events(settings.raw_dir, full_date + timedelta(days=1)) - events
        rows.append(
            (f"nightly day, {label} history", nightly.seconds, day_events, nightly.peak_rss_mib)
        )

    print(
        f"\nScoreline warehouse benchmark: {args.customers:,} customers x {args.days} days, "
        f"{os.cpu_count()} cores, training sample {pct}%"
    )
    print(f"{'phase':<32}{'seconds':>10}{'events':>14}{'events/s':>14}{'peak MiB':>10}")
    for name, seconds, events, peak in rows:
        print(f"{name:<32}{seconds:>10.1f}{events:>14,}{events / seconds:>14,.0f}{peak:>10.0f}")
    nightly_6, nightly_12 = rows[-3][1], rows[-1][1]
    print(f"nightly ratio 12 vs 6 months of history: {nightly_12 / nightly_6:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
