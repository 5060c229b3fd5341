"""Every page renders with real published data, and with nothing published yet (AppTest)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ml.config import PROJECT_DIR
from ml.scoring.publish import publish_table, read_published
from ml.serving.read_model import read_model_path
from tests.pipeline.fixtures import DRIFT_DATE, private_copy

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
PAGES = {
    "overview": ["Customers scored", "High-risk share over score dates"],
    "at_risk": ["At-risk customers"],
    "segments": ["Risk by plan"],
    "model_health": ["Validation and realized ROC-AUC", "Champion and challenger history"],
    "drift": [
        "Score drift and its calibrated levels",
        "Every statistic on",
        "Segment mix of the scored base",
        "Latest Evidently report",
    ],
    "data_quality": ["Last dbt tests (feature contracts)", "Quarantined raw rows"],
    "feature_catalog": ["Feature catalog"],
}


@pytest.fixture(autouse=True)
def _no_inherited_mlflow_store(monkeypatch):
    # MLflow's set_tracking_uri exports MLFLOW_TRACKING_URI, which Settings honours; earlier
    # tests in this process set it, and the app must find its store from the data dir alone.
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def _render(page: str) -> AppTest:
    st.cache_data.clear()  # the app caches a minute; tests change the data in between
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(f"app_pages/{page}.py")
    return app.run()


def _texts(app: AppTest) -> str:
    parts = [
        e.value
        for kind in ("title", "subheader", "caption", "markdown")
        for e in getattr(app, kind)
    ]
    parts += [m.label for m in app.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_shows_real_data_without_errors(page, pipeline, monkeypatch):
    monkeypatch.setenv("SCORELINE_DATA_DIR", str(pipeline.settings.data_dir))
    app = _render(page)
    assert not app.exception, app.exception
    text = _texts(app)
    for expected in PAGES[page]:
        assert expected in text, f"{page}: {expected!r} missing"
    assert not [i.value for i in app.info if "published yet" in i.value]


def test_at_risk_ranks_by_value_at_stake_and_says_what_changed_since_the_previous_date(
    drifted_pipeline, monkeypatch
):
    settings = drifted_pipeline.settings
    monkeypatch.setenv("SCORELINE_DATA_DIR", str(settings.data_dir))
    app = _render("at_risk")
    assert app.sidebar.selectbox[1].value == DRIFT_DATE, "the newest score date by default"
    # the price rise's drift alarm on that date heads the list it affects
    assert any(f"Drift alarm on {DRIFT_DATE}" in e.value for e in app.error), app.error
    table = app.dataframe[0].value
    assert len(table) > 0 and (table.risk_band == "high").all()
    # reasons read against the typical customer: "... = 3 (typical: 0)"
    assert table.reasons.str.contains(r"= [^;]+ \(typical: [^)]+\)").all()
    # value at stake = score x the declared customer value (monthly_price), highest first
    prices = pd.read_parquet(read_model_path(settings, "customers"))
    joined = table.merge(prices[["customer_id", "monthly_price"]], on="customer_id")
    expected = (joined.score * joined.monthly_price).round(2)
    assert (joined.value_at_stake - expected).abs().max() <= 0.01
    assert table.value_at_stake.is_monotonic_decreasing
    assert not table.score.is_monotonic_decreasing, "value, not score alone, ranks the list"
    # against the previous published date (the clean night before the price rise)
    assert set(table.since_previous) <= {"new", "up", "down", "same"}
    moved = table.dropna(subset=["previous_score"])
    up = moved[moved.since_previous == "up"]
    assert len(moved) and (up.score - up.previous_score >= 0.02 - 1e-9).all()
    assert (table.score.astype(str).str.len() <= 6).all(), "4 decimals at most, in the CSV too"


def test_the_model_and_date_picked_on_one_page_stay_on_the_next(pipeline, monkeypatch):
    monkeypatch.setenv("SCORELINE_DATA_DIR", str(pipeline.settings.data_dir))
    app = _render("at_risk")
    app.sidebar.selectbox[0].select("payment_failure").run()
    app.switch_page("app_pages/segments.py").run()
    assert app.sidebar.selectbox[0].value == "payment_failure"
    assert not app.exception


@pytest.mark.parametrize("page", PAGES)
def test_each_page_explains_itself_before_anything_is_published(page, tmp_path, monkeypatch):
    monkeypatch.setenv("SCORELINE_DATA_DIR", str(tmp_path))
    app = _render(page)
    assert not app.exception, app.exception
    assert app.info, f"{page} shows no empty-state message"


def test_model_health_compares_the_ab_arms_with_an_interval(pipeline, tmp_path, monkeypatch):
    """With A/B on, the page says which arm is better once a date matured, and by how much."""
    business = tmp_path / "business"
    shutil.copytree(PROJECT_DIR / "businesses" / "subscription", business)
    churn = business / "specs" / "churn.yaml"
    churn.write_text(churn.read_text() + "ab_test: {challenger_share: 0.05}\n")
    settings = private_copy(pipeline, tmp_path / "data")
    row = {"model_name": "churn", "score_date": date(2026, 3, 30), "model_version": 1,
           "rows": 4800, "positives": 300, "roc_auc": 0.71, "pr_auc": 0.2,
           "validation_roc_auc": 0.72, "drop_vs_validation": 0.01, "alarm": False,
           "challenger_version": 2, "challenger_rows": 250, "challenger_roc_auc": 0.8,
           "arm_difference": 0.09, "arm_difference_low": 0.02,
           "arm_difference_high": 0.16}  # fmt: skip
    publish_table(settings, "performance_history", pd.DataFrame([row]), "churn", row["score_date"])
    monkeypatch.setenv("SCORELINE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SCORELINE_BUSINESS_DIR", str(business))

    app = _render("model_health")

    assert not app.exception, app.exception
    assert "A/B: the challenger's arm against the champion's" in _texts(app)
    assert any(
        "+0.090 (95% interval +0.020 to +0.160): the challenger is better" in c.value
        for c in app.caption
    )


def test_overview_warns_when_landed_raw_days_have_not_been_scored(pipeline, tmp_path, monkeypatch):
    settings = private_copy(pipeline, tmp_path)
    newest = sorted(settings.raw_dir.glob("day=*"))[-1]
    for day in ("2026-04-30", "2026-05-01", "2026-05-02"):  # landed, never scored
        shutil.copytree(newest, settings.raw_dir / f"day={day}")
    monkeypatch.setenv("SCORELINE_DATA_DIR", str(settings.data_dir))

    app = _render("overview")

    assert not app.exception, app.exception
    stale = [w.value for w in app.warning if "nights have not published" in w.value]
    assert stale and "raw data has landed for scoring 2026-05-03" in stale[0], app.warning


def test_a_drift_warning_heads_the_list_in_words_and_does_not_read_as_an_alarm(
    pipeline, tmp_path, monkeypatch
):
    settings = private_copy(pipeline, tmp_path)
    history = read_published(settings, "drift_history", "churn")
    latest = history.iloc[[-1]].assign(
        status="warning", alarm=False, reasons=[[]],
        warnings=[["customers with channel partner_app: 0.0% -> 0.9% of the scored base"]],
    )  # fmt: skip
    day = latest.score_date.iloc[0].date()
    publish_table(settings, "drift_history", latest, "churn", day)
    monkeypatch.setenv("SCORELINE_DATA_DIR", str(settings.data_dir))

    app = _render("at_risk")

    assert not app.exception, app.exception
    assert not [e.value for e in app.error if "Drift alarm" in e.value]
    said = [w.value for w in app.warning if w.value.startswith(f"Drift warning on {day}")]
    assert said and "channel partner_app: 0.0% -> 0.9%" in said[0], app.warning
