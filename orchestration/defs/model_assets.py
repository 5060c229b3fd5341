"""One chain of assets per model spec, from one factory: adding a spec adds a chain, no code.

    <model>/trained_model -> (nightly, per score date)
    <model>/predictions -> <model>/drift_report
                        -> <model>/published_predictions -> <model>/redis_export
    monitoring/realized_performance (all models, once labels mature)
    serving/read_model (the warehouse tables readers join, as Parquet; last of a night)

The assets wire; `ml` computes. Predictions land in an internal `scored_predictions` table
first and carry blocking checks, so a bad night never reaches the published table or Redis.
"""

from datetime import date

import dagster as dg
from pydantic import Field

from ml.monitoring.drift import earlier_statistics, measure_drift
from ml.monitoring.performance import measure_realized_performance
from ml.scoring.checks import check_predictions, high_risk_share
from ml.scoring.publish import (
    SCHEMA,
    publish_predictions,
    publish_table,
    published_dates,
    read_published_file,
)
from ml.scoring.score import (
    ScoringInputError,
    read_scoring_panel,
    score,
    scoring_input_rows,
)
from ml.serving.read_model import refresh_read_model, sql_database_path
from ml.serving.redis_export import RedisExportError, export_high_risk, high_risk_rows, live_key
from ml.training import registry
from ml.training.registry import RegistryError
from ml.training.specs import ModelSpec
from ml.training.train import train_and_register
from orchestration.defs.dbt_models import (
    REALIZED_LABELS,
    TRAINING_LABELS,
    asset_key_for_relation,
)
from orchestration.defs.partitions import ONE_RUN_PER_DATE, partition_date
from orchestration.lib.resources import (
    DriftReportsResource,
    MlflowResource,
    RedisResource,
    WarehouseResource,
)

SCORED = "scored_predictions"
# A spec's assets that run every night after the dbt models (`scoreline score` runs these).
NIGHTLY_MODEL_ASSETS = ("predictions", "drift_report", "published_predictions", "redis_export")
PREDICTION_CHECKS = [
    ("rows_match_active_customers", True),
    ("scores_within_unit_interval", True),
    ("no_missing_values", True),
    ("high_risk_share_within_tolerance", True),
    ("high_risk_share_close_to_previous_day", False),
]


class PredictionsConfig(dg.Config):
    """A run's word on its predictions (the launchpad's config of `<spec>__predictions`)."""

    accept_high_risk_shift: str | None = Field(
        None,
        description="Why this night's high-risk share may move beyond the spec's block factor "
        "(a known event, e.g. a price rise); kept with the check result. Unset: such a night "
        "is not published.",
    )


def accept_high_risk_shift_config(spec_names: list[str], reason: str) -> dict:
    """Run config that accepts a high-risk share shift for each named spec, with the reason."""
    return {
        "ops": {
            f"{name}__predictions": {"config": {"accept_high_risk_shift": reason}}
            for name in spec_names
        }
    }


def _previous_high_risk_share(settings, spec: ModelSpec, score_date: date) -> float | None:
    earlier = [d for d in published_dates(settings, "predictions", spec.name) if d < score_date]
    if not earlier:
        return None
    previous = read_published_file(
        settings, "predictions", spec.name, earlier[-1], columns=["score", "is_shadow"]
    )
    return high_risk_share(previous.to_pandas(), spec.high_risk_threshold)


def model_assets(
    spec: ModelSpec,
    nightly_dbt: dg.AssetsDefinition,
    training_dbt: dg.AssetsDefinition,
    partitions: dg.PartitionsDefinition,
) -> list[dg.AssetsDefinition]:
    """The trained model and the nightly chain for one spec."""
    name = spec.name
    group = f"{name}_model"
    features_key = asset_key_for_relation(nightly_dbt, spec.feature_relation)
    labels_key = asset_key_for_relation(training_dbt, TRAINING_LABELS)
    predictions_key = dg.AssetKey([name, "predictions"])

    @dg.asset(
        key=[name, "trained_model"],
        deps=[labels_key, features_key],
        group_name=group,
        kinds={"lightgbm", "mlflow"},
        description=f"The newest registered version of {name}, promoted to champion if it "
        "passes the gate. Refreshes on the retraining schedule or when the sensor asks.",
    )
    def trained_model(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
    ) -> dg.MaterializeResult:
        settings = mlflow.apply(warehouse.settings())
        outcome = train_and_register(spec, settings, who=f"dagster run {context.run.run_id[:8]}")
        return dg.MaterializeResult(
            metadata={
                "version": outcome.version,
                "roc_auc": outcome.metrics["roc_auc"],
                "baseline_roc_auc": outcome.baseline_metrics["roc_auc"],
                "promoted": outcome.decision.promote,
                "gate": "; ".join(outcome.decision.reasons),
                "rows_train": outcome.rows_train,
                "mlflow_run": outcome.run_id,
            }
        )

    @dg.asset(
        key=predictions_key,
        deps=[features_key, trained_model.key],
        partitions_def=partitions,
        backfill_policy=ONE_RUN_PER_DATE,
        group_name=group,
        kinds={"python"},
        check_specs=[
            dg.AssetCheckSpec(check, asset=predictions_key, blocking=blocking)
            for check, blocking in PREDICTION_CHECKS
        ],
        description=f"{name} scores of every active customer for the score date by the "
        "champion (challenger in shadow), not yet published. Refreshes nightly.",
    )
    def predictions(
        context: dg.AssetExecutionContext,
        config: PredictionsConfig,
        warehouse: WarehouseResource,
        mlflow: MlflowResource,
    ):
        settings = mlflow.apply(warehouse.settings())
        score_date = partition_date(context)
        try:
            result = score(spec, settings, score_date)
        except (RegistryError, ScoringInputError) as exc:
            raise dg.Failure(description=str(exc)) from exc
        publish_table(settings, SCORED, result.predictions, name, score_date, SCHEMA)
        active = int((~result.predictions.is_shadow).sum())
        outcomes = check_predictions(
            result.predictions,
            scoring_input_rows(settings, spec),
            spec.high_risk_threshold,
            _previous_high_risk_share(settings, spec, score_date),
            spec.checks,
            config.accept_high_risk_shift,
        )
        yield dg.Output(
            None,
            metadata={
                "champion_version": result.champion_version,
                "challenger_version": result.challenger_version or 0,
                "challenger_served": result.challenger_served,
                "customers": active,
                "high_risk": result.high_risk,
            },
        )
        for outcome in outcomes:
            yield dg.AssetCheckResult(
                check_name=outcome.name,
                passed=outcome.passed,
                severity=dg.AssetCheckSeverity.ERROR
                if outcome.blocking
                else dg.AssetCheckSeverity.WARN,
                description=outcome.description,
                metadata={k: v for k, v in outcome.metadata.items() if v is not None},
            )

    @dg.asset(
        key=[name, "drift_report"],
        deps=[predictions],
        partitions_def=partitions,
        backfill_policy=ONE_RUN_PER_DATE,
        group_name=group,
        kinds={"evidently"},
        # run as soon as the scores exist, before the other model's scoring: its HTML report is
        # drawn by a helper process while the rest of the night goes on, and the run waits for
        # it at the end (DriftReportsResource)
        op_tags={"dagster/priority": "1"},
        description=f"Drift of {name}'s inputs and scores against the champion's training "
        "reference: an HTML report per date and a row in drift_history. Refreshes nightly.",
    )
    def drift_report(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        mlflow: MlflowResource,
        drift_reports: DriftReportsResource,
    ) -> dg.MaterializeResult:
        settings = mlflow.apply(warehouse.settings())
        score_date = partition_date(context)
        scored = read_published_file(settings, SCORED, name, score_date)
        client = registry.connect(settings)
        version = registry.alias_version(client, spec, registry.CHAMPION)
        # the champion's own scores (an A/B arm serves the challenger's), on the drift panel
        current = read_scoring_panel(settings, spec, score_date, scored, version)
        reference, calibration = registry.load_drift_reference(client, spec, version)
        result = measure_drift(
            spec, reference, calibration, current, score_date, version, settings.reports_dir,
            previous=earlier_statistics(
                settings, name, version, score_date, spec.drift.trend_nights - 1
            ),
            report=drift_reports.draw,
        )  # fmt: skip
        publish_table(settings, "drift_history", result.history_row(), name, score_date)
        publish_table(settings, "feature_drift", result.feature_rows(), name, score_date)
        if result.status != "ok":
            context.log.warning(
                f"{name} drift {result.status} on {score_date}: "
                + "; ".join([*result.reasons, *result.warnings])
            )
        return dg.MaterializeResult(
            metadata={
                "status": result.status,
                "alarm": result.alarm,
                "reasons": "; ".join(result.reasons) or "none",
                "warnings": "; ".join(result.warnings) or "none",
                "share_drifted": result.share_drifted,
                "prediction_drift": result.prediction_drift,
                "drifted_features": ", ".join(result.drifted_features) or "none",
                "model_age_days": result.lag_days,
                "report": dg.MetadataValue.path(result.report_html),
                "sample_rows": result.current_rows,
            }
        )

    @dg.asset(
        key=[name, "published_predictions"],
        deps=[predictions],
        partitions_def=partitions,
        backfill_policy=ONE_RUN_PER_DATE,
        group_name=group,
        kinds={"parquet"},
        description=f"The {name} prediction table business teams read, one file per score "
        "date, replaced atomically. Refreshes nightly once the prediction checks pass.",
    )
    def published_predictions(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        settings = warehouse.settings()
        score_date = partition_date(context)
        # Arrow straight through: through pandas, the reason lists cost a 1M-customer night
        # ~1 s a model
        rows = read_published_file(settings, SCORED, name, score_date)
        path = publish_predictions(settings, rows, name, score_date)
        return dg.MaterializeResult(
            metadata={"rows": rows.num_rows, "path": dg.MetadataValue.path(str(path))}
        )

    export_key = dg.AssetKey([name, "redis_export"])

    @dg.asset(
        key=export_key,
        deps=[published_predictions],
        partitions_def=partitions,
        backfill_policy=ONE_RUN_PER_DATE,
        group_name=group,
        kinds={"redis"},
        check_specs=[dg.AssetCheckSpec("keys_written_equal_rows_selected", asset=export_key)],
        description=f"{name} customers at or above the high-risk threshold in Redis (hash "
        f"{live_key(name)}), switched atomically, expiring after the spec's TTL. "
        "Refreshes nightly after publication.",
    )
    def redis_export(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, redis: RedisResource
    ):
        settings = warehouse.settings()
        score_date = partition_date(context)
        published = read_published_file(settings, "predictions", name, score_date)
        rows = high_risk_rows(published, spec.high_risk_threshold)
        client = redis.client(settings)
        try:
            result = export_high_risk(client, rows, name, score_date, spec.redis_ttl_seconds)
        except RedisExportError as exc:
            raise dg.Failure(description=str(exc)) from exc
        served = client.hlen(live_key(name)) if result.switched else None
        yield dg.Output(
            None,
            metadata={
                "rows_selected": rows.num_rows,
                "switched": result.switched,
                "served_score_date": result.served_score_date,
                "rows_per_second": round(result.rows_per_second),
            },
        )
        yield dg.AssetCheckResult(
            check_name="keys_written_equal_rows_selected",
            passed=served is None or served == rows.num_rows,
            description=(
                f"{served} keys served for {rows.num_rows} rows selected"
                if served is not None
                else f"not switched: a newer date ({result.served_score_date}) is served"
            ),
        )

    return [trained_model, predictions, drift_report, published_predictions, redis_export]


def realized_performance_asset(
    specs: list[ModelSpec],
    monitoring_dbt: dg.AssetsDefinition,
    partitions: dg.PartitionsDefinition,
) -> dg.AssetsDefinition:
    @dg.asset(
        key=["monitoring", "realized_performance"],
        deps=[
            asset_key_for_relation(monitoring_dbt, REALIZED_LABELS),
            *(dg.AssetKey([spec.name, "published_predictions"]) for spec in specs),
        ],
        partitions_def=partitions,
        backfill_policy=ONE_RUN_PER_DATE,
        group_name="monitoring",
        kinds={"python"},
        description="ROC-AUC and PR-AUC of past score dates whose label windows have passed, "
        "appended to performance_history. Refreshes nightly.",
    )
    def realized_performance(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
    ) -> dg.MaterializeResult:
        settings = mlflow.apply(warehouse.settings())
        rows = measure_realized_performance(settings, specs, partition_date(context))
        return dg.MaterializeResult(
            metadata={
                "dates_measured": len(rows),
                "alarms": int(rows.alarm.sum()) if len(rows) else 0,
            }
        )

    return realized_performance


def read_model_asset(
    specs: list[ModelSpec],
    nightly_dbt: dg.AssetsDefinition,
    partitions: dg.PartitionsDefinition,
) -> dg.AssetsDefinition:
    @dg.asset(
        key=["serving", "read_model"],
        deps=[
            asset_key_for_relation(nightly_dbt, "int_customers"),
            asset_key_for_relation(nightly_dbt, "quarantine_summary"),
            # not after realized_labels: that step is skipped on nights when nothing matured,
            # and a skipped upstream would skip this too; realized labels may lag a night
            *(dg.AssetKey([spec.name, "published_predictions"]) for spec in specs),
        ],
        partitions_def=partitions,
        backfill_policy=ONE_RUN_PER_DATE,
        group_name="serving",
        kinds={"python", "parquet"},
        description="What readers need from the warehouse (customer attributes, quarantine "
        "counts, realized labels) as Parquet swapped in whole, and a DuckDB file of views for "
        "SQL: the app and analysts never open the warehouse the nightly run writes "
        "(docs/operations.md). Refreshes nightly.",
    )
    def read_model(warehouse: WarehouseResource) -> dg.MaterializeResult:
        settings = warehouse.settings()
        rows = refresh_read_model(settings)
        return dg.MaterializeResult(
            metadata={
                "rows": sum(rows.values()),
                **{f"{table}_rows": count for table, count in rows.items()},
                "sql": dg.MetadataValue.path(str(sql_database_path(settings))),
            }
        )

    return read_model
