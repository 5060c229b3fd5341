"""Redis export against a real server: atomic switch, TTL, stale keys, failures mid-export."""

from __future__ import annotations

import threading
import time
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ml.scoring.publish import SCHEMA
from ml.serving.redis_export import (
    RedisExportError,
    export_high_risk,
    export_metadata,
    high_risk_rows,
    live_key,
    staging_index_key,
)
from ml.serving.risk_lookup import RiskLookup

DAY1, DAY2 = date(2026, 6, 1), date(2026, 6, 2)


def rows(customers: range, score_date: date, score: float = 0.5, version: int = 1) -> pa.Table:
    if not customers:
        return SCHEMA.empty_table()
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in customers],
            "score_date": score_date,
            "score": score,
            "risk_band": "high",
            "model_name": "m",
            "model_version": version,
            "feature_version": 2,
            "reasons": [["days since last event = 41", 'plan = "pro"']] * len(customers),
            "is_shadow": False,
        }
    )
    return pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)


def test_export_serves_every_row_with_its_ttl(client, model):
    result = export_high_risk(client, rows(range(3000), DAY1, 0.61, 4), model, DAY1, 600)

    risk = RiskLookup(client, model).get("c17")
    assert result.switched and result.rows == 3000 == client.hlen(live_key(model))
    assert risk.is_high_risk and risk.score == pytest.approx(0.61)
    assert (risk.risk_band, risk.model_version, risk.score_date) == ("high", 4, "2026-06-01")
    assert risk.reasons == ["days since last event = 41", 'plan = "pro"']  # quotes survive
    assert 0 < client.ttl(live_key(model)) <= 600
    assert export_metadata(client, model)["rows"] == "3000"


def test_customers_who_left_the_high_risk_set_are_not_served_stale_scores(client, model):
    export_high_risk(client, rows(range(0, 100), DAY1), model, DAY1, 600)
    export_high_risk(client, rows(range(50, 120), DAY2), model, DAY2, 600)

    lookup = RiskLookup(client, model)
    assert lookup.get("c10").status == "not_high_risk"
    assert lookup.get("c60").score_date == "2026-06-02"
    assert client.hlen(live_key(model)) == 70
    assert client.smembers(staging_index_key(model)) == set()


def test_readers_never_see_a_mix_of_two_exports(client, model, redis_url):
    export_high_risk(client, rows(range(120_000), DAY1), model, DAY1, 600)
    seen: list[str] = []
    done = threading.Event()

    def read_while_exporting():
        lookup = RiskLookup(redis.Redis.from_url(redis_url), model)
        while not done.is_set():
            seen.extend(lookup.get(f"c{i}").score_date for i in (5, 119_999))

    reader = threading.Thread(target=read_while_exporting)
    reader.start()
    export_high_risk(client, rows(range(120_000), DAY2), model, DAY2, 600)
    # a few reads after the switch as well (the thread may not have been scheduled since)
    after = len(seen)
    deadline = time.monotonic() + 10
    while len(seen) < after + 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    done.set()
    reader.join()

    first_new = seen.index("2026-06-02") if "2026-06-02" in seen else len(seen)
    assert set(seen[:first_new]) <= {"2026-06-01"}
    assert set(seen[first_new:]) == {"2026-06-02"}  # once switched, never back
    assert len(seen) > 10


def test_a_connection_lost_mid_export_leaves_the_previous_export_readable(client, model, redis_url):
    export_high_risk(client, rows(range(80_000), DAY1, 0.4), model, DAY1, 600)
    admin = redis.Redis.from_url(redis_url)

    def kill_the_exporter(written: int) -> None:
        admin.client_kill_filter(_type="normal", skipme=True)

    with pytest.raises(RedisExportError, match="readers still see the previous export"):
        export_high_risk(
            client, rows(range(200_000), DAY2, 0.9), model, DAY2, 600, kill_the_exporter
        )

    risk = RiskLookup(client, model).get("c150000")
    assert risk.status == "not_high_risk"  # the half-written export is not served
    assert RiskLookup(client, model).get("c5").score == pytest.approx(0.4)
    assert client.hlen(live_key(model)) == 80_000
    assert export_metadata(client, model)["score_date"] == "2026-06-01"
    # The next export cleans up what the dead one left behind.
    export_high_risk(client, rows(range(10), DAY2), model, DAY2, 600)
    assert client.smembers(staging_index_key(model)) == set()


def test_a_backfill_of_an_older_date_does_not_roll_readers_back(client, model):
    export_high_risk(client, rows(range(10), DAY2), model, DAY2, 600)
    result = export_high_risk(client, rows(range(20), DAY1), model, DAY1, 600)

    assert not result.switched and result.served_score_date == "2026-06-02"
    assert client.hlen(live_key(model)) == 10


def test_an_empty_high_risk_set_clears_the_export(client, model):
    export_high_risk(client, rows(range(10), DAY1), model, DAY1, 600)
    export_high_risk(client, rows(range(0), DAY2), model, DAY2, 600)

    assert RiskLookup(client, model).get("c1").status == "not_high_risk"
    assert export_metadata(client, model)["rows"] == "0"


def test_expired_exports_and_missing_redis_give_the_safe_default(client, model):
    assert RiskLookup(client, model).get("c1").status == "no_export"
    export_high_risk(client, rows(range(10), DAY1), model, DAY1, 1)
    client.pexpire(live_key(model), 1)  # let the TTL run out now rather than wait
    client.pexpire(f"{{scoreline:{model}}}:export", 1)
    time.sleep(0.05)
    assert RiskLookup(client, model).get("c1").is_default

    # How an application should connect: short timeouts, no retries, the default instead.
    nowhere = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    risk = RiskLookup(nowhere, model).get("c1")
    assert risk.status == "unavailable" and risk.is_default and not risk.is_high_risk


def test_only_champion_rows_at_or_above_the_threshold_are_exported():
    table = rows(range(4), DAY1).to_pandas()
    table["score"] = [0.2, 0.35, 0.9, 0.9]
    table["is_shadow"] = [False, False, False, True]
    selected = high_risk_rows(pa.Table.from_pandas(table, schema=SCHEMA), 0.35)
    assert selected["customer_id"].to_pylist() == ["c1", "c2"]
