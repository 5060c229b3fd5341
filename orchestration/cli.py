"""`scoreline-pipeline`: run Scoreline's Dagster jobs from a terminal (demo, nightly, backfill).

Runs execute in this process against the Dagster instance in DAGSTER_HOME (default
<data dir>/dagster), so `make dev` shows them in the UI afterwards with their materializations,
check results and logs.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from datetime import date
from pathlib import Path

import dagster as dg

from ml.cli import DEMO_CUSTOMERS, DEMO_DAYS, DEMO_DRIFT, DEMO_NIGHTS, DEMO_START, _date
from ml.config import Settings
from ml.generate import DriftScenario, generate
from ml.raw_contract import RawContractError, default_score_date
from ml.redis_export import export_metadata, live_key
from ml.specs import load_specs
from orchestration.defs.automation import NIGHTLY_JOB, WAREHOUSE_JOB
from orchestration.runner import (
    JobFailed,
    date_range,
    ensure_champions,
    instance_for,
    run_job,
    run_nights,
    train_all,
)


def _definitions(settings: Settings):
    from orchestration.definitions import build_definitions

    print("loading the Dagster definitions (parses the dbt project when it changed)...")
    return build_definitions(settings)


def _newest_score_date(settings: Settings) -> date:
    try:
        return default_score_date(settings.raw_dir)
    except RawContractError as exc:
        raise JobFailed(str(exc)) from exc


def cmd_nightly(args: argparse.Namespace, settings: Settings) -> int:
    day = args.date or _newest_score_date(settings)
    defs = _definitions(settings)
    run_nights(defs, instance_for(settings), [day])
    print(f"nightly run for {day} succeeded")
    return 0


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    if args.end < args.start:
        raise JobFailed(f"--to {args.end} is before --from {args.start}")
    defs = _definitions(settings)
    dates = date_range(args.start, args.end)
    run_nights(defs, instance_for(settings), dates, job_name=args.job)
    print(f"{args.job}: {len(dates)} score dates from {args.start} to {args.end} succeeded")
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    names = args.models or list(load_specs(settings.business_dir))
    train_all(_definitions(settings), instance_for(settings), names)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    first, last = DEMO_NIGHTS
    if not any(settings.raw_dir.glob("day=*")):
        print(
            f"generating demo data: {args.customers:,} customers x {args.days} days, {DEMO_DRIFT}"
        )
        generate(
            settings.raw_dir, customers=args.customers, days=args.days, start=DEMO_START,
            drifts=[DriftScenario.parse(DEMO_DRIFT)], malformed_share=0.0005,
        )  # fmt: skip
    else:
        print(f"using raw data already in {settings.raw_dir}")
    defs = _definitions(settings)
    instance = instance_for(settings)
    print(f"1/3 warehouse for score date {first} (all history before it)")
    run_job(defs, WAREHOUSE_JOB, instance, first)
    print("2/3 training every model spec on point-in-time training sets")
    specs = load_specs(settings.business_dir)
    train_all(defs, instance, list(specs))
    for promoted in ensure_champions(settings, "scoreline demo", "demo bootstrap"):
        print(f"   {promoted}: the gate kept it as challenger; the demo promotes it so the "
              "nightly chain has a champion (production would wait for one)")  # fmt: skip
    print(f"3/3 nightly runs {first} .. {last}: score, check, drift, publish, Redis")
    run_nights(defs, instance, date_range(first, last), job_name=NIGHTLY_JOB)
    _summary(settings, specs)
    return 0


def _summary(settings: Settings, specs) -> None:
    from ml.publish import read_published
    from orchestration.resources import RedisResource

    redis_client = RedisResource(url=settings.redis_url).client(settings)
    print("\nDemo ready.")
    for name in specs:
        drift = read_published(settings, "drift_history", name)
        alarms = [str(d.date()) for d in drift[drift.alarm].score_date]
        meta = export_metadata(redis_client, name)
        print(
            f"  {name}: drift alarms on {', '.join(alarms) or 'no date'}; Redis "
            f"{live_key(name)} holds {meta.get('rows', 0)} high-risk customers "
            f"for {meta.get('score_date', '-')}"
        )
    print(
        f"  predictions:   {settings.published_dir / 'predictions'}\n"
        f"  drift reports: {settings.reports_dir / 'drift'}\n"
        f"  warehouse:     {settings.warehouse_path}\n"
        "  Dagster UI:    make dev      (assets, checks, schedules, sensor, these runs)\n"
        "  reports app:   make app\n"
        f"  MLflow UI:     .venv/bin/mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}"
    )


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    import os

    instance_for(settings)  # creates DAGSTER_HOME and its dagster.yaml
    command = [
        str(Path(sys.executable).with_name("dagster")), "dev", "-m", "orchestration.definitions",
        "--host", args.host, "--port", str(args.port),
    ]  # fmt: skip
    print(
        f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})"
    )
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.execv(command[0], command)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scoreline-pipeline",
        description="Run Scoreline's Dagster jobs in process: the demo, one night, a backfill, "
        "training. Runs show in the Dagster UI (`make dev`).",
        epilog="Paths come from SCORELINE_DATA_DIR (default ./data); Redis from REDIS_URL, "
        "else an embedded server.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="generate demo data and run the pipeline through Dagster",
        description=f"Generate demo data (if none), build the warehouse, train every spec, then "
        f"run the nightly job for {DEMO_NIGHTS[0]} .. {DEMO_NIGHTS[1]}, including the first "
        "days of a price rise that the drift reports flag.",
    )
    demo.add_argument("--customers", type=int, default=DEMO_CUSTOMERS, help="customers")
    demo.add_argument("--days", type=int, default=DEMO_DAYS, help="days of history")
    demo.set_defaults(func=cmd_demo)

    nightly = sub.add_parser(
        "nightly", help="run the nightly job for one score date",
        description="Load the new raw day, build features, score, check, drift, publish, export.",
    )  # fmt: skip
    nightly.add_argument("--date", type=_date, help="score date (default: newest raw day + 1)")
    nightly.set_defaults(func=cmd_nightly)

    backfill = sub.add_parser(
        "backfill", help="run a job for a range of score dates, oldest first",
        description="One run per score date, in order (DuckDB takes one writer at a time). An "
        "older date never replaces a newer Redis export.",
    )  # fmt: skip
    backfill.add_argument("--from", dest="start", type=_date, required=True, help="first date")
    backfill.add_argument("--to", dest="end", type=_date, required=True, help="last date")
    backfill.add_argument(
        "--job", default=NIGHTLY_JOB, choices=[NIGHTLY_JOB, WAREHOUSE_JOB], help="job to run"
    )
    backfill.set_defaults(func=cmd_backfill)

    train = sub.add_parser(
        "train", help="run the training job of each spec",
        description="Rebuild labels and training sets, train, register and gate.",
    )  # fmt: skip
    train.add_argument("models", nargs="*", help="spec names (default: all)")
    train.set_defaults(func=cmd_train)

    dev = sub.add_parser(
        "dev", help="start the Dagster UI on this project's instance",
        description="`dagster dev` with DAGSTER_HOME under the data directory, so the runs of "
        "`demo`, `nightly` and `backfill` show up.",
    )  # fmt: skip
    dev.add_argument("--host", default="127.0.0.1", help="interface to serve on")
    dev.add_argument("--port", type=int, default=3000, help="port")
    dev.set_defaults(func=cmd_dev)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Dagster flags beta parameters on every definition load; they are noise to an operator.
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    settings = Settings.from_env()
    try:
        return args.func(args, settings)
    except JobFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
