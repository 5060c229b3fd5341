"""A raw file that breaks the input contract fails before dbt, naming the file and column."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from ml.ingest.business import load_business
from ml.ingest.raw_contract import RawContractError, check_raw_files, default_score_date
from ml.warehouse.dbt_runner import build_warehouse, newest_score_date
from tests.conftest import query


def _first_day(settings):
    return sorted(settings.raw_dir.glob("day=*"))[0]


def _business(settings):
    return load_business(settings.business_dir)


def test_generated_raw_data_meets_the_contract(fresh_settings):
    result = check_raw_files(fresh_settings.raw_dir, _business(fresh_settings))
    assert result.files_checked == len(list(fresh_settings.raw_dir.glob("day=*/*.parquet")))


def test_missing_column_fails_naming_the_file_and_column(fresh_settings):
    path = _first_day(fresh_settings) / "activities.parquet"
    pd.read_parquet(path).drop(columns=["activity"]).to_parquet(path, index=False)
    with pytest.raises(RawContractError) as error:
        build_warehouse(fresh_settings, full_refresh=True, capture=True)
    assert str(path) in str(error.value)
    assert "'activity'" in str(error.value) and "missing" in str(error.value)
    assert not fresh_settings.warehouse_path.exists(), "dbt must not run on broken input"


def test_a_declared_attribute_missing_from_the_customers_file_is_named(fresh_settings):
    path = _first_day(fresh_settings) / "customers.parquet"
    pd.read_parquet(path).drop(columns=["channel"]).to_parquet(path, index=False)
    with pytest.raises(RawContractError, match=r"column 'channel' \(Acquisition channel"):
        check_raw_files(fresh_settings.raw_dir, _business(fresh_settings))


def test_wrong_type_fails_naming_the_file_column_and_type(fresh_settings):
    path = _first_day(fresh_settings) / "activities.parquet"
    frame = pd.read_parquet(path)
    frame["amount"] = frame["amount"].astype(str)
    frame.to_parquet(path, index=False)
    with pytest.raises(RawContractError) as error:
        check_raw_files(fresh_settings.raw_dir, _business(fresh_settings))
    message = str(error.value)
    assert str(path) in message and "'amount' has type VARCHAR, expected a number" in message


def test_a_table_with_no_file_on_any_day_is_refused(fresh_settings):
    for path in fresh_settings.raw_dir.glob("day=*/customers.parquet"):
        path.unlink()
    with pytest.raises(RawContractError, match="no customers.parquet in any day folder"):
        check_raw_files(fresh_settings.raw_dir, _business(fresh_settings))


def test_a_truncated_file_is_named_instead_of_a_traceback(fresh_settings):
    path = _first_day(fresh_settings) / "activities.parquet"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RawContractError, match=f"{path}: not a readable Parquet file"):
        check_raw_files(fresh_settings.raw_dir, _business(fresh_settings))


def test_no_raw_data_says_what_to_do(tmp_path, fresh_settings):
    with pytest.raises(RawContractError, match="scoreline generate"):
        check_raw_files(tmp_path, _business(fresh_settings))


def test_a_new_day_with_text_timestamps_where_history_has_typed_ones_is_refused(fresh_settings):
    days = sorted(fresh_settings.raw_dir.glob("day=*"))
    newest = days[-1] / "activities.parquet"
    frame = pd.read_parquet(newest)
    frame["activity_at"] = frame["activity_at"].astype(str)
    frame.to_parquet(newest, index=False)
    since = date.fromisoformat(days[-1].name.removeprefix("day="))
    with pytest.raises(RawContractError) as error:
        check_raw_files(fresh_settings.raw_dir, _business(fresh_settings), since=since)
    message = str(error.value)
    assert "activities.activity_at is text in 1 file(s)" in message and str(newest) in message


@pytest.mark.slow
def test_the_default_score_date_follows_the_newest_day_of_any_table(fresh_settings):
    """Regression: the score date came from the newest customers file, so a log whose newest
    customers file is older than its newest activities was scored early and truncated."""
    days = sorted(fresh_settings.raw_dir.glob("day=*"))
    newest = date.fromisoformat(days[-1].name.removeprefix("day="))
    for folder in days[-5:]:
        (folder / "customers.parquet").unlink(missing_ok=True)
    assert default_score_date(fresh_settings.raw_dir) == newest + timedelta(days=1)

    build = build_warehouse(fresh_settings, full_refresh=True, with_training=False, capture=True)
    assert build.score_date == newest + timedelta(days=1)
    assert f"score date {newest + timedelta(days=1)}" in build.summary()
    loaded = query(fresh_settings, "select max(loaded_date) as d from raw_row_reconciliation")
    assert loaded.d[0].date() == newest
    raw_rows = duckdb.execute(
        f"select count(*) from read_parquet('{fresh_settings.raw_dir}/day=*/activities.parquet')"
    ).fetchone()[0]
    assert build.loaded["activities"]["raw"] == raw_rows
    # dbt by hand (no score date given) applies the same rule
    assert query(fresh_settings, "select max(as_of_date) as d from int_customer_dates_scoring_spine"
                 ).d[0].date() == newest + timedelta(days=1)  # fmt: skip


def test_a_folder_dated_after_today_is_refused_before_anything_is_built(fresh_settings):
    """Regression: a folder dated past the partitions moved the load watermark, then every
    run failed with an unknown partition or a misleading 'no raw day folders'."""
    days = sorted(fresh_settings.raw_dir.glob("day=*"))
    future = fresh_settings.raw_dir / f"day={fresh_settings.today + timedelta(days=1)}"
    future.mkdir()
    (future / "activities.parquet").write_bytes((days[-1] / "activities.parquet").read_bytes())
    with pytest.raises(RawContractError, match=f"{future}: dated after {fresh_settings.today}"):
        build_warehouse(fresh_settings, full_refresh=True, capture=True)
    assert not fresh_settings.warehouse_path.exists(), "nothing may be built from a bad calendar"
    with pytest.raises(RawContractError, match=str(future)):
        check_raw_files(
            fresh_settings.raw_dir, _business(fresh_settings), since=fresh_settings.today,
            latest=fresh_settings.today,
        )  # fmt: skip
    # removed, the run's default date is the real newest day's again
    (future / "activities.parquet").unlink()
    future.rmdir()
    newest = date.fromisoformat(days[-1].name.removeprefix("day="))
    assert newest_score_date(fresh_settings) == newest + timedelta(days=1)


def test_a_folder_named_months_after_its_rows_is_refused_as_misdated(fresh_settings):
    """Regression: a folder named a few months ahead of its data was loaded as that day; every
    customer looked inactive and the high-risk sets emptied, exit 0."""
    days = sorted(fresh_settings.raw_dir.glob("day=*"))
    newest = date.fromisoformat(days[-1].name.removeprefix("day="))
    misdated = fresh_settings.raw_dir / f"day={newest + timedelta(days=60)}"
    days[-1].rename(misdated)
    with pytest.raises(RawContractError) as error:
        check_raw_files(fresh_settings.raw_dir, _business(fresh_settings), since=newest)
    message = str(error.value)
    assert str(misdated / "activities.parquet") in message and "looks misdated" in message
    assert "arrival.max_days_late" in message


def test_an_empty_file_is_named_with_the_convention_for_a_day_without_rows(fresh_settings):
    path = _first_day(fresh_settings) / "activities.parquet"
    path.write_bytes(b"")
    with pytest.raises(RawContractError, match=f"{path}: an empty \\(0-byte\\) file; a day"):
        check_raw_files(fresh_settings.raw_dir, _business(fresh_settings))
