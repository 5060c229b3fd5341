"""Atomic publication: one Parquet file per (table, model, score date).

A date's file is written beside the tree and moved into place with one rename, so a reader
sees the old file or the new one, never half of either; a failure before the rename leaves
the last good file untouched. Readers use plain Parquet and never contend with the nightly
DuckDB writer.

    <published>/<table>/model=<name>/score_date=<YYYY-MM-DD>/<table>.parquet

Tables: `predictions` (one row per scored customer), `drift_history` (one row per model and
date), `feature_drift` (one row per feature), `performance_history` (realized metrics).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ml.config import Settings

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
    """Glob for readers: `read_parquet(glob)`; every file carries model_name and score_date."""
    return str(settings.published_dir / table / "*" / "*" / f"{table}.parquet")


def published_files(settings: Settings, table: str) -> list[Path]:
    return sorted(settings.published_dir.glob(f"{table}/*/*/{table}.parquet"))


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
    _remove_orphans(staging)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the writer's pid in the name: a file whose writer is gone is a killed publish's leftover
    temporary = staging / f"{os.getpid()}-{uuid.uuid4().hex}.parquet"
    try:
        if isinstance(rows, pd.DataFrame):
            rows = pa.Table.from_pandas(rows, schema=schema, preserve_index=False)
        pq.write_table(rows, temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)  # the atomic switch
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


def _writer_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


# Temporary files without a writer's pid (earlier versions) count as leftovers after this long.
STALE_STAGING_SECONDS = 3600


def _remove_orphans(staging: Path) -> None:
    """Delete temporary files left by a killed publish: their writer's process is gone (a
    live writer, this one or another model's, keeps its file)."""
    for leftover in staging.glob("*.parquet"):
        pid, _, rest = leftover.name.partition("-")
        with contextlib.suppress(FileNotFoundError):
            if rest and pid.isdigit():
                orphan = not _writer_alive(int(pid))
            else:
                orphan = leftover.stat().st_mtime < time.time() - STALE_STAGING_SECONDS
            if orphan:
                leftover.unlink()


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
    if not published_files(settings, table):
        return pd.DataFrame()
    where = "where model_name = $model" if model_name else ""
    with duckdb.connect() as con:
        return con.execute(
            "select * from read_parquet($files, hive_partitioning = false, "
            f"union_by_name = true) {where} order by score_date",
            {"files": published_glob(settings, table)}
            | ({"model": model_name} if model_name else {}),
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
    return pq.read_table(path, columns=columns)
