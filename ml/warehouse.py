"""Run dbt against the Scoreline warehouse and open the DuckDB file safely.

dbt runs as a subprocess of the project's own virtual environment, so a caller does not need
the environment activated and dbt's global state never leaks between runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from ml.config import Settings


class DbtError(RuntimeError):
    """A dbt command failed; the message carries dbt's own summary of what broke."""


def dbt_executable() -> str:
    """The dbt next to this interpreter (the project venv), else whatever is on PATH."""
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else (shutil.which("dbt") or "dbt")


def dbt_vars(
    score_date: date | None = None, reload_from_date: date | None = None, **extra: object
) -> dict[str, object]:
    """The `--vars` for one run: only what is set, so dbt_project.yml defaults apply otherwise."""
    values: dict[str, object] = dict(extra)
    if score_date is not None:
        values["score_date"] = score_date.isoformat()
    if reload_from_date is not None:
        values["reload_from_date"] = reload_from_date.isoformat()
    return values


def run_dbt(
    settings: Settings,
    args: Sequence[str],
    vars: dict[str, object] | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run one dbt command from the project root with the warehouse settings.

    Args:
        settings: Paths; sets SCORELINE_RAW_DIR / SCORELINE_WAREHOUSE / DBT_* for dbt.
        args: dbt arguments, e.g. ["build", "--exclude", "tag:training"].
        vars: Values for `--vars`.
        capture: Capture output instead of streaming it to the terminal.

    Returns:
        The finished process.

    Raises:
        DbtError: dbt exited non-zero; the message names the failing nodes.
    """
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    command = [dbt_executable(), *args]
    if vars:
        command += ["--vars", json.dumps(vars)]
    env = {**os.environ, **settings.dbt_env()}
    result = subprocess.run(
        command,
        cwd=settings.project_dir,
        env=env,
        text=True,
        capture_output=capture,
    )
    if result.returncode != 0:
        raise DbtError(
            f"`dbt {' '.join(args)}` failed (exit {result.returncode}). "
            f"{_failure_summary(settings)}"
        )
    return result


def _failure_summary(settings: Settings) -> str:
    """Name the failing models and tests from dbt's run_results.json."""
    results_file = settings.dbt_target_dir / "run_results.json"
    if not results_file.exists():
        return "See the dbt output above."
    results = json.loads(results_file.read_text())["results"]
    failed = [
        f"{r['unique_id']}: {(r.get('message') or r['status']).strip()[:300]}"
        for r in results
        if r["status"] in ("error", "fail")
    ]
    if not failed:
        return "See the dbt output above."
    return "Failing nodes:\n  " + "\n  ".join(failed)


def connect_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only (several readers may share it; never blocks the writer)."""
    return duckdb.connect(str(settings.warehouse_path), read_only=True)
