"""Jobs, schedules and the retraining sensor."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from ml.monitoring.retraining import retraining_reasons
from ml.scoring.publish import read_published
from ml.training import registry
from ml.training.specs import ModelSpec
from orchestration.defs.dbt_models import TRAINING_LABELS, asset_key_for_relation
from orchestration.lib.resources import MlflowResource, WarehouseResource

NIGHTLY_JOB = "nightly_job"
WAREHOUSE_JOB = "warehouse_job"


def training_job_name(spec_name: str) -> str:
    return f"{spec_name}_training_job"


def jobs(
    specs: list[ModelSpec],
    nightly_dbt: dg.AssetsDefinition,
    training_dbt: dg.AssetsDefinition,
) -> list:
    nightly = dg.define_asset_job(
        NIGHTLY_JOB,
        selection=dg.AssetSelection.all() - _training_selection(specs, training_dbt),
        description="Load the new raw day, build features, score, check, measure drift, "
        "publish and export to Redis for one score date.",
    )
    warehouse = dg.define_asset_job(
        WAREHOUSE_JOB,
        selection=dg.AssetSelection.assets(nightly_dbt, dg.AssetKey(["serving", "read_model"])),
        description="Only the dbt warehouse for a score date (first load, or before training), "
        "and the read model the app reads.",
    )
    training = [
        dg.define_asset_job(
            training_job_name(spec.name),
            selection=_training_selection([spec], training_dbt),
            description=f"Rebuild {spec.name}'s labels and training set, train, and gate.",
        )
        for spec in specs
    ]
    return [nightly, warehouse, *training]


def _training_selection(specs: list[ModelSpec], training_dbt) -> dg.AssetSelection:
    keys = []
    for spec in specs:
        keys += [
            asset_key_for_relation(training_dbt, TRAINING_LABELS),
            dg.AssetKey([spec.name, "trained_model"]),
        ]
    return dg.AssetSelection.assets(*keys)


def schedules(
    specs: list[ModelSpec], job_defs, nightly_hour_utc: int
) -> list[dg.ScheduleDefinition]:
    by_name = {job.name: job for job in job_defs}
    nightly = dg.build_schedule_from_partitioned_job(
        by_name[NIGHTLY_JOB], name="nightly_schedule", hour_of_day=nightly_hour_utc,
        minute_of_hour=0,
    )  # fmt: skip
    retraining = [
        dg.ScheduleDefinition(
            name=f"{spec.name}_retraining_schedule",
            job=by_name[training_job_name(spec.name)],
            cron_schedule=spec.retrain_cron,
            execution_timezone="UTC",
        )
        for spec in specs
    ]
    return [nightly, *retraining]


def retraining_sensor(specs: list[ModelSpec], job_defs) -> dg.SensorDefinition:
    by_name = {job.name: job for job in job_defs}

    @dg.sensor(
        name="retraining_sensor",
        jobs=[by_name[training_job_name(spec.name)] for spec in specs],
        minimum_interval_seconds=3600,
        # on only where a spec asks for it: the first start of the UI retrained and promoted a
        # champion because of a drift alarm the operator had not read yet
        default_status=(
            dg.DefaultSensorStatus.RUNNING
            if any(spec.automatic_retraining for spec in specs)
            else dg.DefaultSensorStatus.STOPPED
        ),
        description="Requests retraining of specs with automatic_retraining: true when drift "
        "alarms, realized performance falls below the champion's validation figure by more than "
        "the spec allows, or the champion is older than the spec's maximum age; for the other "
        "specs it logs why it would.",
    )
    def sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
               mlflow: MlflowResource):  # fmt: skip
        settings = mlflow.apply(warehouse.settings())
        client = registry.connect(settings)
        for spec in specs:
            version = registry.alias_version(client, spec, registry.CHAMPION)
            if version is None:
                continue  # nothing to retrain yet: the first training is an explicit step
            info = registry.version_info(client, spec, version)
            reasons = retraining_reasons(
                spec,
                read_published(settings, "drift_history", spec.name),
                read_published(settings, "performance_history", spec.name),
                info.created_at,
                version,
                datetime.now(UTC),
            )
            if reasons and not spec.automatic_retraining:
                context.log.info(
                    f"{spec.name} v{version} would retrain ({'; '.join(reasons)}), but automatic "
                    "retraining is off in its spec: retrain with `scoreline train`"
                )
            elif reasons:
                # One request per champion and evidence: the sensor does not re-ask each hour.
                yield dg.RunRequest(
                    run_key=f"{spec.name}-v{version}-{'|'.join(reasons)}",
                    job_name=training_job_name(spec.name),
                    tags={"scoreline/retrain_reason": "; ".join(reasons)[:250]},
                )
            else:
                context.log.info(f"{spec.name} v{version}: no reason to retrain")

    return sensor


def freshness_checks(specs: list[ModelSpec]) -> list[dg.AssetChecksDefinition]:
    """Each spec's published scores and Redis export must have a new score date within
    `checks.max_score_age_days`: a run of failed or missing nights fails these checks, which
    Dagster's freshness sensor evaluates even when no night runs (and the app's banner says the
    same from the data)."""
    return [
        check
        for spec in specs
        for check in dg.build_last_update_freshness_checks(
            assets=[dg.AssetKey([spec.name, "published_predictions"]),
                    dg.AssetKey([spec.name, "redis_export"])],
            lower_bound_delta=timedelta(days=spec.checks.max_score_age_days),
            severity=dg.AssetCheckSeverity.ERROR,
        )
    ]  # fmt: skip
