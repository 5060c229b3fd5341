"""The business vocabulary and declared feature families: what they accept, what they refuse."""

from __future__ import annotations

import pytest

from ml.config import PROJECT_DIR
from ml.ingest.business import Business, BusinessError, load_business
from ml.training.specs import load_specs
from ml.warehouse.feature_families import FamilyError, expand_families, properties_files, regenerate

SUBSCRIPTION = PROJECT_DIR / "businesses" / "subscription"
SHOP = Business(
    name="shop",
    customers={"attributes": {"segment": {"type": "categorical"}}},
    activities={"purchase": {"revenue": True, "quantity": "items"}, "visit": {}},
)


def test_the_shipped_business_declares_its_vocabulary():
    business = load_business(SUBSCRIPTION)
    assert business.ending_activity == "cancellation"
    assert business.revenue_activities == ["purchase"]
    assert business.activities["plan_change"].updates == "monthly_price"
    assert business.categorical_attributes() == ["plan", "region", "channel"]
    assert business.customers.value == "monthly_price"


@pytest.mark.parametrize(
    "text,message",
    [
        ("name: x\n", "activities: Field required"),
        ("name: x\nactivities: {Buy: {}}\n", "lowercase snake_case"),
        ("name: x\nactivities: {a: {ends_contract: true}, b: {ends_contract: true}}\n",
         "at most one activity ends a contract"),
        ("name: x\nactivities: {a: {revenu: true}}\n", "activities.a.revenu: Extra inputs"),
        ("name: x\nactivities: {a: {updates: price}}\n", "not a numeric customer attribute"),
        ("name: x\ncustomers: {attributes: {customer_id: {type: numeric}}}\nactivities: {a: {}}\n",
         "reserved"),
        ("name: x\ncustomers: {attributes: {tier: {type: text}}}\nactivities: {a: {}}\n",
         "customers.attributes.tier.type"),
        ("name: x\ncustomers: {value: tier, attributes: {tier: {type: categorical}}}\n"
         "activities: {a: {}}\n", "value: 'tier' is not a numeric customer attribute"),
    ],
)  # fmt: skip
def test_a_bad_declaration_fails_naming_the_file_and_key(tmp_path, text, message):
    (tmp_path / "business.yml").write_text(text)
    with pytest.raises(BusinessError, match=message) as error:
        load_business(tmp_path)
    assert str(tmp_path / "business.yml") in str(error.value)


def test_a_missing_business_folder_says_what_it_needs(tmp_path):
    with pytest.raises(BusinessError, match="SCORELINE_BUSINESS_DIR must name a business folder"):
        load_business(tmp_path)


def test_families_expand_into_named_typed_columns_with_recipes():
    families = {
        "attributes": ["segment"],
        "tenure": True,
        "windowed": [
            {"activities": ["any", "purchase"], "measures": ["count"], "windows": [30, 7]}
        ],  # fmt: skip
        "recency": ["purchase"],
        "lifetime": [
            {"activities": ["purchase"], "measures": ["count", "mean_gap_days"]},
            {"activities": ["any"], "measures": ["revenue", "revenue_mean"]},
        ],  # fmt: skip
    }
    columns = {c.name: c for c in expand_families(SHOP, 4, families, "test")}
    assert list(columns) == [
        "customer_id", "segment", "tenure_days", "activity_count_last_7d",
        "activity_count_last_30d", "purchase_count_last_7d", "purchase_count_last_30d",
        "days_since_last_purchase", "lifetime_purchase_count", "lifetime_purchase_mean_gap_days",
        "lifetime_revenue", "lifetime_revenue_mean", "as_of_date", "last_activity_at",
    ]  # fmt: skip
    count = columns["purchase_count_last_30d"]
    assert count.meta["family"] == "windowed" and count.meta["window_days"] == 30
    assert count.not_null and "purchase_count_last_30d >= 0" in count.checks
    lifetime = columns["lifetime_purchase_count"]
    assert "lifetime_purchase_count >= purchase_count_last_30d" in lifetime.checks
    assert not columns["days_since_last_purchase"].not_null
    assert columns["lifetime_purchase_mean_gap_days"].data_type == "double"
    assert all(c.meta.get("introduced_in") == 4 for c in columns.values() if c.meta)


@pytest.mark.parametrize(
    "families,message",
    [
        ({"recency": ["teleport"]}, "does not declare"),
        ({"windowed": [{"activities": ["visit"], "measures": ["amount"], "windows": [7]}]},
         "'visit' carries no amount"),
        ({"windowed": [{"activities": ["purchase"], "measures": ["revenue"], "windows": [7]}]},
         "revenue is declared for 'any' only"),
        ({"attributes": ["tier"]}, "'tier' is not a declared customer attribute"),
        ({"lifetime": [{"activities": ["any"], "measures": ["median"]}]}, "unknown"),
        ({"windows": [7]}, "unknown family keys"),
    ],
)  # fmt: skip
def test_families_naming_what_the_vocabulary_lacks_fail_naming_the_version(families, message):
    with pytest.raises(FamilyError, match=message) as error:
        expand_families(SHOP, 2, families, "shop.yml v2")
    assert "shop.yml v2" in str(error.value)


@pytest.mark.parametrize("folder", sorted(p for p in SUBSCRIPTION.parent.iterdir() if p.is_dir()))
def test_committed_generated_columns_match_their_families(folder):
    """`scoreline features --write` was run after the last change to a family, and every
    shipped business's specs load against its vocabulary."""
    business = load_business(folder)
    files = properties_files(folder)
    assert files
    for path in files:
        assert regenerate(path, business) == path.read_text(), path
    assert load_specs(folder)
