"""The CDNOW example's parts: BG/NBD reproduces its paper, and the mapping meets the contract.

The data come from the lifetimes 0.11.3 wheel, fetched from PyPI once per test session (the
example never vendors it). The whole comparison is a benchmark: `make cdnow`.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from bench.bgnbd import calibration_summary, fit_bgnbd
from ml.config import PROJECT_DIR
from ml.ingest.business import load_business
from ml.ingest.raw_contract import check_raw_files, default_score_date

CDNOW = PROJECT_DIR / "businesses" / "cdnow"


@pytest.fixture(scope="session")
def prepare():
    spec = importlib.util.spec_from_file_location("cdnow_prepare", CDNOW / "prepare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cdnow_cache")


def test_bgnbd_reproduces_the_papers_parameters_on_its_tenth_sample(prepare, cache):
    """Fader, Hardie & Lee (2005), table 1: r=0.243, alpha=4.414, a=0.793, b=2.426, LL -9582.4."""
    sample = pd.read_csv(prepare.fetch_dataset(cache, prepare.SAMPLE_SUMMARY))
    model = fit_bgnbd(sample.frequency, sample.recency, sample["T"])
    assert (model.r, model.alpha, model.a, model.b) == pytest.approx(
        (0.243, 4.414, 0.793, 2.426), abs=0.0015
    )
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_bgnbd_predictions_move_the_way_the_model_says(prepare, cache):
    sample = pd.read_csv(prepare.fetch_dataset(cache, prepare.SAMPLE_SUMMARY))
    model = fit_bgnbd(sample.frequency, sample.recency, sample["T"])
    x, big_t = np.array([3.0, 3.0]), np.array([39.0, 39.0])
    recent_then_old = np.array([38.0, 10.0])  # same frequency, last purchase recent vs long ago
    lapse = model.probability_no_purchase(x, recent_then_old, big_t, 39)
    expected = model.expected_purchases(x, recent_then_old, big_t, 39)
    assert ((lapse > 0) & (lapse < 1)).all()
    assert lapse[0] < lapse[1] and expected[0] > expected[1]
    # at the same recency, more past purchases mean more expected ones
    frequent = model.expected_purchases(np.array([1.0, 8.0]), np.array([30.0, 30.0]), big_t, 39)
    assert frequent[0] < frequent[1]


def test_the_mapped_log_meets_the_raw_contract_and_ends_where_the_log_does(
    prepare, cache, tmp_path
):
    purchases = prepare.read_purchases(prepare.fetch_dataset(cache))
    assert (purchases.customer_id.nunique(), len(purchases)) == (23_570, 69_659)
    some = purchases[purchases.customer_id <= 300]
    customers, activities = prepare.write_raw(some, tmp_path)
    assert (customers, activities) == (300, len(some))
    check_raw_files(tmp_path, load_business(CDNOW))
    assert default_score_date(tmp_path) == some.date.max().date() + pd.Timedelta(days=1)


def test_calibration_summary_counts_repeat_purchase_days():
    purchases = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2],
            "date": pd.to_datetime(
                ["1997-01-01", "1997-01-01", "1997-01-15", "1997-10-02", "1997-03-01"]
            ),
        }
    )
    summary = calibration_summary(purchases, pd.Timestamp("1997-10-01"))
    assert summary.loc[1].tolist() == [1, 2.0, pytest.approx(273 / 7)]
    assert summary.loc[2, "x"] == 0
