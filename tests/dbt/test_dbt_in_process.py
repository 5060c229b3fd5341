"""dbt inside the calling process (what the Dagster assets use): the invocation's settings do
not outlive it, readers can open the warehouse right after, and a failure is reported."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from ml.warehouse.dbt_in_process import InProcessDbt
from ml.warehouse.dbt_runner import connect_read_only, dbt_environment, run_settings_env
from tests.conftest import SCORE_DATE, copy_built_warehouse, settings_under


def test_an_invocation_leaves_the_environment_and_the_warehouse_as_it_found_them(
    built_settings, tmp_path: Path
):
    settings = copy_built_warehouse(built_settings, settings_under(tmp_path))
    env = {**dbt_environment(settings), **run_settings_env({"score_date": SCORE_DATE})}
    before = dict(os.environ)
    dbt = InProcessDbt()

    ran, events = dbt.invoke(
        settings, ["build", "--select", "int_customer_dates_scoring_spine"], env, tmp_path / "a"
    )
    finished = [e["data"]["node_info"]["unique_id"] for e in events if "node_info" in e["data"]]
    assert ran.success, ran.errors
    assert "model.scoreline.int_customer_dates_scoring_spine" in finished
    assert dict(os.environ) == before  # the score date and paths were the invocation's only
    with connect_read_only(settings) as con:  # dbt-duckdb's connection was released
        built = con.execute("select max(as_of_date) from int_customer_dates_scoring_spine")
        assert built.fetchone()[0] == SCORE_DATE

    parsed = dbt._manifest
    # the next night: a new score date is read while executing, never re-parsed for
    next_day = SCORE_DATE + timedelta(days=1)
    night = {**env, **run_settings_env({"score_date": next_day})}
    ran, events = dbt.invoke(
        settings, ["build", "--select", "int_customer_dates_scoring_spine"], night, tmp_path / "b"
    )
    list(events)
    assert ran.success, ran.errors
    with connect_read_only(settings) as con:
        built = con.execute("select max(as_of_date) from int_customer_dates_scoring_spine")
        assert built.fetchone()[0] == next_day

    broken, events = dbt.invoke(settings, ["run-operation", "no_such_macro"], env, tmp_path / "c")
    list(events)
    assert not broken.success and (broken.errors or broken.exception)
    assert dbt._manifest is parsed  # the project was parsed once, for all three invocations
    assert dict(os.environ) == before
