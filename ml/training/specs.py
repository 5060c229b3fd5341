"""Model specs: one small YAML per model (`<business>/specs/<name>.yaml`), loaded and typed.

A spec declares its label (kind, horizon, as-of step), the feature version it trains on, the
LightGBM parameters, the risk bands, the Redis TTL, and the drift and promotion rules. Adding a
model is a spec, no Python and no dbt model: dbt's `training_labels` labels every spec it finds,
and every guard (label window, realized labels, leakage) picks the new one up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ml.ingest.business import NAME, Business, BusinessError, load_business

SPECS_FOLDER = "specs"
LABEL_KINDS = ("contractual_churn", "lapse", "event_in_horizon")


class SpecError(ValueError):
    """A spec file is missing a field or has a bad value; the message names file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Strict):
    """What the model predicts, as of an as-of date D, over [D, D + horizon_days).

    - contractual_churn: the business's contract-ending activity happens (customers active at D);
    - lapse: no qualifying activity happens (non-contractual churn; `activities`, default any);
    - event_in_horizon: `activity` happens at least once.
    """

    kind: Literal["contractual_churn", "lapse", "event_in_horizon"]
    horizon_days: int = Field(gt=0)
    as_of_step_days: int = Field(7, gt=0, description="days between training as-of dates")
    activity: str | None = Field(None, description="event_in_horizon: the activity")
    activities: tuple[str, ...] | None = Field(None, description="lapse: qualifying activities")

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> Label:
        if self.kind == "event_in_horizon" and not self.activity:
            raise ValueError("event_in_horizon needs `activity`")
        if self.kind != "event_in_horizon" and self.activity:
            raise ValueError(f"`activity` applies to event_in_horizon, not {self.kind}")
        if self.kind != "lapse" and self.activities:
            raise ValueError(f"`activities` applies to lapse, not {self.kind}")
        return self


class DriftRule(_Strict):
    """How drift is measured (ml/monitoring/drift.py); levels are calibrated at training
    (ml/monitoring/calibration.py) unless pinned here."""

    sample_rows: int = Field(20_000, gt=0, description="rows compared per side and date")
    calibration_days: int = Field(
        56, gt=0,
        description="clean history replayed at training to set each statistic's levels: it "
        "should cover the days a champion serves (max_champion_age_days) and then some",
    )  # fmt: skip
    calibration_daily_days: int = Field(
        7, ge=7,
        description="the newest days of the calibration window are replayed every day (the "
        "weekday swing); older ones every 7th day (how statistics grow as a model ages)",
    )  # fmt: skip
    feature_drift_share: float = Field(
        0.3, gt=0, le=1,
        description="this share of the features at their warning level or above alarms, even "
        "when none reaches its alarm level",
    )  # fmt: skip
    trend_nights: int = Field(
        5, ge=3,
        description="a statistic that rose this many nights in a row, by more than its clean "
        "trend explains, warns below its one-night level",
    )  # fmt: skip
    report_features: int = Field(
        8, ge=1,
        description="Evidently's HTML report of a night shows every feature at its warning "
        "level or above, plus this many others nearest theirs, and the score (each feature "
        "drawn costs ~0.06 s, in a helper process beside the night; the judgement always "
        "covers all features)",
    )  # fmt: skip
    prediction_drift_threshold: float | None = Field(
        None, gt=0, description="pins the score's alarm level (default: calibrated)"
    )
    pinned: dict[str, float] = Field(
        default_factory=dict,
        description="alarm levels pinned by statistic: a feature, or a segment category as "
        "`channel=partner_app` (default: calibrated)",
    )


class CheckRule(_Strict):
    """Checks of a night's predictions before publication (ml.scoring.checks)."""

    max_high_risk_share_change: float = Field(
        0.05, gt=0, le=1, description="move of the high-risk share vs the previous night that warns"
    )
    high_risk_share_block_factor: float = Field(
        3.0,
        gt=1,
        description="a night whose high-risk share is this many times above or below the "
        "previous published night's is blocked: not published, not exported (an operator "
        "accepts a known event with --accept-high-risk-shift)",
    )
    max_score_age_days: int = Field(
        2, gt=0,
        description="published scores (and the Redis export) may lag the newest raw day by this "
        "many days before the app's banner and Dagster's freshness checks say they are stale",
    )  # fmt: skip


class ABTest(_Strict):
    """Champion and challenger in batch: a stable slice of customers is served the challenger."""

    challenger_share: float = Field(
        0.0, ge=0, le=0.5,
        description="share of customers (by a stable hash of their id) whose published and "
        "exported score is the challenger's while it differs from the champion; 0: off",
    )  # fmt: skip


class PromotionRule(_Strict):
    metric: Literal["roc_auc", "pr_auc"] = "roc_auc"
    min_improvement: float = 0.0
    floor: float = 0.7
    max_segment_drop: float = 0.05
    max_champion_age_days: int = 30
    max_realized_drop: float = 0.05


# Names that reach SQL as identifiers or paths: plain lower-case identifiers only, so a spec
# can never smuggle SQL or a path into a query (values are bound as parameters).
IDENTIFIER = NAME.pattern


class ModelSpec(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    description: str
    label: Label
    feature_model: str = Field("customer_features", pattern=IDENTIFIER)
    feature_version: int = Field(gt=0)
    features: tuple[str, ...] = Field(min_length=1)
    categorical_features: tuple[str, ...] = ()
    segments: tuple[str, ...] = Field((), description="default: the categorical features")
    params: dict[str, Any]
    monotone: dict[str, Literal[-1, 1]] = Field(
        default_factory=dict,
        description="numeric features whose rise may only raise (1) or only lower (-1) the score",
    )
    early_stopping_rounds: int = 30
    validation_as_of_dates: int = Field(2, gt=0)
    risk_bands: dict[str, float]
    high_risk_threshold: float = Field(gt=0, lt=1)
    redis_ttl_seconds: int = Field(86_400, gt=0)
    drift: DriftRule = DriftRule()
    checks: CheckRule = CheckRule()
    promotion: PromotionRule = PromotionRule()
    ab_test: ABTest = ABTest()
    retrain_cron: str = "0 3 * * 1"
    automatic_retraining: bool = Field(
        False,
        description="the retraining sensor requests this model's training on its evidence (drift "
        "alarm, realized drop, old champion); off: the sensor logs why it would, and an operator "
        "retrains (a first `make dev` never retrains or promotes by itself)",
    )

    @model_validator(mode="before")
    @classmethod
    def _segments_default_to_categories(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "segments" not in raw:
            return {**raw, "segments": raw.get("categorical_features", ())}
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        if not NAME.match(self.name):
            raise ValueError(f"name '{self.name}' must be lowercase snake_case")
        numeric = set(self.features) - set(self.categorical_features)
        not_numeric = [c for c in self.monotone if c not in numeric]
        if not_numeric:
            raise ValueError(f"monotone features {not_numeric} are not numeric features")
        unknown = [c for c in self.categorical_features if c not in self.features]
        if unknown:
            raise ValueError(f"categorical_features {unknown} are not in features")
        return self

    @property
    def registered_model_name(self) -> str:
        return f"scoreline-{self.name}"

    @property
    def feature_relation(self) -> str:
        """The feature table this spec trains and scores on (dbt names versions `<model>_v<n>`)."""
        return f"{self.feature_model}_v{self.feature_version}"

    def risk_band(self, scores: float | np.ndarray) -> str | np.ndarray:
        """The highest band whose lower bound each score reaches ("low" below every bound);
        a whole array at once (a Python loop cost a 1M-customer night 3 s)."""
        ordered = sorted(self.risk_bands.items(), key=lambda item: item[1])
        names = np.array(["low", *(name for name, _ in ordered)], dtype=object)
        return names[np.searchsorted([lower for _, lower in ordered], scores, side="right")]


def load_spec(path: Path, business: Business | None = None) -> ModelSpec:
    """Load and validate one spec file, and its label against the business vocabulary.

    Raises:
        SpecError: a field is missing or out of range; the message names the file and key.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        spec = ModelSpec.model_validate(raw)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        )
        raise SpecError(f"{path}: {problems}") from exc
    if spec.name != path.stem:
        raise SpecError(f"{path}: name '{spec.name}' must match the file name")
    if business is not None:
        _check_label_against(business, spec.label, path)
    return spec


def _check_label_against(business: Business, label: Label, path: Path) -> None:
    named = [label.activity] if label.activity else list(label.activities or ())
    unknown = [a for a in named if a not in business.activities]
    if unknown:
        raise SpecError(
            f"{path}: label names activities {unknown} that business '{business.name}' does not "
            f"declare (declared: {', '.join(business.activities)})"
        )
    if label.kind == "contractual_churn" and business.ending_activity is None:
        raise SpecError(
            f"{path}: label.kind contractual_churn needs an activity with ends_contract: true in "
            f"business '{business.name}'; a business without contracts uses kind: lapse"
        )


def load_specs(business_dir: Path | None = None) -> dict[str, ModelSpec]:
    """Every spec of a business folder, by name, validated against its vocabulary.

    Args:
        business_dir: The business folder (None: SCORELINE_BUSINESS_DIR, see ml.config).
    """
    if business_dir is None:
        from ml.config import Settings

        business_dir = Settings.from_env().business_dir
    try:
        business = load_business(business_dir)
    except BusinessError as exc:
        raise SpecError(str(exc)) from exc
    paths = sorted((Path(business_dir) / SPECS_FOLDER).glob("*.yaml"))
    return {spec.name: spec for spec in (load_spec(p, business) for p in paths)}


def check_against_manifest(specs: list[ModelSpec], manifest: dict, business_dir: Path) -> None:
    """Every spec's feature table is a model of the dbt project and its features are columns of
    that table's contract.

    Spec names reach SQL as identifiers (`spec.feature_relation`, feature columns): the name
    pattern keeps SQL out of them, and this keeps out anything the project does not declare, so
    a typo fails when the definitions load, naming the spec file, not in a night's query.

    Raises:
        SpecError: names the spec file, the key and what the project declares instead.
    """
    tables = {
        node["alias"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    for spec in specs:
        path = Path(business_dir) / SPECS_FOLDER / f"{spec.name}.yaml"
        node = tables.get(spec.feature_relation)
        if node is None:
            versions = sorted(
                str(n["version"]) for n in tables.values()
                if n["name"] == spec.feature_model and n.get("version") is not None
            )  # fmt: skip
            raise SpecError(
                f"{path}: feature_model/feature_version: the dbt project has no model "
                f"{spec.feature_relation} ("
                + (f"{spec.feature_model} versions: {', '.join(versions)}" if versions
                   else f"no model named {spec.feature_model}")
                + ")"
            )  # fmt: skip
        columns = set(node["columns"])
        for key, names in (("features", spec.features), ("segments", spec.segments)):
            unknown = [name for name in names if name not in columns]
            if unknown:
                raise SpecError(
                    f"{path}: {key} {unknown} are not columns of {spec.feature_relation}'s "
                    "contract (declared in its properties file, docs/features.md)"
                )
