"""Atomic publication: one Parquet file per (table, model, score date).

A date's file is written beside the tree and switched in with one rename, so a reader sees
the old file or the new one, never half of either; a failure before the rename leaves the last
good file untouched. Readers use plain Parquet and never contend with the nightly DuckDB
writer. The name is a link to an immutable version (ml.scoring.file_versions): code that
queries published files gives DuckDB `pinned_files`, the versions, so a date republished while
it reads cannot change what it reads.

    <published>/<table>/model=<name>/score_date=<YYYY-MM-DD>/<table>.parquet

Tables: `predictions` (one row per scored customer), `drift_history` (one row per model and
date), `feature_drift` (one row per feature), `performance_history` (realized metrics).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ml.config import Settings
from ml.scoring.file_versions import pinned, remove_leftovers, swap_in, temporary_path

SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("score_date", pa.date32()),
        ("score", pa.float64()),
        ("risk_band", pa.string()),
        ("model_name", pa.string()),
        ("model_version", pa.int64()),
        ("feature_version", pa.int64()),
        ("reasons", pa.list_(pa.string())),
        ("is_shadow", pa.bool_()),
    ]
)


def published_path(settings: Settings, table: str, model_name: str, score_date: date) -> Path:
    return (
        settings.published_dir / table / f"model={model_name}"
        / f"score_date={score_date.isoformat()}" / f"{table}.parquet"
    )  # fmt: skip


def published_glob(settings: Settings, table: str) -> str:
    """Glob over a table's names, for people at a prompt; every file carries model_name and
    score_date. Code queries `pinned_files` instead (see the module docstring)."""
    return str(settings.published_dir / table / "*" / "*" / f"{table}.parquet")


def published_files(settings: Settings, table: str) -> list[Path]:
    return sorted(settings.published_dir.glob(f"{table}/*/*/{table}.parquet"))


def pinned_files(settings: Settings, table: str) -> list[str]:
    """The versions a table's files are now: what a query reads (empty before any)."""
    return [pinned(path) for path in published_files(settings, table)]


def published_dates(settings: Settings, table: str, model_name: str) -> list[date]:
    """The score dates published for a model, oldest first (typed, not path strings)."""
    folder = settings.published_dir / table / f"model={model_name}"
    return sorted(
        date.fromisoformat(part.name.removeprefix("score_date="))
        for part in folder.glob("score_date=*")
        if (part / f"{table}.parquet").exists()
    )


def prediction_path(settings: Settings, model_name: str, score_date: date) -> Path:
    return published_path(settings, "predictions", model_name, score_date)


def predictions_glob(settings: Settings) -> str:
    return published_glob(settings, "predictions")


def publish_table(
    settings: Settings,
    table: str,
    rows: pd.DataFrame | pa.Table,
    model_name: str,
    score_date: date,
    schema: pa.Schema | None = None,
) -> Path:
    """Replace one (table, model, score date) file atomically.

    Args:
        settings: Where published files live.
        table: Table name (a folder under the published directory).
        rows: Rows for exactly this model and score date.
        model_name: The spec name.
        score_date: The date being replaced.
        schema: Arrow schema to write with (inferred when None).

    Returns:
        The published file.
    """
    target = published_path(settings, table, model_name, score_date)
    staging = settings.published_dir / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    remove_leftovers(staging, "*.parquet")  # a killed publish's
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(staging, ".parquet")
    try:
        if isinstance(rows, pd.DataFrame):
            rows = pa.Table.from_pandas(rows, schema=schema, preserve_index=False)
        pq.write_table(rows, temporary)
        swap_in(settings.published_dir, target, temporary)
    except OSError as exc:
        raise PublishError(
            f"could not publish {table} of {model_name} for {score_date} ({exc.strerror or exc}); "
            f"readers still see the previous {target.name} of that date, if any. Free space or "
            f"fix access under {settings.published_dir} and rerun the night."
        ) from exc
    finally:
        temporary.unlink(missing_ok=True)
    return target


class PublishError(RuntimeError):
    """A publication could not be written; nothing readers see has changed."""


def publish_predictions(
    settings: Settings, predictions: pd.DataFrame | pa.Table, model_name: str, score_date: date
) -> Path:
    """Replace one score date's published predictions for one model, atomically.

    Raises:
        ValueError: the rows belong to another model or date (nothing is written).
    """
    rows = (
        predictions
        if isinstance(predictions, pa.Table)
        else pa.Table.from_pandas(predictions, schema=SCHEMA, preserve_index=False)
    )
    models = pc.unique(rows["model_name"]).to_pylist()
    dates = pc.unique(rows["score_date"]).to_pylist()
    if models != [model_name] or dates != [score_date]:
        raise ValueError(f"rows for another model or date than {model_name} {score_date}")
    return publish_table(settings, "predictions", rows, model_name, score_date)


def read_published(settings: Settings, table: str, model_name: str | None = None) -> pd.DataFrame:
    """A published table across dates (empty before anything is published), oldest first."""
    files = pinned_files(settings, table)
    if not files:
        return pd.DataFrame()
    where = "where model_name = $model" if model_name else ""
    with duckdb.connect() as con:
        return con.execute(
            "select * from read_parquet($files, hive_partitioning = false, "
            f"union_by_name = true) {where} order by score_date",
            {"files": files} | ({"model": model_name} if model_name else {}),
        ).df()


def read_published_file(
    settings: Settings,
    table: str,
    model_name: str,
    score_date: date,
    columns: list[str] | None = None,
) -> pa.Table:
    """One published file as an Arrow table (only `columns`, if given).

    Raises:
        FileNotFoundError: nothing is published for that model and date; names the file.
    """
    path = published_path(settings, table, model_name, score_date)
    if not path.exists():
        raise FileNotFoundError(f"nothing published at {path}: materialize {table} first")
    return pq.read_table(pinned(path), columns=columns)
