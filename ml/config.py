"""The one configuration module: every path and service address, from env with demo defaults.

Nothing happens at import time; callers build a `Settings` and pass it down.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The synthetic subscription business the demo generates; relative paths are from PROJECT_DIR.
DEFAULT_BUSINESS = "businesses/subscription"


def _percent(text: str) -> float:
    """SCORELINE_TRAINING_SAMPLE_PCT: a percent in (0, 100], to 1/100 of a percent."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 100:
        raise ValueError(
            f"SCORELINE_TRAINING_SAMPLE_PCT={text!r}: expected a percent above 0 and at most 100 "
            "(decimals allowed, e.g. 0.25)"
        )
    return round(value, 2)


@dataclass(frozen=True)
class Settings:
    """Where Scoreline reads and writes. Every path sits under `data_dir` unless overridden."""

    project_dir: Path
    data_dir: Path
    business_dir: Path
    raw_dir: Path
    warehouse_path: Path
    dbt_target_dir: Path
    reports_dir: Path
    mlflow_tracking_uri: str
    mlflow_artifacts_dir: Path
    published_dir: Path
    redis_url: str | None
    # percent of (customer, as-of date) pairs in training sets; decimals allowed (0.25 at 10M)
    training_sample_pct: float
    first_score_date: date
    # Hour (UTC) of the nightly schedule: after the day folder of the day before has landed.
    nightly_hour_utc: int = 2
    # The run's today (UTC): no raw day folder may be dated after it (plus the business's
    # arrival.days_ahead). SCORELINE_TODAY replays or benchmarks another calendar.
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    # True when `today` comes from SCORELINE_TODAY: a replayed calendar, whose daily partitions
    # end at that date instead of following the clock (orchestration.defs.partitions).
    calendar_replayed: bool = False
    # DuckDB's memory limit for dbt's connection (a size such as '12GiB' or a share of RAM such
    # as '50%'): past it, DuckDB spills to disk next to the warehouse instead of growing.
    duckdb_memory_limit: str = "80%"
    # dbt's target: `dev` (DuckDB) or `spark` (the same project on a Spark session; docs/spark.md)
    dbt_target: str = "dev"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read `SCORELINE_*`, `MLFLOW_TRACKING_URI` and `REDIS_URL`; defaults run the demo."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("SCORELINE_DATA_DIR", PROJECT_DIR / "data")).resolve()

        def path(var: str, default: Path) -> Path:
            return Path(env.get(var, default)).resolve()

        mlflow_db = data_dir / "mlflow" / "mlflow.db"
        return cls(
            project_dir=PROJECT_DIR,
            data_dir=data_dir,
            business_dir=(
                PROJECT_DIR / env.get("SCORELINE_BUSINESS_DIR", DEFAULT_BUSINESS)
            ).resolve(),
            raw_dir=path("SCORELINE_RAW_DIR", data_dir / "raw"),
            warehouse_path=path("SCORELINE_WAREHOUSE", data_dir / "warehouse.duckdb"),
            dbt_target_dir=path("SCORELINE_DBT_TARGET_DIR", data_dir / "dbt_target"),
            reports_dir=path("SCORELINE_REPORTS_DIR", data_dir / "reports"),
            mlflow_tracking_uri=env.get("MLFLOW_TRACKING_URI", f"sqlite:///{mlflow_db}"),
            mlflow_artifacts_dir=path(
                "SCORELINE_MLFLOW_ARTIFACTS", data_dir / "mlflow" / "artifacts"
            ),
            published_dir=path("SCORELINE_PUBLISHED_DIR", data_dir / "published"),
            redis_url=env.get("REDIS_URL") or None,
            training_sample_pct=_percent(env.get("SCORELINE_TRAINING_SAMPLE_PCT", "100")),
            first_score_date=date.fromisoformat(
                env.get("SCORELINE_FIRST_SCORE_DATE", "2026-01-01")
            ),
            nightly_hour_utc=int(env.get("SCORELINE_NIGHTLY_HOUR_UTC", "2")),
            today=(
                date.fromisoformat(env["SCORELINE_TODAY"])
                if env.get("SCORELINE_TODAY")
                else datetime.now(UTC).date()
            ),
            calendar_replayed=bool(env.get("SCORELINE_TODAY")),
            duckdb_memory_limit=env.get("SCORELINE_DUCKDB_MEMORY_LIMIT") or "80%",
            dbt_target=env.get("SCORELINE_DBT_TARGET") or "dev",
        )

    @property
    def redis_embedded_db(self) -> Path:
        """The embedded Redis server's data file (used when REDIS_URL is unset)."""
        return self.data_dir / "redis" / "scoreline.rdb"

    @property
    def logs_dir(self) -> Path:
        """Where `scoreline` writes the full dbt and Dagster logs of each command."""
        return self.data_dir / "logs"

    @property
    def audit_db(self) -> Path:
        """The append-only record of every alias move (SQLite; see ml.training.audit)."""
        return self.data_dir / "registry" / "alias_moves.sqlite"

    @property
    def specs_dir(self) -> Path:
        """The business's model specs (`<business>/specs/*.yaml`)."""
        return self.business_dir / "specs"

    def business_dir_for_dbt(self) -> str:
        """The business folder as dbt's model path: relative to the project. dbt writes a
        compiled test to <target>/compiled/<project>/<yml path>/<test>.sql, so an absolute yml
        path (a business outside the project) would be written over; such a folder is reached
        through a link under .scoreline/ (see ml.warehouse.dbt_runner.dbt_environment)."""
        if self.business_dir.is_relative_to(self.project_dir):
            return str(self.business_dir.relative_to(self.project_dir))
        return str(self.business_link.relative_to(self.project_dir))

    @property
    def business_link(self) -> Path:
        """Where an outside business folder is linked into the project (one link per folder)."""
        digest = hashlib.sha256(str(self.business_dir).encode()).hexdigest()[:12]
        return self.project_dir / ".scoreline" / "businesses" / f"{self.business_dir.name}-{digest}"

    @property
    def on_spark(self) -> bool:
        """True when dbt builds the warehouse on Spark: it is then Parquet under `spark_dir`, not
        the DuckDB file."""
        return self.dbt_target == "spark"

    @property
    def spark_dir(self) -> Path:
        """The Spark target's tables and metastore (when SCORELINE_DBT_TARGET=spark)."""
        return self.data_dir / "spark"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    def dbt_env(self) -> dict[str, str]:
        """Environment variables the dbt project reads (profiles.yml, sources, model paths)."""
        return {
            "SCORELINE_BUSINESS_DIR": self.business_dir_for_dbt(),
            "SCORELINE_RAW_DIR": str(self.raw_dir),
            "SCORELINE_WAREHOUSE": str(self.warehouse_path),
            "DBT_TARGET_PATH": str(self.dbt_target_dir),
            "DBT_LOG_PATH": str(self.dbt_target_dir / "logs"),
            "DBT_PROFILES_DIR": str(self.project_dir / "dbt_project"),
            "DBT_PROJECT_DIR": str(self.project_dir),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "SCORELINE_TRAINING_SAMPLE_PCT": str(self.training_sample_pct),
            "SCORELINE_PUBLISHED_DIR": str(self.published_dir),
            "SCORELINE_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "SCORELINE_DBT_TARGET": self.dbt_target,
            "SCORELINE_SPARK_DIR": str(self.spark_dir),
        }
