"""Fit LightGBM (early stopping, Platt calibration) and a logistic baseline, log all of it
to MLflow, register the model, and run the champion/challenger gate on the same rows."""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import duckdb
import lightgbm as lgb
import matplotlib.pyplot as plt
import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ml.config import Settings
from ml.training import registry
from ml.training.evaluate import (
    GateDecision,
    calibration_figure,
    classification_metrics,
    importance_figure,
    promotion_decision,
    segment_auc,
)
from ml.training.model import ScoringModel
from ml.training.specs import ModelSpec
from ml.training.training_set import TimeSplit, load_training_set, split_by_time
from ml.warehouse.dbt_runner import connect_read_only


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
            rows = con.sql(
                f"select features.* from validation_keys as keys left join {relation} as features "
                "using (customer_id, as_of_date)"
            ).df()
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
    booster = lgb.LGBMClassifier(
        **{**spec.params, **constraints, **(params or {})}, verbose=-1, n_jobs=2
    )
    model = ScoringModel(
        features=list(spec.features),
        categorical_features=list(spec.categorical_features),
        category_levels=levels,
        booster=booster,
        calibrator=LogisticRegression(),
        feature_version=spec.feature_version,
    )
    booster.fit(
        model.prepare(split.train),
        split.train.label,
        eval_X=(model.prepare(split.early_stopping),),
        eval_y=(split.early_stopping.label,),
        eval_metric="auc",
        callbacks=[lgb.early_stopping(spec.early_stopping_rounds, verbose=False)],
    )
    model.calibrator.fit(model.raw_margin(split.early_stopping), split.early_stopping.label)
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


# What loading the stored model imports: the pickled ScoringModel lives in this project's `ml`
# package and holds a LightGBM booster and a scikit-learn calibrator.
MODEL_DISTRIBUTIONS = (
    "scoreline", "lightgbm", "scikit-learn", "scipy", "numpy", "pandas", "cloudpickle", "mlflow",
)  # fmt: skip


def model_requirements() -> list[str]:
    """The model's pip requirements, pinned to the versions it was trained with.

    Given explicitly because MLflow's inference loads the model in a child Python to see what it
    imports: ~4 s of every training, and it left out lightgbm, which the booster needs.
    """
    return [f"{name}=={metadata.version(name)}" for name in MODEL_DISTRIBUTIONS]


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
        best_iteration = model.booster.best_iteration_ or spec.params.get("n_estimators")
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
                    model.booster.booster_.feature_importance("gain"),
                    f"{spec.name}: feature importance",
                ),
            }
            for name, figure in figures.items():
                figure.savefig(Path(tmp) / name, dpi=100)
                plt.close(figure)  # pyplot keeps every figure alive until closed
                mlflow.log_artifact(str(Path(tmp) / name), artifact_path="plots")
            importance = pd.DataFrame(
                {"feature": model.features,
                 "gain": model.booster.booster_.feature_importance("gain")}
            ).sort_values("gain", ascending=False)  # fmt: skip
            importance.to_csv(Path(tmp) / "feature_importance.csv", index=False)
            mlflow.log_artifact(str(Path(tmp) / "feature_importance.csv"))
            # Drift is measured against what the model last saw: its newest (validation) rows.
            reference = validation[list(spec.features)].assign(score=scores)
            reference = reference.sample(
                min(spec.drift.sample_rows, len(reference)), random_state=0
            )
            reference.to_parquet(Path(tmp) / registry.DRIFT_REFERENCE, index=False)
            mlflow.log_artifact(str(Path(tmp) / registry.DRIFT_REFERENCE))
        # numbers as the model reads them (float64): a nullable integer feature (a gap that is
        # undefined for a one-purchase customer) would fail MLflow's check of its own example
        numeric = [c for c in spec.features if c not in spec.categorical_features]
        example = validation[list(spec.features)].head(5).astype(dict.fromkeys(numeric, "float64"))
        logged = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, scores[:5]),
            input_example=example,
            pyfunc_predict_fn="predict_proba",
            serialization_format="cloudpickle",
            pip_requirements=model_requirements(),
        )
    version = registry.register(
        client,
        spec,
        logged.model_uri,
        run.info.run_id,
        tags={
            "feature_version": str(spec.feature_version),
            "validation_auc": f"{metrics['roc_auc']:.4f}",
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
