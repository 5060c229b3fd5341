"""Checks a score date's predictions must pass before they are published.

Pure functions over the rows, so Dagster turns them into asset checks and tests call them
directly. `blocking` checks stop publication and the Redis export. The high-risk share has two:
a move beyond the spec's `max_high_risk_share_change` warns (a real shift, such as a price rise,
moves it and a human should look); a share that empties or floods, beyond
`high_risk_share_block_factor` times the previous night's, blocks, because applications would
act on it at once (a misdated raw day once made every customer look inactive). An operator who
knows the event accepts it for one run, with a reason that is kept with the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ml.training.specs import CheckRule

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


def high_risk_share_factor(share: float, previous: float, customers: int) -> float:
    """How many times the high-risk share grew (> 1) or shrank (the inverse), with one customer
    added to both sides so an empty night compares finitely with a small one."""
    one = 1 / max(customers, 1)
    ratio = (share + one) / (previous + one)
    return max(ratio, 1 / ratio)


def check_predictions(
    predictions: pd.DataFrame,
    active_customers: int,
    threshold: float,
    previous_high_risk_share: float | None,
    rule: CheckRule,
    accepted_shift: str | None = None,
) -> list[CheckOutcome]:
    """Row count vs active customers, score range, missing values, high-risk share change.

    Args:
        predictions: One score date's rows (champion and shadow).
        active_customers: Rows in that date's scoring input.
        threshold: The spec's high-risk threshold.
        previous_high_risk_share: The previous published date's share (None: first date).
        rule: The spec's checks (how far the share may move before a warning, a block).
        accepted_shift: An operator's reason to publish a share beyond the block factor.
    """
    champion = predictions[~predictions.is_shadow.astype(bool)]
    out_of_range = int((~predictions.score.between(0, 1)).sum())
    nulls = {c: int(predictions[c].isna().sum()) for c in REQUIRED_FIELDS}
    share = high_risk_share(predictions, threshold)
    change = None if previous_high_risk_share is None else share - previous_high_risk_share
    factor = (
        None
        if previous_high_risk_share is None
        else high_risk_share_factor(share, previous_high_risk_share, active_customers)
    )
    within = factor is None or factor <= rule.high_risk_share_block_factor
    moved = (
        "first published date"
        if factor is None
        else f"{factor:.1f}x the previous score date's (block above "
        f"{rule.high_risk_share_block_factor:g}x)"
    )
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
            "high_risk_share_within_tolerance",
            within or bool(accepted_shift),
            True,
            f"high-risk share {share:.2%}, {moved}"
            + (
                f"; accepted by the operator: {accepted_shift}"
                if accepted_shift and not within
                else ""
            ),  # fmt: skip
            {"high_risk_share": share, "factor": factor, "accepted_shift": accepted_shift},
        ),
        CheckOutcome(
            "high_risk_share_close_to_previous_day",
            change is None or abs(change) <= rule.max_high_risk_share_change,
            False,
            f"high-risk share {share:.2%}"
            + ("" if change is None else f", {change:+.2%} vs the previous score date"),
            {"high_risk_share": share, "change": change},
        ),
    ]
