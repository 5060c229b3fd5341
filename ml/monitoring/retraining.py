"""When a model should be retrained: drift, realized performance, or an old champion.

Pure function over the published histories, so the Dagster sensor stays a thin wrapper and
the rule is unit-testable.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from ml.training.specs import ModelSpec


def retraining_reasons(
    spec: ModelSpec,
    drift_history: pd.DataFrame,
    performance_history: pd.DataFrame,
    champion_created_at: datetime | None,
    champion_version: int | None,
    now: datetime,
) -> list[str]:
    """Why the spec's model needs retraining now (empty: it does not).

    Only evidence about the current champion counts: drift measured against an older model's
    reference, or the realized performance of an older model, says nothing about this one, so
    a retrained champion does not trigger itself again.

    Args:
        spec: The model spec (drift and promotion rules).
        drift_history: Published drift rows for this model, oldest first.
        performance_history: Published realized-performance rows for this model, oldest first.
        champion_created_at: When the champion version was registered (None: no champion).
        champion_version: The champion's version number.
        now: The evaluation time (UTC).
    """
    if champion_version is None:
        return ["no champion yet"]
    reasons = []
    if not drift_history.empty:
        mine = drift_history[drift_history.model_version == champion_version]
        if not mine.empty and bool(mine.iloc[-1].alarm):
            latest = mine.iloc[-1]
            reasons.append(
                f"drift on {pd.Timestamp(latest.score_date).date()}: " + "; ".join(latest.reasons)
            )
    if not performance_history.empty:
        mine = performance_history[performance_history.model_version == champion_version]
        if not mine.empty and bool(mine.iloc[-1].alarm):
            latest = mine.iloc[-1]
            reasons.append(
                f"realized ROC-AUC {latest.roc_auc:.3f} on {pd.Timestamp(latest.score_date).date()}"
                f" is {latest.drop_vs_validation:.3f} below validation "
                f"(allowed {spec.promotion.max_realized_drop})"
            )
    if champion_created_at is not None:
        age = (now - champion_created_at).days
        if age > spec.promotion.max_champion_age_days:
            reasons.append(
                f"champion v{champion_version} is {age} days old "
                f"(max {spec.promotion.max_champion_age_days})"
            )
    return reasons
