"""Reason codes: each names a feature pushing the row's score up, with that row's own value."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from ml.training.model import ScoringModel

FEATURES = ["plan", "failed_payments", "days_since_last_activity"]


def _model() -> tuple[ScoringModel, pd.DataFrame]:
    rng = np.random.default_rng(7)
    rows = 4_000
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "premium"], rows),
            "failed_payments": rng.poisson(0.5, rows).astype(float),
            "days_since_last_activity": rng.exponential(10, rows),
        }
    )
    frame.loc[rng.random(rows) < 0.1, "days_since_last_activity"] = np.nan
    odds = -2 + 1.5 * frame.failed_payments + 0.08 * frame.days_since_last_activity.fillna(30)
    odds += np.where(frame.plan == "basic", 1.0, 0.0)
    label = rng.random(rows) < 1 / (1 + np.exp(-odds))
    model = ScoringModel(
        features=FEATURES,
        categorical_features=["plan"],
        category_levels={"plan": ["basic", "premium"]},
        booster=None,  # type: ignore[arg-type]
        calibration=(1.0, 0.0),
        feature_version=1,
        typical={"failed_payments": "0"},
    )
    prepared = model.prepare(frame)
    model.booster = lgb.train(
        {"objective": "binary", "num_leaves": 7, "verbose": -1},
        lgb.Dataset(prepared, label.astype(int)),
        num_boost_round=40,
    )
    return model, frame


def test_each_reason_names_an_upward_feature_with_the_rows_own_value():
    model, frame = _model()
    rows = frame.iloc[:300]
    contributions = model.booster.predict(model.prepare(rows), pred_contrib=True)[:, :-1]
    reasons = model.reasons(rows)
    assert len(reasons) == len(rows) and any(reasons)
    words = {
        "plan": "plan = ",
        "failed_payments": "failed payments = ",
        "days_since_last_activity": "days since last activity = ",
    }
    for (_, row), row_reasons, pushes in zip(rows.iterrows(), reasons, contributions, strict=True):
        # strongest first, upward only
        expected = [FEATURES[c] for c in np.argsort(-pushes)[:3] if pushes[c] > 0]
        named = [next(f for f, w in words.items() if r.startswith(w)) for r in row_reasons]
        assert named == expected
        for feature, text in zip(expected, row_reasons, strict=True):
            value = row[feature]
            shown = (
                "missing" if pd.isna(value) else (value if isinstance(value, str) else f"{value:g}")
            )
            suffix = " (typical: 0)" if feature == "failed_payments" else ""
            assert text == f"{words[feature]}{shown}{suffix}"
    shown_missing = [
        r for rs in reasons for r in rs if r.startswith("days since last activity = missing")
    ]
    assert shown_missing, "a missing value reads as 'missing'"
