"""A purchase-only business, declared from scratch and built from hand-written raw rows.

The generic contract end to end on another vocabulary than the demo's: no cancellations (so a
non-contractual `lapse` label), one revenue activity with a quantity, an undeclared activity, a
late-arriving row, a customer who never buys. Every expected value below was worked out by hand
from the rows in `_raw_rows` (see the comments there).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from ml.ingest.business import load_business
from ml.training.specs import load_specs
from ml.training.training_set import TrainingSetError, load_training_set
from ml.warehouse.dbt_runner import DbtError, build_warehouse, run_dbt
from ml.warehouse.feature_families import regenerate
from tests.conftest import query, settings_under

SCORE_DATE = date(2026, 4, 1)
BUSINESS = """\
name: record_shop
description: A shop whose customers buy now and then; nobody cancels anything.
customers:
  attributes:
    segment: {type: categorical, description: Loyalty segment.}
activities:
  purchase: {revenue: true, quantity: items, description: An order.}
  visit: {description: A visit to the shop.}
"""
SPEC = """\
name: lapse
description: No purchase in the next two weeks.
label: {kind: lapse, horizon_days: 14, as_of_step_days: 7, activities: [purchase]}
feature_version: 1
features: [segment, tenure_days, purchase_count_last_30d, days_since_last_purchase]
categorical_features: [segment]
params: {n_estimators: 10}
risk_bands: {low: 0, high: 0.5}
high_risk_threshold: 0.5
"""
FEATURES = """\
version: 2

models:
  - name: customer_features
    latest_version: 1
    description: The record shop's features. One row per customer per as-of date.
    data_tests:
      - unique_combination:
          arguments: {combination: [customer_id, as_of_date]}
          config: {where: __as_of_built_this_run__}
      - no_activity_at_or_after_as_of_date:
          config: {where: ""}
      - enforces_contract_constraints:
          config: {where: ""}
    versions:
      - v: 1
        config:
          meta:
            families:
              attributes: [segment]
              tenure: true
              windowed:
                - {activities: [any, purchase], measures: [count, active_days], windows: [7, 30]}
                - {activities: [purchase], measures: [amount, quantity], windows: [30]}
              recency: [any, purchase]
              lifetime:
                - activities: [purchase]
                  measures: [count, active_days, amount, amount_mean, mean_gap_days, last_gap_days]
                - {activities: [any], measures: [revenue, active_days]}
        # BEGIN generated columns of v1
        # END generated columns of v1
"""


def _raw_rows():
    customers = [  # (id, first seen, segment, folder day)
        (1, "2026-01-01 08:00", "gold", "2026-01-01"),
        (2, "2026-01-01 09:00", "silver", "2026-01-01"),
        (3, "2026-02-15 10:00", "gold", "2026-02-15"),
        (4, "2026-01-05 10:00", "silver", "2026-01-05"),  # never buys anything
    ]
    activities = [  # (id, customer, at, activity, amount, quantity, folder day)
        (1, 1, "2026-01-10 12:00", "purchase", 10.0, 1.0, "2026-01-10"),
        (2, 1, "2026-02-20 12:00", "purchase", 20.0, 2.0, "2026-02-20"),
        (3, 1, "2026-03-25 12:00", "purchase", 30.0, 3.0, "2026-03-25"),
        (4, 1, "2026-03-24 18:00", "visit", None, None, "2026-03-26"),  # arrives two days late
        (5, 1, "2026-03-28 11:00", "visit", None, None, "2026-03-28"),  # on a training as-of date
        (6, 1, "2026-03-31 09:00", "visit", None, None, "2026-03-31"),
        (7, 1, "2026-03-31 23:00", "purchase", 5.0, 1.0, "2026-03-31"),
        (8, 2, "2026-01-02 12:00", "purchase", 100.0, 1.0, "2026-01-02"),
        (9, 3, "2026-02-16 12:00", "purchase", 15.0, 1.0, "2026-02-16"),
        (10, 3, "2026-03-18 12:00", "purchase", 15.0, 1.0, "2026-03-18"),
        (11, 1, "2026-03-01 12:00", "refund", 10.0, None, "2026-03-01"),  # not in the vocabulary
        (12, 1, "2026-04-01 10:00", "purchase", 99.0, 9.0, "2026-04-01"),  # the score date itself
    ]
    return customers, activities


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The business folder and its raw days, then a full build as of SCORE_DATE."""
    root = tmp_path_factory.mktemp("record_shop")
    business = root / "business"
    (business / "specs").mkdir(parents=True)
    (business / "models" / "features").mkdir(parents=True)
    (business / "business.yml").write_text(BUSINESS)
    (business / "specs" / "lapse.yaml").write_text(SPEC)
    features = business / "models" / "features" / "customer_features.yml"
    features.write_text(FEATURES)
    features.write_text(regenerate(features, load_business(business)))  # scoreline features
    (business / "models" / "features" / "customer_features_v1.sql").write_text(
        "{{ declared_features() }}\n"
    )
    settings = replace(settings_under(root / "data"), business_dir=business)
    customers, activities = _raw_rows()
    for day in pd.date_range("2026-01-01", "2026-04-01").date:
        folder = settings.raw_dir / f"day={day}"
        folder.mkdir(parents=True)
        rows = [c for c in customers if c[3] == str(day)]
        if rows:  # optional tables: no file on a day without new customers
            pd.DataFrame(
                {"customer_id": [r[0] for r in rows],
                 "first_seen_at": pd.to_datetime([r[1] for r in rows]),
                 "segment": [r[2] for r in rows]}
            ).to_parquet(folder / "customers.parquet", index=False)  # fmt: skip
        rows = [a for a in activities if a[6] == str(day)]
        if rows:
            pd.DataFrame(
                rows,
                columns=[
                    "activity_id",
                    "customer_id",
                    "activity_at",
                    "activity",
                    "amount",
                    "quantity",
                    "day",
                ],  # fmt: skip
            ).drop(columns="day").astype({"activity_at": "datetime64[us]"}).to_parquet(
                folder / "activities.parquet", index=False
            )
    build_warehouse(settings, score_date=SCORE_DATE, full_refresh=True, capture=True)
    return settings


def _features(shop, as_of: date) -> pd.DataFrame:
    return query(
        shop, "select * from customer_features_v1 where as_of_date = $d", {"d": as_of}
    ).set_index("customer_id")


def test_windows_recency_and_lifetime_on_the_score_date(shop):
    row = _features(shop, SCORE_DATE).loc["1"]
    # purchases on 03-25 (7 days before: the 7-day window's first day) and 03-31
    assert (row.purchase_count_last_7d, row.purchase_count_last_30d) == (2, 2)
    # plus visits on 03-28 and 03-31 (7d), and the late 03-24 visit (8 days before: 30d only)
    assert (row.activity_count_last_7d, row.activity_count_last_30d) == (4, 5)
    assert (row.active_days_last_7d, row.active_days_last_30d) == (3, 4)
    assert (row.purchase_amount_last_30d, row.purchase_quantity_last_30d) == (35.0, 4.0)
    assert (row.days_since_last_activity, row.days_since_last_purchase) == (1, 1)
    # lifetime: purchases on 01-10, 02-20, 03-25 and 03-31; never the score date's own purchase
    assert (row.lifetime_purchase_count, row.lifetime_purchase_active_days) == (4, 4)
    assert (row.lifetime_purchase_amount, row.lifetime_purchase_amount_mean) == (65.0, 16.25)
    assert row.lifetime_purchase_mean_gap_days == pytest.approx(80 / 3)
    assert row.lifetime_purchase_last_gap_days == 6
    assert (row.lifetime_revenue, row.lifetime_active_days) == (65.0, 6)
    assert row.tenure_days == 90 and row.segment == "gold"
    assert row.last_activity_at == datetime(2026, 3, 31, 23, 0)


def test_recency_reaches_beyond_every_window_and_a_silent_customer_gets_zeros(shop):
    features = _features(shop, SCORE_DATE)
    assert features.loc["2", "days_since_last_purchase"] == 89  # 2026-01-02, 89 days back
    assert features.loc["2", "lifetime_purchase_count"] == 1
    assert pd.isna(features.loc["2", "lifetime_purchase_mean_gap_days"])
    silent = features.loc["4"]
    assert silent.lifetime_purchase_count == 0 and silent.activity_count_last_30d == 0
    assert pd.isna(silent.days_since_last_activity) and pd.isna(silent.last_activity_at)
    assert len(features) == 4, "a non-contractual business scores every customer first seen"


def test_a_training_date_sees_only_what_happened_before_it(shop):
    row = _features(shop, date(2026, 3, 28)).loc["1"]
    # 03-25 purchase and the late 03-24 visit (it arrived on 03-26, before 03-28); not 03-28
    assert (row.purchase_count_last_7d, row.activity_count_last_7d) == (1, 2)
    assert (row.lifetime_purchase_count, row.lifetime_purchase_last_gap_days) == (3, 33)
    assert row.last_activity_at < datetime(2026, 3, 28)


def test_lapse_labels_on_hand_checked_rows(shop):
    labels = query(shop, "select customer_id, as_of_date, label from training_labels")
    label = {(r.customer_id, r.as_of_date.date()): r.label for r in labels.itertuples()}
    # windows [D, D + 14): customer 1 buys on 02-20 and 03-25, customer 3 on 02-16 and 03-18
    assert label[("1", date(2026, 2, 14))] == 0
    assert label[("1", date(2026, 2, 21))] == 1
    assert label[("1", date(2026, 3, 14))] == 0
    assert label[("3", date(2026, 2, 21))] == 1
    assert label[("3", date(2026, 3, 7))] == 0
    assert ("3", date(2026, 2, 14)) not in label, "first seen 02-15: not yet a customer"
    assert max(d for _, d in label) == date(2026, 3, 14), "03-21 + 14 days passes the score date"


def test_an_undeclared_activity_is_quarantined_and_every_row_accounted_for(shop):
    rejected = query(shop, "select activity_id, reject_reason from stg_raw__activities_rejected")
    assert rejected.values.tolist() == [[11, "undeclared_activity"]]
    reconciled = query(
        shop,
        "select table_name, sum(raw_rows) as raw, sum(clean_rows) as clean, "
        "sum(rejected_rows) as rejected from raw_row_reconciliation group by 1 order by 1",
    )
    assert reconciled.values.tolist() == [["activities", 11, 10, 1], ["customers", 4, 4, 0]]


def _train_with_label(shop, tmp_path, label: str):
    business = tmp_path / "business"
    shutil.copytree(shop.business_dir, business)
    spec_file = business / "specs" / "lapse.yaml"
    spec_file.write_text(
        SPEC.replace(
            "{kind: lapse, horizon_days: 14, as_of_step_days: 7, activities: [purchase]}", label
        )  # fmt: skip
    )
    settings = replace(shop, business_dir=business, dbt_target_dir=tmp_path / "target",
                       warehouse_path=tmp_path / "warehouse.duckdb")  # fmt: skip
    shutil.copy(shop.warehouse_path, settings.warehouse_path)
    # what the training job runs first: the labels of the spec as it now reads
    run_dbt(
        settings,
        ["build", "--select", "training_labels", "--exclude-resource-type", "unit_test"],
        vars={"score_date": SCORE_DATE.isoformat()},
        capture=True,
    )
    spec = load_specs(business)["lapse"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return load_training_set(con, spec)


def test_a_horizon_no_window_closes_for_names_the_dates_and_the_longest_that_fits(shop, tmp_path):
    with pytest.raises(TrainingSetError) as error:
        _train_with_label(shop, tmp_path, "{kind: lapse, horizon_days: 200}")
    message = str(error.value)
    assert "run from 2026-01-31 to 2026-03-28 (every 7 days)" in message
    # four closed dates are needed (2 validate, 1 stops early, 1 trains): 2026-02-21 + 39 days
    assert "longest horizon with the 4 closed as-of dates a time split needs is 39 days" in message


def test_a_label_with_one_class_stops_with_a_clear_message(shop, tmp_path):
    """Regression: purchase-only data gave churn labels that were all 0, and training died in
    scikit-learn; now the label kind is declared, and a single class is named."""
    with pytest.raises(TrainingSetError, match="all .* training labels are 1"):
        # no grid date falls on a purchase day: nobody buys within one day of an as-of date
        _train_with_label(shop, tmp_path, "{kind: lapse, horizon_days: 1, activities: [purchase]}")


PEEKING_VERSION = """\
      - v: 2
        description: A version whose author let the as-of date itself in.
        columns:
          - include: []
          - {name: customer_id, data_type: varchar}
          - {name: as_of_date, data_type: date}
          - {name: last_activity_at, data_type: timestamp}
"""
PEEKING_SQL = """\
select
    cast(spine.customer_id as varchar) as customer_id,
    spine.as_of_date,
    max(days.last_activity_at) as last_activity_at
from {{ ref('int_customer_dates_feature_spine') }} as spine
left join {{ ref('int_activities_aggregated_to_customer_days') }} as days
    on spine.customer_id = days.customer_id
    and days.activity_date <= spine.as_of_date
group by 1, 2
"""


def test_a_new_version_that_peeks_fails_the_leakage_guard_without_editing_a_list(shop, tmp_path):
    business = tmp_path / "business"
    shutil.copytree(shop.business_dir, business)
    features = business / "models" / "features" / "customer_features.yml"
    features.write_text(features.read_text() + PEEKING_VERSION)
    (business / "models" / "features" / "customer_features_v2.sql").write_text(PEEKING_SQL)
    settings = replace(shop, business_dir=business, dbt_target_dir=tmp_path / "target",
                       warehouse_path=tmp_path / "warehouse.duckdb")  # fmt: skip
    shutil.copy(shop.warehouse_path, settings.warehouse_path)
    with pytest.raises(DbtError) as error:
        run_dbt(
            settings, ["build", "--select", "customer_features.v2"],
            vars={"score_date": SCORE_DATE.isoformat()}, capture=True,
        )  # fmt: skip
    assert "no_activity_at_or_after_as_of_date_customer_features_v2" in str(error.value)
