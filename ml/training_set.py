"""Read the point-in-time training set dbt built for a spec, and split it by time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from ml.specs import ModelSpec


class TrainingSetError(ValueError):
    """The training set is missing, empty, or built from another feature version."""


@dataclass(frozen=True)
class TimeSplit:
    """Older as-of dates train (the newest of them stops early); the newest validate."""

    train: pd.DataFrame
    early_stopping: pd.DataFrame
    validation: pd.DataFrame

    @property
    def validation_dates(self) -> list[date]:
        return sorted(self.validation.as_of_date.dt.date.unique())


def load_training_set(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> pd.DataFrame:
    """The spec's training set (features + label) as dbt built it.

    Args:
        con: Warehouse connection (read-only is enough).
        spec: Which training set and feature version.

    Returns:
        One row per labelled (customer, as-of date).

    Raises:
        TrainingSetError: missing table, no rows, or a feature version other than the spec's.
    """
    try:
        # In grain order: the warehouse keeps rows in no fixed order, and LightGBM's result
        # depends on row order, so the same training set must always train the same model.
        frame = con.sql(
            f"select * from {spec.training_set_model} order by as_of_date, customer_id"
        ).df()
    except duckdb.CatalogException as exc:
        raise TrainingSetError(
            f"training set '{spec.training_set_model}' is not in the warehouse: run "
            "`scoreline build` (without --nightly) first"
        ) from exc
    if frame.empty:
        raise TrainingSetError(
            f"{spec.training_set_model} has no rows: no as-of date has a fully passed label "
            "window yet; load more history"
        )
    versions = set(frame.feature_version.unique())
    if versions != {spec.feature_version}:
        raise TrainingSetError(
            f"{spec.training_set_model} holds feature version(s) {sorted(versions)}, "
            f"spec '{spec.name}' expects v{spec.feature_version}"
        )
    return frame


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
            f"have {len(dates)}; load more history"
        )
    validation_from = dates[-validation_dates]
    early_stopping_date = dates[-validation_dates - 1]
    return TimeSplit(
        train=frame[frame.as_of_date < early_stopping_date],
        early_stopping=frame[frame.as_of_date == early_stopping_date],
        validation=frame[frame.as_of_date >= validation_from],
    )
