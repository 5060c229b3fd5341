"""A bad feature row fails its contract test by name, so nothing downstream runs on it."""

from __future__ import annotations

import shutil
from dataclasses import replace

import duckdb
import pytest

from ml.warehouse import DbtError, run_dbt
from tests.conftest import SCORE_DATE


def test_a_7d_count_above_the_30d_count_fails_the_window_contract(built_settings, tmp_path):
    settings = replace(
        built_settings,
        warehouse_path=tmp_path / "warehouse.duckdb",
        dbt_target_dir=tmp_path / "target",
    )
    shutil.copy(built_settings.warehouse_path, settings.warehouse_path)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "update customer_features_v2 set events_last_7d = events_last_30d + 5 "
            "where customer_id = (select min(customer_id) from customer_features_v2)"
        )
    with pytest.raises(DbtError) as error:
        run_dbt(
            settings,
            ["test", "--select", "customer_features", "--exclude", "test_type:unit"],
            vars={"score_date": SCORE_DATE.isoformat()},
            capture=True,
        )
    assert "customer_features_7d_events_within_30d" in str(error.value)
    assert "v1" not in str(error.value).split("Failing nodes:")[1].split("customer_features_v2")[0]
