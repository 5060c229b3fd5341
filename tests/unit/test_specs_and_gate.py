"""Model spec parsing, risk bands, and the promotion gate's decision rules."""

from __future__ import annotations

import pytest

from ml.config import PROJECT_DIR
from ml.ingest.business import Business, load_business
from ml.training.evaluate import promotion_decision
from ml.training.model import readable
from ml.training.specs import (
    PromotionRule,
    SpecError,
    check_against_manifest,
    load_spec,
    load_specs,
)

CHURN = load_specs()["churn"]


def test_shipped_specs_load_with_their_label_kinds():
    specs = load_specs()
    assert {"churn", "payment_failure"} <= set(specs)
    assert specs["churn"].label.kind == "contractual_churn"
    assert specs["payment_failure"].label.activity == "payment_failed"
    for spec in specs.values():
        assert spec.feature_relation == f"customer_features_v{spec.feature_version}"
        assert set(spec.categorical_features) <= set(spec.features)


@pytest.mark.parametrize(
    "score,band", [(0.0, "low"), (0.149, "low"), (0.15, "medium"), (0.35, "high"), (1.0, "high")]
)
def test_risk_band_is_the_highest_band_reached(score, band):
    assert CHURN.risk_band(score) == band


VALID = (
    "name: broken\ndescription: x\nlabel: {kind: lapse, horizon_days: 90}\nfeature_version: 1\n"
    "features: [a]\nparams: {}\nhigh_risk_threshold: 0.5\nrisk_bands: {low: 0}\n"
)


@pytest.mark.parametrize(
    "text,message",
    [
        ("name: broken\n", "label: Field required"),
        (VALID + "categorical_features: [b]\n", "categorical_features"),
        (VALID.replace("0.5", "1.5"), "high_risk_threshold"),
        (VALID.replace("lapse", "churn"), "label.kind"),
        (VALID.replace("horizon_days: 90", "horizon_days: 0"), "label.horizon_days"),
        (VALID.replace("kind: lapse", "kind: event_in_horizon"), "needs `activity`"),
        (VALID + "retrain_every: 3\n", "retrain_every: Extra inputs"),
    ],
)
def test_bad_specs_fail_naming_the_file_and_field(tmp_path, text, message):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message) as error:
        load_spec(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    "label,message",
    [
        ("{kind: event_in_horizon, activity: teleport, horizon_days: 7}", "does not declare"),
        ("{kind: lapse, activities: [purchase, teleport], horizon_days: 7}", "teleport"),
    ],
)
def test_a_label_must_name_activities_of_the_business(tmp_path, label, message):
    path = tmp_path / "broken.yaml"
    path.write_text(VALID.replace("{kind: lapse, horizon_days: 90}", label))
    with pytest.raises(SpecError, match=message):
        load_spec(path, load_business(PROJECT_DIR / "businesses" / "subscription"))


def _manifest(columns: list[str]) -> dict:
    """The part of a dbt manifest the check reads: versioned models and their contract columns."""
    return {
        "nodes": {
            f"model.scoreline.customer_features.v{v}": {
                "resource_type": "model", "name": "customer_features", "version": v,
                "alias": f"customer_features_v{v}", "columns": {c: {} for c in columns},
            }
            for v in (1, 2)
        }
    }  # fmt: skip


def test_a_spec_names_only_feature_tables_and_columns_the_dbt_project_declares(tmp_path):
    """Spec names reach SQL as identifiers: anything the manifest lacks is refused at load."""
    spec = CHURN.model_copy(update={"feature_version": 2})
    check_against_manifest([spec], _manifest(list(spec.features)), tmp_path)

    with pytest.raises(SpecError, match=r"churn\.yaml: .*no model customer_features_v9 "
                       r"\(customer_features versions: 1, 2\)"):  # fmt: skip
        check_against_manifest([spec.model_copy(update={"feature_version": 9})],
                               _manifest(list(spec.features)), tmp_path)  # fmt: skip
    with pytest.raises(SpecError, match=r"features \['tenure_days'\] are not columns of "
                       "customer_features_v2"):  # fmt: skip
        check_against_manifest([spec], _manifest([f for f in spec.features
                                                  if f != "tenure_days"]), tmp_path)  # fmt: skip


def test_contractual_churn_needs_a_business_with_an_ending_activity(tmp_path):
    business = Business(name="shop", activities={"purchase": {"revenue": True}})
    path = tmp_path / "broken.yaml"
    path.write_text(VALID.replace("kind: lapse", "kind: contractual_churn"))
    with pytest.raises(SpecError, match="ends_contract: true.*kind: lapse"):
        load_spec(path, business)


RULE = PromotionRule(metric="roc_auc", min_improvement=0.01, floor=0.7, max_segment_drop=0.05)


@pytest.mark.parametrize(
    "challenger,segments,champion,champion_segments,promote,why",
    [
        ({"roc_auc": 0.75}, {}, None, None, True, "first model above the floor"),
        ({"roc_auc": 0.65}, {}, None, None, False, "below the floor"),
        ({"roc_auc": 0.80}, {}, {"roc_auc": 0.78}, {}, True, "beats champion"),
        ({"roc_auc": 0.785}, {}, {"roc_auc": 0.78}, {}, False, "does not beat"),
        (
            {"roc_auc": 0.80}, {"plan=basic": 0.70}, {"roc_auc": 0.78}, {"plan=basic": 0.80},
            False, "collapses",
        ),
        ({"roc_auc": 0.80}, {"region=east": 0.45}, None, None, False, "worse than chance"),
    ],
)  # fmt: skip
def test_gate_decision(challenger, segments, champion, champion_segments, promote, why):
    decision = promotion_decision(RULE, challenger, segments, champion, champion_segments)
    assert decision.promote is promote
    assert any(why in reason for reason in decision.reasons)


@pytest.mark.parametrize(
    "feature,text",
    [
        ("events_last_7d", "events in the last 7 days"),
        ("failed_payments_last_90d", "failed payments in the last 90 days"),
        ("engagement_trend_7d_vs_30d", "engagement trend (7 vs 30 days)"),
        ("tenure_days", "tenure days"),
        ("purchase_amount_last_180d", "purchase amount in the last 180 days"),
    ],
)
def test_reason_names_read_as_words(feature, text):
    assert readable(feature) == text
