"""Point-in-time correctness: no leakage, training/scoring parity, incremental = full rebuild."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pandas.testing as pdt

from ml.warehouse import build_warehouse
from tests.conftest import SCORE_DATE, query

AS_OF = date(2026, 2, 28)  # a training as-of date (first day + 30, + 4 weeks)
PARITY_DATE = date(2026, 3, 14)  # a training date whose 28-day label window ends on SCORE_DATE
NON_FEATURES = ["label", "label_window_end_date", "feature_version"]


def _training_rows(settings, as_of):
    return (
        query(settings, f"select * from churn_training_set where as_of_date = date '{as_of}'")
        .sort_values("customer_id")
        .reset_index(drop=True)
    )


def _tamper_with_the_future(raw_dir, as_of, customers):
    """Add events at the as-of moment and after it, and change later events."""
    on_as_of = raw_dir / f"day={as_of}" / "events.parquet"
    frame = pd.read_parquet(on_as_of)
    extra = pd.DataFrame(
        {
            "event_id": np.arange(10**9, 10**9 + 2 * len(customers)),
            "customer_id": np.repeat(customers, 2),
            "event_at": pd.Timestamp(as_of),  # exactly at the as-of moment: must not count
            "event_type": ["payment_failed", "support_ticket"] * len(customers),
            "amount": 9.99,
            "duration_seconds": np.nan,
        }
    )
    pd.concat([frame, extra]).to_parquet(on_as_of, index=False)
    later = raw_dir / f"day={as_of + timedelta(days=3)}" / "events.parquet"
    frame = pd.read_parquet(later)
    frame["amount"] = frame["amount"] * 10
    doubled = frame.assign(event_id=frame.event_id + 2 * 10**9)
    pd.concat([frame, doubled]).to_parquet(later, index=False)


def test_features_ignore_events_at_and_after_the_as_of_date(prebuilt_settings):
    settings = prebuilt_settings
    before = _training_rows(settings, AS_OF)
    next_week_before = _training_rows(settings, AS_OF + timedelta(days=7))

    customers = before.customer_id.astype("int64").head(200).to_numpy()
    _tamper_with_the_future(settings.raw_dir, AS_OF, customers)
    build_warehouse(settings, score_date=SCORE_DATE, full_refresh=True, capture=True)

    pdt.assert_frame_equal(_training_rows(settings, AS_OF), before)
    # The probe must bite: a week later the same changes are visible.
    next_week_after = _training_rows(settings, AS_OF + timedelta(days=7))
    assert not next_week_after.equals(next_week_before)
    assert (
        next_week_after.failed_payments_last_90d.sum()
        > next_week_before.failed_payments_last_90d.sum()
    )


def test_training_rows_equal_the_scoring_rows_of_the_same_customer_and_date(
    fresh_settings, built_settings
):
    build_warehouse(fresh_settings, score_date=PARITY_DATE, full_refresh=True, capture=True)
    scored = query(fresh_settings, "select * from customer_scoring_input_v2")
    # the same raw data built later (SCORE_DATE), once PARITY_DATE's label window has passed
    trained = _training_rows(built_settings, PARITY_DATE)

    assert len(trained) > 500
    scored = scored[scored.customer_id.isin(trained.customer_id)]
    columns = [c for c in trained.columns if c not in NON_FEATURES]
    pdt.assert_frame_equal(
        trained[columns].sort_values("customer_id").reset_index(drop=True),
        scored[columns].sort_values("customer_id").reset_index(drop=True),
    )


def test_a_nightly_incremental_build_equals_a_full_rebuild(fresh_settings, built_settings):
    yesterday = SCORE_DATE - timedelta(days=1)
    build_warehouse(fresh_settings, score_date=yesterday, full_refresh=True, capture=True)
    nightly = build_warehouse(
        fresh_settings, score_date=SCORE_DATE, with_training=False, capture=True
    )
    # the new score date reaches dbt as an environment setting: no full re-parse per night
    assert "Unable to do partial parsing" not in nightly.output

    # the night's contract tests on history-sized tables read only the rows it built
    results = json.loads((fresh_settings.dbt_target_dir / "run_results.json").read_text())
    tests = {r["unique_id"]: r["compiled_code"] for r in results["results"]}
    scoped = {
        "customer_features_v1": f"as_of_date > cast('{yesterday}' as date)",
        "customer_features_v2": f"as_of_date > cast('{yesterday}' as date)",
        "int_customer_activity_windows": f"as_of_date > cast('{yesterday}' as date)",
        "int_events_aggregated_to_customer_days": f"loaded_date >= cast('{yesterday}' as date)",
        "stg_app__events_rejected": f"loaded_date >= cast('{yesterday}' as date)",
    }
    for model, scope in scoped.items():
        on_model = [sql for uid, sql in tests.items() if uid.startswith("test.") and model in uid]
        assert on_model, f"no data tests ran on {model}"
        assert all(scope in sql for sql in on_model), f"a test on {model} reads all history"

    loaded = query(fresh_settings, "select distinct loaded_date from raw_row_reconciliation")
    assert len(loaded) == (SCORE_DATE - date(2026, 1, 1)).days
    for table in ("customer_features_v1", "customer_features_v2", "customer_scoring_input_v2"):
        sql = f"select * from {table} where as_of_date = date '{SCORE_DATE}' order by customer_id"
        incremental = query(fresh_settings, sql)
        full = query(built_settings, sql)
        assert len(full) > 1000
        pdt.assert_frame_equal(incremental, full, check_dtype=False)


def test_rerunning_a_night_replaces_its_rows_instead_of_duplicating_them(prebuilt_settings):
    settings = prebuilt_settings
    counts = "select count(*) as n from int_events_aggregated_to_customer_days"
    first = query(settings, counts).n[0]
    reload_day = SCORE_DATE - timedelta(days=1)
    build_warehouse(
        settings,
        score_date=SCORE_DATE,
        reload_from_date=reload_day,
        with_training=False,
        capture=True,
    )
    assert query(settings, counts).n[0] == first
