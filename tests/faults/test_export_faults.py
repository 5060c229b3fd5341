"""The Redis export and its readers under faults, on a Redis server of the test's own: an
exporter killed with SIGKILL mid-export, a hung server, a server that is down. Readers get the
previous export whole or the safe default, never a part of a new one, and never wait long."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from ml.serving.redis_export import (
    RedisExportError,
    export_high_risk,
    export_metadata,
    live_key,
    staging_index_key,
)
from ml.serving.risk_lookup import RiskLookup
from tests.export.test_redis_export import rows
from tests.faults.conftest import child, kill_9

DAY1, DAY2 = date(2026, 6, 1), date(2026, 6, 2)
MODEL = "churn"
SERVED = 1_000


@pytest.fixture
def served(own_redis):
    """The server holding a whole export of DAY1: 1,000 high-risk customers scored 0.4."""
    export_high_risk(own_redis.client(), rows(range(SERVED), DAY1, 0.4), MODEL, DAY1, 600)
    return own_redis


def assert_day1_served(client) -> None:
    lookup = RiskLookup(client, MODEL)
    assert lookup.get("c5").score == pytest.approx(0.4)
    assert lookup.get("c5").score_date == DAY1.isoformat()
    assert lookup.get("c150000").status == "not_high_risk", "no row of the dead export is served"
    assert client.hlen(live_key(MODEL)) == SERVED
    assert export_metadata(client, MODEL)["score_date"] == DAY1.isoformat()


EXPORTER = """
import time
import redis
from ml.serving.redis_export import export_high_risk
from tests.export.test_redis_export import rows
from tests.faults.test_export_faults import DAY2, MODEL

def stall(written):
    print("written", written, flush=True)
    time.sleep(60)  # killed here, between two round trips

export_high_risk(redis.Redis(port={port}), rows(range(200_000), DAY2, 0.9), MODEL, DAY2, 600,
                 on_progress=stall)
"""


def test_an_exporter_killed_mid_export_leaves_the_previous_export_served(served):
    exporter = child(EXPORTER.format(port=served.port))
    assert exporter.stdout.readline().startswith("written ")
    kill_9(exporter)

    client = served.client()
    assert_day1_served(client)
    (orphan,) = client.smembers(staging_index_key(MODEL))
    assert client.hlen(orphan) > 0 and client.ttl(orphan) > 0, "a dead export expires anyway"
    # the next export removes what the dead one left
    export_high_risk(client, rows(range(10), DAY2), MODEL, DAY2, 600)
    assert client.exists(orphan) == 0 and client.smembers(staging_index_key(MODEL)) == set()


def test_a_hung_server_gives_readers_the_default_at_once_and_fails_the_export(served):
    served.hang()
    try:
        started = time.perf_counter()
        risk = RiskLookup(served.client(timeout=0.2), MODEL).get("c5")
        assert risk.status == "unavailable" and risk.is_default and not risk.is_high_risk
        assert time.perf_counter() - started < 1.0, "a reader never waits on a hung Redis"

        with pytest.raises(RedisExportError, match="readers still see the previous export"):
            export_high_risk(served.client(timeout=0.3), rows(range(50_000), DAY2, 0.9), MODEL,
                             DAY2, 600)  # fmt: skip
    finally:
        served.resume()
    # what the hung server took in before the timeout is staging only: DAY1 is still served
    assert_day1_served(served.client(timeout=2))


def test_a_server_that_is_down_gives_the_default_and_the_export_says_to_rerun(served):
    lookup = RiskLookup(served.client(timeout=0.2), MODEL)
    assert lookup.get("c5").is_high_risk and lookup.defaulting_since is None
    kill_9(served.process)
    before = datetime.now(UTC)

    risk = lookup.get("c5")
    assert risk.status == "unavailable" and risk.is_default
    since = lookup.defaulting_since
    assert since is not None and since >= before, "the reader says since when it defaults"
    lookup.get("c6")
    assert lookup.defaulting_since == since, "a run of defaults keeps its start"
    with pytest.raises(RedisExportError, match="Rerun the export once Redis is reachable"):
        export_high_risk(served.client(timeout=0.3), rows(range(10), DAY2), MODEL, DAY2, 600)
