"""Scoring with champion and shadow challenger, atomic publication, and clean failures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from ml.scoring.publish import predictions_glob, publish_predictions
from ml.scoring.score import ScoringInputError, challenger_arm, score
from ml.training.registry import RegistryError
from ml.training.specs import ABTest, load_specs
from ml.training.train import train_and_register
from tests.model.conftest import SCORE_DATE, with_own_store

SPECS = load_specs()
CHURN = SPECS["churn"]


def _published(settings):
    return duckdb.execute(
        f"select * from read_parquet('{predictions_glob(settings)}', hive_partitioning = false)"
    ).df()


def _score_and_publish(settings, spec=CHURN):
    result = score(spec, settings)
    publish_predictions(settings, result.predictions, spec.name, result.score_date)
    return result


def _publish_champion_and_shadow(settings):
    """A champion and a shadow challenger, with one score date published."""
    train_and_register(CHURN, settings)
    train_and_register(CHURN, settings, params={"n_estimators": 2, "num_leaves": 2})
    _score_and_publish(settings)
    return settings


@pytest.fixture(scope="module")
def shared_store(ml_warehouse, tmp_path_factory):
    """Trained and published once for the tests that only score and read: training is most of
    a test's time. Tests that break or add models use `own_store` instead."""
    root = tmp_path_factory.mktemp("shared_store")
    return _publish_champion_and_shadow(with_own_store(ml_warehouse, root))


@pytest.fixture
def published(shared_store, tmp_path):
    """The shared registry with this test's own copy of the published predictions."""
    copy = tmp_path / "published"
    shutil.copytree(shared_store.published_dir, copy, symlinks=True)
    return replace(shared_store, published_dir=copy)


@pytest.fixture
def own_store(ml_settings):
    """A registry and published folder of this test's own, which it may break: one small
    champion with one score date published."""
    train_and_register(CHURN, ml_settings)
    _score_and_publish(ml_settings)
    return ml_settings


def test_predictions_carry_every_field_for_every_active_customer(published):
    rows = _published(published)
    champion = rows[~rows.is_shadow]
    shadow = rows[rows.is_shadow]
    active = (
        duckdb.connect(str(published.warehouse_path), read_only=True)
        .execute("select count(*) from int_customer_dates_scoring_spine")
        .fetchone()[0]
    )
    assert len(champion) == len(shadow) == active
    assert champion.customer_id.is_unique
    assert set(champion.score_date.dt.date) == {SCORE_DATE}
    assert champion.score.between(0, 1).all()
    assert set(champion.risk_band) <= {"low", "medium", "high"}
    assert (champion.model_version == 1).all() and (shadow.model_version == 2).all()
    assert (champion.feature_version == CHURN.feature_version).all()
    high = champion[champion.score >= CHURN.high_risk_threshold]
    assert len(high) > 0
    assert all(1 <= len(r) <= 3 for r in high.reasons)
    assert all("days" in " ".join(r) or "=" in " ".join(r) for r in high.reasons)
    assert all(len(r) == 0 for r in champion[champion.score < CHURN.high_risk_threshold].reasons)


def test_an_ab_test_serves_the_challenger_to_its_stable_slice_of_customers(published):
    ab = CHURN.model_copy(update={"ab_test": ABTest(challenger_share=0.2)})
    result = score(ab, published)
    rows = result.predictions
    served, shadow = rows[~rows.is_shadow], rows[rows.is_shadow]
    assert served.customer_id.is_unique and len(served) == len(shadow), "one served row each"
    arm = served.model_version == 2  # v2 is the shared store's challenger
    assert arm.mean() == pytest.approx(0.2, abs=0.03) and result.challenger_served == arm.sum()
    expected = challenger_arm(served.customer_id.reset_index(drop=True), 0.2)
    assert (arm.to_numpy() == expected).all(), "the arm is the stable hash slice"
    assert set(shadow[shadow.model_version == 1].customer_id) == set(served[arm].customer_id)
    high = served[served.score >= CHURN.high_risk_threshold]
    assert all(len(r) > 0 for r in high.reasons), "served rows of both arms carry reasons"
    assert all(len(r) == 0 for r in shadow.reasons)
    assert result.high_risk == len(high)
    again = score(ab, published).predictions
    assert set(again[~again.is_shadow & (again.model_version == 2)].customer_id) == set(
        served[arm].customer_id
    ), "the same customers tomorrow"


def test_rerunning_a_date_replaces_its_rows_without_duplicates(published):
    before = _published(published)
    _score_and_publish(published)
    after = _published(published)
    assert len(after) == len(before)
    key = ["customer_id", "is_shadow"]
    pd.testing.assert_frame_equal(
        before.sort_values(key).reset_index(drop=True),
        after.sort_values(key).reset_index(drop=True),
    )


def test_without_a_champion_scoring_fails_clearly_and_publishes_nothing(ml_settings):
    with pytest.raises(RegistryError, match="no 'champion' model for churn"):
        score(CHURN, ml_settings)
    assert not (ml_settings.published_dir / "predictions").exists()


def test_a_model_changed_since_registration_is_refused_and_the_last_good_results_stay(own_store):
    """Regression: models were pickles, so whoever could write to the artifact store ran code
    when a model loaded. Now they are data, checked against digests kept in the registry."""
    artifacts = own_store.mlflow_artifacts_dir
    assert list(artifacts.rglob("model.txt")) and not list(artifacts.rglob("*.pkl"))
    before = _published(own_store)
    for path in artifacts.rglob("model.json"):  # a plausible, harmful edit: steeper calibration
        meta = json.loads(path.read_text())
        meta["calibration"] = [50.0, 0.0]
        path.write_text(json.dumps(meta))
    with pytest.raises(RegistryError, match="model.json changed since it was registered"):
        _score_and_publish(own_store)
    pd.testing.assert_frame_equal(_published(own_store), before)
    for path in artifacts.rglob("model.txt"):  # and a file that is no model at all
        path.write_text("not a model")
    with pytest.raises(RegistryError, match="could not be loaded"):
        _score_and_publish(own_store)


def test_a_scoring_input_that_fails_its_contract_publishes_nothing(published, tmp_path):
    broken = replace(published, warehouse_path=tmp_path / "broken.duckdb")
    shutil.copy(published.warehouse_path, broken.warehouse_path)
    with duckdb.connect(str(broken.warehouse_path)) as con:
        # the scoring input is a view over the feature table: duplicate three of its rows there
        con.execute(
            "insert into customer_features_v3 select * from customer_features_v3 "
            "where as_of_date = (select max(as_of_date) from int_customer_dates_scoring_spine) "
            "limit 3"
        )
    before = _published(published)
    with pytest.raises(ScoringInputError, match="3 duplicate customer_id"):
        _score_and_publish(broken)
    pd.testing.assert_frame_equal(_published(published), before)


def test_a_feature_version_mismatch_between_model_and_input_is_refused(published):
    before = _published(published)
    v1_spec = CHURN.model_copy(update={"feature_version": 1})
    with pytest.raises(ScoringInputError, match="trained on feature version v3"):
        _score_and_publish(published, v1_spec)
    pd.testing.assert_frame_equal(_published(published), before)


def test_publishing_rows_of_another_date_is_refused_before_writing(published):
    rows = _published(published)
    with pytest.raises(ValueError, match="another model or date"):
        publish_predictions(published, rows, "churn", SCORE_DATE.replace(day=1))


def test_second_model_scores_and_publishes_from_its_spec(published):
    # adds a model beside churn in the shared registry; the other tests read churn only
    spec = SPECS["payment_failure"]
    train_and_register(spec, published)
    _score_and_publish(published, spec)
    rows = _published(published)
    assert set(rows.model_name) == {"churn", "payment_failure"}


def test_a_killed_publish_leaves_no_temporary_file_behind(published):
    staging = published.published_dir / ".staging"
    staging.mkdir(exist_ok=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a writer that has ended (kill -9 of a real publish: tests/faults)
    left = staging / f"{gone.pid}-killed.parquet"
    writing = staging / f"{os.getppid()}-another-model-writing.parquet"  # a live process
    left.write_bytes(b"half a file")
    writing.write_bytes(b"being written")
    _score_and_publish(published)
    assert not left.exists(), "a killed publish's file is cleaned by the next publish"
    assert writing.exists(), "a file another publish may be writing right now stays"
