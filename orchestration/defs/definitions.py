"""Scoreline's Dagster Definitions: `dagster dev -m orchestration.defs.definitions`.

Steps run in one process, one after another: DuckDB allows a single writing process, and the
dbt steps and the readers of the warehouse must not contend for it.
"""

from __future__ import annotations

import os

import dagster as dg

from ml.config import Settings
from ml.training.specs import load_specs
from orchestration.defs.automation import freshness_checks, jobs, retraining_sensor, schedules
from orchestration.defs.dbt_models import dbt_definitions
from orchestration.defs.model_assets import (
    model_assets,
    read_model_asset,
    realized_performance_asset,
)
from orchestration.defs.partitions import daily_partitions
from orchestration.lib.resources import (
    DriftReportsResource,
    MlflowResource,
    RedisResource,
    WarehouseResource,
)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Everything Dagster shows, for the given settings (default: from the environment)."""
    settings = settings or Settings.from_env()
    specs = list(load_specs(settings.business_dir).values())
    partitions = daily_partitions(settings)
    dbt_defs, nightly_dbt, training_dbt, monitoring_dbt = dbt_definitions(settings, specs)
    assets = [
        asset
        for spec in specs
        for asset in model_assets(spec, nightly_dbt, training_dbt, partitions)
    ]
    assets.append(realized_performance_asset(specs, monitoring_dbt, partitions))
    assets.append(read_model_asset(specs, nightly_dbt, partitions))
    job_defs = jobs(specs, nightly_dbt, training_dbt)
    freshness = freshness_checks(specs)
    own = dg.Definitions(
        assets=assets,
        jobs=job_defs,
        schedules=schedules(specs, job_defs, settings.nightly_hour_utc),
        asset_checks=freshness,
        sensors=[
            retraining_sensor(specs, job_defs),
            dg.build_sensor_for_freshness_checks(
                freshness_checks=freshness, default_status=dg.DefaultSensorStatus.RUNNING
            ),
        ],
        resources={
            "warehouse": WarehouseResource(data_dir=str(settings.data_dir)),
            "mlflow": MlflowResource(
                tracking_uri=_by_name(settings.mlflow_tracking_uri, "MLFLOW_TRACKING_URI")
            ),
            "redis": RedisResource(url=_by_name(settings.redis_url, "REDIS_URL")),
            "drift_reports": DriftReportsResource(),
        },
        executor=dg.in_process_executor,
    )
    return dg.Definitions.merge(dbt_defs, own)


def _by_name(value: str | None, variable: str) -> str | dg.EnvVar | None:
    """A value the environment set, as a reference to its variable: the Dagster UI lists every
    resource's configuration, and these URLs carry passwords in production."""
    return dg.EnvVar(variable) if value and value == os.environ.get(variable) else value


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by Dagster when the code location starts, not at import."""
    return build_definitions()
