"""A bad feature row fails its contract by name, so nothing downstream runs on it."""

from __future__ import annotations

import shutil
from dataclasses import replace

import duckdb
import pytest

from ml.warehouse import DbtError, run_dbt
from tests.conftest import SCORE_DATE


@pytest.fixture
def settings(built_settings, tmp_path):
    """The shared build's warehouse, copied: these tests break it on purpose."""
    copy = replace(
        built_settings,
        warehouse_path=tmp_path / "warehouse.duckdb",
        dbt_target_dir=tmp_path / "target",
    )
    shutil.copy(built_settings.warehouse_path, copy.warehouse_path)
    return copy


def test_a_7d_count_above_the_30d_count_fails_the_window_contract(settings):
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


def test_a_null_feature_is_refused_by_the_feature_table(settings):
    """The null policy is enforced on insert: a null never lands, not even for a moment."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        with pytest.raises(duckdb.ConstraintException, match="tenure_days"):
            con.execute(
                "insert into customer_features_v2 "
                "select * replace (null as tenure_days) from customer_features_v2 limit 1"
            )


def test_a_feature_table_without_its_not_null_constraints_fails_the_guard(settings):
    """A table built before a constraint existed is named, so no one trusts a missing check."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("alter table customer_features_v1 alter column tenure_days drop not null")
    with pytest.raises(DbtError) as error:
        run_dbt(
            settings,
            ["test", "--select", "assert_feature_tables_enforce_not_null"],
            vars={"score_date": SCORE_DATE.isoformat()},
            capture=True,
        )
    assert "assert_feature_tables_enforce_not_null" in str(error.value)
    compiled_dir = settings.dbt_target_dir / "compiled"
    compiled = next(compiled_dir.rglob("assert_feature_tables_enforce_not_null.sql"))
    with duckdb.connect(str(settings.warehouse_path)) as con:
        missing = con.execute(compiled.read_text()).fetchall()
    assert [(table, column) for table, column, _ in missing] == [
        ("customer_features_v1", "tenure_days")
    ]
