"""Fit LightGBM (early stopping, Platt calibration) and a logistic baseline, log all of it
to MLflow, register the model, and run the champion/challenger gate on the same rows."""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import lightgbm as lgb
import mlflow
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ml.config import Settings
from ml.monitoring.calibration import calibrate
from ml.training import registry
from ml.training.evaluate import (
    GateDecision,
    calibration_figure,
    classification_metrics,
    importance_figure,
    promotion_decision,
    segment_auc,
)
from ml.training.model import ScoringModel, typical_values
from ml.training.specs import ModelSpec
from ml.training.training_set import (
    TimeSplit,
    load_feature_history,
    load_training_set,
    split_by_time,
)
from ml.warehouse.dbt_runner import connect_read_only
from ml.warehouse.feature_families import calendar_ageing_columns
from ml.warehouse.frames import to_frame


@dataclass(frozen=True)
class TrainingOutcome:
    run_id: str
    version: int
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    decision: GateDecision
    seconds: float
    rows_train: int


def _rows_for_version(
    settings: Settings, spec: ModelSpec, feature_version: int, validation: pd.DataFrame
) -> pd.DataFrame | None:
    """The validation rows as another feature version computes them (a champion trained on an
    earlier version), in the validation rows' order; None when that version lacks any of them."""
    if feature_version == spec.feature_version:
        return validation
    relation = f"{spec.feature_model}_v{feature_version}"
    keys = validation[["customer_id", "as_of_date"]]
    with connect_read_only(settings) as con:
        try:
            con.register("validation_keys", keys)
            found = con.sql(
                f"select features.* from validation_keys as keys left join {relation} as features "
                "using (customer_id, as_of_date)"
            )
            rows = to_frame(found)
        except duckdb.CatalogException:
            return None
    rows = keys.merge(rows, on=["customer_id", "as_of_date"], how="left")
    if rows.drop(columns=["customer_id", "as_of_date"]).isna().all(axis=1).any():
        return None
    return rows


def fit_scoring_model(spec: ModelSpec, split: TimeSplit, params: dict | None = None):
    """Fit LightGBM on older dates, stop early on the next date, calibrate on that date."""
    levels = {
        column: sorted(split.train[column].dropna().astype(str).unique())
        for column in spec.categorical_features
    }
    constraints = (
        {"monotone_constraints": [spec.monotone.get(f, 0) for f in spec.features]}
        if spec.monotone
        else {}
    )
    classifier = lgb.LGBMClassifier(
        **{**spec.params, **constraints, **(params or {})}, verbose=-1, n_jobs=2
    )
    model = ScoringModel(
        features=list(spec.features),
        categorical_features=list(spec.categorical_features),
        category_levels=levels,
        booster=classifier,  # replaced by the fitted booster below
        calibration=(1.0, 0.0),
        feature_version=spec.feature_version,
        typical=typical_values(split.train, list(spec.features), list(spec.categorical_features)),
    )
    classifier.fit(
        model.prepare(split.train),
        split.train.label,
        eval_X=(model.prepare(split.early_stopping),),
        eval_y=(split.early_stopping.label,),
        eval_metric="auc",
        callbacks=[lgb.early_stopping(spec.early_stopping_rounds, verbose=False)],
    )
    # The booster as it is stored (its text, trees up to the best iteration), so training
    # measures exactly what scoring will load.
    text = classifier.booster_.model_to_string(num_iteration=classifier.best_iteration_ or None)
    model.booster = lgb.Booster(model_str=text)
    platt = LogisticRegression().fit(
        model.raw_margin(split.early_stopping).reshape(-1, 1), split.early_stopping.label
    )
    model.calibration = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
    return model


def fit_baseline(spec: ModelSpec, train: pd.DataFrame):
    """Logistic regression on the same features: the bar LightGBM must clear."""
    numeric = [c for c in spec.features if c not in spec.categorical_features]
    categories = OneHotEncoder(handle_unknown="ignore")
    numbers = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    pipeline = make_pipeline(
        ColumnTransformer(
            [
                ("categories", categories, list(spec.categorical_features)),
                ("numbers", numbers, numeric),
            ]
        ),
        LogisticRegression(max_iter=300),
    )
    return pipeline.fit(train[list(spec.features)], train.label)


def _code_version(settings: Settings) -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=settings.project_dir, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def train_and_register(
    spec: ModelSpec,
    settings: Settings,
    params: dict | None = None,
    who: str = "scoreline train",
) -> TrainingOutcome:
    """Train a spec's model, log and register it, and promote it if it passes the gate.

    Args:
        spec: The model spec.
        settings: Warehouse and MLflow locations.
        params: LightGBM parameter overrides for this run (experiments, tests).
        who: Recorded with alias moves.

    Returns:
        The run, the new version, its metrics, the baseline's, the champion's on the same
        rows (if any) and the gate's decision.
    """
    started = time.perf_counter()
    with connect_read_only(settings) as con:
        frame = load_training_set(con, spec)
        reference_date, history = load_feature_history(con, spec)
    split = split_by_time(frame, spec.validation_as_of_dates)
    model = fit_scoring_model(spec, split, params)
    baseline = fit_baseline(spec, split.train)

    validation = split.validation.reset_index(drop=True)
    scores = model.predict_proba(validation)[:, 1]
    metrics = classification_metrics(validation.label, scores)
    segments = segment_auc(validation, scores, list(spec.segments))
    baseline_metrics = classification_metrics(
        validation.label, baseline.predict_proba(validation[list(spec.features)])[:, 1]
    )

    client = registry.connect(settings)
    champion_metrics = champion_segments = None
    unjudged = None
    if registry.alias_version(client, spec, registry.CHAMPION) is not None:
        champion = registry.load_model(client, spec, registry.CHAMPION)
        rows = _rows_for_version(settings, spec, champion.feature_version, validation)
        if rows is None:
            unjudged = (
                f"the champion v{champion.version} reads feature version "
                f"v{champion.feature_version}, which holds no rows for the validation dates: "
                "the two cannot be compared on the same rows; review and promote by hand "
                f"(`scoreline promote {spec.name} VERSION`)"
            )
        else:
            champion_scores = champion.model.predict_proba(rows)[:, 1]
            champion_metrics = classification_metrics(validation.label, champion_scores)
            champion_segments = segment_auc(validation, champion_scores, list(spec.segments))
    decision = promotion_decision(
        spec.promotion, metrics, segments, champion_metrics, champion_segments
    )
    if unjudged:
        decision = GateDecision(False, [*decision.reasons, unjudged])

    experiment_id = registry.ensure_experiment(client, settings, spec)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        best_iteration = model.booster.current_iteration()  # trees kept: the best iteration
        mlflow.log_params({**spec.params, **(params or {}), "best_iteration": best_iteration})
        mlflow.log_metrics({f"validation_{k}": v for k, v in metrics.items()})
        mlflow.log_metrics({f"baseline_{k}": v for k, v in baseline_metrics.items()})
        mlflow.log_metrics({f"segment_auc.{k.replace('=', '.')}": v for k, v in segments.items()})
        if champion_metrics:
            mlflow.log_metrics({f"champion_{k}": v for k, v in champion_metrics.items()})
        dates = sorted(frame.as_of_date.dt.date.unique())
        mlflow.set_tags(
            {
                "model_spec": spec.name,
                "feature_model": spec.feature_model,
                "feature_version": str(spec.feature_version),
                "feature_relation": spec.feature_relation,
                "label": f"{spec.label.kind}, {spec.label.horizon_days} days",
                "training_window": f"{dates[0]}..{split.early_stopping.as_of_date.max().date()}",
                "validation_dates": ",".join(map(str, split.validation_dates)),
                "rows_train": str(len(split.train)),
                "rows_early_stopping": str(len(split.early_stopping)),
                "rows_validation": str(len(validation)),
                "code_version": _code_version(settings),
                "lightgbm_version": lgb.__version__,  # reads model.txt
                "gate_decision": "promote" if decision.promote else "reject",
                "gate_reasons": "; ".join(decision.reasons),
            }
        )
        with tempfile.TemporaryDirectory() as tmp:
            figures = {
                "calibration.png": calibration_figure(
                    validation.label.to_numpy(), scores, f"{spec.name}: calibration (validation)"
                ),
                "feature_importance.png": importance_figure(
                    model.features,
                    model.booster.feature_importance("gain"),
                    f"{spec.name}: feature importance",
                ),
            }
            for name, figure in figures.items():
                figure.savefig(Path(tmp) / name, dpi=100)
                mlflow.log_artifact(str(Path(tmp) / name), artifact_path="plots")
            importance = pd.DataFrame(
                {"feature": model.features,
                 "gain": model.booster.feature_importance("gain")}
            ).sort_values("gain", ascending=False)  # fmt: skip
            importance.to_csv(Path(tmp) / "feature_importance.csv", index=False)
            mlflow.log_artifact(str(Path(tmp) / "feature_importance.csv"))
            # Drift is measured against the newest as-of date (what the model is about to
            # score), with levels calibrated on the clean dates before it.
            ageing = tuple(
                sorted(calendar_ageing_columns(settings.business_dir) & set(spec.features))
            )
            calibration, reference = calibrate(
                spec, history, reference_date, ageing, lambda rows: model.predict_proba(rows)[:, 1]
            )
            reference.to_parquet(Path(tmp) / registry.DRIFT_REFERENCE, index=False)
            mlflow.log_artifact(str(Path(tmp) / registry.DRIFT_REFERENCE))
            (Path(tmp) / registry.DRIFT_CALIBRATION).write_text(calibration.to_json())
            mlflow.log_artifact(str(Path(tmp) / registry.DRIFT_CALIBRATION))
            # data, not a pickle (ml.training.model); the digests go with the registration
            digests = model.save(Path(tmp) / registry.MODEL_ARTIFACT)
            mlflow.log_artifacts(str(Path(tmp) / registry.MODEL_ARTIFACT), registry.MODEL_ARTIFACT)
        version = registry.register(
            client,
            spec,
            f"{run.info.artifact_uri}/{registry.MODEL_ARTIFACT}",
            run.info.run_id,
            tags={
                "feature_version": str(spec.feature_version),
                "validation_auc": f"{metrics['roc_auc']:.4f}",
                **{registry.digest_tag(name): digest for name, digest in digests.items()},
            },
        )
    registry.move_alias(client, spec, registry.CHALLENGER, version, who, "newly trained")
    if decision.promote:
        registry.move_alias(
            client, spec, registry.CHAMPION, version, who, "; ".join(decision.reasons)
        )
    return TrainingOutcome(
        run_id=run.info.run_id,
        version=version,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        champion_metrics=champion_metrics,
        decision=decision,
        seconds=time.perf_counter() - started,
        rows_train=len(split.train),
    )
