"""Feature rows reach pandas with types that do not depend on which rows were read."""

from __future__ import annotations

import duckdb
import pandas as pd

from ml.warehouse.frames import to_frame

ROWS = """
    select * from (values
        (1, 10::integer, 2.5::double, 1.25::decimal(9, 2), date '2026-01-02', 'basic'),
        (2, null::integer, null, null, date '2026-01-02', null)
    ) as t(customer_id, days_since_last_activity, amount, price, as_of_date, plan)
"""


def test_a_column_has_one_type_with_or_without_a_null_in_the_rows_read():
    con = duckdb.connect()
    with_null = to_frame(con.sql(ROWS))
    without = to_frame(con.sql(f"select * from ({ROWS}) where customer_id = 1"))
    assert with_null.dtypes.to_dict() == without.dtypes.to_dict()
    assert with_null.days_since_last_activity.dtype == pd.Int32Dtype()
    assert with_null.days_since_last_activity.isna().tolist() == [False, True]
    assert with_null.amount.dtype == "float64" and with_null.amount.isna().tolist() == [False, True]
    assert with_null.price.dtype == "float64" and with_null.price.iloc[0] == 1.25
    assert pd.api.types.is_datetime64_any_dtype(with_null.as_of_date)
    assert with_null.as_of_date.iloc[0].date().isoformat() == "2026-01-02"
    assert with_null.plan.tolist()[0] == "basic" and pd.isna(with_null.plan.iloc[1])
