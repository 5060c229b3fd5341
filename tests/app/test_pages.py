"""Every page renders with real published data, and with nothing published yet (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ml.serving.read_model import read_model_path
from tests.pipeline.fixtures import DRIFT_DATE

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
PAGES = {
    "overview": ["Customers scored", "High-risk share over score dates"],
    "at_risk": ["At-risk customers"],
    "segments": ["Risk by plan"],
    "model_health": ["Validation and realized ROC-AUC", "Champion and challenger history"],
    "drift": ["Drift history", "Latest Evidently report"],
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
