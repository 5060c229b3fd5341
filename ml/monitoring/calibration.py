"""Drift levels calibrated on the model's own clean history, stored with the model version.

A fixed threshold (0.1 per feature, 0.05 for the score) is either too tight for a statistic
that moves every night or too loose for one that never moves. So at training the clean history
is replayed: the reference is the feature table's newest as-of date (what the model is about
to score), and every as-of date of the `calibration_days` before it is compared with it exactly
as a night will be. Each statistic gets

    expected(lag) = intercept + slope x lag     (lag: days between the reference and the night)
    warning(lag)  = expected(lag) + WARNING_SPREADS x spread
    alarm(lag)    = expected(lag) + ALARM_SPREADS x spread

fitted on those (lag, value) points. `slope` is how much the statistic grows as the model ages
(lifetime counts drift slowly with the calendar; the fit expects it instead of alarming on it);
`spread` is the clean points' scatter around that line, never below the statistic's sampling
noise at the sample size (a bootstrap of the reference).

Why the history looks backwards: a night `lag` days after the reference moves about as far from
it as a date `lag` days before it did, as long as the business is stationary. The statistics
are distances, so the direction does not matter, only how far apart the dates are.

Features that age by construction (the tenure family: one more day every day for every customer
who stays) are compared as of the reference date: a night's value minus the days since the
reference, leaving out customers first seen after it (their arrival shows in the segment mix).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
import pandas as pd

from ml.monitoring.distances import category_shares, column_distance, method_for
from ml.training.specs import ModelSpec

SCORE = "score"
# The drift panel: a date's customers in this order, the first `drift.sample_rows` of them. The
# reference, the calibration history and every night are sampled by it, so a night compares
# mostly the same customers as calibration did. md5, not DuckDB's hash: the warehouse's
# calibration spine draws the same panel on Spark (docs/spark.md); it costs 0.13 s per 1M rows.
PANEL_ORDER = "md5(cast(customer_id as varchar)), customer_id"
SHARE = "share"  # the method of a segment-mix statistic: a category's share, in percentage points
WARNING_SPREADS = 3.0
ALARM_SPREADS = 6.0
# The least move that warns or alarms, however quiet the clean history: below it a move is
# real but too small to act on (a fiftieth of a standard deviation; half a percentage point of
# the base). Distances first, then shares.
WARNING_FLOOR = {"distance": 0.02, SHARE: 0.005}
ALARM_FLOOR = {"distance": 0.05, SHARE: 0.02}
BOOTSTRAPS = 4
# A category the clean history never saw (a new channel): its share's own sampling noise.
UNSEEN_SHARE_SPREAD = 0.001


@dataclass(frozen=True)
class Level:
    """One statistic's clean behaviour and the levels that warn and alarm."""

    statistic: str
    method: str
    intercept: float
    slope: float
    spread: float
    points: int
    pinned: float | None = None

    def expected(self, lag: int) -> float:
        # days apart in either direction: calibration itself looks back, and a backfilled date
        # before the reference is as far from it as a night as many days after
        return self.intercept + self.slope * abs(lag)

    def _floor(self, floors: dict[str, float]) -> float:
        return floors[SHARE if self.method == SHARE else "distance"]

    def warning(self, lag: int) -> float:
        level = self.expected(lag) + max(WARNING_SPREADS * self.spread, self._floor(WARNING_FLOOR))
        return min(level, self.pinned) if self.pinned is not None else level

    def alarm(self, lag: int) -> float:
        if self.pinned is not None:
            return self.pinned
        return self.expected(lag) + max(ALARM_SPREADS * self.spread, self._floor(ALARM_FLOOR))


@dataclass(frozen=True)
class DriftCalibration:
    """What a model version's drift is measured against: its reference date, which features age
    with the calendar, and a level per statistic."""

    reference_date: date
    calibration_dates: tuple[date, ...]
    ageing_features: tuple[str, ...]
    levels: dict[str, Level]

    def level(self, statistic: str) -> Level:
        found = self.levels.get(statistic)
        if found is not None:
            return found
        # a category no clean date held: any share of it is news, beyond its sampling noise
        return Level(statistic, SHARE, 0.0, 0.0, UNSEEN_SHARE_SPREAD, 0)

    def lag(self, score_date: date) -> int:
        return (score_date - self.reference_date).days

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str, indent=1)

    @classmethod
    def from_json(cls, text: str) -> DriftCalibration:
        raw = json.loads(text)
        return cls(
            reference_date=date.fromisoformat(raw["reference_date"]),
            calibration_dates=tuple(date.fromisoformat(d) for d in raw["calibration_dates"]),
            ageing_features=tuple(raw["ageing_features"]),
            levels={k: Level(**v) for k, v in raw["levels"].items()},
        )


def as_of_reference(
    frame: pd.DataFrame, ageing: tuple[str, ...], night: date, reference_date: date
) -> pd.DataFrame:
    """`frame` (one as-of date's rows) with its ageing features as they stood on the reference
    date; after it, customers first seen since the reference are left out of those features."""
    days = (night - reference_date).days
    if not ageing or days == 0:
        return frame
    frame = frame.copy()
    for column in ageing:
        shifted = frame[column] - days
        frame[column] = shifted.where(shifted >= 0)  # null: not a customer yet on that date
    return frame


@dataclass(frozen=True)
class Measured:
    """One statistic of a date: its method and value (for a segment category, the two shares
    whose difference it is)."""

    method: str
    value: float
    before: float | None = None
    after: float | None = None


def statistics(
    spec: ModelSpec, reference: pd.DataFrame, current: pd.DataFrame
) -> dict[str, Measured]:
    """Every drift statistic of `current` against `reference`, by name.

    Features and the score are distances; each segment category is the move of its share.
    """
    found = {}
    for column in [*spec.features, SCORE]:
        categorical = column in spec.categorical_features
        found[column] = Measured(
            method_for(categorical),
            column_distance(reference[column], current[column], categorical),
        )
    for segment in spec.segments:
        shares = category_shares(reference[segment]), category_shares(current[segment])
        for category in shares[0].index.union(shares[1].index):
            before, after = (float(side.get(category, 0.0)) for side in shares)
            found[f"{segment}={category}"] = Measured(SHARE, abs(after - before), before, after)
    return found


def _fit(statistic: str, method: str, points: list[tuple[int, float]], noise: float) -> Level:
    lags = np.array([p[0] for p in points], dtype=float)
    values = np.array([p[1] for p in points], dtype=float)
    if len(points) >= 3 and np.ptp(lags) > 0:
        slope = max(float(np.polyfit(lags, values, 1)[0]), 0.0)
        intercept = max(float(values.mean() - slope * lags.mean()), 0.0)
        residuals = values - (intercept + slope * lags)
        scatter = float(np.sqrt((residuals**2).sum() / (len(points) - 2)))
    elif len(points):
        slope, intercept, scatter = 0.0, float(values.max()), float(values.std())
    else:
        slope, intercept, scatter = 0.0, noise, 0.0
    return Level(statistic, method, intercept, slope, max(scatter, noise), len(points))


def calibrate(
    spec: ModelSpec,
    history: pd.DataFrame,
    reference_date: date,
    ageing: tuple[str, ...],
    score: Callable[[pd.DataFrame], np.ndarray],
) -> tuple[DriftCalibration, pd.DataFrame]:
    """Replay the clean history against the reference date and fit each statistic's levels.

    Args:
        spec: The model spec (features, segments, sample size, pinned levels).
        history: Rows of the feature table, `as_of_date` plus the spec's features, for the
            reference date and the dates before it (each date at most `sample_rows` rows).
        reference_date: The newest as-of date: the model's reference.
        ageing: Features that age with the calendar (compared as of the reference date).
        score: The model's scoring function.

    Returns:
        The calibration and the reference sample (features and `score`) to store with it.
    """
    dates = pd.to_datetime(history.as_of_date).dt.date
    reference = history[dates == reference_date].drop(columns="as_of_date")
    if reference.empty:
        raise ValueError(f"no feature rows on the reference date {reference_date}")
    reference = reference.assign(score=score(reference))
    pairs: dict[str, list[tuple[int, float]]] = {}
    methods: dict[str, str] = {}
    calibration_dates = sorted(d for d in dates.unique() if d < reference_date)
    for night in calibration_dates:
        rows = history[dates == night].drop(columns="as_of_date")
        rows = rows.assign(score=score(rows))
        rows = as_of_reference(rows, ageing, night, reference_date)
        lag = (reference_date - night).days
        for name, measured in statistics(spec, reference, rows).items():
            pairs.setdefault(name, []).append((lag, measured.value))
            methods[name] = measured.method
    # sampling noise: the same distribution drawn again, at the size a night is compared at
    noise: dict[str, list[float]] = {}
    for seed in range(BOOTSTRAPS):
        again = reference.sample(len(reference), replace=True, random_state=seed)
        for name, measured in statistics(spec, reference, again).items():
            noise.setdefault(name, []).append(measured.value)
            methods.setdefault(name, measured.method)
    pinned = {SCORE: spec.drift.prediction_drift_threshold, **spec.drift.pinned}
    levels = {}
    for name, method in methods.items():
        level = _fit(name, method, pairs.get(name, []), float(np.mean(noise.get(name, [0.0]))))
        if pinned.get(name) is not None:
            level = Level(**{**asdict(level), "pinned": pinned[name]})
        levels[name] = level
    calibration = DriftCalibration(
        reference_date=reference_date,
        calibration_dates=tuple(calibration_dates),
        ageing_features=tuple(ageing),
        levels=levels,
    )
    return calibration, reference
