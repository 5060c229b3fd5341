"""Champion and challenger in batch: the stable hashed split, and the arms' comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ml.monitoring.performance import arm_comparison, auc_standard_error
from ml.scoring.score import challenger_arm

IDS = pd.Series([f"c{i:07d}" for i in range(200_000)])


def test_the_challenger_arm_is_its_share_of_customers_and_stays_the_same():
    arm = challenger_arm(IDS, 0.05)
    assert arm.mean() == pytest.approx(0.05, abs=0.003)
    shuffled = IDS.sample(frac=1, random_state=3)
    again = pd.Series(challenger_arm(shuffled, 0.05), index=shuffled.index).sort_index()
    assert (again.to_numpy() == arm).all(), "a customer's arm does not depend on row order"
    smaller = challenger_arm(IDS, 0.02)
    assert smaller.sum() < arm.sum() and not (smaller & ~arm).any(), "slices nest"
    assert not challenger_arm(IDS, 0).any()
    assert (
        challenger_arm(pd.Series([1234, 5678]), 0.5).tolist()
        == challenger_arm(pd.Series(["1234", "5678"]), 0.5).tolist()
    ), "integer and text ids of the same customer fall in the same arm"


def _arm(rows: int, version: int, signal: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.random(rows) < 0.2
    score = rng.random(rows) + signal * label
    return pd.DataFrame({"label": label.astype(int), "score": score, "model_version": version})


def test_the_arms_compare_with_an_interval_that_sees_a_real_difference_and_no_false_one():
    champion = _arm(20_000, 1, signal=0.3, seed=1)
    better = arm_comparison(pd.concat([champion, _arm(2_000, 2, signal=1.0, seed=2)]), 1)
    assert better["challenger_version"] == 2 and better["challenger_rows"] == 2_000
    assert better["arm_difference_low"] > 0, better
    same = arm_comparison(pd.concat([champion, _arm(2_000, 2, signal=0.3, seed=3)]), 1)
    assert same["arm_difference_low"] < 0 < same["arm_difference_high"], same
    assert arm_comparison(champion, 1)["challenger_version"] is None, "no challenger arm"


def test_the_auc_standard_error_matches_a_bootstrap():
    arm = _arm(3_000, 1, signal=0.4, seed=4)
    rng = np.random.default_rng(5)
    boot = [
        roc_auc_score(sample.label, sample.score)
        for sample in (arm.iloc[rng.integers(0, len(arm), len(arm))] for _ in range(300))
    ]
    assert auc_standard_error(arm.label, arm.score) == pytest.approx(np.std(boot), rel=0.15)
