"""Behavioural tests of the trained models (in the Made-With-ML sense): what a model must do
whatever its metrics say. Direction: more failed payments never lower a customer's risk.
Invariance: renaming a region's label (in training and scoring alike) does not move a score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.training.specs import load_specs
from ml.training.train import fit_scoring_model
from ml.training.training_set import load_training_set, split_by_time
from ml.warehouse.dbt_runner import connect_read_only

SPECS = load_specs()
FAILED_PAYMENTS = ("payment_failed_count_last_90d", "lifetime_payment_failed_count")


@pytest.fixture(scope="module")
def training_split(ml_warehouse):
    spec = SPECS["churn"]
    with connect_read_only(ml_warehouse) as con:
        frame = load_training_set(con, spec)
    return split_by_time(frame, spec.validation_as_of_dates)


# A smaller forest keeps the test quick; the constraint, not the size, is what is tested.
QUICK = {"n_estimators": 150, "learning_rate": 0.1}


@pytest.mark.parametrize("name", ["churn", "payment_failure"])
def test_more_failed_payments_never_lower_the_risk(ml_warehouse, name):
    spec = SPECS[name]
    assert set(FAILED_PAYMENTS) <= set(spec.monotone), "the spec declares the direction"
    with connect_read_only(ml_warehouse) as con:
        split = split_by_time(load_training_set(con, spec), spec.validation_as_of_dates)
    model = fit_scoring_model(spec, split, QUICK)
    customers = split.validation.sample(2000, random_state=3)
    base = model.predict_proba(customers)[:, 1]
    for extra in (1, 2, 5):
        worse = customers.copy()
        for column in FAILED_PAYMENTS:
            worse[column] = worse[column].fillna(0) + extra
        raised = model.predict_proba(worse)[:, 1]
        assert (raised >= base - 1e-12).all(), f"+{extra} failed payments lowered a score"
    # The test can fail: an unconstrained model, fitted on the same rows, breaks the rule.
    free = spec.model_copy(update={"monotone": {}})
    unconstrained = fit_scoring_model(free, split, QUICK)
    worse = customers.copy()
    for column in FAILED_PAYMENTS:
        worse[column] = worse[column].fillna(0) + 5
    moved = unconstrained.predict_proba(worse)[:, 1] - unconstrained.predict_proba(customers)[:, 1]
    assert moved.mean() > 0, "failed payments should matter at all"


def test_renaming_a_region_does_not_move_scores(training_split):
    spec = SPECS["churn"]
    assert "region" in spec.categorical_features
    original = fit_scoring_model(spec, training_split, QUICK)
    some_region = sorted(training_split.train.region.dropna().unique())[0]
    # A name that sorts last: the category's position changes, not only its text.
    renamed_label = "zz_" + some_region

    def renamed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out["region"] = out.region.replace({some_region: renamed_label})
        return out

    split = type(training_split)(
        renamed(training_split.train),
        renamed(training_split.early_stopping),
        renamed(training_split.validation),
    )
    relabelled = fit_scoring_model(spec, split, QUICK)
    customers = training_split.validation.sample(3000, random_state=5)
    before = original.predict_proba(customers)[:, 1]
    after = relabelled.predict_proba(renamed(customers))[:, 1]
    assert np.abs(before - after).max() < 1e-6
