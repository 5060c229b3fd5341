"""Malformed rows land in quarantine with a reason; the clean rows around them are kept."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pandas as pd
import pandas.testing as pdt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml.warehouse.dbt_runner import build_warehouse
from tests.conftest import SCORE_DATE, copy_built_warehouse, query, settings_under

BAD_DAY = SCORE_DATE  # one day after the generated history
KNOWN_CUSTOMER = 1
# first seen the day after the bad day: a night and a full rebuild must both reject its activity
NEW_CUSTOMER = 5_000_002
T = f"{BAD_DAY} 10:00:00"

# (marker activity_id, customer_id, activity_at text, activity, amount, quantity, reason, expected
# reject reason)
BAD_ACTIVITIES = [
    (None, KNOWN_CUSTOMER, T, "login", None, None, None, "missing_activity_id"),
    (900_000_002, None, T, "login", None, None, None, "missing_customer_id"),
    (900_000_003, KNOWN_CUSTOMER, None, "login", None, None, None, "missing_activity_at"),
    (900_000_004, KNOWN_CUSTOMER, "yesterday-ish", "login", None, None, None,
     "unparseable_activity_at"),
    (900_000_005, KNOWN_CUSTOMER, "2031-01-01 00:00:00", "login", None, None, None,
     "activity_at_after_file_day"),
    # Regression: an activity the vocabulary does not declare is quarantined and counted, not
    # silently dropped or counted as "other" (rows of undeclared activities stay accounted for)
    (900_000_006, KNOWN_CUSTOMER, T, "teleport", None, None, None, "undeclared_activity"),
    (900_000_007, KNOWN_CUSTOMER, T, "purchase", -12.5, None, None, "invalid_amount"),
    (900_000_008, KNOWN_CUSTOMER, T, "session", None, -30.0, None, "invalid_quantity"),
    (900_000_013, KNOWN_CUSTOMER, T, "purchase", float("inf"), None, None, "invalid_amount"),
    (900_000_014, KNOWN_CUSTOMER, T, "session", None, float("nan"), None, "invalid_quantity"),
    (900_000_009, 987_654_321, T, "login", None, None, None, "unknown_customer"),
    (900_000_015, NEW_CUSTOMER, T, "login", None, None, None, "unknown_customer"),
]  # fmt: skip
DUPLICATE_ID = 900_000_010
CLEAN_ID = 900_000_011
# sent three times: the copy with the earliest event_at is clean, file order breaks the tie
RESENT_ID = 900_000_012
RESENT_COPIES = [  # (event_at, duration_seconds) in file order
    (f"{BAD_DAY} 10:00:05", 1.0),
    (f"{BAD_DAY} 10:00:00", 2.0),
    (f"{BAD_DAY} 10:00:00", 3.0),
]
# quarantined as duplicate_activity: DUPLICATE_ID's second copy and RESENT_ID's two later ones
LATER_COPIES = 1 + len(RESENT_COPIES) - 1


COLUMNS = ["activity_id", "customer_id", "activity_at", "activity", "amount", "quantity", "reason"]


def column_index(name):
    return COLUMNS.index(name)


def _write_bad_day(raw_dir):
    # This source sends timestamps as text (so some can be unparseable): every day file does.
    for path in raw_dir.glob("day=*/activities.parquet"):
        frame = pd.read_parquet(path)
        frame["activity_at"] = frame["activity_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
        frame.to_parquet(path, index=False)
    folder = raw_dir / f"day={BAD_DAY}"
    folder.mkdir()
    rows = [row[:7] for row in BAD_ACTIVITIES]
    rows += [(DUPLICATE_ID, KNOWN_CUSTOMER, T, "login", None, None, None)] * 2
    rows += [(CLEAN_ID, KNOWN_CUSTOMER, T, "session", None, 600.0, None)]
    rows += [(RESENT_ID, KNOWN_CUSTOMER, at, "session", None, d, None) for at, d in RESENT_COPIES]
    # a cancellation of an unknown customer, and one with an undeclared reason value is fine
    # (reason declares no values)
    rows += [(900_000_016, 123_456_789, T, "cancellation", None, None, "price")]
    activities = pd.DataFrame(
        rows,
        columns=COLUMNS,
    ).astype({"activity_id": "Int64", "customer_id": "Int64", "amount": "float64",
              "quantity": "float64"})  # fmt: skip
    # activity_at as text: user files may carry unparseable timestamps, so staging parses them.
    # Through pyarrow with NaN kept as NaN (pandas would write it as null).
    table = pa.Table.from_pandas(activities, preserve_index=False)
    for column in ("amount", "quantity"):
        values = [None if v is None else float(v) for v in (r[column_index(column)] for r in rows)]
        table = table.set_column(
            table.schema.get_field_index(column), column, pa.array(values, type=pa.float64())
        )
    pq.write_table(table, folder / "activities.parquet")
    customers = pa.Table.from_pandas(
        pd.DataFrame(
            {
                "customer_id": pd.array(
                    [None, KNOWN_CUSTOMER, 5_000_001, 5_000_003, 5_000_004, 5_000_005],
                    dtype="Int64",
                ),  # fmt: skip
                "first_seen_at": pd.to_datetime([T, T, None, T, T, T]),
                "plan": ["basic", "basic", "basic", "platinum", "basic", "basic"],
                "region": ["north"] * 6,
                # a 5 MB channel name: longer than the declared maximum (200 by default)
                "channel": ["organic"] * 5 + ["x" * 5_000_000],
            }
        ),
        preserve_index=False,
    )
    # a NaN price, written as NaN (a non-finite number is invalid, not missing)
    prices = pa.array([9.99, 9.99, 9.99, 9.99, float("nan"), 9.99], type=pa.float64())
    pq.write_table(customers.append_column("monthly_price", prices), folder / "customers.parquet")
    # the customer whose activity arrives before it does
    later = raw_dir / f"day={BAD_DAY + timedelta(days=1)}"
    later.mkdir()
    pd.DataFrame(
        {
            "customer_id": pd.array([NEW_CUSTOMER], dtype="Int64"),
            "first_seen_at": pd.to_datetime([f"{BAD_DAY + timedelta(days=1)} 09:00:00"]),
            "plan": ["basic"], "monthly_price": [9.99], "region": ["north"], "channel": ["organic"],
        }
    ).to_parquet(later / "customers.parquet", index=False)  # fmt: skip


def _settings_with_bad_day(tmp_path_factory, raw_template, name):
    """A private copy of the raw data with the bad day written after it."""
    settings = settings_under(tmp_path_factory.mktemp(name))
    shutil.copytree(raw_template, settings.raw_dir)
    _write_bad_day(settings.raw_dir)
    return settings


@pytest.fixture(scope="module")
def quarantined(tmp_path_factory, raw_template):
    settings = _settings_with_bad_day(tmp_path_factory, raw_template, "quarantine")
    build_warehouse(
        settings, score_date=BAD_DAY + timedelta(days=2), full_refresh=True, capture=True
    )
    return settings


@pytest.fixture(scope="module")
def quarantined_by_a_night(tmp_path_factory, raw_template, built_settings):
    """The same raw days, the bad one loaded by a night on top of a full build of the others."""
    settings = _settings_with_bad_day(tmp_path_factory, raw_template, "quarantine_night")
    # the shared full build read every day before the bad one (the bad day is its score date)
    assert BAD_DAY == SCORE_DATE
    copy_built_warehouse(built_settings, settings)
    for night in (BAD_DAY + timedelta(days=1), BAD_DAY + timedelta(days=2)):
        build_warehouse(settings, score_date=night, with_training=False, capture=True)
    return settings


@pytest.mark.slow
@pytest.mark.parametrize("table", ["customers", "activities"])
def test_a_night_classifies_rows_exactly_as_a_full_rebuild(
    quarantined, quarantined_by_a_night, table
):
    # a night sees only its own day folder: duplicates of earlier days must still be caught
    for model in (f"stg_raw__{table}_rejected", f"stg_raw__{table}"):
        sql = f"select * from {model} order by all"
        full, night = query(quarantined, sql), query(quarantined_by_a_night, sql)
        assert len(full) > 0, model
        pdt.assert_frame_equal(night, full, obj=model)


def _rejected(settings, table, where, **params):
    return query(settings, f"select * from stg_raw__{table}_rejected where {where}", params)


def _clean(settings, activity_id):
    sql = "select * from stg_raw__activities where activity_id = $id"
    return query(settings, sql, {"id": activity_id})


@pytest.mark.parametrize(
    "activity_id,reason",
    [(row[0], row[7]) for row in BAD_ACTIVITIES if row[0] is not None],
    ids=[f"{row[7]}-{row[0]}" for row in BAD_ACTIVITIES if row[0] is not None],
)
def test_malformed_activity_is_quarantined_with_its_reason(quarantined, activity_id, reason):
    rejected = _rejected(quarantined, "activities", "activity_id = $id", id=activity_id)
    assert rejected.reject_reason.tolist() == [reason]
    clean = query(
        quarantined,
        "select * from stg_raw__activities where activity_id = $id",
        {"id": activity_id},
    )
    assert clean.empty


def test_activity_without_an_id_is_quarantined(quarantined):
    rejected = _rejected(quarantined, "activities", "reject_reason = 'missing_activity_id'")
    assert len(rejected) == 1


def test_exact_duplicate_keeps_one_clean_row_and_quarantines_the_other(quarantined):
    clean = query(
        quarantined,
        "select * from stg_raw__activities where activity_id = $id",
        {"id": DUPLICATE_ID},
    )
    rejected = _rejected(quarantined, "activities", "activity_id = $id", id=DUPLICATE_ID)
    assert len(clean) == 1
    assert rejected.reject_reason.tolist() == ["duplicate_activity"]


def test_of_several_copies_the_earliest_is_clean_and_file_order_breaks_ties(quarantined):
    clean = query(
        quarantined,
        "select quantity from stg_raw__activities where activity_id = $id",
        {"id": RESENT_ID},
    )
    rejected = _rejected(
        quarantined, "activities", "activity_id = $id order by quantity", id=RESENT_ID
    )
    assert clean.quantity.tolist() == [2.0]
    assert rejected.quantity.tolist() == [1.0, 3.0]
    assert set(rejected.reject_reason) == {"duplicate_activity"}


def test_clean_row_in_a_file_full_of_bad_rows_is_kept(quarantined):
    clean = _clean(quarantined, CLEAN_ID)
    assert len(clean) == 1


@pytest.mark.parametrize(
    "table,reason",
    [
        ("customers", "missing_customer_id"),
        ("customers", "missing_first_seen_at"),
        ("customers", "duplicate_customer_id"),
        # declared values (plan) and a required numeric attribute (monthly_price) are checked
        ("customers", "invalid_plan"),
        ("customers", "invalid_monthly_price"),
        # text longer than its declared maximum (Regression: 5 MB strings were accepted)
        ("customers", "too_long_channel"),
    ],
)
def test_malformed_customer_rows_are_quarantined_with_their_reason(quarantined, table, reason):
    assert len(_rejected(quarantined, table, "reject_reason = $r", r=reason)) == 1


def test_a_cancellation_of_an_unknown_customer_is_quarantined(quarantined):
    rejected = _rejected(quarantined, "activities", "activity = 'cancellation'")
    assert rejected.reject_reason.tolist() == ["unknown_customer"]


def test_quarantine_counts_are_visible_per_table_and_reason(quarantined):
    summary = query(quarantined, "select * from quarantine_summary")
    activities = summary[summary.table_name == "activities"].set_index("reject_reason")
    assert activities.rejected_rows["duplicate_activity"] == LATER_COPIES
    assert set(activities.index) >= {row[7] for row in BAD_ACTIVITIES}
    reconciled = query(
        quarantined, f"select * from raw_row_reconciliation where loaded_date = date '{BAD_DAY}'"
    )
    assert (reconciled.raw_rows == reconciled.clean_rows + reconciled.rejected_rows).all()
    assert reconciled.set_index("table_name").rejected_rows["activities"] == (
        len(BAD_ACTIVITIES) + LATER_COPIES + 1
    )
