"""The production profile on this machine's PostgreSQL: Dagster's runs and MLflow's registry in
databases of their own (created and dropped here), with the password never written to disk."""

from __future__ import annotations

import uuid
from dataclasses import replace

import dagster as dg
import psycopg2
import pytest

from ml.training import registry
from orchestration.lib.runner import instance_for
from tests.conftest import settings_under

SERVER = "postgresql://postgres:{password}@127.0.0.1:5432/{database}"
SECRET = "pg-secret-not-for-logs"  # trust auth on this machine: any password is accepted


def _admin():
    try:
        url = SERVER.format(password=SECRET, database="postgres")
        con = psycopg2.connect(url, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc})")
    con.autocommit = True
    return con


@pytest.fixture
def database():
    """A fresh database on the local server, dropped afterwards."""
    name = f"scoreline_test_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    admin.cursor().execute(f'create database "{name}"')
    yield SERVER.format(password=SECRET, database=name)
    admin.cursor().execute(f'drop database "{name}" with (force)')
    admin.close()


def _count(url: str, table: str) -> int:
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(f"select count(*) from {table}")  # noqa: S608 (a fixed table name)
        return cursor.fetchone()[0]


@dg.op
def hello() -> int:
    return 1


@dg.job
def tiny_job():
    hello()


def test_dagster_runs_live_in_postgresql_and_the_url_stays_in_the_environment(
    database, tmp_path, monkeypatch
):
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", database)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    instance = instance_for(settings_under(tmp_path))
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert tiny_job.execute_in_process(instance=instance).success
    assert _count(database, "runs") == 1
    written = (tmp_path / "dagster" / "dagster.yaml").read_text()
    assert "env: DAGSTER_POSTGRES_URL" in written and SECRET not in written


def test_the_mlflow_registry_lives_in_postgresql(database, tmp_path):
    settings = replace(settings_under(tmp_path), mlflow_tracking_uri=database)
    client = registry.connect(settings)
    client.mlflow.create_registered_model("scoreline-profile-check")
    assert _count(database, "registered_models") == 1


def test_urls_with_passwords_reach_the_dagster_ui_by_variable_name_only(pipeline, monkeypatch):
    """The UI lists every resource's configuration: Redis and MLflow URLs are shown as the
    variables that hold them, and resolve to the real URL only inside a run."""
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._serdes import serialize_value

    from orchestration.defs.definitions import build_definitions

    redis_url = f"redis://scoreline-exporter:{SECRET}@127.0.0.1:6379/0"
    mlflow_uri = SERVER.format(password=SECRET, database="mlflow")
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    settings = replace(pipeline.settings, redis_url=redis_url, mlflow_tracking_uri=mlflow_uri)
    defs = build_definitions(settings)

    shown = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    assert SECRET not in shown and "REDIS_URL" in shown and "MLFLOW_TRACKING_URI" in shown
    with dg.build_resources({k: defs.resources[k] for k in ("redis", "mlflow")}) as resources:
        assert resources.redis.url == redis_url
        assert resources.mlflow.tracking_uri == mlflow_uri
