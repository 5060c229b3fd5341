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
import tempfile
import time
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ml.config import Settings
from ml.ingest.business import declarations_for_dbt, load_business
from ml.ingest.raw_contract import (
    RawContractError,
    check_raw_files,
    default_score_date,
    latest_raw_day,
)
from ml.training.specs import ModelSpec, load_specs
from ml.warehouse.feature_families import column_needs


def update_environment(env: MutableMapping[str, str], values: Mapping[str, str | None]) -> None:
    """Set each value in `env`; None removes the variable."""
    for key, value in values.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value


def project_files_changed_at(settings: Settings) -> float:
    """The newest change (mtime) of a file dbt parses: the project's and the business's
    models, macros and tests, and dbt_project.yml."""
    sources = [
        settings.project_dir / "dbt_project.yml",
        *(settings.project_dir / "dbt_project").rglob("*"),
        *(settings.business_dir / "models").rglob("*"),
    ]
    return max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)


class DbtError(RuntimeError):
    """A dbt command failed; the message carries dbt's own summary of what broke."""


def dbt_executable() -> str:
    """The dbt next to this interpreter (the project venv), else whatever is on PATH."""
    local = Path(sys.executable).with_name("dbt")
    return str(local) if local.exists() else (shutil.which("dbt") or "dbt")


# Per-run settings read by the `run_setting` macro. They reach dbt as SCORELINE_<NAME>
# environment variables, not --vars: changed vars force a full re-parse of the project.
RUN_SETTINGS = ("score_date", "reload_from_date", "tests_since")


def run_settings_env(values: dict[str, object] | None) -> dict[str, str | None]:
    """Environment for one dbt run's settings; None unsets a setting left from another run."""
    values = values or {}
    unknown = set(values) - set(RUN_SETTINGS)
    if unknown:
        raise ValueError(f"unknown dbt run settings {sorted(unknown)}; known: {RUN_SETTINGS}")
    return {
        f"SCORELINE_{name.upper()}": (str(values[name]) if name in values else None)
        for name in RUN_SETTINGS
    }


def dbt_vars(
    score_date: date | None = None, reload_from_date: date | None = None, **extra: object
) -> dict[str, object]:
    """The settings of one run: only what is set, so dbt_project.yml defaults apply otherwise."""
    values: dict[str, object] = dict(extra)
    if score_date is not None:
        values["score_date"] = score_date.isoformat()
    if reload_from_date is not None:
        values["reload_from_date"] = reload_from_date.isoformat()
    return values


def dbt_environment(settings: Settings) -> dict[str, str]:
    """Everything a dbt process of this project reads: paths (profiles, sources, the business's
    model folder) and SCORELINE_DECLARATIONS, the business vocabulary and the specs' labels.

    Raises:
        BusinessError, SpecError: the business folder's declarations are invalid.
    """
    business = load_business(settings.business_dir)
    specs = load_specs(settings.business_dir)
    if not settings.business_dir.is_relative_to(settings.project_dir):
        link = settings.business_link
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(settings.business_dir, target_is_directory=True)
    return {
        **settings.dbt_env(),
        "SCORELINE_DECLARATIONS": declarations_for_dbt(
            business, specs, column_needs(settings.business_dir, business, specs)
        ),
    }


@dataclass(frozen=True)
class DbtRun:
    """A finished dbt command: its output (when captured), wall time and peak memory."""

    args: tuple[str, ...]
    output: str
    seconds: float
    peak_rss_mib: float


def run_dbt(
    settings: Settings,
    args: Sequence[str],
    vars: dict[str, object] | None = None,
    capture: bool = False,
) -> DbtRun:
    """Run one dbt command from the project root with the warehouse settings.

    Args:
        settings: Paths; sets SCORELINE_RAW_DIR / SCORELINE_WAREHOUSE / DBT_* for dbt.
        args: dbt arguments, e.g. ["build", "--exclude", "tag:training"].
        vars: Per-run settings (RUN_SETTINGS), passed as environment variables.
        capture: Capture output instead of streaming it to the terminal.

    Returns:
        The finished run with its wall time and the dbt process's peak resident memory.

    Raises:
        DbtError: dbt exited non-zero; the message names the failing nodes.
    """
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    command = [dbt_executable(), *args]
    env = {**os.environ, **dbt_environment(settings)}
    update_environment(env, run_settings_env(vars))
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            command,
            cwd=settings.project_dir,
            env=env,
            text=True,
            stdout=out if capture else None,
            stderr=subprocess.STDOUT if capture else None,
        )
        # wait4 gives this child's own peak RSS (DuckDB runs inside the dbt process).
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read() if capture else ""
    run = DbtRun(
        args=tuple(args),
        output=output,
        seconds=time.perf_counter() - started,
        peak_rss_mib=usage.ru_maxrss / 1024,
    )
    if process.returncode != 0:
        tail = "\n".join(output.splitlines()[-15:]) if capture else ""
        raise DbtError(
            f"`dbt {' '.join(args)}` failed (exit {process.returncode}). "
            f"{failure_summary(settings.dbt_target_dir) or 'See the dbt output above.'}"
            + (f"\n{tail}" if tail else "")
        )
    return run


def failure_summary(target: Path) -> str:
    """The failing models and tests of the dbt run whose artifacts are in `target` (from its
    run_results.json), or "" when it names none."""
    results_file = target / "run_results.json"
    if not results_file.exists():
        return ""
    results = json.loads(results_file.read_text())["results"]
    failed = [
        f"{r['unique_id']}: {(r.get('message') or r['status']).strip()[:300]}"
        for r in results
        if r["status"] in ("error", "fail")
    ]
    return "Failing nodes:\n  " + "\n  ".join(failed) if failed else ""


class WarehouseTargetError(RuntimeError):
    """A step that reads the DuckDB warehouse ran against another dbt target."""


def connect_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only (several readers may share it; never blocks the writer).

    Raises:
        WarehouseTargetError: the dbt target is Spark, whose tables this DuckDB file lacks.
    """
    if settings.on_spark:
        raise WarehouseTargetError(
            f"this step reads the DuckDB warehouse, but dbt's target is {settings.dbt_target!r} "
            "(SCORELINE_DBT_TARGET): on Spark only the dbt assets run yet; scoring, drift and "
            "publication over Spark's tables are not built (docs/spark.md). Unset "
            "SCORELINE_DBT_TARGET to run the whole night on DuckDB."
        )
    return duckdb.connect(str(settings.warehouse_path), read_only=True)


def spark_table_folder(settings: Settings, table: str) -> Path:
    """Where the Spark target keeps a table's Parquet files (the profile's warehouse dir and the
    `scoreline` schema)."""
    return settings.spark_dir / "warehouse" / "scoreline.db" / table


def _reconciliation(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, str] | None:
    """A connection and the relation of raw_row_reconciliation (the loaders' watermark and row
    counts), or None before the first build: the DuckDB warehouse's table, or on the Spark target
    its Parquet files, partitioned by loaded_date, read by an in-memory DuckDB."""
    if settings.on_spark:
        folder = spark_table_folder(settings, "raw_row_reconciliation")
        if not any(folder.glob("*/*.parquet")):
            return None
        relation = f"read_parquet('{folder}/*/*.parquet', hive_partitioning = true)"
        return duckdb.connect(), relation
    if not settings.warehouse_path.exists():
        return None
    con = connect_read_only(settings)
    if not con.execute(
        "select count(*) from duckdb_tables() where table_name = 'raw_row_reconciliation'"
    ).fetchone()[0]:
        con.close()
        return None
    return con, "raw_row_reconciliation"


def last_loaded_date(settings: Settings) -> date | None:
    """The newest raw day fully loaded (the dbt loaders' shared watermark), or None."""
    found = _reconciliation(settings)
    if found is None:
        return None
    con, relation = found
    with con:
        row = con.execute(f"select max(loaded_date) from {relation}").fetchone()
    return row[0] if row else None


# Labels (built when a model trains) and realized labels (by the realized-performance step) grow
# with history or read published predictions: never part of a night.
NIGHTLY_EXCLUDE = "tag:training tag:monitoring"
TRAINING_SELECT = "tag:training"
MONITORING_SELECT = "tag:monitoring"


def nightly_selection(specs: dict[str, ModelSpec]) -> str:
    """dbt `--select` of a night: every feature version a spec uses, with everything it reads,
    and the marts (the loaders' watermark). A released version no spec uses stays in the project
    (and its fingerprint) but is not rebuilt every night: `dbt build --select +<model>.v<n>`."""
    # by fqn (a business's feature models live in models/features/): dagster-dbt's reading of a
    # manifest does not resolve dbt's `<model>.v<n>` version selector
    versions = sorted(
        {
            f"+fqn:scoreline.features.{spec.feature_model}.v{spec.feature_version}"
            for spec in specs.values()
        }  # fmt: skip
    )
    return " ".join([*versions, "+marts"])


@dataclass(frozen=True)
class BuildPlan:
    """What one `dbt build` reads and the run settings that say so."""

    since: date | None  # first raw day to check and load (None: all history)
    vars: dict[str, object]

    @property
    def build_flags(self) -> tuple[str, ...]:
        """dbt build flags: unit tests check SQL logic, not data, so only full builds (and CI)
        run them; a night would spend a second of its critical path re-proving unchanged code."""
        return () if self.since is None else ("--exclude-resource-type", "unit_test")


def plan_build(
    score_date: date | None,
    last_loaded: date | None,
    full_refresh: bool = False,
    reload_from_date: date | None = None,
) -> BuildPlan:
    """The raw days a build reads and its dbt vars.

    A build for score date D reads raw days before D. When the warehouse already holds day
    D - 1 (a rerun, or a backfill of an older date), that one day is reloaded, so a partition
    always rebuilds from the raw files it depends on, and nothing newer is touched.

    Args:
        score_date: The as-of date (None: the day after the newest raw day).
        last_loaded: Newest raw day already in the warehouse (None: empty warehouse).
        full_refresh: Rebuild everything from all history.
        reload_from_date: Reprocess raw days from this date on (explicit backfill).
    """
    if full_refresh or last_loaded is None:
        since = None
    elif reload_from_date is not None:
        since = reload_from_date
    elif score_date is not None and last_loaded >= score_date - timedelta(days=1):
        since = reload_from_date = score_date - timedelta(days=1)
    else:
        since = last_loaded + timedelta(days=1)
    values = dbt_vars(score_date, reload_from_date)
    if since is not None:
        values["tests_since"] = since.isoformat()
    return BuildPlan(since=since, vars=values)


def require_raw_day(settings: Settings, day: date) -> None:
    """Fail clearly when the newest raw day a score date needs has not arrived."""
    if not (settings.raw_dir / f"day={day.isoformat()}").is_dir():
        raise RawContractError(
            f"raw day {day} has not arrived in {settings.raw_dir} (no day={day} folder); score "
            f"date {day + timedelta(days=1)} needs it. Wait for the file drop, or score an "
            "earlier date."
        )


def raw_day_bound(settings: Settings) -> date:
    """The newest day a raw folder may be named for: the run's today plus the business's
    declared arrival.days_ahead."""
    return latest_raw_day(load_business(settings.business_dir), settings.today)


def newest_score_date(settings: Settings) -> date:
    """What a run scores when given no date: the day after the newest raw day, refusing day
    folders dated in the future."""
    return default_score_date(settings.raw_dir, latest=raw_day_bound(settings))


def check_build_inputs(settings: Settings, plan: BuildPlan, score_date: date):
    """The raw days a build will read exist (the newest one included) and keep the contract.

    Raises:
        RawContractError: a day is missing or a file breaks the contract; names file and column.
    """
    require_raw_day(settings, score_date - timedelta(days=1))
    business = load_business(settings.business_dir)
    return check_raw_files(
        settings.raw_dir, business, since=plan.since, until=score_date,
        latest=raw_day_bound(settings),
    )  # fmt: skip


@dataclass(frozen=True)
class Build:
    """A finished build: the dbt run, the score date it built, and the rows it loaded."""

    run: DbtRun
    score_date: date
    loaded: dict[str, dict[str, int]]  # table -> {"raw", "clean", "rejected", "days"}

    def summary(self) -> str:
        """One line per table: what this build loaded (or that the days were loaded already)."""
        lines = [f"score date {self.score_date} (dbt {self.run.seconds:.0f}s)"]
        for table, counts in sorted(self.loaded.items()):
            lines.append(
                f"  {table}: {counts['raw']:,} raw rows over {counts['days']} day(s), "
                f"{counts['clean']:,} clean, {counts['rejected']:,} quarantined"
            )
        if not self.loaded:
            lines.append("  no new raw day: every day before the score date was loaded already")
        return "\n".join(lines)


def loaded_rows(settings: Settings, since: date | None, until: date) -> dict[str, dict[str, int]]:
    """Rows per table of the load days in [since, until) (all before `until` when since is None),
    from raw_row_reconciliation."""
    found = _reconciliation(settings)
    if found is None:
        return {}
    con, relation = found
    with con:
        rows = con.execute(
            f"""
            select table_name, sum(raw_rows), sum(clean_rows), sum(rejected_rows),
                   count(distinct loaded_date)
            from {relation}
            where loaded_date < $until and ($since is null or loaded_date >= $since)
            group by 1
            """,
            {"until": until, "since": since},
        ).fetchall()
    return {
        table: {"raw": int(raw), "clean": int(clean), "rejected": int(rejected), "days": int(days)}
        for table, raw, clean, rejected, days in rows
    }


def build_warehouse(
    settings: Settings,
    score_date: date | None = None,
    full_refresh: bool = False,
    with_training: bool = True,
    reload_from_date: date | None = None,
    capture: bool = False,
    select: str | None = None,
) -> Build:
    """Check the raw days this build will read, then `dbt build` the warehouse.

    Args:
        settings: Paths.
        score_date: As-of date to score for; None means the day after the newest raw day of any
            table.
        full_refresh: Rebuild incremental models from all history.
        with_training: Also build the training labels (tag:training); nightly runs skip them.
        reload_from_date: Reprocess raw days from this date (backfill).
        capture: Capture dbt's output instead of streaming it.
        select: dbt selection (default: the night's, see nightly_selection; `fqn:*` builds
            every model, released feature versions no spec uses included).

    Returns:
        The dbt run, the score date built and the rows loaded per table.

    Raises:
        RawContractError: a raw file this build would read breaks the input contract.
        DbtError: a model or a contract test failed.
    """
    score_date = score_date or newest_score_date(settings)
    plan = plan_build(score_date, last_loaded_date(settings), full_refresh, reload_from_date)
    check_build_inputs(settings, plan, score_date)
    selection = select or nightly_selection(load_specs(settings.business_dir))
    args = ["build", *plan.build_flags, "--select", *selection.split()]
    if with_training and select is None:
        args.append(TRAINING_SELECT)
    if full_refresh:
        args.append("--full-refresh")
    args += ["--exclude", *(["tag:monitoring"] if with_training else NIGHTLY_EXCLUDE.split())]
    run = run_dbt(settings, args, vars=plan.vars, capture=capture)
    return Build(run, score_date, loaded_rows(settings, plan.since, score_date))
