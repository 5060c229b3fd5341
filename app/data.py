"""Read-only data access for the reports app. Pages call these; nothing here writes.

The app never opens the warehouse, which the nightly run holds while it writes: it reads the
published tables and the read model (customer attributes, quarantine counts, realized labels),
Parquet files the pipeline swaps in whole (ml.serving.read_model), with an in-memory DuckDB.
A night in progress is invisible until each of its files is complete, and a query reads the
versions its files had when it began (ml.scoring.file_versions).

Every query aggregates in DuckDB and returns small frames; results are cached for a minute.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from ml.config import Settings
from ml.ingest.business import load_business
from ml.ingest.raw_contract import RawContractError
from ml.scoring.file_versions import pinned
from ml.scoring.publish import pinned_files, published_files
from ml.serving.read_model import read_model_path
from ml.training.specs import ModelSpec, load_specs
from ml.warehouse.dbt_runner import newest_score_date

CACHE_SECONDS = 60


def cached(function):
    """`st.cache_data` keyed also by the data directory, so pointing the app (or a test) at
    another SCORELINE_DATA_DIR never serves the previous directory's results."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return _cached_call(function.__name__, str(settings().data_dir), args, kwargs)

    _FUNCTIONS[function.__name__] = function
    return wrapper


_FUNCTIONS: dict = {}


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _cached_call(name: str, data_dir: str, args: tuple, kwargs: dict):
    return _FUNCTIONS[name](*args, **kwargs)


def settings() -> Settings:
    return Settings.from_env()


def specs() -> dict[str, ModelSpec]:
    return load_specs(settings().business_dir)


def model_names() -> list[str]:
    return list(specs())


def segment_dimensions() -> list[str]:
    """The business's categorical customer attributes: what pages filter and segment by."""
    return load_business(settings().business_dir).categorical_attributes()


def _dimension(name: str) -> str:
    """A segment column, checked against the vocabulary before it is written into SQL."""
    if name not in segment_dimensions():
        raise ValueError(f"{name!r} is not a categorical attribute of this business")
    return name


def has_published(table: str = "predictions") -> bool:
    return bool(published_files(settings(), table))


def _published(table: str) -> str:
    """A published table in a query; its files are bound as a parameter (see _bound)."""
    if not table.isidentifier():
        raise ValueError(f"{table!r} is not a published table name")
    return f"read_parquet($published_{table}, hive_partitioning = false, union_by_name = true)"


def _read(table: str) -> str:
    """A read-model table in a query; its file is bound as a parameter (see _bound)."""
    if not table.isidentifier():
        raise ValueError(f"{table!r} is not a read-model table name")
    return f"read_parquet($read_{table})"


def _bound(sql: str, params: dict | None) -> dict:
    """The query's parameters plus the files of each published table and the file of each
    read-model table it reads, pinned to their current versions."""
    published = set(re.findall(r"\$published_(\w+)", sql))
    read = set(re.findall(r"\$read_(\w+)", sql))
    return {
        **(params or {}),
        **{f"published_{t}": pinned_files(settings(), t) for t in published},
        **{f"read_{t}": pinned(read_model_path(settings(), t)) for t in read},
    }


def _query(sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run a query over published and read-model files; an empty frame when a file it needs is
    not there yet (before the first night)."""
    for table in set(re.findall(r"\$read_(\w+)", sql)):
        if not read_model_path(settings(), table).exists():
            return pd.DataFrame()
    bound = _bound(sql, params)
    if any(bound[name] == [] for name in bound if name.startswith("published_")):
        return pd.DataFrame()
    with duckdb.connect() as con:
        return con.execute(sql, bound).df()


@cached
def score_dates(model: str) -> list:
    if not has_published():
        return []
    frame = _query(
        f"select distinct score_date from {_published('predictions')} where model_name = $m "
        "order by score_date",
        {"m": model},
    )
    return [d.date() for d in frame.score_date]


@cached
def daily_summary(model: str, threshold: float) -> pd.DataFrame:
    """Per score date: customers scored, high-risk count and share, mean score."""
    return _query(
        f"""
        select score_date, count(*) as customers,
               count(*) filter (where score >= $t) as high_risk,
               avg(case when score >= $t then 1 else 0 end) as high_risk_share,
               avg(score) as mean_score, max(model_version) as model_version
        from {_published("predictions")}
        where model_name = $m and not is_shadow
        group by score_date order by score_date
        """,
        {"m": model, "t": threshold},
    )


@cached
def score_histogram(model: str, score_date, bins: int = 20) -> pd.DataFrame:
    return _query(
        f"""
        select least(floor(score * $b), $b - 1) / $b as score_bin, risk_band, count(*) as customers
        from {_published("predictions")}
        where model_name = $m and score_date = $d and not is_shadow
        group by all order by score_bin
        """,
        {"m": model, "d": score_date, "b": bins},
    )


@cached
def segment_values() -> dict[str, list[str]]:
    """Each categorical attribute's values among customers, for the filters."""
    dimensions = segment_dimensions()
    if not dimensions:
        return {}
    frame = _query(
        " union ".join(
            f"select '{d}' as dimension, {_dimension(d)} as value from {_read('customers')}"
            for d in dimensions
        )
    )
    if frame.empty:
        return {d: [] for d in dimensions}
    return {d: sorted(frame[frame.dimension == d].value.dropna()) for d in dimensions}


@cached
def newest_raw_score_date():
    """The score date the newest landed raw day allows (None before any raw data)."""
    try:
        return newest_score_date(settings())
    except RawContractError:
        return None


def value_attribute() -> str | None:
    """The business's declared customer value (customers.value), if any."""
    return load_business(settings().business_dir).customers.value


# A score that moved less than this since the previous date is "same".
SCORE_MOVE = 0.02


@cached
def at_risk_customers(
    model: str, score_date, bands: tuple[str, ...], filters: tuple[tuple[str, tuple], ...],
    threshold: float = 0.5, limit: int = 5000,
) -> pd.DataFrame:  # fmt: skip
    """Who to call first on a date: ranked by value at stake (score x the business's declared
    customer value; by score when it declares none), with what changed since the model's
    previous score date and the reasons, filtered by band and attribute values."""
    earlier = [d for d in score_dates(model) if d < pd.Timestamp(score_date).date()]
    conditions = ["today.risk_band in (select unnest($bands))"] if bands else []
    params: dict = {
        "m": model, "d": score_date, "p": earlier[-1] if earlier else None, "t": threshold,
        "move": SCORE_MOVE, "limit": limit, **({"bands": list(bands)} if bands else {}),
    }  # fmt: skip
    for position, (column, values) in enumerate(filters):
        if values:
            conditions.append(f"customers.{_dimension(column)} in (select unnest($f{position}))")
            params[f"f{position}"] = list(values)
    value = value_attribute()
    at_stake = f"today.score * customers.{value}" if value else "null"
    attributes = "".join(f"customers.{d}, " for d in segment_dimensions())
    return _query(
        f"""
        with today as (
            select * from {_published("predictions")}
            where model_name = $m and score_date = $d and not is_shadow
        ),
        previous as (
            select customer_id, score from {_published("predictions")}
            where model_name = $m and score_date = $p and not is_shadow
        )
        select
            today.customer_id, round(today.score, 4) as score, today.risk_band,
            round({at_stake}, 2) as value_at_stake,
            case
                when $p is null then null
                when previous.score is null or (previous.score < $t and today.score >= $t)
                    then 'new'
                when today.score - previous.score >= $move then 'up'
                when previous.score - today.score >= $move then 'down'
                else 'same'
            end as since_previous,
            round(previous.score, 4) as previous_score,
            {attributes}
            array_to_string(today.reasons, '; ') as reasons, today.model_version
        from today
        left join previous using (customer_id)
        left join {_read("customers")} as customers using (customer_id)
        {"where " + " and ".join(conditions) if conditions else ""}
        order by {"value_at_stake desc nulls last, " if value else ""}today.score desc
        limit $limit
        """,
        params,
    )


@cached
def segment_risk(model: str, score_date, threshold: float, dimension: str) -> pd.DataFrame:
    """Customers, mean score and high-risk share per segment on one score date."""
    return _query(
        f"""
        select customers.{_dimension(dimension)} as segment, count(*) as customers,
               avg(score) as mean_score,
               avg(case when score >= $t then 1 else 0 end) as high_risk_share
        from {_published("predictions")} as predictions
        join {_read("customers")} as customers using (customer_id)
        where model_name = $m and score_date = $d and not is_shadow
        group by all order by mean_score desc
        """,
        {"m": model, "d": score_date, "t": threshold},
    )


@cached
def realized_rate_by_segment(model: str, dimension: str) -> pd.DataFrame:
    """Realized outcome rate per segment over every matured score date."""
    return _query(
        f"""
        select customers.{_dimension(dimension)} as segment, count(*) as customer_dates,
               avg(label) as realized_rate
        from {_read("realized_labels")} as labels
        join {_read("customers")} as customers using (customer_id)
        where labels.model_name = $m
        group by all order by realized_rate desc
        """,
        {"m": model},
    )


@cached
def history(table: str, model: str | None = None) -> pd.DataFrame:
    if not has_published(table):
        return pd.DataFrame()
    where = "where model_name = $m" if model else ""
    return _query(
        f"select * from {_published(table)} {where} order by score_date",
        {"m": model} if model else {},
    )


@cached
def quarantine_summary() -> pd.DataFrame:
    return _query(f"select * from {_read('quarantine_summary')}")


def _newest(root: Path, name: str) -> Path | None:
    found = sorted(root.rglob(name), key=lambda p: p.stat().st_mtime) if root.exists() else []
    return found[-1] if found else None


@cached
def last_test_results() -> tuple[pd.DataFrame, str | None]:
    """dbt's newest run_results.json: one row per test with status and failures."""
    path = _newest(settings().dbt_target_dir, "run_results.json")
    if path is None:
        return pd.DataFrame(), None
    results = json.loads(path.read_text())
    rows = [
        {
            "test": r["unique_id"].split(".")[2]
            if r["unique_id"].count(".") >= 2
            else r["unique_id"],
            "status": r["status"],
            "failures": r.get("failures"),
            "seconds": round(r.get("execution_time") or 0, 2),
        }
        for r in results["results"]
        if r["unique_id"].startswith("test.")
    ]
    return pd.DataFrame(rows), results["metadata"].get("generated_at")


@cached
def feature_catalog() -> pd.DataFrame:
    """Every feature column of every feature model version, from dbt's manifest."""
    path = _newest(settings().dbt_target_dir, "manifest.json")
    if path is None:
        return pd.DataFrame()
    manifest = json.loads(path.read_text())
    rows = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or "features" not in node["fqn"]:
            continue
        for column in node["columns"].values():
            meta = column.get("meta") or {}
            rows.append(
                {
                    "model": node["name"],
                    "version": node.get("version"),
                    "latest": node.get("latest_version") == node.get("version"),
                    "feature": column["name"],
                    "type": column.get("data_type"),
                    "window": meta.get("window"),
                    "owner": meta.get("owner"),
                    "description": column.get("description", "").strip(),
                }
            )
    return (
        pd.DataFrame(rows).sort_values(["model", "version", "feature"]) if rows else pd.DataFrame()
    )


@cached
def model_registry(model: str) -> dict:
    """Champion, challenger, alias history and per-version validation metrics."""
    from ml.training import registry

    spec = specs()[model]
    client = registry.connect(settings())
    versions = [
        {
            "version": v.version,
            "registered": pd.Timestamp(v.created_at).tz_localize(None),
            "validation_roc_auc": v.validation_auc,
            "run_id": v.run_id,
        }
        for v in registry.model_versions(client, spec)
    ]
    return {
        "champion": registry.alias_version(client, spec, registry.CHAMPION),
        "challenger": registry.alias_version(client, spec, registry.CHALLENGER),
        "history": registry.promotion_history(client, spec),
        "versions": versions,
    }


@cached
def model_plot(run_id: str, name: str) -> str | None:
    """A plot logged with a training run (calibration, feature importance), as a local path."""
    from ml.training import registry

    return registry.plot_path(registry.connect(settings()), run_id, name)
