"""The read model: what readers need from the warehouse, as Parquet swapped in once a night.

DuckDB lets one process write a database file, and while it writes no other process can open
it, not even read-only: during one measured night 73 of 481 reader opens failed in the ~21 s
the dbt step held the warehouse. So readers never open the warehouse. Each night, after the
dbt models are built, this copies the few tables readers join (customer attributes, the
quarantine counts, realized labels) to Parquet beside the published predictions, each written
aside and switched in with one rename, as published tables are (ml.scoring.file_versions). A
reader sees the previous night's file until the new one is whole, never part of one.

For people who write SQL, `published/scoreline.duckdb` holds views over every published table
and the read model (rebuilt and swapped the same way): `duckdb -readonly` on it never meets the
nightly writer, because it holds no data of its own. Its views list the versions current when
it was written, so a query on them never reads a file a night is replacing; whatever changes
the published files rewrites it.

    <published>/read_model/<table>.parquet
    <published>/scoreline.duckdb
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from ml.config import Settings
from ml.ingest.business import load_business
from ml.scoring.file_versions import pinned, remove_leftovers, swap_in, temporary_path
from ml.scoring.publish import pinned_files
from ml.warehouse.dbt_runner import connect_read_only

READ_MODEL = "read_model"
SQL_DATABASE = "scoreline.duckdb"
# Tables published per night (predictions, drift, performance) that the SQL views cover.
PUBLISHED_TABLES = ("predictions", "drift_history", "feature_drift", "performance_history")


@dataclass(frozen=True)
class ReadModelTable:
    name: str
    relation: str  # the warehouse relation it copies
    columns: str  # what readers need of it (customer ids as text, as in predictions)


def read_model_tables(settings: Settings) -> list[ReadModelTable]:
    """The warehouse tables readers join, with only the columns they read."""
    attributes = load_business(settings.business_dir).customers.attributes
    customer_columns = ", ".join(
        ["cast(customer_id as varchar) as customer_id", "first_seen_at", *attributes]
    )
    return [
        ReadModelTable("customers", "int_customers", customer_columns),
        ReadModelTable("quarantine_summary", "quarantine_summary", "*"),
        ReadModelTable(
            "realized_labels",
            "realized_labels",
            "model_name, cast(customer_id as varchar) as customer_id, as_of_date, label",
        ),  # fmt: skip
    ]


def read_model_path(settings: Settings, table: str) -> Path:
    return settings.published_dir / READ_MODEL / f"{table}.parquet"


def sql_database_path(settings: Settings) -> Path:
    return settings.published_dir / SQL_DATABASE


def refresh_read_model(settings: Settings) -> dict[str, int]:
    """Copy the read model's tables out of the warehouse, each swapped in whole, then rebuild
    the SQL views. Call it when no writer holds the warehouse (after a night's dbt step).

    Returns:
        Rows per table copied (a table the warehouse does not hold yet is skipped: realized
        labels exist once a published date has matured).
    """
    folder = settings.published_dir / READ_MODEL
    folder.mkdir(parents=True, exist_ok=True)
    remove_leftovers(folder, ".*.parquet")  # a killed refresh's
    rows = {}
    with connect_read_only(settings) as con:
        present = {name for (name,) in con.execute("select table_name from duckdb_tables()"
                                                   " union select view_name from duckdb_views()"
                                                   ).fetchall()}  # fmt: skip
        for table in read_model_tables(settings):
            if table.relation not in present:
                continue
            target = read_model_path(settings, table.name)
            aside = temporary_path(folder, ".parquet", hidden=True)
            try:
                # relation and columns come from this module and the validated vocabulary
                relation = con.sql(f"select {table.columns} from {table.relation}")
                relation.write_parquet(str(aside), compression="zstd")
                rows[table.name] = pq.read_metadata(aside).num_rows
                swap_in(settings.published_dir, target, aside)
            finally:
                aside.unlink(missing_ok=True)
    write_sql_database(settings)
    return rows


def write_sql_database(settings: Settings) -> Path:
    """A DuckDB file of views over the published tables and the read model, swapped in whole:
    a place to write SQL that never waits for the nightly writer. Each view lists the files'
    current versions (see the module docstring)."""
    target = sql_database_path(settings)
    aside = target.with_name(f".{SQL_DATABASE}-{uuid.uuid4().hex}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # one writer at a time, each listing the versions after taking the lock: the last file
    # swapped in lists every version switched in before it (two specs publish at once)
    with open(target.with_name(f".{SQL_DATABASE}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _write_views(settings, target, aside)
    return target


def _write_views(settings: Settings, target: Path, aside: Path) -> None:
    try:
        with duckdb.connect(str(aside)) as con:
            for table in PUBLISHED_TABLES:
                if files := pinned_files(settings, table):
                    con.execute(
                        f"create view {table} as select * from read_parquet({_list(files)}, "
                        "hive_partitioning = false, union_by_name = true)"
                    )
            for table in read_model_tables(settings):
                path = read_model_path(settings, table.name)
                if path.exists():
                    con.execute(
                        f"create view {table.name} as select * from read_parquet("
                        f"{_literal(pinned(path))})"
                    )
        os.replace(aside, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            aside.unlink()
        with contextlib.suppress(FileNotFoundError):
            aside.with_name(aside.name + ".wal").unlink()


def _list(paths: list[str]) -> str:
    return "[" + ", ".join(map(_literal, paths)) + "]"


def _literal(path: Path | str) -> str:
    """A path as an SQL string literal: a view keeps its file path in its definition, where no
    parameter can go (paths come from Settings, quotes doubled all the same)."""
    return "'" + str(path).replace("'", "''") + "'"
