"""Feature rows leave the warehouse for pandas one way, so training and scoring see the same
types: through Arrow, every integer column as pandas' nullable integer of its width, decimals
as doubles (as DuckDB's own conversion gives them).

DuckDB's own DataFrame conversion gives an integer column numpy's type when the rows read hold
no NULL and the nullable type when they do, so the same column's type depended on the rows (a
score date without a NULL against a training set with one), and it took twice as long as the
Arrow path (1M scoring rows: ~1 s against ~0.45 s).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

_NULLABLE = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
}


def to_frame(rows: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """The relation's rows as a DataFrame: integers nullable, dates and timestamps as
    datetime64, text as Python strings, doubles and decimals as float64 (NULL: NaN)."""
    table = rows.to_arrow_table()
    for index, column in enumerate(table.schema):
        if pa.types.is_decimal(column.type):
            table = table.set_column(index, column.name, table.column(index).cast(pa.float64()))
    return table.to_pandas(date_as_object=False, types_mapper=_NULLABLE.get)
