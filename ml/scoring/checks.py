"""Checks a score date's predictions must pass before they are published.

Pure functions over the rows, so Dagster turns them into asset checks and tests call them
directly. `blocking` checks stop publication and the Redis export; the high-risk share check
only warns, because a real shift (a price rise) legitimately moves it and a human should look.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

REQUIRED_FIELDS = ["customer_id", "score_date", "score", "risk_band", "model_version"]


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    blocking: bool
    description: str
    metadata: dict = field(default_factory=dict)


def high_risk_share(predictions: pd.DataFrame, threshold: float) -> float:
    champion = predictions[~predictions.is_shadow.astype(bool)]
    return float((champion.score >= threshold).mean()) if len(champion) else 0.0


def check_predictions(
    predictions: pd.DataFrame,
    active_customers: int,
    threshold: float,
    previous_high_risk_share: float | None,
    max_high_risk_share_change: float,
) -> list[CheckOutcome]:
    """Row count vs active customers, score range, missing values, high-risk share change.

    Args:
        predictions: One score date's rows (champion and shadow).
        active_customers: Rows in that date's scoring input.
        threshold: The spec's high-risk threshold.
        previous_high_risk_share: The previous published date's share (None: first date).
        max_high_risk_share_change: How far the share may move before someone looks (spec).
    """
    champion = predictions[~predictions.is_shadow.astype(bool)]
    out_of_range = int((~predictions.score.between(0, 1)).sum())
    nulls = {c: int(predictions[c].isna().sum()) for c in REQUIRED_FIELDS}
    share = high_risk_share(predictions, threshold)
    change = None if previous_high_risk_share is None else share - previous_high_risk_share
    return [
        CheckOutcome(
            "rows_match_active_customers",
            len(champion) == active_customers and champion.customer_id.is_unique,
            True,
            f"{len(champion):,} champion rows for {active_customers:,} active customers",
            {"champion_rows": len(champion), "active_customers": active_customers},
        ),
        CheckOutcome(
            "scores_within_unit_interval",
            out_of_range == 0,
            True,
            f"{out_of_range} scores outside [0, 1]",
            {"out_of_range": out_of_range},
        ),
        CheckOutcome(
            "no_missing_values",
            sum(nulls.values()) == 0,
            True,
            "missing values per field: " + ", ".join(f"{k}={v}" for k, v in nulls.items()),
            nulls,
        ),
        CheckOutcome(
            "high_risk_share_close_to_previous_day",
            change is None or abs(change) <= max_high_risk_share_change,
            False,
            f"high-risk share {share:.2%}"
            + ("" if change is None else f", {change:+.2%} vs the previous score date"),
            {"high_risk_share": share, "change": change},
        ),
    ]
