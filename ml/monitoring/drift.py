"""Drift of a score date's inputs and scores against the champion's reference, judged by levels
calibrated on the model's own clean history (ml/monitoring/calibration.py).

Statistics: per feature and for the score, the distance Evidently's report shows (normed
Wasserstein for numbers, Jensen-Shannon for categories; ml/monitoring/distances.py); per
segment category (`channel=partner_app`), the move of its share of the scored base. Each is
compared with its calibrated levels at the model's age (days since its reference date):

- alarm: a statistic at its alarm level, or `drift.feature_drift_share` of the features (two at
  least) at their warning level. An alarm may retrain the model (the retraining sensor, per spec).
- warning: a statistic at its warning level, or one that rose `drift.trend_nights` nights in a
  row by more than its clean trend explains, to well above its clean level. A warning never
  retrains; it is news.

Every verdict says which statistic moved and by how much, in words, for the Drift page and the
app's health banner.

Sizing: both sides are `drift.sample_rows` customers (20,000 by default), the first by a hash
of their id: the same panel the calibration replayed, so a night's noise is the calibrated
noise. Evidently 0.7 is pandas-only and slow on millions of rows, and at 20,000 rows a
statistic's sampling noise (measured at calibration) is far below the moves that matter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ml.monitoring.calibration import (
    PANEL_ORDER,
    SCORE,
    SHARE,
    DriftCalibration,
    Measured,
    as_of_reference,
    statistics,
)
from ml.training.specs import ModelSpec
from ml.warehouse.frames import to_frame

OK, WARNING, ALARM = "ok", "warning", "alarm"
TREND_SPREADS = 2.0  # a run of rises must beat the clean trend by this many spreads


@dataclass(frozen=True)
class FeatureDrift:
    """One statistic on one night: a feature, the score, or a segment category's share."""

    feature: str
    method: str
    value: float
    expected: float
    warning_level: float
    threshold: float  # the alarm level
    status: str
    reference_share: float | None = None
    current_share: float | None = None

    @property
    def drifted(self) -> bool:
        return self.status != OK

    def in_words(self) -> str:
        if self.method == SHARE:
            segment, _, category = self.feature.partition("=")
            return (
                f"customers with {segment} {category}: {self.reference_share:.1%} -> "
                f"{self.current_share:.1%} of the scored base (a clean night moves it "
                f"{self.expected:.1%}, {self.status} at {self._level():.1%})"
            )
        what = "the score" if self.feature == SCORE else self.feature
        return (
            f"{what} moved {self.value:.3f} (clean: {self.expected:.3f}, {self.status} at "
            f"{self._level():.3f})"
        )

    def _level(self) -> float:
        return self.threshold if self.status == ALARM else self.warning_level


@dataclass(frozen=True)
class DriftResult:
    model_name: str
    score_date: date
    model_version: int
    reference_date: date
    reference_rows: int
    current_rows: int
    share_drifted: float
    prediction_drift: float
    status: str
    reasons: list[str]
    warnings: list[str]
    features: list[FeatureDrift] = field(default_factory=list)
    report_html: str = ""

    @property
    def alarm(self) -> bool:
        return self.status == ALARM

    @property
    def lag_days(self) -> int:
        return (self.score_date - self.reference_date).days

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted and f.method != SHARE]

    def history_row(self) -> pd.DataFrame:
        """One row for the drift history table."""
        return pd.DataFrame(
            [
                {
                    "model_name": self.model_name,
                    "score_date": self.score_date,
                    "model_version": self.model_version,
                    "lag_days": self.lag_days,
                    "reference_rows": self.reference_rows,
                    "current_rows": self.current_rows,
                    "share_drifted": self.share_drifted,
                    "drifted_features": self.drifted_features,
                    "prediction_drift": self.prediction_drift,
                    "status": self.status,
                    "alarm": self.alarm,
                    "reasons": self.reasons,
                    "warnings": self.warnings,
                    "report_html": self.report_html,
                }
            ]
        )

    def feature_rows(self) -> pd.DataFrame:
        """One row per statistic for the feature drift table."""
        return pd.DataFrame(
            [
                {
                    "model_name": self.model_name,
                    "score_date": self.score_date,
                    "model_version": self.model_version,
                    "lag_days": self.lag_days,
                    **asdict(f),
                    "drifted": f.drifted,
                }
                for f in self.features
            ]
        )


def report_paths(reports_dir: Path, model_name: str, score_date: date) -> tuple[Path, Path]:
    """Where a date's HTML report and its JSON metrics go."""
    folder = reports_dir / "drift" / model_name
    stem = f"{score_date.isoformat()}"
    return folder / f"{stem}.html", folder / f"{stem}.json"


def _sample(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    return frame.sample(rows, random_state=0) if len(frame) > rows else frame


def panel_sample(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The night's drift panel (calibration.PANEL_ORDER): its noise is the noise the levels
    were calibrated on."""
    if len(frame) <= rows:
        return frame
    with duckdb.connect() as con:
        con.register("night", frame)
        return to_frame(
            con.sql(
                f"select * from night order by {PANEL_ORDER} limit $rows", params={"rows": rows}
            )
        )


def _worst_first(found: list[FeatureDrift], shown: int = 3) -> list[str]:
    """The statistics furthest beyond their level, in words; the rest counted."""
    found = sorted(found, key=lambda d: d.value / max(d._level(), 1e-9), reverse=True)
    said = [d.in_words() for d in found[:shown]]
    if len(found) > shown:
        rest = found[shown:]
        said.append(f"and {len(rest)} more: " + ", ".join(d.feature for d in rest))
    return said


def _status(value: float, warning: float, alarm: float) -> str:
    return ALARM if value >= alarm else WARNING if value >= warning else OK


def judge(
    calibration: DriftCalibration, measured: dict[str, Measured], lag: int
) -> list[FeatureDrift]:
    """Each measured statistic against its calibrated levels at the model's age."""
    judged = []
    for name, m in measured.items():
        level = calibration.level(name)
        warning, alarm = level.warning(lag), level.alarm(lag)
        judged.append(
            FeatureDrift(
                name, m.method, m.value, level.expected(lag), warning, alarm,
                _status(m.value, warning, alarm), m.before, m.after,
            )
        )  # fmt: skip
    return judged


def trend_warnings(
    calibration: DriftCalibration,
    judged: list[FeatureDrift],
    previous: pd.DataFrame,
    lag: int,
    nights: int,
) -> list[str]:
    """Statistics that rose `nights` nights in a row by more than their clean trend explains.

    Args:
        previous: Earlier nights' statistics of the same model version (`score_date`,
            `feature`, `value`, `lag_days`), any order.
    """
    if previous.empty:
        return []
    found = []
    earlier_dates = sorted(previous.score_date.unique())[-(nights - 1) :]
    if len(earlier_dates) < nights - 1:
        return []
    recent = previous[previous.score_date.isin(earlier_dates)]
    for statistic in judged:
        if statistic.status != OK:
            continue  # already reported at its level
        mine = recent[recent.feature == statistic.feature].sort_values("score_date")
        if len(mine) < nights - 1:
            continue
        values = [*mine.value.tolist(), statistic.value]
        if not all(b > a for a, b in zip(values, values[1:], strict=False)):
            continue
        level = calibration.level(statistic.feature)
        explained = level.slope * (lag - int(mine.lag_days.iloc[0]))
        # a weekday swing rises for days too, from its low to its high: a trend must end well
        # above the clean level (halfway to the warning level), not at the swing's high
        above_clean = values[-1] > level.expected(lag) + TREND_SPREADS * level.spread
        if above_clean and values[-1] - values[0] - explained > TREND_SPREADS * level.spread:
            found.append(
                f"{statistic.feature} rose {nights} nights in a row: {values[0]:.3f} -> "
                f"{values[-1]:.3f} (the clean trend explains +{explained:.3f})"
            )
    return found


def measure_drift(
    spec: ModelSpec,
    reference: pd.DataFrame,
    calibration: DriftCalibration,
    current: pd.DataFrame,
    score_date: date,
    model_version: int,
    reports_dir: Path,
    previous: pd.DataFrame | None = None,
    report: Callable[..., object] | None = None,
) -> DriftResult:
    """Compare a score date's features and scores with the champion's reference.

    Args:
        spec: The model spec (features, segments, sample size, share and trend rules).
        reference: The reference sample stored with the champion: features plus `score`.
        calibration: The champion's calibrated levels (and its reference date, ageing features).
        current: The score date's scoring input joined with the champion's `score`.
        score_date: The date measured.
        model_version: The champion version whose reference and scores are compared.
        reports_dir: Root folder for reports (`drift/<model>/<date>.html|.json`).
        previous: Earlier nights' `feature_drift` rows of this model version, for the trend test.
        report: How Evidently's HTML report is drawn: a callable taking
            `drift_report.draw_report`'s arguments: `draw_report` draws it here and now; the
            nightly asset hands them to a helper process (report_worker.py). None (the
            default): no report, no JSON.

    Returns:
        Every statistic judged, the night's status, and its reasons and warnings in words.
    """
    features = list(spec.features)
    missing = [c for c in [*features, SCORE] if c not in current.columns]
    if missing:
        raise ValueError(f"current data lacks column(s) {missing} for {spec.name} drift")
    columns = [*features, SCORE]
    lag = calibration.lag(score_date)
    reference = _sample(reference[columns], spec.drift.sample_rows)
    current = panel_sample(current, spec.drift.sample_rows)[columns]
    current = as_of_reference(
        current, calibration.ageing_features, score_date, calibration.reference_date
    )
    judged = judge(calibration, statistics(spec, reference, current), lag)
    on_features = [d for d in judged if d.feature in features]
    share = sum(d.drifted for d in on_features) / len(features)
    score = next(d for d in judged if d.feature == SCORE)

    reasons = _worst_first([d for d in judged if d.status == ALARM])
    # (one feature alone is judged by its own levels, however few features a model reads)
    if share >= spec.drift.feature_drift_share and sum(d.drifted for d in on_features) > 1:
        reasons.append(
            f"{share:.0%} of features at their warning level or above (alarm at "
            f"{spec.drift.feature_drift_share:.0%}): "
            + ", ".join(d.feature for d in on_features if d.drifted)
        )
    found_warnings = _worst_first([d for d in judged if d.status == WARNING])
    if previous is not None:
        found_warnings += trend_warnings(
            calibration, judged, previous, lag, spec.drift.trend_nights
        )
    status = ALARM if reasons else WARNING if found_warnings else OK

    html, metrics_json = report_paths(reports_dir, spec.name, score_date)
    if report is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        shown = report_features(on_features, spec.drift.report_features)
        report(spec, calibration, reference, current, lag, shown, html)
    result = DriftResult(
        model_name=spec.name,
        score_date=score_date,
        model_version=model_version,
        reference_date=calibration.reference_date,
        reference_rows=len(reference),
        current_rows=len(current),
        share_drifted=share,
        prediction_drift=score.value,
        status=status,
        reasons=reasons,
        warnings=found_warnings,
        features=judged,
        report_html=str(html) if report is not None else "",
    )
    if report is not None:
        metrics_json.write_text(json.dumps(asdict(result), default=str, indent=1))
    return result


def report_features(on_features: list[FeatureDrift], others: int) -> list[str]:
    """The features a night's HTML report draws: every one at its warning level or above, then
    the `others` nearest theirs (value over warning level), in the spec's order."""
    nearest = sorted(
        (d for d in on_features if not d.drifted),
        key=lambda d: -d.value / d.warning_level if d.warning_level > 0 else 0.0,
    )[:others]
    shown = {d.feature for d in on_features if d.drifted} | {d.feature for d in nearest}
    return [d.feature for d in on_features if d.feature in shown]


def earlier_statistics(
    settings, model_name: str, model_version: int, score_date: date, nights: int
) -> pd.DataFrame:
    """The published statistics of a model version's last `nights` nights before `score_date`
    (the trend test): only those files are read, so the cost does not grow with history."""
    from ml.scoring.publish import published_dates, published_path

    dates = [d for d in published_dates(settings, "feature_drift", model_name) if d < score_date]
    files = [published_path(settings, "feature_drift", model_name, d) for d in dates[-nights:]]
    if not files:
        return pd.DataFrame()
    rows = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    if "model_version" not in rows.columns:
        return pd.DataFrame()
    return rows[rows.model_version == model_version].assign(
        score_date=pd.to_datetime(rows.score_date).dt.date
    )
