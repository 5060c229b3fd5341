"""Training quality, the promotion gate, rollback, and the second model from its spec alone."""

from __future__ import annotations

import sqlite3
from importlib.metadata import version

import mlflow
import pytest

from ml.training import registry
from ml.training.specs import load_specs
from ml.training.train import train_and_register

SPECS = load_specs()
CHURN = SPECS["churn"]
# For gate tests that need a weak model promoted first: the floor is not what they test.
LOW_FLOOR = CHURN.model_copy(
    update={"promotion": CHURN.promotion.model_copy(update={"floor": 0.5})}
)
# A deliberately crippled model: two trees of two leaves cannot rank customers well.
WEAK = {"n_estimators": 2, "num_leaves": 2, "learning_rate": 0.01}


def test_churn_model_beats_the_floor_and_the_baseline_and_is_logged(ml_settings):
    outcome = train_and_register(CHURN, ml_settings)

    assert outcome.metrics["roc_auc"] > 0.7
    assert outcome.metrics["roc_auc"] < 0.97, "a near-perfect score means leakage"
    assert outcome.metrics["roc_auc"] > outcome.baseline_metrics["roc_auc"]
    assert outcome.metrics["lift_top_decile"] > 2
    assert outcome.decision.promote and outcome.version == 1
    client = registry.connect(ml_settings)
    assert registry.alias_version(client, CHURN, registry.CHAMPION) == 1
    run = mlflow.get_run(outcome.run_id)
    assert run.data.tags["feature_version"] == str(CHURN.feature_version)
    assert int(run.data.tags["rows_validation"]) > 1000
    assert {"validation_roc_auc", "validation_brier", "baseline_roc_auc"} <= set(run.data.metrics)
    assert any(k.startswith("segment_auc.plan") for k in run.data.metrics)
    artifacts = {a.path for a in client.mlflow.list_artifacts(outcome.run_id, "plots")}
    assert artifacts == {"plots/calibration.png", "plots/feature_importance.png"}
    # the model is data (LightGBM's text and JSON), its digests kept with the registration
    files = {a.path for a in client.mlflow.list_artifacts(outcome.run_id, registry.MODEL_ARTIFACT)}
    assert files == {"model/model.txt", "model/model.json"}
    tags = client.mlflow.get_model_version(CHURN.registered_model_name, "1").tags
    assert all(len(tags[registry.digest_tag(name)]) == 64 for name in ("model.txt", "model.json"))
    assert run.data.tags["lightgbm_version"] == version("lightgbm")


@pytest.mark.slow
def test_gate_refuses_a_worse_challenger_and_promotes_a_better_one(ml_settings):
    weak = train_and_register(LOW_FLOOR, ml_settings, params=WEAK)
    assert weak.decision.promote, "the first model above the floor is promoted"
    strong = train_and_register(LOW_FLOOR, ml_settings)
    assert strong.decision.promote
    assert strong.champion_metrics["roc_auc"] == pytest.approx(weak.metrics["roc_auc"])
    worse = train_and_register(LOW_FLOOR, ml_settings, params=WEAK)
    assert not worse.decision.promote
    assert any("does not beat the champion" in r for r in worse.decision.reasons)

    client = registry.connect(ml_settings)
    assert registry.alias_version(client, LOW_FLOOR, registry.CHAMPION) == strong.version
    assert registry.alias_version(client, LOW_FLOOR, registry.CHALLENGER) == worse.version


def test_a_model_below_the_floor_is_never_promoted(ml_settings):
    # One tree that may not split ranks nobody: AUC 0.5.
    no_splits = {"n_estimators": 1, "num_leaves": 2, "min_child_samples": 10**6}
    hopeless = train_and_register(CHURN, ml_settings, params=no_splits)
    assert not hopeless.decision.promote
    assert any("below the floor" in r for r in hopeless.decision.reasons)
    client = registry.connect(ml_settings)
    assert registry.alias_version(client, CHURN, registry.CHAMPION) is None


@pytest.mark.slow
def test_rollback_and_every_alias_move_are_kept_in_an_append_only_audit(ml_settings):
    first = train_and_register(LOW_FLOOR, ml_settings, params=WEAK)
    second = train_and_register(LOW_FLOOR, ml_settings)
    client = registry.connect(ml_settings)
    assert registry.rollback(client, CHURN, "oncall", "bad scores reported") == first.version
    assert registry.alias_version(client, CHURN, registry.CHAMPION) == first.version
    last = registry.promotion_history(client, CHURN)[-1]
    assert last == {**last, "alias": "champion", "version": first.version,
                    "previous": second.version, "by": "oncall"}  # fmt: skip
    assert "bad scores reported" in last["why"]
    # Regression: a second rollback flipped back to the version just rolled away from.
    with pytest.raises(registry.RegistryError, match="no earlier champion"):
        registry.rollback(client, CHURN, "oncall", "again")
    assert registry.alias_version(client, CHURN, registry.CHAMPION) == first.version

    # Regression: the history lived in one 5,000-character MLflow tag and dropped old moves
    # (12 moves x 1,000 characters overflowed it).
    before = len(registry.promotion_history(client, CHURN))
    reason = "incident review " + "x" * 1000
    for n in range(12):
        version = second.version if n % 2 == 0 else first.version
        registry.move_alias(client, CHURN, registry.CHAMPION, version, f"oncall-{n}", reason)
    history = registry.promotion_history(client, CHURN)
    assert len(history) == before + 12
    assert history[0]["alias"] == "challenger" and history[0]["by"] != "oncall-0"
    assert history[before]["by"] == "oncall-0" and history[-1]["by"] == "oncall-11"
    assert history[-1]["previous"] == second.version and history[-1]["version"] == first.version
    with (
        sqlite3.connect(ml_settings.audit_db) as con,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        con.execute("delete from alias_moves")  # fmt: skip
    with pytest.raises(registry.RegistryError, match="no version 99"):
        registry.move_alias(client, CHURN, registry.CHAMPION, 99, "oncall", "typo")
    assert len(registry.promotion_history(client, CHURN)) == before + 12


def test_second_model_trains_from_its_spec_alone(ml_settings):
    outcome = train_and_register(SPECS["payment_failure"], ml_settings)
    assert outcome.metrics["roc_auc"] > 0.6
    client = registry.connect(ml_settings)
    assert registry.alias_version(client, SPECS["payment_failure"], registry.CHAMPION) == 1
