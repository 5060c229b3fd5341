"""The whole asset graph materialized in process: real dbt, DuckDB, MLflow (SQLite), Redis.

One small business (6,000 customers, Jan 1 to Apr 28 2026) with a price rise on Apr 27:
bootstrap the warehouse for Apr 27, train both models, then run the nightly job for Apr 27
(clean) and, for the tests that need it, Apr 28, the first date that sees the rise.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import date

import dagster as dg
import pytest
import redis

from ml.config import Settings
from ml.ingest.generate import DriftScenario, generate
from ml.serving.redis_export import live_key, meta_key
from ml.training.specs import load_specs
from orchestration.defs.automation import WAREHOUSE_JOB
from orchestration.defs.definitions import build_definitions
from orchestration.lib.runner import ensure_champions, run_job, run_nights, train_all
from tests.conftest import settings_under

START = date(2026, 1, 1)
DRIFT_DAY = date(2026, 4, 27)
CLEAN_DATES = [date(2026, 4, 27)]  # one clean night: each costs make test ~9 s
DRIFT_DATE = date(2026, 4, 28)
SPECS = load_specs()  # the default business (businesses/subscription)


@dataclass
class Pipeline:
    settings: Settings
    defs: dg.Definitions
    instance: dg.DagsterInstance
    redis: redis.Redis


def _pipeline_redis_url(redis_url: str) -> str:
    """A database of its own on the shared server (the demo and other tests use others)."""
    base = redis_url.rsplit("/", 1)[0] if redis_url.startswith("redis://") else redis_url
    return f"{base}/13" if redis_url.startswith("redis://") else redis_url


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory, redis_url) -> Pipeline:
    root = tmp_path_factory.mktemp("pipeline")
    url = _pipeline_redis_url(redis_url)
    settings = replace(settings_under(root), redis_url=url)
    generate(
        settings.raw_dir, customers=6000, days=(DRIFT_DATE - START).days, start=START, seed=5,
        drifts=[DriftScenario("price_increase", DRIFT_DAY)], progress=False,
    )  # fmt: skip
    client = redis.Redis.from_url(url)
    for spec in SPECS:
        client.delete(live_key(spec), meta_key(spec))
    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()
    run_job(defs, WAREHOUSE_JOB, instance, CLEAN_DATES[0])
    train_all(defs, instance, list(SPECS))
    # The gate is tested in tests/model; here a champion must exist for the chain to run.
    ensure_champions(settings, "tests", "pipeline set-up")
    run_nights(defs, instance, CLEAN_DATES, progress=False)
    return Pipeline(settings, defs, instance, client)


@pytest.fixture(scope="session")
def drifted_pipeline(pipeline) -> Pipeline:
    """The pipeline after the first score date that sees the price rise."""
    run_nights(pipeline.defs, pipeline.instance, [DRIFT_DATE], progress=False)
    return pipeline


def private_copy(pipeline: Pipeline, tmp_path) -> Settings:
    """Settings of a private copy of the pipeline's data (its Redis and instance shared)."""
    source = pipeline.settings
    settings = replace(
        source.__class__.from_env({"SCORELINE_DATA_DIR": str(tmp_path)}),
        redis_url=source.redis_url,
        training_sample_pct=source.training_sample_pct,
    )
    for folder in ("raw", "mlflow", "published", "reports"):
        # links kept as links: a published name stays a link to its immutable version
        shutil.copytree(source.data_dir / folder, tmp_path / folder, symlinks=True)
    shutil.copy(source.warehouse_path, settings.warehouse_path)
    return replace(settings, mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
