"""Read-only data access for the reports app. Pages call these; nothing here writes.

Published tables are Parquet files replaced atomically by the pipeline, so the app reads them
with an in-memory DuckDB while a nightly run writes, never blocking it. The warehouse (for
customer attributes, quarantine counts and realized labels) is opened read-only; when the
nightly run holds its lock the app retries briefly, then shows what it has.

Every query aggregates in DuckDB and returns small frames; results are cached for a minute.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from ml.config import Settings
from ml.publish import published_files, published_glob
from ml.specs import load_specs

CACHE_SECONDS = 60


class WarehouseBusy(RuntimeError):
    """The nightly run holds the warehouse; published tables are still readable."""


def settings() -> Settings:
    return Settings.from_env()


def model_names() -> list[str]:
    return list(load_specs())


def has_published(table: str = "predictions") -> bool:
    return bool(published_files(settings(), table))


def _published(table: str) -> str:
    return (
        f"read_parquet('{published_glob(settings(), table)}', hive_partitioning = false, "
        "union_by_name = true)"
    )


def _query(sql: str, params: dict | None = None) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.execute(sql, params or {}).df()


def _warehouse(sql: str, params: dict | None = None, attempts: int = 5) -> pd.DataFrame:
    path = settings().warehouse_path
    if not path.exists():
        return pd.DataFrame()
    for attempt in range(attempts):
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                return con.execute(sql, params or {}).df()
        except duckdb.IOException as exc:  # the nightly run's write lock
            if attempt == attempts - 1:
                raise WarehouseBusy(
                    "The nightly run is writing to the warehouse; try again in a minute."
                ) from exc
            time.sleep(0.2 * (attempt + 1))
        except duckdb.CatalogException:
            return pd.DataFrame()
    return pd.DataFrame()


@st.cache_data(ttl=CACHE_SECONDS)
def score_dates(model: str) -> list:
    if not has_published():
        return []
    frame = _query(
        f"select distinct score_date from {_published('predictions')} where model_name = $m "
        "order by score_date",
        {"m": model},
    )
    return [d.date() for d in frame.score_date]


@st.cache_data(ttl=CACHE_SECONDS)
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


@st.cache_data(ttl=CACHE_SECONDS)
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


@st.cache_data(ttl=CACHE_SECONDS)
def customer_attributes() -> pd.DataFrame:
    """plan, region, channel per customer (from the warehouse's customer lifetimes)."""
    return _warehouse("select customer_id, plan, region, channel from int_customer_lifetimes")


@st.cache_data(ttl=CACHE_SECONDS)
def at_risk_customers(
    model: str, score_date, bands: tuple[str, ...], plans: tuple, regions: tuple,
    channels: tuple, limit: int = 5000,
) -> pd.DataFrame:  # fmt: skip
    """The highest scores of a date, filtered, with plain-words reasons."""
    attributes = customer_attributes()
    with duckdb.connect() as con:
        con.register("attributes", attributes)
        filters = ["model_name = $m", "score_date = $d", "not is_shadow"]
        params: dict = {"m": model, "d": score_date, "limit": limit}
        for column, values in (("risk_band", bands), ("plan", plans), ("region", regions),
                               ("channel", channels)):  # fmt: skip
            if values:
                filters.append(f"{column} in (select unnest(${column}))")
                params[column] = list(values)
        join = "left join attributes using (customer_id)" if len(attributes) else ""
        columns = "plan, region, channel," if len(attributes) else ""
        return con.execute(
            f"""
            select customer_id, score, risk_band, {columns}
                   array_to_string(reasons, '; ') as reasons, model_version
            from {_published("predictions")} {join}
            where {" and ".join(filters)}
            order by score desc limit $limit
            """,
            params,
        ).df()


@st.cache_data(ttl=CACHE_SECONDS)
def segment_risk(model: str, score_date, threshold: float, dimension: str) -> pd.DataFrame:
    """Customers, mean score and high-risk share per segment on one score date."""
    attributes = customer_attributes()
    if attributes.empty:
        return pd.DataFrame()
    with duckdb.connect() as con:
        con.register("attributes", attributes)
        return con.execute(
            f"""
            select attributes.{dimension} as segment, count(*) as customers,
                   avg(score) as mean_score,
                   avg(case when score >= $t then 1 else 0 end) as high_risk_share
            from {_published("predictions")} as p
            join attributes using (customer_id)
            where model_name = $m and score_date = $d and not is_shadow
            group by all order by mean_score desc
            """,
            {"m": model, "d": score_date, "t": threshold},
        ).df()


@st.cache_data(ttl=CACHE_SECONDS)
def realized_rate_by_segment(model: str, dimension: str) -> pd.DataFrame:
    """Realized outcome rate per segment over every matured score date."""
    attributes = customer_attributes()
    realized = _warehouse(
        "select customer_id, as_of_date, label from realized_labels where model_name = $m",
        {"m": model},
    )
    if attributes.empty or realized.empty:
        return pd.DataFrame()
    with duckdb.connect() as con:
        con.register("attributes", attributes)
        con.register("realized", realized)
        return con.execute(
            f"""
            select attributes.{dimension} as segment, count(*) as customer_dates,
                   avg(label) as realized_rate
            from realized join attributes using (customer_id)
            group by all order by realized_rate desc
            """
        ).df()


@st.cache_data(ttl=CACHE_SECONDS)
def history(table: str, model: str | None = None) -> pd.DataFrame:
    if not has_published(table):
        return pd.DataFrame()
    where = "where model_name = $m" if model else ""
    return _query(
        f"select * from {_published(table)} {where} order by score_date",
        {"m": model} if model else {},
    )


@st.cache_data(ttl=CACHE_SECONDS)
def quarantine_summary() -> pd.DataFrame:
    return _warehouse("select * from quarantine_summary")


def _newest(root: Path, name: str) -> Path | None:
    found = sorted(root.rglob(name), key=lambda p: p.stat().st_mtime) if root.exists() else []
    return found[-1] if found else None


@st.cache_data(ttl=CACHE_SECONDS)
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


@st.cache_data(ttl=CACHE_SECONDS)
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


@st.cache_data(ttl=CACHE_SECONDS)
def model_registry(model: str) -> dict:
    """Champion, challenger, alias history and per-version validation metrics from MLflow."""
    from ml import registry

    spec = load_specs()[model]
    client = registry.connect(settings())
    versions = []
    try:
        found = client.search_model_versions(f"name = '{spec.registered_model_name}'")
    except Exception:  # no store yet: the app must still render
        found = []
    for version in found:
        auc = version.tags.get("validation_auc")
        versions.append(
            {
                "version": int(version.version),
                "registered": pd.Timestamp(version.creation_timestamp, unit="ms"),
                "validation_roc_auc": float(auc) if auc else None,
                "run_id": version.run_id,
            }
        )
    return {
        "champion": registry.alias_version(client, spec, registry.CHAMPION),
        "challenger": registry.alias_version(client, spec, registry.CHALLENGER),
        "history": registry.promotion_history(client, spec),
        "versions": sorted(versions, key=lambda v: v["version"]),
    }


@st.cache_data(ttl=CACHE_SECONDS)
def model_plot(run_id: str, name: str) -> str | None:
    """A plot logged with a training run (calibration, feature importance), as a local path."""
    import mlflow

    from ml import registry

    registry.connect(settings())
    try:
        return mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=f"plots/{name}")
    except Exception:  # an older run without that plot
        return None
