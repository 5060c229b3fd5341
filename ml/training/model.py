"""The scoring model object stored in MLflow: features in, calibrated probability out.

It carries its own preprocessing (feature order, category levels) so that training and
scoring cannot prepare inputs differently, and computes reason codes from LightGBM's
per-feature contributions for the rows that need them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression


def readable(feature: str) -> str:
    """'purchase_count_last_30d' -> 'purchase count in the last 30 days'; for reason codes."""
    text = feature.replace("_7d_vs_30d", " (7 vs 30 days)")
    text = re.sub(r"_last_(\d+)d\b", r" in the last \1 days", text)
    return text.replace("_", " ")


@dataclass
class ScoringModel:
    """A fitted LightGBM classifier with Platt calibration and fixed preprocessing."""

    features: list[str]
    categorical_features: list[str]
    category_levels: dict[str, list[str]]
    booster: lgb.LGBMClassifier
    calibrator: LogisticRegression
    feature_version: int

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Select and type the model's features; unseen categories become missing."""
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise ValueError(f"scoring input lacks model feature(s) {missing}")
        data = frame[self.features].copy()
        for column in self.categorical_features:
            data[column] = pd.Categorical(data[column], categories=self.category_levels[column])
        for column in data.columns.difference(self.categorical_features):
            data[column] = data[column].astype("float64")
        return data

    def raw_margin(self, frame: pd.DataFrame) -> np.ndarray:
        """LightGBM's log-odds, the input of the calibrator."""
        return self.booster.predict_proba(self.prepare(frame), raw_score=True).reshape(-1, 1)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities as an (n, 2) array, sklearn style.

        Platt scaling on the log-odds is strictly monotone, so calibration never reorders
        customers (isotonic steps tie scores and cost ranking quality on small slices).
        """
        return self.calibrator.predict_proba(self.raw_margin(frame))

    def reasons(self, frame: pd.DataFrame, top: int = 3) -> list[list[str]]:
        """The `top` features pushing each row's score up the most, in plain words.

        Slow (~2k rows/s per core for a few hundred trees), so callers pass only the rows
        that need reasons, such as the high-risk customers.
        """
        if frame.empty:
            return []
        prepared = self.prepare(frame)
        contributions = self.booster.predict_proba(prepared, pred_contrib=True)[:, :-1]
        order = np.argsort(-contributions, axis=1)[:, :top]
        reasons = []
        for row, columns in enumerate(order):
            reasons.append(
                [
                    f"{readable(self.features[c])} = {_format(prepared.iat[row, c])}"
                    for c in columns
                    if contributions[row, c] > 0
                ]
            )
        return reasons


def _format(value: object) -> str:
    if isinstance(value, float):
        return "missing" if np.isnan(value) else f"{value:g}"
    return str(value)
