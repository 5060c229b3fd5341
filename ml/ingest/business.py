"""The business a deployment scores: its vocabulary, declared once in `business.yml`.

A business folder (SCORELINE_BUSINESS_DIR, default `businesses/subscription`) holds
    business.yml                what customers and activities exist and what each carries
    specs/<model>.yaml          the model specs (ml.training.specs)
    models/                     its dbt models: the feature versions (a dbt model path)
    feature_fingerprints.json   its released feature versions

The vocabulary drives the raw input contract (ml.ingest.raw_contract), the staging checks, the
per-activity columns of daily activity and lifetime aggregates, the declared feature families
and the label kinds. dbt reads it, with the specs' label declarations, as JSON in
SCORELINE_DECLARATIONS (see `declarations_for_dbt`), which the dbt runners set.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUSINESS_FILE = "business.yml"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Columns every staged table carries; an attribute may not take one of these names.
RESERVED = {
    "customer_id", "first_seen_at", "activity_id", "activity_at", "activity", "amount",
    "quantity", "loaded_date", "source_row", "reject_reason", "as_of_date", "any",
}  # fmt: skip


class BusinessError(ValueError):
    """The business declaration is missing or invalid; the message names the file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attribute(_Strict):
    """A declared attribute of a customer (or of an activity)."""

    type: Literal["categorical", "numeric"]
    required: bool = Field(False, description="rows without a value are rejected")
    values: tuple[str, ...] | None = Field(None, description="categorical: the allowed values")
    min: float | None = Field(None, description="numeric: smallest allowed value")
    max: float | None = Field(None, description="numeric: largest allowed value")
    max_length: int = Field(
        200, gt=0, description="categorical: longest value in characters; longer rows are rejected"
    )
    unit: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _kind_fits(self) -> Attribute:
        if self.type == "categorical" and (self.min is not None or self.max is not None):
            raise ValueError("min/max apply to numeric attributes only")
        if self.type == "numeric" and self.values is not None:
            raise ValueError("values apply to categorical attributes only")
        return self


class Activity(_Strict):
    """One activity of the vocabulary and what its rows carry."""

    description: str = ""
    revenue: bool = Field(False, description="the amount is money the customer paid")
    amount: str | None = Field(None, description="unit of an amount that is not revenue")
    quantity: str | None = Field(None, description="unit of the quantity (seconds, items)")
    ends_contract: bool = Field(False, description="the customer leaves (contractual churn)")
    updates: str | None = Field(None, description="numeric customer attribute the amount sets")

    @property
    def carries_amount(self) -> bool:
        return self.revenue or self.amount is not None


class Customers(_Strict):
    attributes: dict[str, Attribute] = {}
    value: str | None = Field(
        None,
        description="numeric attribute measuring what a customer is worth (monthly price, "
        "contract value): the at-risk list ranks by score x value, the value at stake",
    )

    @model_validator(mode="after")
    def _value_is_numeric(self) -> Customers:
        if self.value is not None and (
            self.value not in self.attributes or self.attributes[self.value].type != "numeric"
        ):
            raise ValueError(f"value: '{self.value}' is not a numeric customer attribute")
        return self


class Arrival(_Strict):
    """How the raw day folders arrive: what bounds a folder's date (docs/contract.md)."""

    days_ahead: int = Field(
        0, ge=0, description="a folder may be dated this many days after the run's today (UTC)"
    )
    max_days_late: int = Field(
        30,
        ge=0,
        description="a folder whose newest activity is older than this many days before the "
        "folder's day is refused as misdated",
    )


class Business(_Strict):
    """A validated business declaration."""

    name: str
    description: str = ""
    customers: Customers = Customers()
    activities: dict[str, Activity]
    activity_attributes: dict[str, Attribute] = {}
    arrival: Arrival = Arrival()

    @model_validator(mode="after")
    def _consistent(self) -> Business:
        names = [*self.customers.attributes, *self.activities, *self.activity_attributes]
        bad = [n for n in names if not NAME.match(n)]
        if bad:
            raise ValueError(f"names must be lowercase snake_case: {bad}")
        clash = sorted(RESERVED & {*self.customers.attributes, *self.activity_attributes})
        if clash:
            raise ValueError(f"attribute names {clash} are reserved for the contract's columns")
        if not self.activities:
            raise ValueError("declare at least one activity")
        ending = [name for name, a in self.activities.items() if a.ends_contract]
        if len(ending) > 1:
            raise ValueError(f"at most one activity ends a contract, got {ending}")
        for name, activity in self.activities.items():
            target = activity.updates
            if target is None:
                continue
            if self.customers.attributes.get(target, None) is None or (
                self.customers.attributes[target].type != "numeric"
            ):
                raise ValueError(
                    f"activities.{name}.updates: '{target}' is not a numeric customer attribute"
                )
            if not activity.carries_amount:
                raise ValueError(f"activities.{name}.updates needs an amount (or revenue: true)")
        return self

    @property
    def ending_activity(self) -> str | None:
        """The activity that ends a contract, or None for a non-contractual business."""
        return next((n for n, a in self.activities.items() if a.ends_contract), None)

    @property
    def revenue_activities(self) -> list[str]:
        return [n for n, a in self.activities.items() if a.revenue]

    @property
    def carries_amounts(self) -> bool:
        return any(a.carries_amount for a in self.activities.values())

    @property
    def carries_quantities(self) -> bool:
        return any(a.quantity is not None for a in self.activities.values())

    def categorical_attributes(self) -> list[str]:
        return [n for n, a in self.customers.attributes.items() if a.type == "categorical"]


def load_business(business_dir: Path) -> Business:
    """Read and validate `<business_dir>/business.yml`.

    Raises:
        BusinessError: the file is missing, is not YAML, or breaks a rule; names file and key.
    """
    path = Path(business_dir) / BUSINESS_FILE
    if not path.exists():
        raise BusinessError(
            f"{path} not found: SCORELINE_BUSINESS_DIR must name a business folder holding "
            f"{BUSINESS_FILE} (see docs/contract.md)"
        )
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        return Business.model_validate(raw)
    except yaml.YAMLError as exc:
        raise BusinessError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise BusinessError(f"{path}: {_describe(exc)}") from exc


def _describe(error: ValidationError) -> str:
    """Pydantic's errors as 'key.path: message' lines."""
    return "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or '(top level)'}: {e['msg']}"
        for e in error.errors()
    )


def declarations_for_dbt(business: Business, specs: dict, needs: dict | None = None) -> str:
    """What dbt's `declarations()` macro reads: the vocabulary, each spec's label and what the
    declared feature versions read (ml.warehouse.feature_families.column_needs), as JSON.

    Passed as an environment variable read only while dbt executes, so changing a spec never
    forces dbt to re-parse the project.
    """
    return json.dumps(
        {
            "business": business.name,
            "customer_attributes": {
                name: attribute.model_dump()
                for name, attribute in business.customers.attributes.items()
            },
            "activities": {
                name: {**activity.model_dump(), "carries_amount": activity.carries_amount}
                for name, activity in business.activities.items()
            },
            "activity_attributes": {
                name: attribute.model_dump()
                for name, attribute in business.activity_attributes.items()
            },
            "ending_activity": business.ending_activity,
            "labels": {name: spec.label.model_dump() for name, spec in sorted(specs.items())},
            # the days drift calibration replays (int_customer_dates_calibration_spine)
            "drift_calibration": {
                "days": max((spec.drift.calibration_days for spec in specs.values()), default=0),
                "rows": max((spec.drift.sample_rows for spec in specs.values()), default=0),
                "daily_days": max(
                    (spec.drift.calibration_daily_days for spec in specs.values()), default=0
                ),
            },
            "needs": needs
            or {"lifetime": [["any", "latest_timestamp"]], "amounts": [], "counts": []},
        },
        sort_keys=True,
    )
