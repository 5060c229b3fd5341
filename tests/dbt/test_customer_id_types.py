"""Customer ids keep their raw type inside the warehouse and leave it as text, either way.

The generator writes integer ids; a business bringing its own data may use text ids. Both must
build, publish the same ids as text, and give the same customer the same features.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ml.ingest.business import load_business
from ml.ingest.raw_contract import RawContractError, check_raw_files
from ml.warehouse.dbt_runner import build_warehouse
from tests.conftest import SCORE_DATE, query


def _text_customer_ids(raw_dir, tables=("customers", "activities")):
    """Rewrite customer_id as 'cus-<n>' text in every file of the given tables."""
    with duckdb.connect() as con:
        for table in tables:
            for path in raw_dir.glob(f"day=*/{table}.parquet"):
                # through DuckDB, not pandas: an empty day keeps its column types
                rewritten = path.with_suffix(".rewritten")
                con.execute(
                    f"copy (select * replace ('cus-' || customer_id as customer_id) "
                    f"from read_parquet('{path}')) to '{rewritten}' (format parquet)"
                )
                rewritten.replace(path)


def test_integer_ids_in_one_table_and_text_in_another_are_refused(fresh_settings):
    _text_customer_ids(fresh_settings.raw_dir, tables=("activities",))
    with pytest.raises(RawContractError) as error:
        check_raw_files(fresh_settings.raw_dir, load_business(fresh_settings.business_dir))
    message = str(error.value)
    assert "customer_id is text in activities" in message
    assert "an integer in customers" in message


@pytest.mark.slow
def test_text_ids_build_the_same_features_as_integer_ids(fresh_settings, built_settings):
    _text_customer_ids(fresh_settings.raw_dir)
    build_warehouse(fresh_settings, score_date=SCORE_DATE, full_refresh=True, capture=True)

    text_build = query(fresh_settings, "select * from customer_features_v3")
    integer_build = query(built_settings, "select * from customer_features_v3")
    assert text_build["customer_id"].str.startswith("cus-").all()
    assert pd.api.types.is_string_dtype(integer_build["customer_id"])

    integer_build["customer_id"] = "cus-" + integer_build["customer_id"]
    key = ["customer_id", "as_of_date"]
    pd.testing.assert_frame_equal(
        text_build.sort_values(key).reset_index(drop=True),
        integer_build.sort_values(key).reset_index(drop=True),
    )
