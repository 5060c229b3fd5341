"""Atomic publication of predictions: one Parquet file per (model, score date).

A date's file is written beside the tree and moved into place with one rename, so a reader
sees the old file or the new one, never half of either; a failure before the rename leaves
the last good file untouched. Readers use plain Parquet and never contend with the nightly
DuckDB writer.

    <published>/predictions/model=<name>/score_date=<YYYY-MM-DD>/predictions.parquet
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
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


def prediction_path(settings: Settings, model_name: str, score_date: date) -> Path:
    return (
        settings.published_dir / "predictions" / f"model={model_name}"
        / f"score_date={score_date.isoformat()}" / "predictions.parquet"
    )  # fmt: skip


def predictions_glob(settings: Settings) -> str:
    """Glob for readers: `read_parquet(glob, hive_partitioning = true)`."""
    return str(settings.published_dir / "predictions" / "*" / "*" / "predictions.parquet")


def publish_predictions(
    settings: Settings, predictions: pd.DataFrame, model_name: str, score_date: date
) -> Path:
    """Replace one score date's published predictions for one model, atomically.

    Args:
        settings: Where published files live.
        predictions: Rows for exactly this model and score date.
        model_name: The spec name.
        score_date: The date being replaced.

    Returns:
        The published file.

    Raises:
        ValueError: the rows belong to another model or date (nothing is written).
    """
    if set(predictions.model_name) != {model_name} or set(predictions.score_date) != {score_date}:
        raise ValueError(f"rows for another model or date than {model_name} {score_date}")
    target = prediction_path(settings, model_name, score_date)
    staging = settings.published_dir / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = staging / f"{uuid.uuid4().hex}.parquet"
    try:
        table = pa.Table.from_pandas(predictions, schema=SCHEMA, preserve_index=False)
        pq.write_table(table, temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)  # the atomic switch
    finally:
        temporary.unlink(missing_ok=True)
    return target
