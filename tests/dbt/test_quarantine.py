"""Malformed rows land in quarantine with a reason; the clean rows around them are kept."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pandas as pd
import pandas.testing as pdt
import pytest

from ml.warehouse import build_warehouse
from tests.conftest import SCORE_DATE, copy_built_warehouse, query, settings_under

BAD_DAY = SCORE_DATE  # one day after the generated history
KNOWN_CUSTOMER = 1
T = f"{BAD_DAY} 10:00:00"

# (marker event_id, customer_id, event_at text, event_type, amount, duration, expected reason)
BAD_EVENTS = [
    (None, KNOWN_CUSTOMER, T, "login", None, None, "missing_event_id"),
    (900_000_002, None, T, "login", None, None, "missing_customer_id"),
    (900_000_003, KNOWN_CUSTOMER, None, "login", None, None, "missing_event_at"),
    (900_000_004, KNOWN_CUSTOMER, "yesterday-ish", "login", None, None, "unparseable_event_at"),
    (
        900_000_005,
        KNOWN_CUSTOMER,
        "2031-01-01 00:00:00",
        "login",
        None,
        None,
        "event_at_after_file_day",
    ),
    (900_000_006, KNOWN_CUSTOMER, T, "teleport", None, None, "unknown_event_type"),
    (900_000_007, KNOWN_CUSTOMER, T, "purchase", -12.5, None, "negative_amount"),
    (900_000_008, KNOWN_CUSTOMER, T, "session", None, -30.0, "negative_duration"),
    (900_000_009, 987_654_321, T, "login", None, None, "unknown_customer"),
]
DUPLICATE_ID = 900_000_010
CLEAN_ID = 900_000_011
# sent three times: the copy with the earliest event_at is clean, file order breaks the tie
RESENT_ID = 900_000_012
RESENT_COPIES = [  # (event_at, duration_seconds) in file order
    (f"{BAD_DAY} 10:00:05", 1.0),
    (f"{BAD_DAY} 10:00:00", 2.0),
    (f"{BAD_DAY} 10:00:00", 3.0),
]
# quarantined as duplicate_event: DUPLICATE_ID's second copy and RESENT_ID's two later ones
LATER_COPIES = 1 + len(RESENT_COPIES) - 1


def _write_bad_day(raw_dir):
    # This source sends timestamps as text (so some can be unparseable): every day file does.
    for path in raw_dir.glob("day=*/events.parquet"):
        frame = pd.read_parquet(path)
        frame["event_at"] = frame["event_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
        frame.to_parquet(path, index=False)
    folder = raw_dir / f"day={BAD_DAY}"
    folder.mkdir()
    rows = [row[:6] for row in BAD_EVENTS]
    rows += [(DUPLICATE_ID, KNOWN_CUSTOMER, T, "login", None, None)] * 2
    rows += [(CLEAN_ID, KNOWN_CUSTOMER, T, "session", None, 600.0)]
    rows += [(RESENT_ID, KNOWN_CUSTOMER, at, "session", None, d) for at, d in RESENT_COPIES]
    events = pd.DataFrame(
        rows,
        columns=["event_id", "customer_id", "event_at", "event_type", "amount", "duration_seconds"],
    ).astype(
        {
            "event_id": "Int64",
            "customer_id": "Int64",
            "amount": "float64",
            "duration_seconds": "float64",
        }
    )
    # event_at as text: user files may carry unparseable timestamps, so staging parses them.
    events.to_parquet(folder / "events.parquet", index=False)
    pd.DataFrame(
        {
            "customer_id": pd.array([None, KNOWN_CUSTOMER, 5_000_001], dtype="Int64"),
            "signup_at": pd.to_datetime([T, T, T]),
            "plan": ["basic"] * 3,
            "monthly_price": [9.99] * 3,
            "region": ["north"] * 3,
            "channel": ["organic"] * 3,
        }
    ).assign(signup_at=lambda d: d.signup_at.where(d.customer_id != 5_000_001, None)).to_parquet(
        folder / "customers.parquet", index=False
    )
    pd.DataFrame(
        {
            "customer_id": pd.array([123_456_789], dtype="Int64"),
            "cancelled_at": pd.to_datetime([T]),
            "reason": ["price"],
        }
    ).to_parquet(folder / "cancellations.parquet", index=False)


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
        settings, score_date=BAD_DAY + timedelta(days=1), full_refresh=True, capture=True
    )
    return settings


@pytest.fixture(scope="module")
def quarantined_by_a_night(tmp_path_factory, raw_template, built_settings):
    """The same raw days, the bad one loaded by a night on top of a full build of the others."""
    settings = _settings_with_bad_day(tmp_path_factory, raw_template, "quarantine_night")
    # the shared full build read every day before the bad one (the bad day is its score date)
    assert BAD_DAY == SCORE_DATE
    copy_built_warehouse(built_settings, settings)
    build_warehouse(
        settings, score_date=BAD_DAY + timedelta(days=1), with_training=False, capture=True
    )
    return settings


@pytest.mark.parametrize("table", ["customers", "events", "cancellations"])
def test_a_night_classifies_rows_exactly_as_a_full_rebuild(
    quarantined, quarantined_by_a_night, table
):
    # a night sees only its own day folder: duplicates of earlier days must still be caught
    for model in (f"stg_app__{table}_rejected", f"stg_app__{table}"):
        sql = f"select * from {model} order by all"
        full, night = query(quarantined, sql), query(quarantined_by_a_night, sql)
        assert len(full) > 0, model
        pdt.assert_frame_equal(night, full, obj=model)


@pytest.mark.parametrize(
    "event_id,reason",
    [(row[0], row[6]) for row in BAD_EVENTS if row[0] is not None],
    ids=[row[6] for row in BAD_EVENTS if row[0] is not None],
)
def test_malformed_event_is_quarantined_with_its_reason(quarantined, event_id, reason):
    rejected = query(
        quarantined,
        f"select reject_reason from stg_app__events_rejected where event_id = '{event_id}'",
    )
    assert rejected.reject_reason.tolist() == [reason]
    clean = query(quarantined, f"select * from stg_app__events where event_id = '{event_id}'")
    assert clean.empty


def test_event_without_an_id_is_quarantined(quarantined):
    rejected = query(
        quarantined,
        "select count(*) as n from stg_app__events_rejected "
        "where reject_reason = 'missing_event_id'",
    )
    assert rejected.n[0] == 1


def test_exact_duplicate_keeps_one_clean_row_and_quarantines_the_other(quarantined):
    clean = query(quarantined, f"select * from stg_app__events where event_id = '{DUPLICATE_ID}'")
    rejected = query(
        quarantined,
        f"select reject_reason from stg_app__events_rejected where event_id = '{DUPLICATE_ID}'",
    )
    assert len(clean) == 1
    assert rejected.reject_reason.tolist() == ["duplicate_event"]


def test_of_several_copies_the_earliest_is_clean_and_file_order_breaks_ties(quarantined):
    clean = query(
        quarantined, f"select duration_seconds from stg_app__events where event_id = '{RESENT_ID}'"
    )
    rejected = query(
        quarantined,
        "select duration_seconds, reject_reason from stg_app__events_rejected "
        f"where event_id = '{RESENT_ID}' order by duration_seconds",
    )
    assert clean.duration_seconds.tolist() == [2.0]
    assert rejected.duration_seconds.tolist() == [1.0, 3.0]
    assert set(rejected.reject_reason) == {"duplicate_event"}


def test_clean_row_in_a_file_full_of_bad_rows_is_kept(quarantined):
    clean = query(quarantined, f"select * from stg_app__events where event_id = '{CLEAN_ID}'")
    assert len(clean) == 1


@pytest.mark.parametrize(
    "table,reason",
    [
        ("customers", "missing_customer_id"),
        ("customers", "missing_signup_at"),
        ("customers", "duplicate_customer_id"),
        ("cancellations", "unknown_customer"),
    ],
)
def test_malformed_customer_and_cancellation_rows_are_quarantined(quarantined, table, reason):
    rejected = query(
        quarantined,
        f"select count(*) as n from stg_app__{table}_rejected where reject_reason = '{reason}'",
    )
    assert rejected.n[0] == 1


def test_quarantine_counts_are_visible_per_table_and_reason(quarantined):
    summary = query(quarantined, "select * from quarantine_summary")
    events = summary[summary.table_name == "events"].set_index("reject_reason").rejected_rows
    assert events["duplicate_event"] == LATER_COPIES
    assert set(events.index) >= {row[6] for row in BAD_EVENTS}
    reconciled = query(
        quarantined, f"select * from raw_row_reconciliation where loaded_date = date '{BAD_DAY}'"
    )
    assert (reconciled.raw_rows == reconciled.clean_rows + reconciled.rejected_rows).all()
    assert reconciled.set_index("table_name").rejected_rows["events"] == (
        len(BAD_EVENTS) + LATER_COPIES
    )
