"""Run Scoreline's jobs in this process against a Dagster instance, so the runs, their asset
materializations and check results show up in the Dagster UI pointed at the same
DAGSTER_HOME. The demo, the CLI backfill and the pipeline tests all go through here."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import dagster as dg
from tqdm import tqdm

from ml.config import Settings
from ml.scoring.publish import published_dates
from orchestration.defs.automation import NIGHTLY_JOB, training_job_name
from orchestration.lib.single_writer import single_writer

# Marks a dagster.yaml Scoreline wrote (and may rewrite); one an operator wrote is left alone.
WRITTEN_BY_SCORELINE = "# written by scoreline (orchestration/lib/runner.py)"


def instance_config(env: dict[str, str] | os._Environ, home: Path) -> str:
    """dagster.yaml: one run at a time (DuckDB takes one writing process, and a backfill is a
    queue of nights); with DAGSTER_POSTGRES_URL set, runs, events and schedules are stored in
    PostgreSQL (the production profile), read from the environment when the instance starts so
    the URL and its password are never written to the file. Otherwise Dagster's SQLite files
    in their usual places under `home`, events written through connections kept open
    (orchestration/lib/event_log.py)."""
    config = f"""{WRITTEN_BY_SCORELINE}
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
"""
    if env.get("DAGSTER_POSTGRES_URL"):
        storage = """storage:
  postgres:
    postgres_url:
      env: DAGSTER_POSTGRES_URL
"""
    else:
        storage = f"""run_storage:
  module: dagster._core.storage.runs
  class: SqliteRunStorage
  config:
    base_dir: {home / "history"}
event_log_storage:
  module: orchestration.lib.event_log
  class: KeptOpenSqliteEventLogStorage
  config:
    base_dir: {home / "history" / "runs"}
schedule_storage:
  module: dagster._core.storage.schedules
  class: SqliteScheduleStorage
  config:
    base_dir: {home / "schedules"}
"""
    return config + storage


class JobFailed(RuntimeError):
    """A job run failed; the message names the failed steps and the first error."""


def instance_for(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance under the data directory (DAGSTER_HOME)."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DAGSTER_POSTGRES_URL", "")
    if url.startswith("postgresql://"):
        # dagster-postgres speaks psycopg2; SQLAlchemy 2.1 reads a bare postgresql:// URL with
        # psycopg 3, whose server-side parameters break Dagster's NOTIFY
        os.environ["DAGSTER_POSTGRES_URL"] = "postgresql+psycopg2://" + url.removeprefix(
            "postgresql://"
        )
    config = home / "dagster.yaml"
    wanted = instance_config(os.environ, home.resolve())
    if not config.exists() or (
        config.read_text().startswith(WRITTEN_BY_SCORELINE) and config.read_text() != wanted
    ):
        config.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def _root_cause(error) -> str:
    """The message of the exception that started a step's failure: Dagster wraps an op's own
    exception in "Error occurred while executing op ...", which says nothing to an operator."""
    while error.cause is not None:
        error = error.cause
    return error.message


def _check_score_date(job: dg.JobDefinition, day: date) -> None:
    """A date outside the job's partitions is the operator's typo or an unset setting, not a
    failed run: say which dates exist and what sets them (Dagster's own error is a traceback)."""
    partitions = job.partitions_def
    if partitions is None or partitions.has_partition_key(day.isoformat()):
        return
    first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    raise JobFailed(
        f"{job.name} has no score date {day}: its dates run from {first} "
        f"(SCORELINE_FIRST_SCORE_DATE) to {last} (today; SCORELINE_TODAY on a replayed calendar)"
    )


def run_job(
    defs: dg.Definitions,
    job_name: str,
    instance: dg.DagsterInstance,
    partition: date | None = None,
    run_config: dict | None = None,
    asset_selection: list[dg.AssetKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """Execute one job (one partition) in process.

    Raises:
        JobFailed: the date is not one of the job's; a step or a blocking check failed
            (names them).
        WarehouseBusy: another run is writing the same data directory (single_writer).
    """
    job = defs.resolve_job_def(job_name)
    if partition is not None:
        _check_score_date(job, partition)
    settings = defs.resources["warehouse"].settings()
    with single_writer(settings, f"{job_name} {partition}" if partition else job_name):
        result = job.execute_in_process(
            instance=instance,
            partition_key=partition.isoformat() if partition else None,
            raise_on_error=False,
            asset_selection=asset_selection,
            run_config={
                **(run_config or {}),
                # Step logs stay in the UI's run view; `scoreline` prints one line per step.
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
            },
            tags={"scoreline/launched_by": "scoreline"},
        )
    if not result.success:
        failures = [
            f"{event.step_key}: {_root_cause(event.event_specific_data.error).strip()[:600]}"
            for event in result.all_events
            if event.is_step_failure and event.event_specific_data.error
        ]
        where = f" for {partition}" if partition else ""
        published = publication_line(settings, instance, result, partition)
        raise JobFailed(
            f"{job_name}{where} failed:\n  "
            + "\n  ".join([*([published] if published else []), *(failures or ["see UI"])])
        )
    return result


PUBLISHED = "published_predictions"


def publication_line(
    settings: Settings,
    instance: dg.DagsterInstance,
    result: dg.ExecuteInProcessResult,
    partition: date | None,
) -> str | None:
    """Which models a failed night published and which it could not, in one line (None when
    the run was to publish nothing): each model's publication is whole, but a night can end
    between two models, and readers must know which date each one now serves."""
    # planned at the run's creation, so in the instance's log rather than the result's events
    planned = {
        entry.dagster_event.asset_key.path[0]
        for entry in instance.all_logs(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        )
        if entry.dagster_event.asset_key.path[-1] == PUBLISHED
    }
    if not planned or partition is None:
        return None
    done = {
        event.asset_key.path[0]
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[-1] == PUBLISHED
    }
    missed = []
    for model in sorted(planned - done):
        dates = published_dates(settings, "predictions", model)
        if not dates:
            missed.append(f"{model} (nothing published)")
        elif dates[-1] == partition:  # a rerun: the date's earlier file stays
            missed.append(f"{model} (readers still see the earlier publication of {partition})")
        else:
            missed.append(f"{model} (readers still see {dates[-1]})")
    line = f"published for {partition}: {', '.join(sorted(done)) or 'no model'}"
    return f"{line}; NOT published: {', '.join(missed)}" if missed else line


# What a step's line says of its materializations, in this order (first ones found).
SUMMARY_FACTS = (
    ("customers", "{:,} customers"),
    ("high_risk", "{:,} high-risk"),
    ("rows", "{:,} rows"),
    ("rows_selected", "{:,} keys"),
    ("status", "drift: {}"),
    ("version", "v{}"),
    ("roc_auc", "ROC-AUC {:.3f}"),
    ("promoted", "promoted: {}"),
    ("dates_measured", "{} dates measured"),
)


# Dagster names the steps of the checks it builds (build_last_update_freshness_checks) by a hash.
GENERATED_CHECK_STEP = "freshness_check_"


def _step_label(step: str, checked: set[str]) -> str:
    """The step's key, or for a check step Dagster named by a hash, what it checks:
    `churn__freshness` rather than `freshness_check_40add081`."""
    if step.startswith(GENERATED_CHECK_STEP) and checked:
        return f"{'+'.join(sorted(checked))}__freshness"
    return step


def run_seconds(instance: dg.DagsterInstance, run_id: str) -> float:
    """A finished run's wall time, from its start to its end as Dagster recorded them."""
    stats = instance.get_run_stats(run_id)
    return (stats.end_time or stats.start_time or 0.0) - (stats.start_time or 0.0)


def step_summaries(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """One line per step of a finished run: seconds, verdict, rows and check results."""
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    materialized: dict[str, int] = {}
    facts: dict[str, list[str]] = {}
    checks: dict[str, list[bool]] = {}
    checked: dict[str, set[str]] = {}  # the models (first key part) whose assets a step checks
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        step = event.step_key
        kind = event.event_type_value
        if kind == "STEP_START":
            started[step] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            ended[step] = entry.timestamp
        elif kind == "ASSET_MATERIALIZATION":
            materialized[step] = materialized.get(step, 0) + 1
            metadata = event.event_specific_data.materialization.metadata
            if "unique_id" in metadata:
                # a dbt node: its own `status` (success, no-op) is not a drift verdict; a dbt
                # step's line counts its tables instead
                continue
            for key, form in SUMMARY_FACTS:
                if key in metadata and len(facts.setdefault(step, [])) < 3:
                    facts[step].append(form.format(metadata[key].value))
        elif kind == "ASSET_CHECK_EVALUATION":
            checks.setdefault(step, []).append(event.event_specific_data.passed)
            checked.setdefault(step, set()).add(event.event_specific_data.asset_key.path[0])
    lines = []
    for step in sorted(started, key=started.get):
        seconds = ended.get(step, started[step]) - started[step]
        parts = list(facts.get(step, []))
        if not parts and materialized.get(step, 0) > 1:
            parts.append(f"{materialized[step]} tables")
        if step in checks:
            passed = sum(checks[step])
            parts.append(f"checks {passed}/{len(checks[step])} passed")
        if not parts:
            parts.append("nothing to do this night")
        label = _step_label(step, checked.get(step, set()))
        lines.append(f"  {label:<38} {seconds:6.1f}s  {', '.join(parts)}")
    return lines


def date_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def run_nights(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    dates: Iterable[date],
    job_name: str = NIGHTLY_JOB,
    progress: bool | IO[str] = True,
    on_night: Callable[[date, dg.ExecuteInProcessResult], None] | None = None,
    run_config: dict | None = None,
) -> None:
    """Run the nightly job for each score date in order, with a progress bar (on `progress`
    when it is a stream, else stderr; none when False)."""
    dates = list(dates)
    stream = None if isinstance(progress, bool) else progress
    # one lock for the whole sequence: no other run slips in between two nights
    settings = defs.resources["warehouse"].settings()
    if not dates:
        span = job_name
    elif len(dates) == 1:
        span = f"{job_name} {dates[0]}"
    else:
        span = f"{job_name} {dates[0]}..{dates[-1]}"
    # disable=None: no bar when the stream is not a terminal (a log file, CI)
    bar = tqdm(dates, desc=job_name, unit="night", disable=None if progress else True,
               file=stream)  # fmt: skip
    with single_writer(settings, span), bar:
        for day in bar:
            bar.set_postfix_str(day.isoformat())
            result = run_job(defs, job_name, instance, day, run_config=run_config)
            if on_night:
                on_night(day, result)


def train_all(
    defs: dg.Definitions, instance: dg.DagsterInstance, spec_names: list[str]
) -> dict[str, dg.ExecuteInProcessResult]:
    return {name: run_job(defs, training_job_name(name), instance) for name in spec_names}


def ensure_champions(settings: Settings, who: str, why: str) -> list[str]:
    """Promote the newest version of any spec without a champion (demo and bench set-up only:
    in production the nightly waits for a champion the gate accepted). Returns what it did."""
    from ml.training import registry
    from ml.training.specs import load_specs

    client = registry.connect(settings)
    done = []
    for spec in load_specs(settings.business_dir).values():
        if registry.alias_version(client, spec, registry.CHAMPION) is None:
            version = registry.alias_version(client, spec, registry.CHALLENGER)
            if version is not None:
                registry.move_alias(client, spec, registry.CHAMPION, version, who, why)
                done.append(f"{spec.name} v{version}")
    return done
