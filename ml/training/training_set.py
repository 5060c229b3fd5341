"""A spec's point-in-time training set: its labels joined to its feature version, split by time.

dbt builds both halves: `training_labels` (every spec's labels, one row per model, customer and
as-of date whose label window has passed) and the feature version's table (the one scoring
reads). This module only joins them on (customer, as-of date); it computes no feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from ml.monitoring.calibration import PANEL_ORDER
from ml.training.specs import ModelSpec
from ml.warehouse.frames import to_frame

LABELS = "training_labels"
TRAINING_SPINE = "int_customer_dates_training_spine"


class TrainingSetError(ValueError):
    """The training set is missing, empty, single-class, or too short to split by time."""


@dataclass(frozen=True)
class TimeSplit:
    """Older as-of dates train (the newest of them stops early); the newest validate."""

    train: pd.DataFrame
    early_stopping: pd.DataFrame
    validation: pd.DataFrame

    @property
    def validation_dates(self) -> list[date]:
        return sorted(self.validation.as_of_date.dt.date.unique())


def _relation_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    (found,) = con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchall()
    return bool(found[0])


def load_training_set(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> pd.DataFrame:
    """The spec's labelled rows with their features as of the same (customer, as-of date).

    Args:
        con: Warehouse connection (read-only is enough).
        spec: Which labels (its name) and which feature version.

    Returns:
        One row per labelled (customer, as-of date), in grain order: the feature columns, `label`,
        `label_window_end_date` and `feature_version`.

    Raises:
        TrainingSetError: a table is missing, no label window has closed yet (naming the as-of
            dates available and the longest horizon that would fit), or one class only.
    """
    for relation, build in ((spec.feature_relation, "the warehouse"), (LABELS, "training labels")):
        if not _relation_exists(con, relation):
            raise TrainingSetError(
                f"'{relation}' is not in the warehouse: build {build} first (`scoreline build`, "
                "or the training job, which builds the labels)"
            )
    # In grain order: the warehouse keeps rows in no fixed order, and LightGBM's result depends
    # on row order, so the same training set must always train the same model.
    rows = con.sql(
        f"""
        select features.*, labels.label, labels.label_window_end_date
        from {spec.feature_relation} as features
        inner join {LABELS} as labels
            on labels.customer_id = features.customer_id
            and labels.as_of_date = features.as_of_date
        where labels.model_name = $model
        order by features.as_of_date, features.customer_id
        """,
        params={"model": spec.name},
    )
    frame = to_frame(rows)
    if frame.empty:
        raise TrainingSetError(_no_ripe_window_message(con, spec))
    if frame.label.nunique() < 2:
        only = int(frame.label.iloc[0])
        raise TrainingSetError(
            f"{spec.name}: all {len(frame):,} training labels are {only} "
            f"({spec.label.kind}, {spec.label.horizon_days}-day horizon): a model needs both "
            "outcomes. "
            + (
                "No customer's contract ended in any window: does the business's ending activity "
                "appear in the raw data?"
                if spec.label.kind == "contractual_churn" and only == 0
                else "Check the label's activities against the raw data, or its horizon."
            )
        )
    return frame.assign(feature_version=spec.feature_version)


def _no_ripe_window_message(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> str:
    """Why a spec has no labelled row: which as-of dates exist and what horizon would fit."""
    label = spec.label
    dates = [
        row[0]
        for row in con.execute(
            f"select distinct as_of_date from {TRAINING_SPINE} order by 1"
        ).fetchall()
    ]
    ((loaded,),) = con.execute("select max(loaded_date) from raw_row_reconciliation").fetchall()
    if not dates or loaded is None:
        return (
            f"{spec.name}: no training as-of dates in the warehouse yet: load more history "
            "(the first as-of date comes `training_min_history_days` after the first raw day)"
        )
    cutoff = loaded + timedelta(days=1)
    grid = [d for d in dates if (d - dates[0]).days % label.as_of_step_days == 0] or dates
    needed = spec.validation_as_of_dates + 2
    fits = (cutoff - grid[needed - 1]).days if len(grid) >= needed else None
    return (
        f"{spec.name}: no training as-of date has a label window that closes on or before the "
        f"score date {cutoff}: its horizon is {label.horizon_days} days, and the as-of dates run "
        f"from {grid[0]} to {grid[-1]} (every {label.as_of_step_days} days). "
        + (
            f"The longest horizon with the {needed} closed as-of dates a time split needs is "
            f"{fits} days; shorten `label.horizon_days`, or score a later date."
            if fits and fits > 0
            else f"A time split needs {needed} as-of dates with closed windows: load more history."
        )
    )


def split_by_time(frame: pd.DataFrame, validation_dates: int) -> TimeSplit:
    """Validate on the newest as-of dates; never shuffle rows across time.

    Args:
        frame: Training set rows.
        validation_dates: How many of the newest as-of dates to hold out for validation.

    Returns:
        Train rows, an early-stopping slice (the newest training date), validation rows.
    """
    dates = sorted(frame.as_of_date.unique())
    if len(dates) < validation_dates + 2:
        raise TrainingSetError(
            f"need at least {validation_dates + 2} labelled as-of dates for a time split, "
            f"have {len(dates)}; load more history or shorten the label horizon"
        )
    validation_from = dates[-validation_dates]
    early_stopping_date = dates[-validation_dates - 1]
    return TimeSplit(
        train=frame[frame.as_of_date < early_stopping_date],
        early_stopping=frame[frame.as_of_date == early_stopping_date],
        validation=frame[frame.as_of_date >= validation_from],
    )


def load_feature_history(
    con: duckdb.DuckDBPyConnection, spec: ModelSpec
) -> tuple[date, pd.DataFrame]:
    """The feature table's newest as-of date and a sample of the as-of dates of the spec's
    `drift.calibration_days` before it: every day of the newest `calibration_daily_days`, every
    7th before (drift calibration replays them: ml/monitoring/calibration.py).

    Each date's sample is its drift panel (ml.monitoring.calibration.PANEL_ORDER).

    Returns:
        The reference date and `as_of_date` plus the spec's features, at most `rows_per_date`
        rows per date.
    """
    columns = ", ".join(spec.features)
    days, daily_days = spec.drift.calibration_days, spec.drift.calibration_daily_days
    rows_per_date = spec.drift.sample_rows
    ((newest,),) = con.execute(f"select max(as_of_date) from {spec.feature_relation}").fetchall()
    if newest is None:
        raise TrainingSetError(f"{spec.feature_relation} holds no rows: build the warehouse first")
    rows = con.sql(
        f"""
        select as_of_date, {columns}
        from {spec.feature_relation}
        where as_of_date between $newest - to_days($days) and $newest
            and (
                as_of_date >= $newest - to_days($daily)
                or datediff('day', as_of_date, $newest) % 7 = 0
            )
        qualify row_number() over (partition by as_of_date order by {PANEL_ORDER}) <= $rows
        order by as_of_date, customer_id
        """,
        params={"newest": newest, "days": days, "daily": daily_days, "rows": rows_per_date},
    )
    return newest, to_frame(rows)
