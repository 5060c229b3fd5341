"""A bad feature row fails its contract by name, so nothing downstream runs on it."""

from __future__ import annotations

import shutil
from dataclasses import replace

import duckdb
import pytest

from ml.warehouse.dbt_runner import DbtError, run_dbt
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


def _insert_one_row(settings, change: str):
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            f"insert into customer_features_v3 select * replace ({change}) "
            "from customer_features_v3 limit 1"
        )


@pytest.mark.parametrize(
    "change,named",
    [
        ("null as tenure_days", "tenure_days"),
        ("login_count_last_30d + 5 as login_count_last_7d",
         "login_count_last_30d >= login_count_last_7d"),
        ("-1 as lifetime_activity_count", "lifetime_activity_count >= 0"),
        ("lifetime_active_days + 1 as active_days_last_90d",
         "lifetime_active_days >= active_days_last_90d"),
    ],
)  # fmt: skip
def test_a_feature_outside_its_contract_is_refused_by_the_feature_table(settings, change, named):
    """The null policy and ranges are enforced on insert: a bad row never lands, not even for a
    moment, and the error names the column or the broken claim."""
    with pytest.raises(duckdb.ConstraintException, match=named.replace("(", r"\(")):
        _insert_one_row(settings, change)


def _test(settings, selector):
    run_dbt(
        settings,
        ["test", "--select", selector],
        vars={"score_date": SCORE_DATE.isoformat()},
        capture=True,
    )


def test_a_feature_table_without_its_constraints_fails_the_guard(settings):
    """A table built before a constraint existed is named, so no one trusts a missing check."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("alter table customer_features_v3 alter column tenure_days drop not null")
    with pytest.raises(DbtError) as error:
        _test(settings, "customer_features.v3,test_name:enforces_contract_constraints")
    assert "enforces_contract_constraints_customer_features_v3" in str(error.value)


def test_a_feature_read_at_the_as_of_date_fails_the_leakage_guard(settings):
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "update customer_features_v3 set last_activity_at = as_of_date + interval 1 hour "
            "where customer_id = (select min(customer_id) from customer_features_v3)"
        )
    with pytest.raises(DbtError) as error:
        _test(settings, "customer_features.v3,test_name:no_activity_at_or_after_as_of_date")
    assert "no_activity_at_or_after_as_of_date_customer_features_v3" in str(error.value)
