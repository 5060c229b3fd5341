"""A raw file that breaks the input contract fails before dbt, naming the file and column."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.raw_contract import RawContractError, check_raw_files
from ml.warehouse import build_warehouse


def _first_day(settings):
    return sorted(settings.raw_dir.glob("day=*"))[0]


def test_generated_raw_data_meets_the_contract(fresh_settings):
    result = check_raw_files(fresh_settings.raw_dir)
    assert result.files_checked == 3 * len(result.days)


def test_missing_column_fails_naming_the_file_and_column(fresh_settings):
    path = _first_day(fresh_settings) / "events.parquet"
    pd.read_parquet(path).drop(columns=["event_type"]).to_parquet(path, index=False)
    with pytest.raises(RawContractError) as error:
        build_warehouse(fresh_settings, full_refresh=True, capture=True)
    assert str(path) in str(error.value)
    assert "'event_type'" in str(error.value) and "missing" in str(error.value)
    assert not fresh_settings.warehouse_path.exists(), "dbt must not run on broken input"


def test_wrong_type_fails_naming_the_file_column_and_type(fresh_settings):
    path = _first_day(fresh_settings) / "events.parquet"
    frame = pd.read_parquet(path)
    frame["amount"] = frame["amount"].astype(str)
    frame.to_parquet(path, index=False)
    with pytest.raises(RawContractError) as error:
        check_raw_files(fresh_settings.raw_dir)
    message = str(error.value)
    assert str(path) in message and "'amount' has type VARCHAR, expected a number" in message


def test_no_raw_data_says_what_to_do(tmp_path):
    with pytest.raises(RawContractError, match="scoreline generate"):
        check_raw_files(tmp_path)


def test_a_new_day_with_text_timestamps_where_history_has_typed_ones_is_refused(fresh_settings):
    days = sorted(fresh_settings.raw_dir.glob("day=*"))
    newest = days[-1] / "events.parquet"
    frame = pd.read_parquet(newest)
    frame["event_at"] = frame["event_at"].astype(str)
    frame.to_parquet(newest, index=False)
    from datetime import date

    since = date.fromisoformat(days[-1].name.removeprefix("day="))
    with pytest.raises(RawContractError) as error:
        check_raw_files(fresh_settings.raw_dir, since=since)
    message = str(error.value)
    assert "events.event_at is text in 1 file(s)" in message and str(newest) in message
