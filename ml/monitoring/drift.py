"""Drift of a score date's inputs and scores against the model's training reference (Evidently 0.7).

Per column Evidently picks the test by type and size: Wasserstein distance (normed) for
numeric columns and Jensen-Shannon distance for categorical ones above 1,000 rows, with a
threshold of 0.1. The score date alarms when the share of drifted features reaches the spec's
`feature_drift_share` or the score's own drift reaches `prediction_drift_threshold`.

Sizing: Evidently 0.7 is pandas-only and slow on millions of rows, so both sides are sampled
to the spec's `drift.sample_rows` (20,000 by default: a 3-second report for 20 features here,
and enough rows that a 0.1 normed distance is far above sampling noise).

On synthetic data with a price rise, clean days drift on two features (tenure and 90-day event
counts age with the customer base: share 0.10) and the rise lifts the share to 0.40 from the
first score date that sees it.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift
from evidently.presets import DataDriftPreset

from ml.training.specs import ModelSpec

SCORE = "score"


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    method: str
    value: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DriftResult:
    model_name: str
    score_date: date
    model_version: int
    reference_rows: int
    current_rows: int
    share_drifted: float
    prediction_drift: float
    alarm: bool
    reasons: list[str]
    features: list[FeatureDrift] = field(default_factory=list)
    report_html: str = ""

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]

    def history_row(self) -> pd.DataFrame:
        """One row for the drift history table."""
        return pd.DataFrame(
            [
                {
                    "model_name": self.model_name,
                    "score_date": self.score_date,
                    "model_version": self.model_version,
                    "reference_rows": self.reference_rows,
                    "current_rows": self.current_rows,
                    "share_drifted": self.share_drifted,
                    "drifted_features": self.drifted_features,
                    "prediction_drift": self.prediction_drift,
                    "alarm": self.alarm,
                    "reasons": self.reasons,
                    "report_html": self.report_html,
                }
            ]
        )

    def feature_rows(self) -> pd.DataFrame:
        """One row per feature (and the score) for the feature drift table."""
        return pd.DataFrame(
            [
                {"model_name": self.model_name, "score_date": self.score_date, **asdict(f)}
                for f in self.features
            ]
        )


def report_paths(reports_dir: Path, model_name: str, score_date: date) -> tuple[Path, Path]:
    """Where a date's HTML report and its JSON metrics go."""
    folder = reports_dir / "drift" / model_name
    stem = f"{score_date.isoformat()}"
    return folder / f"{stem}.html", folder / f"{stem}.json"


def _sample(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    return frame.sample(rows, random_state=0) if len(frame) > rows else frame


def measure_drift(
    spec: ModelSpec,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    score_date: date,
    model_version: int,
    reports_dir: Path,
) -> DriftResult:
    """Compare a score date's features and scores with the training reference.

    Args:
        spec: The model spec (features, drift thresholds, sample size).
        reference: Training reference rows: the spec's features plus `score`.
        current: The score date's scoring input joined with the champion's `score`.
        score_date: The date measured.
        model_version: The champion version whose reference and scores are compared.
        reports_dir: Root folder for reports (`drift/<model>/<date>.html|.json`).

    Returns:
        Per-feature drift, the share drifted, the score's drift, and whether to alarm.
    """
    features = list(spec.features)
    missing = [c for c in [*features, SCORE] if c not in current.columns]
    if missing:
        raise ValueError(f"current data lacks column(s) {missing} for {spec.name} drift")
    columns = [*features, SCORE]
    reference = _sample(reference[columns], spec.drift.sample_rows)
    current = _sample(current[columns], spec.drift.sample_rows)
    definition = DataDefinition(
        numerical_columns=[c for c in columns if c not in spec.categorical_features],
        categorical_columns=list(spec.categorical_features),
    )
    report = Report(
        [
            DataDriftPreset(columns=features, drift_share=spec.drift.feature_drift_share),
            ValueDrift(column=SCORE),
        ],
        include_tests=True,
    )
    with warnings.catch_warnings():
        # Evidently divides by zero on constant columns and says so; the result is still right.
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = report.run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
    drifts = _column_drifts(snapshot.dict()["metrics"])
    feature_drifts = [d for d in drifts if d.feature in features]
    share = sum(d.drifted for d in feature_drifts) / len(features)
    prediction = next(d.value for d in drifts if d.feature == SCORE)
    reasons = []
    if share >= spec.drift.feature_drift_share:
        reasons.append(
            f"{share:.0%} of features drifted (threshold {spec.drift.feature_drift_share:.0%}): "
            + ", ".join(d.feature for d in feature_drifts if d.drifted)
        )
    if prediction >= spec.drift.prediction_drift_threshold:
        reasons.append(f"score drift {prediction:.3f} >= {spec.drift.prediction_drift_threshold}")
    html, metrics_json = report_paths(reports_dir, spec.name, score_date)
    html.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(html))
    result = DriftResult(
        model_name=spec.name,
        score_date=score_date,
        model_version=model_version,
        reference_rows=len(reference),
        current_rows=len(current),
        share_drifted=share,
        prediction_drift=float(prediction),
        alarm=bool(reasons),
        reasons=reasons,
        features=[*feature_drifts, *(d for d in drifts if d.feature == SCORE)],
        report_html=str(html),
    )
    metrics_json.write_text(json.dumps(asdict(result), default=str, indent=1))
    return result


def _column_drifts(metrics: list[dict]) -> list[FeatureDrift]:
    """Per-column ValueDrift results out of an Evidently snapshot's metric list."""
    drifts = []
    for metric in metrics:
        config = metric.get("config", {})
        if not str(config.get("type", "")).endswith("ValueDrift"):
            continue
        threshold = float(config.get("threshold") or 0.1)
        value = float(metric["value"])
        method = str(config.get("method"))
        # Below 1,000 rows Evidently switches to tests that report p-values: small means drift.
        drifted = value < threshold if "p_value" in method else value >= threshold
        drifts.append(FeatureDrift(config["column"], method, value, threshold, drifted))
    return drifts
