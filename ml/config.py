"""The one configuration module: every path and service address, from env with demo defaults.

Nothing happens at import time; callers build a `Settings` and pass it down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The synthetic subscription business the demo generates; relative paths are from PROJECT_DIR.
DEFAULT_BUSINESS = "businesses/subscription"


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
    training_sample_pct: int
    first_score_date: date

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
            business_dir=(PROJECT_DIR / env.get("SCORELINE_BUSINESS_DIR", DEFAULT_BUSINESS)).resolve(),
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
            training_sample_pct=int(env.get("SCORELINE_TRAINING_SAMPLE_PCT", "100")),
            first_score_date=date.fromisoformat(
                env.get("SCORELINE_FIRST_SCORE_DATE", "2026-01-01")
            ),
        )

    @property
    def redis_embedded_db(self) -> Path:
        """The embedded Redis server's data file (used when REDIS_URL is unset)."""
        return self.data_dir / "redis" / "scoreline.rdb"

    @property
    def specs_dir(self) -> Path:
        """The business's model specs (`<business>/specs/*.yaml`)."""
        return self.business_dir / "specs"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    def dbt_env(self) -> dict[str, str]:
        """Environment variables the dbt project reads (profiles.yml, sources, model paths)."""
        return {
            # relative inside the project, so dbt's test names and paths do not carry this machine's
            "SCORELINE_BUSINESS_DIR": (
                str(self.business_dir.relative_to(self.project_dir))
                if self.business_dir.is_relative_to(self.project_dir)
                else str(self.business_dir)
            ),
            "SCORELINE_RAW_DIR": str(self.raw_dir),
            "SCORELINE_WAREHOUSE": str(self.warehouse_path),
            "DBT_TARGET_PATH": str(self.dbt_target_dir),
            "DBT_LOG_PATH": str(self.dbt_target_dir / "logs"),
            "DBT_PROFILES_DIR": str(self.project_dir / "dbt_project"),
            "DBT_PROJECT_DIR": str(self.project_dir),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "SCORELINE_TRAINING_SAMPLE_PCT": str(self.training_sample_pct),
            "SCORELINE_PUBLISHED_DIR": str(self.published_dir),
        }
