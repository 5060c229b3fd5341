"""Drift levels calibrated on clean history, ageing features, segment mix, trends, and routing.

Hand-made nights of a small population: a numeric feature with its own day-to-day noise, a
tenure that grows one day per day, and a channel mix. Evidently's own statistics are checked
against ml/monitoring/distances.py, which calibration replays.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift

from ml.monitoring.calibration import SCORE, DriftCalibration, Level, calibrate
from ml.monitoring.distances import JENSEN_SHANNON, WASSERSTEIN, column_distance
from ml.monitoring.drift import ALARM, OK, WARNING, FeatureDrift, measure_drift, report_features
from ml.monitoring.retraining import retraining_reasons
from ml.training.specs import ModelSpec

REFERENCE = date(2026, 3, 1)
ROWS = 4000


def _spec(**drift) -> ModelSpec:
    return ModelSpec.model_validate(
        {
            "name": "toy",
            "description": "toy",
            "label": {"kind": "lapse", "horizon_days": 28},
            "feature_version": 1,
            "features": ["tenure_days", "usage", "channel"],
            "categorical_features": ["channel"],
            "params": {},
            "risk_bands": {"low": 0.0, "high": 0.5},
            "high_risk_threshold": 0.5,
            "drift": {"sample_rows": ROWS, **drift},
        }
    )


def _night(day: date, noise: float = 0.03, seed: int | None = None, **change) -> pd.DataFrame:
    """One as-of date's rows: tenure ages with the calendar; usage wobbles by `noise` a day."""
    offset = (day - REFERENCE).days
    rng = np.random.default_rng(seed if seed is not None else 1000 + offset)
    first_seen = rng.integers(-400, 0, ROWS)  # days before the reference
    wobble = np.random.default_rng(abs(offset) + 7).normal(0, noise)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(ROWS)],
            "as_of_date": pd.Timestamp(day),
            "tenure_days": offset - first_seen,
            "usage": rng.gamma(2.0, 1.0 + wobble, ROWS),
            "channel": rng.choice(["organic", "paid", "referral"], ROWS, p=[0.5, 0.3, 0.2]),
        }
    )
    if "new_channel_share" in change:
        moved = rng.random(ROWS) < change["new_channel_share"]
        frame.loc[moved, "channel"] = "partner_app"
    if "stuck_share" in change:
        frame.loc[frame.index < ROWS * change["stuck_share"], "usage"] = 0.0
    return frame


def _score(frame: pd.DataFrame) -> np.ndarray:
    return 1 / (1 + np.exp(-(frame.usage.to_numpy() - 2) / 2))


def _calibrated(noise: float = 0.03, days: int = 42) -> tuple[DriftCalibration, pd.DataFrame]:
    history = pd.concat(
        [_night(REFERENCE - timedelta(days=d), noise) for d in range(days, -1, -1)]
    ).drop(columns="customer_id")
    return calibrate(_spec(), history, REFERENCE, ("tenure_days",), _score)


def _measure(calibration, reference, frame, day, previous=None, tmp_path=None, **drift):
    current = frame.assign(score=_score(frame))
    return measure_drift(
        _spec(**drift), reference, calibration, current, day, 1, tmp_path,
        previous=previous,
    )  # fmt: skip


def test_the_statistics_are_evidentlys_own():
    """Calibration replays distances.py; the nightly report is Evidently's: they must agree."""
    rng = np.random.default_rng(3)
    reference = pd.DataFrame(
        {"x": rng.normal(0, 1, 3000), "c": rng.choice(list("abc"), 3000, p=[0.6, 0.3, 0.1])}
    )
    current = pd.DataFrame({"x": rng.normal(0.2, 1.3, 2000), "c": rng.choice(list("abcd"), 2000)})
    current.loc[::17, "x"] = np.nan
    definition = DataDefinition(numerical_columns=["x"], categorical_columns=["c"])
    report = Report(
        [ValueDrift(column="x", method=WASSERSTEIN), ValueDrift(column="c", method=JENSEN_SHANNON)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = report.run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
    theirs = {m["config"]["column"]: m["value"] for m in snapshot.dict()["metrics"]}
    assert column_distance(reference.x, current.x, False) == pytest.approx(theirs["x"], rel=1e-9)
    assert column_distance(reference.c, current.c, True) == pytest.approx(theirs["c"], rel=1e-9)


def test_levels_follow_the_datas_own_noise():
    quiet, _ = _calibrated(noise=0.01)
    noisy, _ = _calibrated(noise=0.10)
    assert noisy.level("usage").alarm(10) > 2 * quiet.level("usage").alarm(10)
    assert noisy.level("usage").spread > 3 * quiet.level("usage").spread
    # each level comes from the replayed dates, and survives the trip through MLflow's JSON
    again = DriftCalibration.from_json(noisy.to_json())
    assert again == noisy
    assert len(noisy.calibration_dates) == 42
    assert noisy.level("usage").points == 42


@pytest.mark.parametrize("noise", [0.01, 0.10])
def test_clean_nights_never_alarm_and_an_ageing_feature_does_not_drift(noise, tmp_path):
    calibration, reference = _calibrated(noise)
    statuses = []
    for night in range(1, 31):
        day = REFERENCE + timedelta(days=night)
        result = _measure(calibration, reference, _night(day, noise), day, tmp_path=tmp_path)
        tenure = next(f for f in result.features if f.feature == "tenure_days")
        assert tenure.status == OK, (day, tenure)
        statuses.append(result.status)
    assert ALARM not in statuses, statuses
    # without the declared ageing the same clean nights drift on tenure alone
    unaware = DriftCalibration(**{**calibration.__dict__, "ageing_features": ()})
    day = REFERENCE + timedelta(days=30)
    result = _measure(unaware, reference, _night(day, noise), day, tmp_path=tmp_path)
    assert "tenure_days" in result.drifted_features


def test_a_stuck_feature_alarms_on_its_first_night_and_says_so(tmp_path):
    calibration, reference = _calibrated()
    day = REFERENCE + timedelta(days=3)
    result = _measure(calibration, reference, _night(day, stuck_share=0.10), day, tmp_path=tmp_path)
    assert result.status == ALARM
    assert any(reason.startswith("usage moved") for reason in result.reasons), result.reasons


def test_a_new_segment_warns_in_words_before_it_alarms(tmp_path):
    calibration, reference = _calibrated()
    day = REFERENCE + timedelta(days=5)
    small = _measure(
        calibration, reference, _night(day, new_channel_share=0.008), day, tmp_path=tmp_path
    )
    assert small.status == WARNING, (small.reasons, small.warnings)
    said = " ".join(small.warnings)
    assert "customers with channel partner_app: 0.0% ->" in said, said
    large = _measure(
        calibration, reference, _night(day, new_channel_share=0.06), day, tmp_path=tmp_path
    )
    assert large.status == ALARM
    assert any("channel partner_app" in reason for reason in large.reasons), large.reasons


def test_a_slow_rise_below_the_one_night_level_warns_as_a_trend(tmp_path):
    calibration, reference = _calibrated(noise=0.01)
    previous = pd.DataFrame()
    results = []
    for night in range(1, 6):
        day = REFERENCE + timedelta(days=night)
        # usage creeps up a little more each night, seed fixed so sampling noise stays put
        frame = _night(day, noise=0.0, seed=1)
        frame["usage"] *= 1 + 0.012 * night
        result = _measure(calibration, reference, frame, day, previous, tmp_path=tmp_path)
        results.append(result)
        previous = pd.concat([previous, result.feature_rows().assign(score_date=day)])
    usage = [next(f for f in r.features if f.feature == "usage") for r in results]
    assert all(u.status == OK for u in usage), "each night alone is below its level"
    assert results[-1].status == WARNING
    assert any(w.startswith("usage rose 5 nights in a row") for w in results[-1].warnings)
    assert results[-2].status == OK, "four nights are not yet a trend"


def test_a_pinned_level_wins_over_the_calibrated_one(tmp_path):
    history = pd.concat([_night(REFERENCE - timedelta(days=d)) for d in range(14, -1, -1)])
    calibration, _ = calibrate(
        _spec(prediction_drift_threshold=0.5, pinned={"usage": 0.9}),
        history.drop(columns="customer_id"), REFERENCE, (), _score,
    )  # fmt: skip
    assert calibration.level(SCORE).alarm(3) == 0.5
    assert calibration.level("usage").alarm(30) == 0.9


def test_a_warning_never_retrains_and_an_alarm_does():
    spec = _spec()
    now = datetime(2026, 3, 10)

    def history(status: str) -> pd.DataFrame:
        return pd.DataFrame(
            [{"score_date": pd.Timestamp("2026-03-09"), "model_version": 3, "status": status,
              "alarm": status == ALARM, "reasons": ["usage moved 0.2"] if status == ALARM else [],
              "warnings": ["usage moved 0.03"] if status == WARNING else []}]
        )  # fmt: skip

    def reasons(status):
        return retraining_reasons(spec, history(status), pd.DataFrame(), now, 3, now)

    assert reasons(WARNING) == []
    assert reasons(ALARM) == ["drift on 2026-03-09: usage moved 0.2"]


def test_a_backfilled_date_before_the_reference_is_judged_by_its_distance_in_days(tmp_path):
    """Backfills score dates before the champion's reference: 24 days before is as far as 24
    days after, and its clean movement is expected, not alarmed on."""
    ageing = Level("lifetime_count", "wasserstein", 0.01, 0.002, 0.005, 10)
    assert ageing.expected(-24) == ageing.expected(24) > ageing.expected(0)
    calibration, reference = _calibrated()
    day = REFERENCE - timedelta(days=24)
    result = _measure(calibration, reference, _night(day), day, tmp_path=tmp_path)
    assert result.status != ALARM, result.reasons


def test_the_report_draws_every_flagged_feature_and_the_others_nearest_their_warning_level():
    def statistic(name: str, value: float, status: str = OK) -> FeatureDrift:
        return FeatureDrift(name, WASSERSTEIN, value, 0.01, 0.1, 0.2, status)

    judged = [
        statistic("a", 0.01),
        statistic("b", 0.3, ALARM),
        statistic("c", 0.09),
        statistic("d", 0.15, WARNING),
        statistic("e", 0.05),
        statistic("f", 0.0),
    ]
    # flagged b and d whatever the budget; then c (0.9 of its warning level), then e (0.5)
    assert report_features(judged, 1) == ["b", "c", "d"]
    assert report_features(judged, 2) == ["b", "c", "d", "e"]
    assert report_features(judged, 10) == ["a", "b", "c", "d", "e", "f"]
