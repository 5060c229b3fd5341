"""Batch scoring: the champion scores the scoring input; the challenger scores it in shadow."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ml.config import Settings
from ml.monitoring.calibration import PANEL_ORDER
from ml.training import registry
from ml.training.registry import CHALLENGER, CHAMPION, LoadedModel, RegistryError
from ml.training.specs import ModelSpec
from ml.warehouse.dbt_runner import connect_read_only
from ml.warehouse.frames import to_frame

log = logging.getLogger(__name__)

PREDICTION_COLUMNS = [
    "customer_id", "score_date", "score", "risk_band", "model_name", "model_version",
    "feature_version", "reasons", "is_shadow",
]  # fmt: skip


class ScoringInputError(ValueError):
    """The scoring input is missing, empty, duplicated, or of another feature version."""


@dataclass(frozen=True)
class ScoringResult:
    predictions: pd.DataFrame
    score_date: date
    champion_version: int
    challenger_version: int | None
    high_risk: int  # served rows at or above the threshold
    challenger_served: int = 0  # customers in the challenger's A/B arm


SCORING_SPINE = "int_customer_dates_scoring_spine"


def read_scoring_input(
    settings: Settings,
    spec: ModelSpec,
    expected_date: date | None = None,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The score date's features of every customer in the base, from the spec's feature version.

    The same table training reads, restricted to the scoring spine: one feature definition.

    Args:
        settings: Warehouse location.
        spec: The model spec (names the feature version).
        expected_date: The score date the caller is scoring; the input must be as of it.
        features: Read only these features (with the id and date); default all. The models'
            own features are a fraction of a version's columns, and converting the rest to
            pandas cost a 1M-customer night a second.

    Raises:
        ScoringInputError: missing table, no rows, several or unexpected dates, duplicate or
            null ids.
    """
    try:
        with connect_read_only(settings) as con:
            wanted = (
                "*"
                if features is None
                else ", ".join(["customer_id", "as_of_date", *sorted(set(features))])
            )
            rows = con.sql(
                f"""
                select {wanted} from {spec.feature_relation}
                -- the score date's rows: the scoring spine's customers (training rows of that
                -- date, if any, are customers of the same base)
                where as_of_date = (select max(as_of_date) from {SCORING_SPINE})
                """
            )
            frame = to_frame(rows)
    except duckdb.CatalogException as exc:
        raise ScoringInputError(
            f"{spec.feature_relation} or {SCORING_SPINE} is not in the warehouse: run "
            "`scoreline build`"
        ) from exc
    except duckdb.BinderException as exc:
        raise ScoringInputError(
            f"{spec.feature_relation} lacks a feature the model reads ({exc}): retrain the "
            "model on this feature version"
        ) from exc
    problems = []
    if frame.empty:
        problems.append("it has no rows")
    else:
        if frame.as_of_date.nunique() != 1:
            problems.append(f"it holds {frame.as_of_date.nunique()} as-of dates, expected one")
        elif expected_date is not None and frame.as_of_date.iloc[0].date() != expected_date:
            problems.append(
                f"it is as of {frame.as_of_date.iloc[0].date()}, not {expected_date}: build the "
                f"warehouse for {expected_date} first"
            )
        if frame.customer_id.isna().any():
            problems.append(f"{int(frame.customer_id.isna().sum())} rows have no customer_id")
        duplicated = frame.customer_id.duplicated()
        if duplicated.any():
            problems.append(
                f"{int(duplicated.sum())} duplicate customer_id(s), "
                f"e.g. {frame.customer_id[duplicated].iloc[0]}"
            )
    if problems:
        raise ScoringInputError(
            f"scoring input from {spec.feature_relation} fails its contract: " + "; ".join(problems)
        )
    return frame.assign(feature_version=spec.feature_version)


def read_scoring_panel(
    settings: Settings, spec: ModelSpec, score_date: date, scored: pa.Table, model_version: int
) -> pd.DataFrame:
    """The drift panel of a scored date (ml.monitoring.calibration.PANEL_ORDER), with its
    features and `model_version`'s score. Drift reads this, not the whole scoring input: at 1M
    customers, loading every row into pandas cost more than the drift itself."""
    with connect_read_only(settings) as con:
        con.register("scored", scored)
        rows = con.sql(
            f"""
            with panel as (
                select * from {spec.feature_relation}
                where as_of_date = $score_date
                order by {PANEL_ORDER}
                limit $rows
            )
            select panel.*, scored.score
            from panel
            inner join scored
                on scored.customer_id = cast(panel.customer_id as varchar)
                and scored.model_version = $version
            """,
            params={
                "score_date": score_date,
                "rows": spec.drift.sample_rows,
                "version": model_version,
            },
        )
        frame = to_frame(rows)
    if frame.empty:
        raise ScoringInputError(
            f"no scored rows of {spec.name} v{model_version} in {spec.feature_relation} on "
            f"{score_date}: materialize {spec.name}/predictions for {score_date} first"
        )
    return frame


def scoring_input_rows(settings: Settings, spec: ModelSpec) -> int:
    """Customers in the base on the score date: the rows an independent check expects scored."""
    with connect_read_only(settings) as con:
        return con.execute(f"select count(*) from {SCORING_SPINE}").fetchone()[0]


def _require_feature_version(spec: ModelSpec, loaded: LoadedModel) -> None:
    if loaded.feature_version != spec.feature_version:
        raise ScoringInputError(
            f"{spec.name} v{loaded.version} was trained on feature version "
            f"v{loaded.feature_version}, the spec scores v{spec.feature_version}: "
            "retrain the model or score the matching input"
        )


# A/B slices are set in steps of 1/10,000 of the customers.
SLICES = 10_000


def challenger_arm(customer_ids: pd.Series, share: float) -> np.ndarray:
    """True for the customers served the challenger: a stable hash of the id (the same
    customers night after night, whatever the row order), so each arm's realized outcomes can
    be compared later. `share` 0 gives nobody."""
    if share <= 0 or customer_ids.empty:
        return np.zeros(len(customer_ids), dtype=bool)
    hashed = pd.util.hash_pandas_object(customer_ids.astype(str), index=False).to_numpy()
    return (hashed % SLICES) < round(share * SLICES)


def predict(
    spec: ModelSpec, loaded: LoadedModel, frame: pd.DataFrame, served: bool | np.ndarray
) -> pd.DataFrame:
    """Prediction rows for one model; rows not served are shadow rows. Reasons only for the
    served high-risk rows (what readers and Redis show)."""
    _require_feature_version(spec, loaded)
    served = np.broadcast_to(np.asarray(served, dtype=bool), (len(frame),))
    scores = loaded.model.predict_proba(frame)[:, 1]
    # one shared empty list for the rows without reasons, never mutated: building a list per
    # row cost a 1M-customer night over a second
    reasons: list[list[str]] = [[]] * len(frame)
    high = np.flatnonzero((scores >= spec.high_risk_threshold) & served)
    if high.size:
        # Contributions cost ~100x a plain prediction: compute them where they are used.
        for position, row_reasons in zip(high, loaded.model.reasons(frame.iloc[high]), strict=True):
            reasons[position] = row_reasons
    return pd.DataFrame(
        {
            "customer_id": frame.customer_id.astype(str).to_numpy(),
            "score_date": _dates(frame.as_of_date),
            "score": scores.astype("float64"),
            "risk_band": spec.risk_band(scores),
            "model_name": spec.name,
            "model_version": loaded.version,
            "feature_version": spec.feature_version,
            "reasons": reasons,
            "is_shadow": ~served,
        },
        columns=PREDICTION_COLUMNS,
    )


def _dates(as_of: pd.Series) -> np.ndarray:
    """Each row's date as a `date`; a scoring input holds one, so it is converted once (per
    row, converting cost a 1M-customer night ~0.15 s a model)."""
    if as_of.nunique() == 1:
        return np.full(len(as_of), pd.Timestamp(as_of.iloc[0]).date(), dtype=object)
    return pd.to_datetime(as_of).dt.date.to_numpy()


def score(spec: ModelSpec, settings: Settings, score_date: date | None = None) -> ScoringResult:
    """Score every customer in the scoring input with the champion (+ challenger in shadow).

    Raises:
        RegistryError: no champion, or it will not load.
        ScoringInputError: the input fails its contract or does not match the model.
    """
    client = registry.connect(settings)
    champion = registry.load_model(client, spec, CHAMPION)
    _require_feature_version(spec, champion)
    challenger = None
    challenger_version = registry.alias_version(client, spec, CHALLENGER)
    if challenger_version is not None and challenger_version != champion.version:
        try:
            challenger = registry.load_model(client, spec, CHALLENGER)
            _require_feature_version(spec, challenger)
        except (RegistryError, ScoringInputError) as exc:
            # The challenger must never stop the champion's scores from publishing.
            log.warning("challenger skipped: %s", exc)
            challenger = None
    models = [champion, *([challenger] if challenger is not None else [])]
    frame = read_scoring_input(
        settings, spec, score_date, [f for loaded in models for f in loaded.model.features]
    )
    # Without a challenger (or an A/B test) the champion serves everyone, the challenger is
    # scored in shadow; with one, each serves its arm and is shadow on the other.
    arm = challenger_arm(frame.customer_id, spec.ab_test.challenger_share if challenger else 0)
    parts = [predict(spec, champion, frame, served=~arm)]
    if challenger is not None:
        parts.append(predict(spec, challenger, frame, served=arm))
    predictions = pd.concat(parts, ignore_index=True)
    served = predictions[~predictions.is_shadow]
    return ScoringResult(
        predictions=predictions,
        score_date=served.score_date.iloc[0],
        champion_version=champion.version,
        challenger_version=challenger_version if challenger is not None else None,
        high_risk=int((served.score >= spec.high_risk_threshold).sum()),
        challenger_served=int(arm.sum()),
    )
