"""Dagster's run history on SQLite (the default profile), written through kept-open connections
(orchestration/lib/event_log.py): the same files in the same places, readable by Dagster's own
storage (the UI is another process) while the writer still holds them open."""

from __future__ import annotations

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.lib.event_log import OPEN_FILES, KeptOpenSqliteEventLogStorage
from orchestration.lib.runner import WRITTEN_BY_SCORELINE, instance_for
from tests.conftest import settings_under


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=counted)
def has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def _materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([counted], instance=instance, selection=[counted])
    assert result.success
    return result.run_id


def test_runs_written_through_kept_connections_read_back_by_dagsters_own_storage(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("DAGSTER_POSTGRES_URL", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    instance = instance_for(settings_under(tmp_path))
    assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
    runs = [_materialize(instance) for _ in range(OPEN_FILES + 2)]  # older files closed
    checked = dg.materialize([counted, has_rows], instance=instance).run_id

    # Dagster's own SQLite storage (the UI's, in another process) reads the same files now
    theirs = SqliteEventLogStorage(str(tmp_path / "dagster" / "history" / "runs"))
    for run_id in runs:
        assert any(e.dagster_event and e.dagster_event.is_step_success
                   for e in theirs.get_logs_for_run(run_id))  # fmt: skip
    latest = theirs.get_latest_materialization_events([dg.AssetKey("counted")])
    assert latest[dg.AssetKey("counted")].run_id == checked
    check = dg.AssetCheckKey(dg.AssetKey("counted"), "has_rows")
    executions = theirs.get_asset_check_execution_history(check, limit=5)
    assert [e.run_id for e in executions] == [checked]
    assert theirs.get_asset_records([dg.AssetKey("counted")])[0].asset_entry.last_materialization
    assert len(instance.get_runs()) == len(runs) + 1


def test_an_instance_file_scoreline_wrote_before_is_rewritten_and_keeps_its_runs(
    tmp_path, monkeypatch
):
    """Homes made before this storage kept Dagster's default lines: the history stays."""
    monkeypatch.delenv("DAGSTER_POSTGRES_URL", raising=False)
    home = tmp_path / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    home.mkdir()
    (home / "dagster.yaml").write_text(
        f"{WRITTEN_BY_SCORELINE}\nrun_queue:\n  max_concurrent_runs: 1\n"
        "telemetry:\n  enabled: false\n"
    )
    before = dg.DagsterInstance.get()
    assert type(before.event_log_storage) is SqliteEventLogStorage
    old_run = _materialize(before)
    before.dispose()

    instance = instance_for(settings_under(tmp_path))
    assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
    assert instance.get_run_by_id(old_run) is not None
    assert instance.get_latest_materialization_event(dg.AssetKey("counted")).run_id == old_run
