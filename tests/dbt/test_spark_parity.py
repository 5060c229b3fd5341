"""The same dbt project on Apache Spark: every table, cell for cell, equals DuckDB's.

Real dbt-spark (session method, a local pyspark) and real dbt-duckdb build the same raw days:
staging and quarantine, daily activity, lifetime aggregates, the spines, every feature version
(the scoring input is the score date's rows), the training labels and the marts. Spark's tables
are its Parquet files, read here with DuckDB; floats must agree within 1e-9. The full build is
compared, then a night on top of it (Spark overwrites the night's partitions where DuckDB
deletes and inserts). dbt's tests run on both (`dbt build`), the contract guard included.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ml.config import Settings
from ml.ingest.generate import generate
from ml.warehouse.dbt_runner import build_warehouse, connect_read_only, spark_table_folder
from tests.conftest import settings_under

pytestmark = pytest.mark.slow

START = date(2026, 1, 1)
DAYS = 100
FULL_BUILD_DATE = START + timedelta(days=DAYS - 1)  # the last raw day is left for the night
NIGHT = FULL_BUILD_DATE + timedelta(days=1)
EVERY_MODEL = "fqn:*"  # released feature versions no spec uses included


@pytest.fixture(scope="module")
def raw_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred customers with malformed rows of every kind, so the quarantine has work."""
    raw = tmp_path_factory.mktemp("parity_raw")
    generate(
        raw, customers=600, days=DAYS, start=START, seed=5, malformed_share=0.01, progress=False
    )
    return raw


def _on(root: Path, raw: Path, target: str) -> Settings:
    return replace(settings_under(root), raw_dir=raw, dbt_target=target)


def _tables(settings: Settings) -> list[str]:
    with connect_read_only(settings) as con:
        return sorted(
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        )


def _normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns by name (Spark puts partition columns last), times as naive UTC timestamps (both
    sides are read by DuckDB, which gives dates as timestamps too), numbers as floats, rows
    sorted by their non-float columns first."""
    frame = frame[sorted(frame.columns)].copy()
    floats = []
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            frame[column] = values.astype("float64")
            if not np.allclose(frame[column].dropna() % 1, 0):
                floats.append(column)
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[us]")
    order = [c for c in frame.columns if c not in floats] + floats
    return frame.sort_values(order, na_position="last").reset_index(drop=True)


def _differences(duck: Settings, spark: Settings) -> dict[str, str]:
    """Each table whose DuckDB and Spark contents differ, with what differs."""
    problems: dict[str, str] = {}
    reader = duckdb.connect()
    with connect_read_only(duck) as con:
        for table in _tables(duck):
            folder = spark_table_folder(spark, table)
            files = sorted(folder.rglob("*.parquet"))
            if not files:
                rows = con.execute(f"select count(*) from {table}").fetchone()[0]
                if rows:
                    problems[table] = f"no Spark table files in {folder}; DuckDB has {rows} rows"
                continue
            expected = _normalized(con.execute(f"select * from {table}").df())
            partitioned = any("=" in part for part in files[0].relative_to(folder).parts)
            actual = _normalized(
                reader.execute(
                    f"select * from read_parquet('{folder}/**/*.parquet', "
                    f"hive_partitioning = {str(partitioned).lower()})"
                ).df()
            )
            if list(expected.columns) != list(actual.columns):
                problems[table] = (
                    f"columns: only DuckDB {sorted(set(expected) - set(actual))}, "
                    f"only Spark {sorted(set(actual) - set(expected))}"
                )
            elif len(expected) != len(actual):
                problems[table] = f"rows: DuckDB {len(expected)}, Spark {len(actual)}"
            else:
                for column in expected.columns:
                    a, b = expected[column], actual[column]
                    if pd.api.types.is_float_dtype(a):
                        same = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
                    else:
                        same = (a == b) | (a.isna() & b.isna())
                    if not same.all():
                        first = int(np.flatnonzero(~np.asarray(same))[0])
                        problems[table] = (
                            f"{column}: {int((~same).sum())} cells differ, e.g. row {first}: "
                            f"DuckDB {a.iloc[first]!r}, Spark {b.iloc[first]!r}"
                        )
                        break
    return problems


def test_spark_builds_every_table_cell_for_cell_as_duckdb_full_build_then_night(
    raw_days: Path, tmp_path: Path
):
    duck = _on(tmp_path / "duckdb", raw_days, "dev")
    spark = _on(tmp_path / "spark", raw_days, "spark")

    for settings in (duck, spark):
        build_warehouse(
            settings, score_date=FULL_BUILD_DATE, full_refresh=True, capture=True,
            select=EVERY_MODEL,
        )  # fmt: skip
    assert _differences(duck, spark) == {}
    tables = _tables(duck)
    assert {"customer_features_v3", "training_labels", "stg_raw__activities_rejected"} <= set(
        tables
    )
    with connect_read_only(duck) as con:
        # the comparison had something to compare: labels of both classes, quarantined rows
        assert con.execute("select count(distinct label) from training_labels").fetchone()[0] == 2
        assert con.execute("select count(*) from stg_raw__activities_rejected").fetchone()[0] > 0

    nights = [
        build_warehouse(settings, score_date=NIGHT, capture=True, select=EVERY_MODEL)
        for settings in (duck, spark)
    ]
    assert _differences(duck, spark) == {}
    # the Spark night loaded one raw day, as DuckDB's did (its watermark read from Spark's files)
    assert nights[1].loaded == nights[0].loaded
    assert {counts["days"] for counts in nights[1].loaded.values()} == {1}


def test_a_late_row_on_spark_stops_with_what_to_do(raw_days: Path, tmp_path: Path):
    """Spark cannot mark a late row's active day (no UPDATE on Parquet): the build says so
    instead of counting a day twice."""
    raw = tmp_path / "raw"
    shutil.copytree(raw_days, raw)
    day = raw / f"day={FULL_BUILD_DATE - timedelta(days=1)}" / "activities.parquet"
    table = pq.read_table(day)  # pyarrow keeps the file's types (pandas would make ids floats)
    at = table.column("activity_at")
    two_days_late = pc.subtract(at, pa.scalar(timedelta(days=2), pa.duration(at.type.unit)))
    pq.write_table(table.set_column(table.schema.get_field_index("activity_at"), "activity_at",
                                    two_days_late), day)  # fmt: skip
    spark = _on(tmp_path / "spark", raw, "spark")
    with pytest.raises(Exception, match="late rows"):
        build_warehouse(
            spark, score_date=FULL_BUILD_DATE, full_refresh=True, capture=True,
            select="+int_activities_aggregated_to_customer_days",
        )  # fmt: skip
