"""The checks a night's predictions pass before publication (pure functions over the rows)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ml.scoring.checks import check_predictions
from ml.training.specs import CheckRule

RULE = CheckRule()  # block beyond 3x, warn beyond 5 points


def _night(high: int, customers: int = 1000) -> pd.DataFrame:
    scores = np.r_[np.full(high, 0.9), np.full(customers - high, 0.1)]
    return pd.DataFrame({
        "customer_id": np.arange(customers), "score_date": date(2026, 6, 1), "score": scores,
        "risk_band": "low", "model_version": 1, "is_shadow": False,
    })  # fmt: skip


def _outcome(outcomes, name):
    return next(o for o in outcomes if o.name == name)


def test_a_night_that_empties_the_high_risk_set_is_blocked():
    """Regression: a misdated day made every customer look inactive; the high-risk set fell
    from 129 to 0 and the night published with a warning only."""
    outcomes = check_predictions(_night(0), 1000, 0.5, 0.129, RULE)
    blocked = _outcome(outcomes, "high_risk_share_within_tolerance")
    assert blocked.blocking and not blocked.passed
    assert "130.0x the previous score date's (block above 3x)" in blocked.description


def test_a_flood_is_blocked_and_an_ordinary_move_is_not():
    flood = _outcome(check_predictions(_night(400), 1000, 0.5, 0.05, RULE),
                     "high_risk_share_within_tolerance")  # fmt: skip
    assert not flood.passed
    # a price rise moved the share 1.5x in the pipeline's data: published, with a warning only
    rise = check_predictions(_night(30), 1000, 0.5, 0.02, RULE)
    assert _outcome(rise, "high_risk_share_within_tolerance").passed
    assert _outcome(rise, "high_risk_share_close_to_previous_day").passed


def test_an_operator_accepts_a_known_event_with_a_reason_kept_in_the_check():
    outcomes = check_predictions(
        _night(400), 1000, 0.5, 0.05, RULE, accepted_shift="price rise of 1 June, ticket 812"
    )
    accepted = _outcome(outcomes, "high_risk_share_within_tolerance")
    assert accepted.passed
    assert "accepted by the operator: price rise of 1 June, ticket 812" in accepted.description
    assert accepted.metadata["accepted_shift"] == "price rise of 1 June, ticket 812"


def test_the_first_published_night_has_nothing_to_compare_with():
    first = _outcome(check_predictions(_night(0), 1000, 0.5, None, RULE),
                     "high_risk_share_within_tolerance")  # fmt: skip
    assert first.passed and "first published date" in first.description
