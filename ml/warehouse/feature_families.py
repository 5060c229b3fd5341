"""Declared feature families -> the contract columns of a feature version.

A declared version's YAML block lists its families (`config.meta.families`); this module expands
them, against the business vocabulary, into contract columns: name, type, description, null
policy and range as enforced constraints, and in `meta` the recipe that the dbt macro
`declared_features()` turns into SQL. `scoreline features --write` writes the columns into the
YAML between the version's markers; a test fails when the committed columns are stale.

    families:
      attributes: [plan, monthly_price]           # declared customer attributes
      tenure: true                                # days since first seen
      windowed:                                   # per activity ('any' = all), over N days
        - {activities: [any, purchase], measures: [count, active_days], windows: [7, 30, 90]}
      recency: [any, purchase]                    # days since the last one, whole lifetime
      lifetime:                                   # since first seen
        - {activities: [any], measures: [count, active_days, revenue, mean_gap_days]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ml.ingest.business import Business

WINDOWED_MEASURES = ("count", "active_days", "amount", "quantity", "revenue")
LIFETIME_MEASURES = (
    "count", "active_days", "amount", "quantity", "amount_mean", "revenue", "revenue_mean",
    "mean_gap_days", "last_gap_days",
)  # fmt: skip
FAMILY_KEYS = {"attributes", "tenure", "windowed", "recency", "lifetime", "owner"}
BEGIN = "# BEGIN generated columns of v{version}"
END = "# END generated columns of v{version}"


class FamilyError(ValueError):
    """A family declaration names something the vocabulary lacks; says which version and key."""


@dataclass
class Column:
    name: str
    data_type: str
    description: str
    meta: dict = field(default_factory=dict)
    not_null: bool = False
    checks: list[str] = field(default_factory=list)

    def as_yaml_dict(self) -> dict:
        entry: dict = {"name": self.name, "data_type": self.data_type}
        entry["description"] = self.description
        if self.meta:
            entry["config"] = {"meta": self.meta}
        constraints = [{"type": "not_null"}] if self.not_null else []
        constraints += [{"type": "check", "expression": check} for check in self.checks]
        if constraints:
            entry["constraints"] = constraints
        return entry


def _prefix(activity: str) -> str:
    return "activity" if activity == "any" else activity


def _what(activity: str) -> str:
    return "activities of any kind" if activity == "any" else f"'{activity}' activities"


class _Expander:
    def __init__(self, business: Business, version: int, families: dict, where: str):
        self.business = business
        self.version = version
        self.families = families
        self.where = where
        self.owner = families.get("owner")
        self.columns: list[Column] = []

    def fail(self, message: str) -> None:
        raise FamilyError(f"{self.where}: {message}")

    def meta(self, **recipe) -> dict:
        meta = {key: value for key, value in recipe.items() if value is not None}
        meta["introduced_in"] = self.version
        if self.owner:
            meta["owner"] = self.owner
        return meta

    def activities(self, names: list[str], key: str) -> list[str]:
        unknown = [n for n in names if n != "any" and n not in self.business.activities]
        if unknown:
            self.fail(
                f"{key} names activities {unknown} that business '{self.business.name}' does not "
                f"declare (declared: {', '.join(self.business.activities)}, or 'any')"
            )
        return names

    def add(self, column: Column) -> None:
        if any(c.name == column.name for c in self.columns):
            self.fail(f"column {column.name} is declared twice")
        self.columns.append(column)

    def expand(self) -> list[Column]:
        unknown = set(self.families) - FAMILY_KEYS
        if unknown:
            self.fail(f"unknown family keys {sorted(unknown)}; known: {sorted(FAMILY_KEYS)}")
        self.add(Column("customer_id", "string", "Customer key. Never null.", not_null=True))
        for name in self.families.get("attributes", []):
            self.attribute(name)
        if self.families.get("tenure"):
            self.add(
                Column(
                    "tenure_days", "integer",
                    "Whole days from when the customer was first seen to the as-of date. "
                    "Never null, at least 0.",
                    self.meta(family="tenure", window="lifetime", unit="days"),
                    not_null=True, checks=["tenure_days >= 0"],
                )
            )  # fmt: skip
        windows_of: dict[tuple[str, str], list[int]] = {}
        for block in self.families.get("windowed", []):
            for activity in self.activities(block.get("activities", []), "windowed.activities"):
                for measure in block.get("measures", []):
                    for days in sorted(block.get("windows", [])):
                        self.windowed(activity, measure, int(days))
                        windows_of.setdefault((activity, measure), []).append(int(days))
        for activity in self.activities(self.families.get("recency", []), "recency"):
            self.recency(activity)
        for block in self.families.get("lifetime", []):
            for activity in self.activities(block.get("activities", []), "lifetime.activities"):
                for measure in block.get("measures", []):
                    self.lifetime(activity, measure, windows_of)
        self.add(Column("as_of_date", "date", "The as-of date; features read only activity "
                        "dated before it. Never null.", not_null=True))  # fmt: skip
        self.add(
            Column(
                "last_activity_at", "timestamp",
                "Time of the newest activity any feature of the row read. Audit column for the "
                "leakage guard, not a model input. Null when the customer has no activity yet.",
            )
        )  # fmt: skip
        return self.columns

    def attribute(self, name: str) -> None:
        declared = self.business.customers.attributes.get(name)
        if declared is None:
            self.fail(f"attributes: '{name}' is not a declared customer attribute")
        updater = next((a for a, d in self.business.activities.items() if d.updates == name), None)
        text = declared.description or f"Customer attribute {name}."
        if updater:
            text += f" As of the as-of date: the latest '{updater}' activity before it sets it."
        text += " Never null." if declared.required else " Null when the customer has none."
        checks = []
        if declared.type == "numeric":
            checks += [f"{name} >= {declared.min:g}"] if declared.min is not None else []
            checks += [f"{name} <= {declared.max:g}"] if declared.max is not None else []
        self.add(
            Column(
                name, "string" if declared.type == "categorical" else "double", text,
                self.meta(family="attribute", attribute=name, updated_by=updater,
                          window="as of" if updater else "static",
                          unit=declared.unit or ("category" if declared.type == "categorical"
                                                 else None)),
                not_null=declared.required, checks=checks,
            )
        )  # fmt: skip

    def windowed(self, activity: str, measure: str, days: int) -> None:
        if measure not in WINDOWED_MEASURES:
            self.fail(f"windowed measure '{measure}' unknown; known: {WINDOWED_MEASURES}")
        self.measure_fits(activity, measure, "windowed")
        name = {
            "count": f"{_prefix(activity)}_count_last_{days}d",
            "active_days": "active_days" if activity == "any" else f"{activity}_active_days",
            "revenue": "revenue",
        }.get(measure, f"{activity}_{measure}")
        if measure in ("active_days", "revenue", "amount", "quantity"):
            name = f"{name}_last_{days}d"
        what = {
            "count": f"Number of {_what(activity)}",
            "active_days": f"Days with {_what(activity)}",
            "revenue": "Revenue (amounts of revenue activities)",
            "amount": f"Sum of the amounts of {_what(activity)}",
            "quantity": f"Sum of the quantities of {_what(activity)}",
        }[measure]
        integer = measure in ("count", "active_days")
        checks = [f"{name} >= 0"] + ([f"{name} <= {days}"] if measure == "active_days" else [])
        shorter = [
            c for c in self.columns
            if c.meta.get("family") == "windowed" and c.meta.get("activity") == activity
            and c.meta.get("measure") == measure and c.meta["window_days"] < days
        ]  # fmt: skip
        if shorter:
            # a window holds every shorter one (doubles summed in another order may differ in
            # their last bits)
            nearest = max(shorter, key=lambda c: c.meta["window_days"]).name
            checks.append(f"{name} >= {nearest}" + ("" if integer else " * (1 - 1e-9)"))
        self.add(
            Column(
                name, "integer" if integer else "double",
                f"{what} in the {days} days before the as-of date. Never null (0 when none).",
                self.meta(family="windowed", activity=activity, measure=measure,
                          window_days=days, window=f"{days}d", unit=self.unit(activity, measure)),
                not_null=True, checks=checks,
            )
        )  # fmt: skip

    def recency(self, activity: str) -> None:
        name = f"days_since_last_{_prefix(activity)}"
        self.add(
            Column(
                name, "integer",
                f"Days from the last day with {_what(activity)} to the as-of date, over the "
                "customer's whole history (at least 1). Null when there was none.",
                self.meta(family="recency", activity=activity, window="lifetime", unit="days"),
                checks=[f"{name} >= 1"],
            )
        )  # fmt: skip

    def lifetime(self, activity: str, measure: str, windows_of: dict) -> None:
        if measure not in LIFETIME_MEASURES:
            self.fail(f"lifetime measure '{measure}' unknown; known: {LIFETIME_MEASURES}")
        base = measure.removesuffix("_mean") if measure.endswith("_mean") else measure
        if base in ("amount", "quantity", "revenue"):
            self.measure_fits(activity, base, "lifetime")
        if measure in ("revenue", "revenue_mean"):
            name = f"lifetime_{measure}"
        elif measure == "active_days" and activity == "any":
            name = "lifetime_active_days"
        else:
            name = f"lifetime_{_prefix(activity)}_{measure}"
        integer = measure in ("count", "active_days", "last_gap_days")
        data_type = "bigint" if measure in ("count", "active_days") else (
            "integer" if integer else "double")  # fmt: skip
        nullable = measure.endswith("_mean") or measure.endswith("_gap_days")
        what = {
            "count": f"Number of {_what(activity)}",
            "active_days": f"Days with {_what(activity)}",
            "amount": f"Sum of the amounts of {_what(activity)}",
            "quantity": f"Sum of the quantities of {_what(activity)}",
            "amount_mean": f"Mean amount per one of {_what(activity)}",
            "revenue": "Revenue (amounts of revenue activities)",
            "revenue_mean": "Mean revenue per revenue activity",
            "mean_gap_days": f"Mean days between consecutive days with {_what(activity)}",
            "last_gap_days": f"Days between the last two days with {_what(activity)}",
        }[measure]
        policy = (
            " Null when undefined (too few activities)."
            if nullable
            else " Never null (0 when none)."
        )
        checks = [f"{name} >= {1 if measure.endswith('_gap_days') else 0}"]
        for days in windows_of.get((activity, measure), [])[-1:]:
            # the lifetime total includes the longest window declared for the same measure
            window_column = next(
                c.name for c in self.columns
                if c.meta.get("family") == "windowed" and c.meta.get("activity") == activity
                and c.meta.get("measure") == measure and c.meta.get("window_days") == days
            )  # fmt: skip
            # sums of doubles in another order differ in the last bits: allow for that
            floor = window_column if integer or measure == "active_days" else (
                f"{window_column} * (1 - 1e-9)")  # fmt: skip
            checks.append(f"{name} >= {floor}")
        self.add(
            Column(
                name, data_type,
                f"{what} since the customer was first seen, before the as-of date.{policy}",
                self.meta(family="lifetime", activity=activity, measure=measure,
                          window="lifetime", unit=self.unit(activity, base)),
                not_null=not nullable, checks=checks,
            )
        )  # fmt: skip

    def measure_fits(self, activity: str, measure: str, family: str) -> None:
        business = self.business
        if measure == "revenue" and (activity != "any" or not business.revenue_activities):
            self.fail(
                f"{family} revenue is declared for 'any' only, in a business with revenue "
                "activities (an activity's own revenue is its amount)"
            )
        if measure == "amount":
            if activity == "any" or not business.activities[activity].carries_amount:
                self.fail(f"{family} amount: '{activity}' carries no amount in the vocabulary")
        if measure == "quantity":
            if activity == "any" or business.activities[activity].quantity is None:
                self.fail(f"{family} quantity: '{activity}' carries no quantity in the vocabulary")

    def unit(self, activity: str, measure: str) -> str:
        if measure in ("count",):
            return "activities"
        if measure in ("active_days", "mean_gap_days", "last_gap_days"):
            return "days"
        if measure == "revenue":
            return "currency"
        declared = self.business.activities.get(activity)
        if measure == "amount" and declared is not None:
            return "currency" if declared.revenue else declared.amount or "amount"
        if measure == "quantity" and declared is not None:
            return declared.quantity or "quantity"
        return measure


def expand_families(business: Business, version: int, families: dict, where: str) -> list[Column]:
    """The contract columns of one declared version, in contract order.

    Args:
        business: The vocabulary the families draw on.
        version: The version number (recorded as `introduced_in`).
        families: The version's `config.meta.families`.
        where: Names the version in errors, e.g. "customer_features.yml v3".

    Raises:
        FamilyError: a family names an activity, attribute or measure the vocabulary lacks.
    """
    return _Expander(business, version, families, where).expand()


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as the hand-written YAML around them does."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def render_columns(columns: list[Column], indent: int) -> str:
    """The YAML of a version's `columns:` list (starting with `include: []`), indented."""
    entries = [{"include": []}, *(c.as_yaml_dict() for c in columns)]
    text = yaml.dump(
        {"columns": entries}, Dumper=_IndentedDumper, sort_keys=False,
        default_flow_style=None, width=1000,
    )  # fmt: skip
    return "".join(" " * indent + line + "\n" for line in text.splitlines())


def declared_versions(properties_file: Path) -> list[tuple[str, int, dict]]:
    """(model name, version, families) for every version with families in a properties file."""
    document = yaml.safe_load(Path(properties_file).read_text()) or {}
    found = []
    for model in document.get("models", []):
        for entry in model.get("versions", []):
            families = ((entry.get("config") or {}).get("meta") or {}).get("families")
            if families:
                found.append((model["name"], int(entry["v"]), families))
    return found


def regenerate(properties_file: Path, business: Business) -> str:
    """The properties file's text with every declared version's generated columns rewritten.

    Raises:
        FamilyError: a version's markers are missing or a family is invalid.
    """
    path = Path(properties_file)
    text = path.read_text()
    for model, version, families in declared_versions(path):
        where = f"{path.name}: {model} v{version}"
        columns = expand_families(business, version, families, where)
        begin, end = BEGIN.format(version=version), END.format(version=version)
        pattern = re.compile(
            rf"^(?P<indent>[ ]*){re.escape(begin)}[^\n]*\n.*?^[ ]*{re.escape(end)}[^\n]*\n",
            re.S | re.M,
        )
        match = pattern.search(text)
        if match is None:
            raise FamilyError(
                f"{where}: add the lines '{begin}' and '{END.format(version=version)}' where the "
                "version's generated columns go (under `- v: {version}`, at the key indentation)"
            )
        indent = len(match["indent"])
        block = (
            f"{' ' * indent}{begin} (`scoreline features --write`: edit the families, not these)\n"
            + render_columns(columns, indent)
            + f"{' ' * indent}{end}\n"
        )
        text = text[: match.start()] + block + text[match.end() :]
    return text


def properties_files(business_dir: Path) -> list[Path]:
    """The business's feature properties files (those declaring versions with families)."""
    files = sorted((Path(business_dir) / "models").rglob("*.yml"))
    return [f for f in files if declared_versions(f)]


def recipes(properties_file: Path) -> list[dict]:
    """The recipe (column meta with a `family`, plus the column name) of every column of every
    version in a properties file."""
    document = yaml.safe_load(Path(properties_file).read_text()) or {}
    found = []
    for model in document.get("models", []):
        entries = [model, *model.get("versions", [])]
        for entry in entries:
            for column in entry.get("columns", []) or []:
                meta = ((column.get("config") or {}).get("meta")) or column.get("meta") or {}
                if "name" in column and meta.get("family"):
                    found.append({**meta, "column": column["name"]})
    return found


def column_needs(business_dir: Path, business: Business, specs: dict | None = None) -> dict:
    """What the business's declared feature versions and specs' labels read of the shared models.

    int_customer_lifetime_aggregates computes only these lifetime aggregates, and daily activity
    counts and sums only these activities: every aggregate costs the full build a pass over all
    history (a count of every customer-day ~2 s at 1M customers), and most (the active days of
    a login, the count of plan changes) nothing reads. Returns
        lifetime: [activity, kind] pairs (the newest activity time, the leakage guard's audit
                  column, always);
        amounts: activities whose non-revenue amount is summed (revenue always is);
        counts: activities counted per customer-day (named by a feature or a label).
    """
    lifetime = {("any", "latest_timestamp")}
    amounts: set[str] = set()
    counts: set[str] = set()
    for spec in (specs or {}).values():
        counts |= {spec.label.activity} if spec.label.activity else set(spec.label.activities or ())
    revenue = business.revenue_activities
    files = sorted((Path(business_dir) / "models").rglob("*.yml"))
    for recipe in (r for f in files for r in recipes(f)):
        activity, measure = recipe.get("activity"), recipe.get("measure")
        family = recipe["family"]
        if activity and activity != "any":
            counts.add(activity)
        if family == "windowed":
            if measure == "amount":
                amounts.add(activity)
        elif family == "recency":
            lifetime.add((activity, "last_date"))
        elif family == "attribute" and recipe.get("updated_by"):
            updater = recipe["updated_by"]
            lifetime |= {(updater, "latest_amount"), (updater, "latest_at")}
        elif family == "lifetime":
            lifetime |= {
                "count": {(activity, "count")},
                "active_days": {(activity, "active_days")},
                "amount": {(activity, "amount")},
                "quantity": {(activity, "quantity")},
                "amount_mean": {(activity, "amount"), (activity, "count")},
                "revenue": {(name, "amount") for name in revenue},
                "revenue_mean": {(n, k) for n in revenue for k in ("amount", "count")},
                "mean_gap_days": {
                    (activity, k) for k in ("first_date", "last_date", "active_days")
                },
                "last_gap_days": {(activity, "last_date"), (activity, "previous_date")},
            }[measure]
            if measure in ("amount", "amount_mean"):
                amounts.add(activity)
    # a lifetime count, active-day or date reads the activity's daily count
    counts |= {
        a
        for a, kind in lifetime
        if a != "any" and kind not in ("amount", "quantity", "latest_amount", "latest_at")
    }
    return {
        "lifetime": sorted([list(need) for need in lifetime]),
        "amounts": sorted(amounts - set(revenue)),
        "counts": sorted(counts),
    }


# Families whose value grows by one every day for every customer who stays: their drift is the
# calendar, not the business (ml/monitoring/calibration.py compares them as of one date).
CALENDAR_AGEING_FAMILIES = ("tenure",)


def calendar_ageing_columns(business_dir: Path) -> set[str]:
    """Feature columns of the business's declared versions that age with the calendar."""
    files = sorted((Path(business_dir) / "models").rglob("*.yml"))
    return {
        recipe["column"]
        for recipe in (r for f in files for r in recipes(f))
        if recipe["family"] in CALENDAR_AGEING_FAMILIES
    }
