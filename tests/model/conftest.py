"""A warehouse built once for the ML tests, and a fresh MLflow store per test."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from ml.config import Settings
from ml.ingest.generate import generate
from ml.warehouse.dbt_runner import build_warehouse
from tests.conftest import seed_mlflow_store, settings_under

START = date(2026, 1, 1)
DAYS = 150
SCORE_DATE = START + timedelta(days=DAYS)


@pytest.fixture(scope="session")
def ml_warehouse(tmp_path_factory) -> Settings:
    """20k customers x 150 days: enough rows for trees to beat the linear baseline honestly."""
    settings = settings_under(tmp_path_factory.mktemp("ml_warehouse"))
    generate(settings.raw_dir, customers=20000, days=DAYS, start=START, seed=21, progress=False)
    build_warehouse(settings, score_date=SCORE_DATE, full_refresh=True, capture=True)
    return settings


def with_own_store(warehouse: Settings, root: Path) -> Settings:
    """`warehouse` with an MLflow store and a published folder of its own under `root`."""
    settings = replace(
        warehouse,
        mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        mlflow_artifacts_dir=root / "artifacts",
        published_dir=root / "published",
    )
    seed_mlflow_store(settings.mlflow_tracking_uri)
    return settings


@pytest.fixture
def ml_settings(ml_warehouse, tmp_path) -> Settings:
    """The shared warehouse, with this test's own MLflow store and published folder."""
    return with_own_store(ml_warehouse, tmp_path)
