"""Configuration, dbt argument building, drift parsing and the CLI surface."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ml.config import PROJECT_DIR, Settings
from ml.ingest.generate import DriftScenario
from ml.warehouse.dbt_runner import (
    WarehouseTargetError,
    connect_read_only,
    dbt_vars,
    plan_build,
    run_settings_env,
)
from orchestration.cli import app


def test_every_path_defaults_under_one_data_directory():
    settings = Settings.from_env({})
    assert settings.data_dir == PROJECT_DIR / "data"
    for path in (settings.raw_dir, settings.warehouse_path, settings.dbt_target_dir):
        assert settings.data_dir in path.parents
    assert settings.mlflow_tracking_uri.startswith("sqlite:///")
    assert settings.redis_url is None
    assert settings.business_dir == PROJECT_DIR / "businesses" / "subscription"
    assert settings.dbt_env()["SCORELINE_BUSINESS_DIR"] == "businesses/subscription"


def test_a_business_folder_outside_the_project_reaches_dbt_through_a_link_inside_it(tmp_path):
    # Regression: dbt wrote compiled tests of an absolute yml path over the yml file's own path
    settings = Settings.from_env({"SCORELINE_BUSINESS_DIR": str(tmp_path)})
    assert settings.business_dir == tmp_path
    assert settings.specs_dir == tmp_path / "specs"
    relative = settings.dbt_env()["SCORELINE_BUSINESS_DIR"]
    assert relative.startswith(".scoreline/businesses/") and not relative.startswith("/")


def test_environment_overrides_each_path(tmp_path):
    settings = Settings.from_env(
        {
            "SCORELINE_DATA_DIR": str(tmp_path),
            "SCORELINE_RAW_DIR": "/srv/raw",
            "REDIS_URL": "redis://127.0.0.1:6379/2",
            "SCORELINE_NIGHTLY_HOUR_UTC": "5",
        }
    )
    assert settings.nightly_hour_utc == 5
    assert settings.warehouse_path == tmp_path / "warehouse.duckdb"
    assert settings.raw_dir == Path("/srv/raw")
    assert settings.redis_url == "redis://127.0.0.1:6379/2"
    assert settings.dbt_env()["SCORELINE_WAREHOUSE"] == str(tmp_path / "warehouse.duckdb")


@pytest.mark.parametrize("text,expected", [("100", 100.0), ("2.46", 2.46), ("0.25", 0.25)])
def test_the_training_sample_is_a_percent_with_decimals(text, expected):
    settings = Settings.from_env({"SCORELINE_TRAINING_SAMPLE_PCT": text})
    assert settings.training_sample_pct == expected


@pytest.mark.parametrize("text", ["0", "-1", "101", "all", "nan"])
def test_a_training_sample_outside_0_to_100_percent_is_refused_by_name(text):
    with pytest.raises(ValueError, match="SCORELINE_TRAINING_SAMPLE_PCT.*at most 100"):
        Settings.from_env({"SCORELINE_TRAINING_SAMPLE_PCT": text})


def test_the_spark_target_reaches_dbt_and_duckdb_readers_refuse_it_by_name(tmp_path):
    settings = Settings.from_env(
        {
            "SCORELINE_DATA_DIR": str(tmp_path),
            "SCORELINE_DBT_TARGET": "spark",
            "SCORELINE_DUCKDB_MEMORY_LIMIT": "12GiB",
        }
    )
    env = settings.dbt_env()
    assert env["SCORELINE_DBT_TARGET"] == "spark"
    assert env["SCORELINE_SPARK_DIR"] == str(tmp_path / "spark")
    assert env["SCORELINE_DUCKDB_MEMORY_LIMIT"] == "12GiB"
    with pytest.raises(WarehouseTargetError, match="SCORELINE_DBT_TARGET.*docs/spark.md"):
        connect_read_only(settings)


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        ({}, {}),
        ({"score_date": date(2026, 5, 1)}, {"score_date": "2026-05-01"}),
        (
            {"score_date": date(2026, 5, 1), "reload_from_date": date(2026, 4, 28)},
            {"score_date": "2026-05-01", "reload_from_date": "2026-04-28"},
        ),
    ],
)
def test_dbt_vars_carry_only_what_is_set(kwargs, expected):
    assert dbt_vars(**kwargs) == expected


def test_run_settings_become_environment_and_unset_the_ones_not_given():
    env = run_settings_env({"score_date": "2026-05-01"})
    assert env == {
        "SCORELINE_SCORE_DATE": "2026-05-01",
        "SCORELINE_RELOAD_FROM_DATE": None,
        "SCORELINE_TESTS_SINCE": None,
    }
    with pytest.raises(ValueError, match="unknown dbt run settings"):
        run_settings_env({"scoredate": "2026-05-01"})


@pytest.mark.parametrize("text", ["price_increase", "teleport@2026-01-01", "new_channel@01/02"])
def test_bad_drift_scenarios_are_refused_with_the_expected_form(text):
    with pytest.raises(ValueError, match="KIND@YYYY-MM-DD|isoformat|Invalid"):
        DriftScenario.parse(text)


def test_one_front_door_has_every_verb_with_help():
    runner = CliRunner()
    listing = runner.invoke(app, ["--help"])
    assert listing.exit_code == 0
    verbs = {
        "generate", "check-raw", "build", "train", "score", "nightly", "backfill", "promote",
        "rollback", "retract", "models", "demo", "dev", "app", "features", "fingerprints", "docs",
        "env", "redis-acl", "dbt",
    }  # fmt: skip
    for verb in verbs:
        assert f" {verb} " in listing.output, verb
        shown = runner.invoke(app, [verb, "--help"])
        assert shown.exit_code == 0, verb
        assert f"Usage: scoreline {verb}" in " ".join(shown.output.split()), verb


def test_a_bad_date_is_refused_with_the_expected_form():
    result = CliRunner().invoke(app, ["build", "--score-date", "01/02/2026"])
    assert result.exit_code == 2
    assert "%Y-%m-%d" in result.output


def test_full_builds_run_dbt_unit_tests_and_nights_skip_them():
    full = plan_build(date(2026, 3, 1), last_loaded=None)
    night = plan_build(date(2026, 3, 1), last_loaded=date(2026, 2, 27))
    assert full.since is None and full.build_flags == ()
    assert night.since == date(2026, 2, 28)
    assert night.build_flags == ("--exclude-resource-type", "unit_test")


def test_partitions_follow_the_clock_or_end_at_a_replayed_today(tmp_path):
    """Regression: the demo's partitions ran to the clock's today, months past its data, so the
    UI's "Latest" and launch dialog pointed at dates without data."""
    from orchestration.cli import _replayed_today
    from orchestration.defs.partitions import daily_partitions

    env = {"SCORELINE_DATA_DIR": str(tmp_path)}
    live = Settings.from_env(env)
    assert daily_partitions(live).get_last_partition_key() == live.today.isoformat()
    assert _replayed_today(live) is None, "no raw data: the clock"

    day = tmp_path / "raw" / "day=2026-06-02"
    day.mkdir(parents=True)
    (day / "activities.parquet").write_bytes(b"")  # the folder's date is what counts here
    assert _replayed_today(live) == date(2026, 6, 3), "the data ends before the clock"

    replayed = Settings.from_env({**env, "SCORELINE_TODAY": "2026-06-03"})
    keys = daily_partitions(replayed).get_partition_keys()
    assert (keys[0], keys[-1]) == ("2026-01-01", "2026-06-03")
    assert _replayed_today(replayed) is None, "SCORELINE_TODAY already chooses"
