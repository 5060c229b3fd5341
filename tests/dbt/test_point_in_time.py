"""Point-in-time correctness: no leakage, training/scoring parity, nights = a full rebuild."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from ml.scoring.score import read_scoring_input
from ml.training.specs import load_specs
from ml.training.training_set import load_training_set
from ml.warehouse.dbt_runner import build_warehouse
from tests.conftest import SCORE_DATE, query

AS_OF = date(2026, 2, 28)  # a training as-of date (first day + 30, + 4 weeks)
PARITY_DATE = date(2026, 3, 14)  # a training date whose 28-day label window ends on SCORE_DATE
NON_FEATURES = ["label", "label_window_end_date", "feature_version"]
SPECS = load_specs()
ALL_MODELS = "fqn:*"  # released versions no spec uses (v1, v2) included


def _training_rows(settings, spec, as_of):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        frame = load_training_set(con, spec)
    rows = frame[frame.as_of_date.dt.date == as_of]
    return rows.sort_values("customer_id").reset_index(drop=True)


def _feature_relations(settings) -> list[str]:
    """Every feature version in the dbt manifest: the guards follow it, not a list."""
    manifest = json.loads((settings.dbt_target_dir / "manifest.json").read_text())
    return sorted(
        node["alias"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["path"].startswith("features/")
    )


def _tamper_with_the_future(raw_dir, as_of, customers):
    """Add activities at the as-of moment and after it, and change later activities."""
    on_as_of = raw_dir / f"day={as_of}" / "activities.parquet"
    frame = pd.read_parquet(on_as_of)
    extra = pd.DataFrame(
        {
            "activity_id": np.arange(10**9, 10**9 + 2 * len(customers)),
            "customer_id": np.repeat(customers, 2),
            "activity_at": pd.Timestamp(as_of),  # exactly at the as-of moment: must not count
            "activity": ["payment_failed", "purchase"] * len(customers),
            "amount": 9.99,
            "quantity": np.nan,
            "reason": None,
        }
    )
    pd.concat([frame, extra]).to_parquet(on_as_of, index=False)
    later = raw_dir / f"day={as_of + timedelta(days=3)}" / "activities.parquet"
    frame = pd.read_parquet(later)
    frame["amount"] = frame["amount"] * 10
    doubled = frame.assign(activity_id=frame.activity_id + 2 * 10**9)
    pd.concat([frame, doubled]).to_parquet(later, index=False)


def test_features_ignore_activity_at_and_after_the_as_of_date(prebuilt_settings):
    settings, spec = prebuilt_settings, SPECS["churn"]
    before = _training_rows(settings, spec, AS_OF)
    next_week_before = _training_rows(settings, spec, AS_OF + timedelta(days=7))

    customers = before.customer_id.astype("int64").head(200).to_numpy()
    _tamper_with_the_future(settings.raw_dir, AS_OF, customers)
    build_warehouse(settings, score_date=SCORE_DATE, full_refresh=True, capture=True)

    pdt.assert_frame_equal(_training_rows(settings, spec, AS_OF), before)
    # The probe must bite: a week later the same changes are visible, lifetime ones included.
    after = _training_rows(settings, spec, AS_OF + timedelta(days=7))
    assert not after.equals(next_week_before)
    for column in ("payment_failed_count_last_90d", "lifetime_payment_failed_count"):
        assert after[column].sum() > next_week_before[column].sum(), column


@pytest.fixture(scope="module")
def parity_warehouses(tmp_path_factory, raw_template):
    """The same raw data built as of PARITY_DATE (scoring) and as of SCORE_DATE (training)."""
    from tests.conftest import settings_under

    built = []
    for name, score_date in (("scoring", PARITY_DATE), ("training", SCORE_DATE)):
        settings = settings_under(tmp_path_factory.mktemp(name))
        import shutil

        shutil.copytree(raw_template, settings.raw_dir)
        build_warehouse(
            settings, score_date=score_date, full_refresh=True, capture=True, select=ALL_MODELS
        )
        built.append(settings)
    return built


def test_every_feature_version_gives_training_the_rows_scoring_saw(parity_warehouses):
    scoring, training = parity_warehouses
    relations = _feature_relations(training)
    assert {"customer_features_v1", "customer_features_v2", "customer_features_v3"} <= set(
        relations
    )
    for relation in relations:
        sql = f"select * from {relation} where as_of_date = $d order by customer_id"
        scored = query(scoring, sql, {"d": PARITY_DATE})
        trained = query(training, sql, {"d": PARITY_DATE})
        assert len(trained) > 500, relation
        # the later build holds a (sampled) subset of the scored customers on a training date
        scored = scored[scored.customer_id.isin(trained.customer_id)].reset_index(drop=True)
        pdt.assert_frame_equal(trained, scored, obj=relation)


@pytest.mark.parametrize("spec_name", sorted(SPECS))
def test_every_spec_trains_on_the_rows_it_would_have_scored(parity_warehouses, spec_name):
    scoring, training = parity_warehouses
    spec = SPECS[spec_name]
    scored = read_scoring_input(scoring, spec, PARITY_DATE)
    trained = _training_rows(training, spec, PARITY_DATE)
    assert len(trained) > 500
    columns = [c for c in trained.columns if c not in NON_FEATURES]
    scored = scored[scored.customer_id.isin(trained.customer_id)]
    pdt.assert_frame_equal(
        trained[columns].reset_index(drop=True),
        scored[columns].sort_values("customer_id").reset_index(drop=True),
    )


NIGHTS = 5


@pytest.mark.slow
def test_nights_in_a_row_equal_a_full_rebuild(fresh_settings, built_settings):
    """The lifetime aggregates continue night to night from stored rows; a full build computes
    them from scratch. Five nights must land on the same rows."""
    first = SCORE_DATE - timedelta(days=NIGHTS)
    build_warehouse(fresh_settings, score_date=first, full_refresh=True, capture=True)
    for night in range(1, NIGHTS + 1):
        nightly = build_warehouse(
            fresh_settings, score_date=first + timedelta(days=night), with_training=False,
            capture=True,
        )  # fmt: skip
    # the new score date reaches dbt as an environment setting: no full re-parse per night
    assert "Unable to do partial parsing" not in nightly.run.output

    # the night's contract tests on history-sized tables read only the rows it built
    yesterday = SCORE_DATE - timedelta(days=1)
    results = json.loads((fresh_settings.dbt_target_dir / "run_results.json").read_text())
    tests = {r["unique_id"]: r["compiled_code"] for r in results["results"]}
    scoped = {
        "customer_features_v3": f"as_of_date > cast('{yesterday}' as date)",
        "int_customer_lifetime_aggregates": f"as_of_date > cast('{yesterday}' as date)",
        "int_activities_aggregated_to_customer_days": f"loaded_date >= cast('{yesterday}' as date)",
        "stg_raw__activities_rejected": f"loaded_date >= cast('{yesterday}' as date)",
    }
    for model, scope in scoped.items():
        # (the constraint guard reads the catalog, not rows)
        on_model = [
            sql
            for uid, sql in tests.items()
            if uid.startswith("test.") and model in uid and "contract_constraints" not in uid
        ]
        assert on_model, f"no data tests ran on {model}"
        assert all(scope in sql for sql in on_model), f"a test on {model} reads all history"

    loaded = query(fresh_settings, "select distinct loaded_date from raw_row_reconciliation")
    assert len(loaded) == (SCORE_DATE - date(2026, 1, 1)).days
    for table in ("int_customer_lifetime_aggregates", "customer_features_v3"):
        sql = f"select * exclude (loaded_through_date) from {table}" if "lifetime" in table else (
            f"select * from {table}")  # fmt: skip
        sql += f" where as_of_date = date '{SCORE_DATE}' order by customer_id"
        incremental, full = query(fresh_settings, sql), query(built_settings, sql)
        assert len(full) > 1000
        pdt.assert_frame_equal(incremental, full, check_dtype=False, obj=table)


@pytest.mark.slow
def test_rerunning_a_night_replaces_its_rows_instead_of_duplicating_them(prebuilt_settings):
    settings = prebuilt_settings
    counts = (
        "select (select count(*) from int_activities_aggregated_to_customer_days) as days, "
        "(select count(*) from int_customer_lifetime_aggregates) as lifetimes"
    )
    first = query(settings, counts)
    reload_day = SCORE_DATE - timedelta(days=1)
    build_warehouse(
        settings,
        score_date=SCORE_DATE,
        reload_from_date=reload_day,
        with_training=False,
        capture=True,
    )
    pdt.assert_frame_equal(query(settings, counts), first)


@pytest.mark.slow
def test_late_activity_counts_each_active_day_once_in_every_path(fresh_settings, built_settings):
    """Activities dated days before the folder they arrive in: a night, a rerun of it and a
    full rebuild agree, and lifetime active days equal distinct activity dates."""
    yesterday = SCORE_DATE - timedelta(days=1)
    newest = fresh_settings.raw_dir / f"day={yesterday}" / "activities.parquet"
    clean = query(
        built_settings,
        "select customer_id, cast(activity_at as date) as day from stg_raw__activities "
        "where loaded_date between $a and $b",
        {"a": yesterday - timedelta(days=20), "b": yesterday - timedelta(days=10)},
    )
    sample = clean.drop_duplicates("customer_id").head(50)
    frame = pd.read_parquet(newest)
    late = pd.DataFrame(
        {
            "activity_id": np.arange(7 * 10**9, 7 * 10**9 + 2 * len(sample)),
            "customer_id": np.concatenate([sample.customer_id, sample.customer_id]),
            # a day the customer was already active, and the day before it
            "activity_at": np.concatenate([pd.to_datetime(sample.day) + pd.Timedelta(hours=23),
                                           pd.to_datetime(sample.day) - pd.Timedelta(hours=1)]),
            "activity": "login", "amount": np.nan, "quantity": np.nan, "reason": None,
        }
    )  # fmt: skip
    pd.concat([frame, late.astype(frame.dtypes.to_dict())]).to_parquet(newest, index=False)

    build_warehouse(fresh_settings, score_date=yesterday, full_refresh=True, capture=True)
    build_warehouse(fresh_settings, score_date=SCORE_DATE, with_training=False, capture=True)
    build_warehouse(
        fresh_settings, score_date=SCORE_DATE, reload_from_date=yesterday, with_training=False,
        capture=True,
    )  # fmt: skip
    lifetime_sql = (
        "select customer_id, activity_active_days, activity_count, "
        "activity_first_date, activity_last_date, activity_previous_date "
        f"from int_customer_lifetime_aggregates where as_of_date = date '{SCORE_DATE}' "
        "order by customer_id"
    )
    night = query(fresh_settings, lifetime_sql)
    distinct_days = (
        query(
            fresh_settings,
            "select customer_id, count(distinct cast(activity_at as date)) as days "
            f"from stg_raw__activities where activity_at < date '{SCORE_DATE}' group by 1",
        )
        .set_index("customer_id")
        .days
    )
    active = night.set_index("customer_id")
    bought = active[active.activity_active_days > 0]
    assert (bought.activity_active_days == distinct_days.reindex(bought.index)).all()

    rebuilt = fresh_settings
    build_warehouse(rebuilt, score_date=SCORE_DATE, full_refresh=True, capture=True)
    pdt.assert_frame_equal(query(rebuilt, lifetime_sql), night, check_dtype=False)
