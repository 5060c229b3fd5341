"""A full build on small generated data: every model and contract test passes and adds up."""

from __future__ import annotations

import json

import duckdb

from ml.warehouse import run_dbt
from tests.conftest import SCORE_DATE, query


def test_small_generated_data_builds_with_every_contract_test_passing(built_settings):
    results = json.loads((built_settings.dbt_target_dir / "run_results.json").read_text())
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    tests = [uid for uid in statuses if uid.startswith(("test.", "unit_test."))]
    assert len(tests) > 75, "contracts: ranges, grain, windows, leakage, quarantine, labels"
    assert sum("value_between_customer_features" in uid for uid in tests) >= 30, "feature ranges"
    assert "test.scoreline.assert_feature_tables_enforce_not_null" in tests, "null policy guard"
    assert any(uid.startswith("unit_test.") for uid in tests), "full builds run the unit tests"
    assert {s for s in statuses.values()} <= {"success", "pass"}, statuses


def test_every_raw_row_is_either_clean_or_quarantined(built_settings):
    raw = built_settings.raw_dir
    for table in ("customers", "events", "cancellations"):
        raw_rows = duckdb.execute(
            f"select count(*) from read_parquet('{raw}/day=*/{table}.parquet')"
        ).fetchone()[0]
        counts = query(
            built_settings,
            f"select (select count(*) from stg_app__{table}) as clean, "
            f"(select count(*) from stg_app__{table}_rejected) as rejected",
        ).iloc[0]
        assert counts.clean + counts.rejected == raw_rows, table
    reconciled = query(built_settings, "select * from raw_row_reconciliation")
    assert (reconciled.raw_rows == reconciled.clean_rows + reconciled.rejected_rows).all()


def test_training_set_holds_only_labels_whose_window_has_passed(built_settings):
    latest_window_end = query(
        built_settings, "select max(label_window_end_date) as d from churn_training_set"
    ).d[0]
    assert latest_window_end.date() <= SCORE_DATE
    share = query(built_settings, "select avg(label) as churn from churn_training_set").churn[0]
    assert 0.01 < share < 0.3, "synthetic churn rate should look like a real business"


def test_scoring_input_holds_every_active_customer_once_on_the_score_date(built_settings):
    scoring = query(built_settings, "select * from customer_scoring_input_v2")
    assert scoring.customer_id.is_unique
    assert set(scoring.as_of_date.dt.date) == {SCORE_DATE}
    active = query(
        built_settings,
        f"select count(*) as n from int_customer_lifetimes where signup_at < date '{SCORE_DATE}' "
        f"and (cancelled_at is null or cancelled_at >= date '{SCORE_DATE}')",
    ).n[0]
    assert len(scoring) == active


def test_dbt_docs_generate_builds_a_feature_catalog_with_windows_and_owners(built_settings):
    run_dbt(built_settings, ["docs", "generate"], capture=True)
    catalog = json.loads((built_settings.dbt_target_dir / "catalog.json").read_text())
    manifest = json.loads((built_settings.dbt_target_dir / "manifest.json").read_text())
    assert "model.scoreline.customer_features.v2" in catalog["nodes"]
    columns = manifest["nodes"]["model.scoreline.customer_features.v2"]["columns"]
    for name, column in columns.items():
        if name in ("customer_id", "as_of_date", "last_event_at"):
            continue
        meta = column["config"]["meta"] or column["meta"]
        assert {"window", "owner", "introduced_in"} <= set(meta), name
        assert column["description"], name
