"""Retracting a wrong published night: readers and the Redis export go back to the last good
date, the files are kept, and the audit keeps who, when and why (real Redis, real files)."""

from __future__ import annotations

import sqlite3
from datetime import date

import duckdb
import pandas as pd
import pytest

from ml.scoring.publish import (
    pinned_files,
    publish_predictions,
    published_dates,
    read_published_file,
)
from ml.scoring.retract import RetractError, audit_path, retract, retractions
from ml.serving.read_model import sql_database_path
from ml.serving.redis_export import export_high_risk, export_metadata, high_risk_rows
from ml.serving.risk_lookup import RiskLookup
from ml.training.specs import load_specs
from tests.conftest import settings_under

GOOD, WRONG = date(2026, 6, 1), date(2026, 6, 2)


def _night(model: str, day: date, high: range) -> pd.DataFrame:
    customers = range(100)
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in customers], "score_date": day,
        "score": [0.9 if i in high else 0.1 for i in customers], "risk_band": "high",
        "model_name": model, "model_version": 1, "feature_version": 3,
        "reasons": [["tenure days = 3"]] * len(customers), "is_shadow": False,
    })  # fmt: skip


@pytest.fixture
def published(tmp_path, client, model):
    """Two published nights: a good one (c0-c9 high risk) and a wrong, newer one (nobody),
    which Redis serves."""
    settings = settings_under(tmp_path)
    spec = load_specs()["churn"].model_copy(update={"name": model})
    for day, high in ((GOOD, range(10)), (WRONG, range(0))):
        publish_predictions(settings, _night(model, day, high), model, day)
        rows = high_risk_rows(
            read_published_file(settings, "predictions", model, day), spec.high_risk_threshold
        )
        export_high_risk(client, rows, model, day, 600)
    return settings, spec


def test_a_retracted_night_gives_readers_and_redis_the_last_good_date_back(published, client):
    settings, spec = published
    # an older date never replaces a newer export on its own (a backfill must not roll back)
    assert export_metadata(client, spec.name)["score_date"] == WRONG.isoformat()
    assert not RiskLookup(client, spec.name).get("c3").is_high_risk
    under_way = pinned_files(settings, "predictions")  # a query that began before

    done = retract(settings, spec, WRONG, client, "oncall", "raw day 06-01 was misdated")

    assert done.redis == f"serves {GOOD} again"
    assert published_dates(settings, "predictions", spec.name) == [GOOD]
    kept = done.kept_in / "predictions" / f"model={spec.name}" / f"score_date={WRONG}"
    assert (kept / "predictions.parquet").exists(), "a retracted file is kept, not deleted"
    with duckdb.connect() as con:
        assert con.execute(
            "select count(*) from read_parquet($f)", {"f": under_way}
        ).fetchone() == (200,)
    with duckdb.connect(str(sql_database_path(settings)), read_only=True) as con:
        assert con.sql("select distinct score_date from predictions").fetchall() == [(GOOD,)]
    assert export_metadata(client, spec.name)["score_date"] == GOOD.isoformat()
    risk = RiskLookup(client, spec.name).get("c3")
    assert risk.is_high_risk and not risk.is_default and risk.score_date == GOOD.isoformat()
    (entry,) = retractions(settings)
    assert (entry["model"], entry["score_date"], entry["by"]) == (spec.name, str(WRONG), "oncall")
    assert entry["why"] == "raw day 06-01 was misdated"
    with (
        sqlite3.connect(audit_path(settings)) as con,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        con.execute("delete from retractions")


def test_retracting_the_only_night_withdraws_the_export_to_the_safe_default(published, client):
    settings, spec = published
    retract(settings, spec, WRONG, client, "oncall", "wrong")
    done = retract(settings, spec, GOOD, client, "oncall", "also wrong")
    assert done.redis == "withdrawn: readers answer with the safe default"
    assert export_metadata(client, spec.name) == {}
    assert RiskLookup(client, spec.name).get("c3").is_default


def test_a_date_that_is_not_published_or_a_missing_reason_is_refused(published, client):
    settings, spec = published
    with pytest.raises(RetractError, match="no published predictions for 2026-05-01"):
        retract(settings, spec, date(2026, 5, 1), client, "oncall", "typo")
    with pytest.raises(RetractError, match="give a reason"):
        retract(settings, spec, WRONG, client, "oncall", " ")
    assert published_dates(settings, "predictions", spec.name) == [GOOD, WRONG]
