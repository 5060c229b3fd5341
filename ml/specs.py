"""Model specs: one small YAML per model (ml/specs/<name>.yaml) loaded into a typed object.

Adding a model is a spec plus a dbt label model and a one-line training-set model; no Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SPECS_DIR = Path(__file__).resolve().parent / "specs"


class SpecError(ValueError):
    """A spec file is missing a field or has a bad value; the message names file and field."""


@dataclass(frozen=True)
class DriftRule:
    feature_drift_share: float = 0.3
    prediction_drift_threshold: float = 0.1
    sample_rows: int = 20_000


@dataclass(frozen=True)
class PromotionRule:
    metric: str = "roc_auc"
    min_improvement: float = 0.0
    floor: float = 0.7
    max_segment_drop: float = 0.05
    max_champion_age_days: int = 30
    max_realized_drop: float = 0.05


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    label_model: str
    training_set_model: str
    feature_model: str
    feature_version: int
    features: tuple[str, ...]
    categorical_features: tuple[str, ...]
    segments: tuple[str, ...]
    params: dict[str, Any]
    early_stopping_rounds: int
    validation_as_of_dates: int
    risk_bands: dict[str, float]
    high_risk_threshold: float
    redis_ttl_seconds: int
    drift: DriftRule = field(default_factory=DriftRule)
    promotion: PromotionRule = field(default_factory=PromotionRule)
    retrain_cron: str = "0 3 * * 1"

    @property
    def registered_model_name(self) -> str:
        return f"scoreline-{self.name}"

    @property
    def scoring_input_model(self) -> str:
        return f"customer_scoring_input_v{self.feature_version}"

    def risk_band(self, score: float) -> str:
        """The highest band whose lower bound the score reaches."""
        band = "low"
        for name, lower in sorted(self.risk_bands.items(), key=lambda item: item[1]):
            if score >= lower:
                band = name
        return band


REQUIRED = [
    "name", "description", "label_model", "training_set_model", "feature_model",
    "feature_version", "features", "params", "high_risk_threshold", "risk_bands",
]  # fmt: skip


def load_spec(path: Path) -> ModelSpec:
    """Load and validate one spec file.

    Args:
        path: A `<name>.yaml` spec.

    Returns:
        The typed spec.

    Raises:
        SpecError: a required field is missing or a value is out of range.
    """
    raw = yaml.safe_load(Path(path).read_text()) or {}
    missing = [key for key in REQUIRED if key not in raw]
    if missing:
        raise SpecError(f"{path}: missing field(s) {', '.join(missing)}")
    if raw["name"] != Path(path).stem:
        raise SpecError(f"{path}: name '{raw['name']}' must match the file name")
    features = tuple(raw["features"])
    categorical = tuple(raw.get("categorical_features", ()))
    unknown = [c for c in categorical if c not in features]
    if unknown:
        raise SpecError(f"{path}: categorical_features {unknown} are not in features")
    threshold = float(raw["high_risk_threshold"])
    if not 0 < threshold < 1:
        raise SpecError(f"{path}: high_risk_threshold must be in (0, 1), got {threshold}")
    try:
        return ModelSpec(
            name=raw["name"],
            description=raw["description"],
            label_model=raw["label_model"],
            training_set_model=raw["training_set_model"],
            feature_model=raw["feature_model"],
            feature_version=int(raw["feature_version"]),
            features=features,
            categorical_features=categorical,
            segments=tuple(raw.get("segments", categorical)),
            params=dict(raw["params"]),
            early_stopping_rounds=int(raw.get("early_stopping_rounds", 30)),
            validation_as_of_dates=int(raw.get("validation_as_of_dates", 2)),
            risk_bands={k: float(v) for k, v in raw["risk_bands"].items()},
            high_risk_threshold=threshold,
            redis_ttl_seconds=int(raw.get("redis_ttl_seconds", 86_400)),
            drift=DriftRule(**raw.get("drift", {})),
            promotion=PromotionRule(**raw.get("promotion", {})),
            retrain_cron=raw.get("retrain_cron", "0 3 * * 1"),
        )
    except TypeError as exc:
        raise SpecError(f"{path}: {exc}") from exc


def load_specs(specs_dir: Path = SPECS_DIR) -> dict[str, ModelSpec]:
    """Every spec in the folder, by name."""
    return {spec.name: spec for spec in map(load_spec, sorted(Path(specs_dir).glob("*.yaml")))}
