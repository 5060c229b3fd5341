"""A full build on small generated data: every model and contract test passes and adds up."""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb

from ml.scoring.score import read_scoring_input
from ml.training.specs import load_specs
from ml.warehouse.dbt_runner import build_warehouse, run_dbt
from tests.conftest import SCORE_DATE, query


def test_small_generated_data_builds_with_every_contract_test_passing(built_settings):
    results = json.loads((built_settings.dbt_target_dir / "run_results.json").read_text())
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    tests = [uid for uid in statuses if uid.startswith(("test.", "unit_test."))]
    for claim in (
        "no_activity_at_or_after_as_of_date_customer_features_v3",  # leakage
        "enforces_contract_constraints_customer_features_v3",  # null policy and ranges
        "unique_combination_customer_features_v3",  # grain
        "assert_raw_rows_equal_clean_plus_rejected",  # row accounting
        "label_window_passed_training_labels",  # no unripe label
        "unit_test.scoreline.training_labels.",  # label window edges (full builds run these)
        "unit_test.scoreline.int_customer_lifetime_aggregates.",
    ):
        assert any(claim in uid for uid in tests), claim
    assert {s for s in statuses.values()} <= {"success", "pass"}, statuses


def test_declared_ranges_and_null_policy_are_constraints_of_the_feature_table(built_settings):
    """v3's contract is enforced on insert: its range checks cost no test query a night."""
    manifest = json.loads((built_settings.dbt_target_dir / "manifest.json").read_text())
    columns = manifest["nodes"]["model.scoreline.customer_features.v3"]["columns"].values()
    declared = [c["type"] for column in columns for c in column["constraints"]]
    sql = (
        "select constraint_type, count(*) as n from duckdb_constraints() "
        "where table_name = 'customer_features_v3' group by 1"
    )
    constraints = query(built_settings, sql).set_index("constraint_type").n
    assert constraints["CHECK"] == declared.count("check") > 30
    assert constraints["NOT NULL"] == declared.count("not_null") > 20


def test_every_raw_row_is_either_clean_or_quarantined(built_settings):
    raw = built_settings.raw_dir
    for table in ("customers", "activities"):
        raw_rows = duckdb.execute(
            f"select count(*) from read_parquet('{raw}/day=*/{table}.parquet')"
        ).fetchone()[0]
        counts = query(
            built_settings,
            f"select (select count(*) from stg_raw__{table}) as clean, "
            f"(select count(*) from stg_raw__{table}_rejected) as rejected",
        ).iloc[0]
        assert counts.clean + counts.rejected == raw_rows, table
    reconciled = query(built_settings, "select * from raw_row_reconciliation")
    assert (reconciled.raw_rows == reconciled.clean_rows + reconciled.rejected_rows).all()


def test_training_labels_hold_only_windows_that_have_passed(built_settings):
    labels = query(
        built_settings,
        "select model_name, max(label_window_end_date) as last_end, avg(label) as rate, "
        "count(distinct as_of_date) as dates from training_labels group by 1",
    ).set_index("model_name")
    assert set(labels.index) == set(load_specs()), "every spec is labelled, none by hand"
    assert (labels.last_end.dt.date <= SCORE_DATE).all()
    assert 0.01 < labels.rate["churn"] < 0.3, "synthetic churn rate should look like a business"
    assert (labels.dates >= 4).all()


def test_scoring_input_holds_every_active_customer_once_on_the_score_date(built_settings):
    scoring = read_scoring_input(built_settings, load_specs()["churn"], SCORE_DATE)
    assert scoring.customer_id.is_unique
    active = query(
        built_settings,
        f"select count(*) as n from int_customers where first_seen_at < date '{SCORE_DATE}' "
        f"and (contract_ended_at is null or contract_ended_at >= date '{SCORE_DATE}')",
    ).n[0]
    assert len(scoring) == active


def test_dbt_docs_generate_builds_a_feature_catalog_with_windows_and_owners(built_settings):
    run_dbt(built_settings, ["docs", "generate"], capture=True)
    catalog = json.loads((built_settings.dbt_target_dir / "catalog.json").read_text())
    manifest = json.loads((built_settings.dbt_target_dir / "manifest.json").read_text())
    assert "model.scoreline.customer_features.v3" in catalog["nodes"]
    columns = manifest["nodes"]["model.scoreline.customer_features.v3"]["columns"]
    for name, column in columns.items():
        if name in ("customer_id", "as_of_date", "last_activity_at"):
            continue
        meta = column["config"]["meta"] or column["meta"]
        assert {"window", "owner", "introduced_in"} <= set(meta), name
        assert column["description"], name


def test_a_fractional_training_sample_keeps_that_share_of_the_spine_stably(
    built_settings, fresh_settings
):
    """0.5% of the (customer, as-of date) pairs (percents to 1/100: whole ones kept 1%), each
    kept pair is one the full spine holds (a sample, not other rows)."""
    sampled = replace(fresh_settings, training_sample_pct=0.5)
    build_warehouse(
        sampled, score_date=SCORE_DATE, full_refresh=True, capture=True,
        select="+int_customer_dates_training_spine",
    )  # fmt: skip
    spine = "select customer_id, as_of_date from int_customer_dates_training_spine"
    full = query(built_settings, spine)
    kept = query(sampled, spine)
    assert 0.0025 < len(kept) / len(full) < 0.0075, (len(kept), len(full))
    assert len(kept.merge(full)) == len(kept)
