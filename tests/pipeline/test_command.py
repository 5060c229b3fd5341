"""`scoreline`, the one front door, run as an operator runs it: a subprocess of the installed
command. Its builds are Dagster runs, its output is one line per step with the full logs in a
file, and a night without a champion fails in one line and publishes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import DAYS, SCORE_DATE

SCORELINE = str(Path(sys.executable).with_name("scoreline"))


def scoreline(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCORELINE_DATA_DIR": str(data_dir)}
    # Stores another test pointed this process at (mlflow.set_tracking_uri sets the variable)
    # must not leak into the operator's command: everything under its own data directory.
    for inherited in ("DAGSTER_HOME", "MLFLOW_TRACKING_URI", "REDIS_URL"):
        env.pop(inherited, None)
    return subprocess.run([SCORELINE, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built_by_command(tmp_path_factory, raw_template) -> tuple[Path, subprocess.CompletedProcess]:
    """Raw days up to START + DAYS - 1, built by `scoreline build` for the day before the last."""
    data_dir = tmp_path_factory.mktemp("command")
    shutil.copytree(raw_template, data_dir / "raw")
    day = SCORE_DATE - timedelta(days=1)
    return data_dir, scoreline(data_dir, "build", "--score-date", day.isoformat())


@pytest.mark.slow
def test_build_runs_the_warehouse_job_quietly_with_its_logs_in_a_file(built_by_command):
    data_dir, result = built_by_command
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    log_line = next(line for line in lines if line.startswith("logs: "))
    log = Path(log_line.removeprefix("logs: "))
    assert log.parent == data_dir / "logs" and log.exists()
    # one line per step and per table loaded, not dbt's and Dagster's own output
    dbt_line = next(line for line in lines if "nightly_dbt_models" in line)
    # its tables and tests; dbt's own node status is no drift verdict
    assert "tables" in dbt_line and "passed" in dbt_line and "drift" not in dbt_line, dbt_line
    activities = next(line for line in lines if line.strip().startswith("activities:"))
    assert f"over {DAYS - 1} day(s)" in activities
    assert len(lines) < 25, result.stdout
    assert "dbt" in log.read_text() and "PASS" not in result.stdout
    # the build was a Dagster run, visible to the UI on the same instance
    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster"))
    runs = instance.get_runs()
    assert [run.job_name for run in runs] == ["warehouse_job"]
    assert runs[0].tags["scoreline/launched_by"] == "scoreline"


@pytest.mark.slow
def test_a_night_without_a_champion_fails_in_one_line_and_publishes_nothing(built_by_command):
    data_dir, _ = built_by_command
    result = scoreline(data_dir, "nightly", "--date", SCORE_DATE.isoformat())
    assert result.returncode == 1
    assert "no 'champion' model for churn" in result.stderr
    assert "full logs: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((data_dir / "published").glob("predictions/*/*/*.parquet"))


def test_the_audit_and_the_registry_answer_before_any_model_exists(tmp_path):
    data_dir = tmp_path  # nothing built, trained or audited yet
    shown = scoreline(data_dir, "models", "--history")
    assert shown.returncode == 0, shown.stderr
    assert "churn: champion none, challenger none" in shown.stdout
    refused = scoreline(data_dir, "promote", "churn", "3", "--reason", "typo")
    assert refused.returncode == 1
    assert "error: churn has no version 3" in refused.stderr
