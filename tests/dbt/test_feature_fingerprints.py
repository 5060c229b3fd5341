"""Released feature versions are immutable: their SQL, macros and contract are fingerprinted."""

from __future__ import annotations

import copy
import json

import pytest

from ml.feature_fingerprints import (
    FINGERPRINTS_FILE,
    changed_versions,
    compute_fingerprints,
    read_fingerprints,
)
from ml.warehouse import run_dbt


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    from tests.conftest import settings_under

    settings = settings_under(tmp_path_factory.mktemp("parse"))
    run_dbt(settings, ["parse", "--quiet"], capture=True)
    return json.loads((settings.dbt_target_dir / "manifest.json").read_text())


def test_released_feature_versions_match_their_committed_fingerprints(manifest):
    committed = read_fingerprints(manifest_root() / FINGERPRINTS_FILE)
    assert set(committed) >= {"customer_features.v1", "customer_features.v2"}
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
    committed = {"customer_features.v1": compute_fingerprints(manifest)["customer_features.v1"]}
    problems = changed_versions(committed, compute_fingerprints(manifest))
    assert problems == [
        "customer_features.v2: new version has no fingerprint yet; run "
        "`scoreline fingerprints --update` to release it."
    ]


def manifest_root():
    from ml.config import PROJECT_DIR

    return PROJECT_DIR
