"""The drift statistics, computed the way Evidently 0.7 computes them, fast enough to replay.

Evidently renders the nightly report, but calibration replays dozens of (date, column) pairs at
training time, so the two statistics the report uses are computed here with scipy, exactly as
Evidently does (tests/unit/test_drift_calibration.py holds them equal to Evidently's values):

- numeric columns: Wasserstein distance divided by the reference's standard deviation (floored
  at 0.001), so 0.1 means "the mass moved a tenth of a standard deviation";
- categorical columns: Jensen-Shannon distance (natural log) between the category shares.

Nulls are left out on both sides, as Evidently does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

WASSERSTEIN = "wasserstein"
JENSEN_SHANNON = "jensenshannon"


def method_for(categorical: bool) -> str:
    return JENSEN_SHANNON if categorical else WASSERSTEIN


def column_distance(reference: pd.Series, current: pd.Series, categorical: bool) -> float:
    """How far `current` moved from `reference` (0: the same distribution)."""
    reference, current = reference.dropna(), current.dropna()
    if reference.empty or current.empty:
        return 0.0 if reference.empty and current.empty else 1.0
    if categorical:
        keys = sorted(set(reference.unique()) | set(current.unique()), key=str)
        ref = reference.value_counts().reindex(keys, fill_value=0).to_numpy() / len(reference)
        cur = current.value_counts().reindex(keys, fill_value=0).to_numpy() / len(current)
        return float(distance.jensenshannon(ref, cur))
    ref_values = reference.to_numpy(dtype=float)
    norm = max(float(np.std(ref_values)), 0.001)
    return float(stats.wasserstein_distance(ref_values, current.to_numpy(dtype=float)) / norm)


def category_shares(values: pd.Series) -> pd.Series:
    """Each category's share of the rows (nulls as their own category, so shares sum to 1)."""
    return values.astype(object).where(values.notna(), "(null)").value_counts(normalize=True)
