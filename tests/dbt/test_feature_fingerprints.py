"""Released feature versions are immutable: their SQL, macros and contract are fingerprinted."""

from __future__ import annotations

import copy
import json

import pytest

from ml.warehouse.dbt_runner import run_dbt
from ml.warehouse.feature_fingerprints import (
    FINGERPRINTS_FILE,
    changed_versions,
    compute_fingerprints,
    read_fingerprints,
)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    from tests.conftest import settings_under

    settings = settings_under(tmp_path_factory.mktemp("parse"))
    run_dbt(settings, ["parse", "--quiet"], capture=True)
    return json.loads((settings.dbt_target_dir / "manifest.json").read_text())


def test_released_feature_versions_match_their_committed_fingerprints(manifest):
    committed = read_fingerprints(business_dir() / FINGERPRINTS_FILE)
    assert set(committed) >= {
        "customer_features.v1",
        "customer_features.v2",
        "customer_features.v3",
    }
    assert changed_versions(committed, compute_fingerprints(manifest)) == []


def test_editing_a_shared_macro_changes_every_version_that_calls_it(manifest):
    before = compute_fingerprints(manifest)
    edited = copy.deepcopy(manifest)
    macro = edited["macros"]["macro.scoreline.customer_activity_windows"]
    macro["macro_sql"] = macro["macro_sql"].replace(
        "< {{ spine }}.as_of_date", "<= {{ spine }}.as_of_date"
    )
    after = compute_fingerprints(edited)
    problems = changed_versions(before, after)
    assert len(problems) == 2 and all("new version" in p for p in problems)
    assert not any("v3" in p for p in problems), "v3 does not call the v1/v2 windows macro"


def test_editing_a_declared_recipe_or_the_lifetime_logic_changes_the_declared_version(manifest):
    before = compute_fingerprints(manifest)
    edited = copy.deepcopy(manifest)
    column = edited["nodes"]["model.scoreline.customer_features.v3"]["columns"][
        "purchase_count_last_30d"
    ]
    column["config"]["meta"]["window_days"] = 31
    assert changed_versions(before, compute_fingerprints(edited)) == [
        "customer_features.v3: its SQL, macros or contract changed after release. Put the change "
        "in a new version instead; if the change is truly cosmetic, run `scoreline fingerprints "
        "--update`."
    ]
    edited = copy.deepcopy(manifest)
    lifetime = edited["nodes"]["model.scoreline.int_customer_lifetime_aggregates"]
    assert "feature_logic" in lifetime["tags"]
    lifetime["raw_code"] += "\n-- an edit"
    assert [p.split(":")[0] for p in changed_versions(before, compute_fingerprints(edited))] == [
        "customer_features.v3"
    ]


def test_editing_shared_feature_logic_upstream_changes_every_version_reading_it(manifest):
    before = compute_fingerprints(manifest)
    edited = copy.deepcopy(manifest)
    windows = edited["nodes"]["model.scoreline.int_customer_activity_windows"]
    assert "feature_logic" in windows["tags"]
    windows["raw_code"] = windows["raw_code"].replace("'event_count', 7)", "'event_count', 6)")
    assert windows["raw_code"] != manifest["nodes"][windows["unique_id"]]["raw_code"]
    problems = changed_versions(before, compute_fingerprints(edited))
    assert len(problems) == 2 and all("new version" in p for p in problems)


def test_changing_a_contract_type_changes_the_fingerprint(manifest):
    edited = copy.deepcopy(manifest)
    node = edited["nodes"]["model.scoreline.customer_features.v1"]
    node["columns"]["tenure_days"]["data_type"] = "double"
    assert (
        compute_fingerprints(edited)["customer_features.v1"]
        != compute_fingerprints(manifest)["customer_features.v1"]
    )


def test_a_new_version_must_be_released_explicitly(manifest):
    current = compute_fingerprints(manifest)
    committed = {key: value for key, value in current.items() if key != "customer_features.v3"}
    problems = changed_versions(committed, current)
    assert problems == [
        "customer_features.v3: new version has no fingerprint yet; run "
        "`scoreline fingerprints --update` to release it."
    ]


def business_dir():
    from ml.config import PROJECT_DIR

    return PROJECT_DIR / "businesses" / "subscription"
