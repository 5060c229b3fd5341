"""The nightly run end to end through Dagster at scale, plus drift false alarms over a month.

    .venv/bin/python -m bench.pipeline_bench --customers 1000000 --days 365
    .venv/bin/python -m bench.pipeline_bench --customers 20000 --days 150 --clean-nights 30

First builds a warehouse over `--days` of history and trains every spec (timed, but that is
set-up), then runs the nightly job for the next score date: dbt (new day, features, scoring
input, contract tests), scoring, checks, drift, publication and the Redis export, in one
process. Prints its wall time, peak memory (dbt runs in the same process) and each step's seconds.
With --clean-nights N it then runs N more nights on data without drift and prints the drift
false-alarm rate; the last of them runs as an operator's scheduled night does, `scoreline
nightly` in a fresh process, timed from the process's start to its end.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from bench.warehouse_bench import dbt_import_seconds, training_sample_pct, yardstick_line
from ml.config import Settings
from ml.ingest.generate import generate
from ml.scoring.publish import read_published
from ml.training.specs import load_specs
from ml.training.train import train_and_register
from ml.warehouse.dbt_runner import build_warehouse
from orchestration.defs.definitions import build_definitions
from orchestration.lib.runner import date_range, ensure_champions, instance_for, run_nights

# Dagster's daily partitions end tomorrow: the history must end before today.
START = date(2025, 11, 1)


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, float]]:
    """Each finished step of a run and its wall time."""
    return [
        (s.step_key, s.end_time - s.start_time)
        for s in instance.get_run_step_stats(run_id)
        if s.start_time and s.end_time
    ]


def print_step_times(instance: dg.DagsterInstance, run_id: str, total: float) -> None:
    """Where the night's seconds went: each Dagster step's wall time, longest first (steps of
    one model run one after the other: the in-process executor runs one step at a time)."""
    stats = step_seconds(instance, run_id)
    steps = sum(seconds for _, seconds in stats)
    for key, seconds in sorted(stats, key=lambda item: -item[1]):
        print(f"  {key:<45} {seconds:6.1f} s")
    print(f"  {'(outside steps: run start-up, hand-over)':<45} {total - steps:6.1f} s")


# A later night's steps, summed into the parts its one-line breakdown names.
STEP_PARTS = (
    ("dbt", ("_dbt_models",)),
    ("predictions", ("__predictions",)),
    ("drift", ("__drift_report",)),
    ("publication, Redis, read model", ("published_predictions", "redis_export", "read_model")),
)


def step_parts_line(instance: dg.DagsterInstance, run_id: str, total: float) -> str:
    """One line: the night's seconds per part (STEP_PARTS), the other steps, and the time
    outside steps (run start-up, hand-over, the wait for the last drift report)."""
    parts = dict.fromkeys([name for name, _ in STEP_PARTS] + ["other steps"], 0.0)
    for step_key, seconds in step_seconds(instance, run_id):
        part = next(
            (name for name, keys in STEP_PARTS if any(k in step_key for k in keys)),
            "other steps",
        )
        parts[part] += seconds
    outside = total - sum(parts.values())
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in parts.items()) + (
        f", outside steps {outside:.1f} s"
    )


def command_night(instance: dg.DagsterInstance, env: dict[str, str], day: date) -> str:
    """`scoreline nightly` for `day` in a fresh process, as a schedule runs it: its wall time
    from process start to end, split into start-up (Python, imports, Dagster's definitions),
    the run, and the exit."""
    started = time.time()
    subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "nightly", "--date", day.isoformat()],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    ended = time.time()
    run = instance.get_runs(limit=1)[0]
    stats = instance.get_run_stats(run.run_id)
    return (
        f"  night {day} as `scoreline nightly` (a fresh process): {ended - started:.1f} s "
        f"(start-up {stats.start_time - started:.1f}, run {stats.end_time - stats.start_time:.1f}"
        f" ({step_parts_line(instance, run.run_id, stats.end_time - stats.start_time)}), exit "
        f"{ended - stats.end_time:.1f} s)"
    )


def set_up(settings: Settings, first_night: date, days: int) -> None:
    """Build the warehouse over the history and train every spec (timed, but not the night)."""
    started = time.perf_counter()
    build = build_warehouse(settings, score_date=first_night, full_refresh=True, capture=True)
    print(
        f"set-up: full build of {days} days: {time.perf_counter() - started:.0f} s, "
        f"peak RSS {build.run.peak_rss_mib:,.0f} MiB (the dbt process)"
    )
    for spec in load_specs().values():
        outcome = train_and_register(spec, settings, who="bench")
        print(
            f"set-up: train {spec.name}: {outcome.seconds:.0f} s, "
            f"ROC-AUC {outcome.metrics['roc_auc']:.3f}, promoted: {outcome.decision.promote}"
        )
    ensure_champions(settings, "bench", "bench set-up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365, help="days of history before the night")
    parser.add_argument("--clean-nights", type=int, default=0, help="then run N more nights")
    parser.add_argument("--data-dir", type=Path, help="default: data/bench-pipeline-<customers>")
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="reuse the warehouse and champions an earlier run set up (its warehouse as it was "
        "before the night, so the night is timed as a first run, not a rerun of its date)",
    )
    args = parser.parse_args()

    data_dir = (args.data_dir or Path("data") / f"bench-pipeline-{args.customers}").resolve()
    env = {
        **os.environ,
        "SCORELINE_DATA_DIR": str(data_dir),
        "SCORELINE_FIRST_SCORE_DATE": START.isoformat(),
    }
    settings = replace(
        Settings.from_env(env),
        training_sample_pct=training_sample_pct(args.customers, args.days),
        # the generated calendar's own today: its last raw day may lie after the real one
        today=START + timedelta(days=args.days + 1 + args.clean_nights),
    )
    os.environ["SCORELINE_TRAINING_SAMPLE_PCT"] = str(settings.training_sample_pct)
    os.environ["SCORELINE_TODAY"] = settings.today.isoformat()  # for the Dagster resources
    env.update({k: os.environ[k] for k in ("SCORELINE_TRAINING_SAMPLE_PCT", "SCORELINE_TODAY")})
    first_night = START + timedelta(days=args.days)
    total_days = args.days + 1 + args.clean_nights
    if not any(settings.raw_dir.glob("day=*")):
        started = time.perf_counter()
        generate(settings.raw_dir, customers=args.customers, days=total_days, start=START)
        print(f"generate {total_days} days: {time.perf_counter() - started:.0f} s")
    before_night = settings.warehouse_path.with_suffix(".before-night")
    if args.skip_setup:
        shutil.copy(before_night, settings.warehouse_path)
    else:
        set_up(settings, first_night, args.days)
        shutil.copy(settings.warehouse_path, before_night)

    defs = build_definitions(settings)
    # the instance `scoreline` itself uses (its run history on disk), not an in-memory one:
    # storing a night's events is part of what an operator waits for
    instance = instance_for(settings)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    night = first_night + timedelta(days=1)
    runs: list[str] = []
    run_nights(defs, instance, [night], progress=False, on_night=lambda _, r: runs.append(r.run_id))
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"nightly run {night} end to end ({args.customers:,} customers, {args.days} days of "
        f"history): {seconds:.1f} s; peak RSS {own:,.0f} MiB (this process, dbt included: it "
        f"runs in process; {before:,.0f} MiB before the night)"
    )
    print_step_times(instance, runs[0], seconds)
    print(
        f"machine yardstick (Python): a fresh process imported dbt in {dbt_import_seconds():.1f} s"
    )
    print(yardstick_line(settings.raw_dir, first_night))
    if args.clean_nights:
        nights = date_range(night + timedelta(days=1), night + timedelta(days=args.clean_nights))
        ended = [time.perf_counter()]

        def night_done(day: date, result) -> None:
            ended.append(time.perf_counter())
            seconds = ended[-1] - ended[-2]
            print(
                f"  night {day} in the same process: {seconds:.1f} s "
                f"({step_parts_line(instance, result.run_id, seconds)})"
            )

        # later nights find dbt's project parsed and every library imported (a backfill, the
        # demo); the first night of a process pays both
        print("later nights (the process warm):")
        run_nights(defs, instance, nights[:-1], progress=False, on_night=night_done)
        print(command_night(instance, env, nights[-1]))
        for spec in load_specs():
            drift = read_published(settings, "drift_history", spec)
            print(
                f"{spec}: {int(drift.alarm.sum())} alarms in {len(drift)} clean nights "
                f"(false-alarm rate {drift.alarm.mean():.0%}); share drifted "
                f"{drift.share_drifted.min():.2f}-{drift.share_drifted.max():.2f}, score drift "
                f"{drift.prediction_drift.min():.3f}-{drift.prediction_drift.max():.3f}"
            )


if __name__ == "__main__":
    main()
