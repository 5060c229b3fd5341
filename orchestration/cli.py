"""`scoreline`: the one front door. Builds, training, scoring, backfills and the demo run as
Dagster jobs in this process, against the instance in DAGSTER_HOME (default <data dir>/dagster),
so every run shows in the UI (`scoreline dev`) with its materializations and check results, and
nothing is published without the blocking checks. Alias moves go through the registry.

Quiet by default: a progress bar per night and one line per step; dbt's and Dagster's own logs
go to a file under <data dir>/logs whose path is printed (`--verbose` shows them instead).
"""

from __future__ import annotations

import gc
import json
import os
import shlex
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from ml.config import Settings
from ml.ingest.business import load_business
from ml.ingest.generate import DriftScenario, generate
from ml.ingest.raw_contract import RawContractError, check_raw_files
from ml.training.specs import ModelSpec, SpecError, load_specs
from ml.warehouse.dbt_runner import (
    DbtError,
    dbt_environment,
    newest_score_date,
    raw_day_bound,
    run_dbt,
)
from orchestration.lib.terminal import Terminal, terminal

DEMO_CUSTOMERS = 50_000
# through 2026-06-02, the raw day the last demo night (06-03) reads: the data ends where the
# nights do, so nothing landed stays unscored
DEMO_DAYS = 153
DEMO_START = date(2026, 1, 1)
DEMO_DRIFT = "price_increase@2026-06-01"
# The demo trains on history before the rise, then runs these nights through Dagster: four
# clean ones and two that see the rise (raw day 2026-06-01 first shows in score date 06-02).
DEMO_NIGHTS = (date(2026, 5, 29), date(2026, 6, 3))
# Scored first, as a backfill: out of sample (the models train as of 2026-05-29 on labels
# closed by then, so on as-of dates up to 05-01), and its 28-day labels mature by the 06-02
# night, so the demo shows realized performance beside validation.
DEMO_MATURING_NIGHT = date(2026, 5, 5)

# Errors that mean "the input or the state is not right": printed as one line, exit 1. Named,
# not imported: a command loads only what it uses (the registry imports MLflow and LightGBM,
# the runner Dagster; `scoreline --help` took 4 s with them), and an error class whose module a
# command never loaded cannot have been raised by it.
EXPECTED_ERRORS = (
    ("ml.ingest.business", "BusinessError"),
    ("ml.warehouse.feature_families", "FamilyError"),
    ("ml.ingest.raw_contract", "RawContractError"),
    ("ml.warehouse.dbt_runner", "DbtError"),
    ("ml.training.specs", "SpecError"),
    ("ml.training.training_set", "TrainingSetError"),
    ("ml.training.registry", "RegistryError"),
    ("orchestration.lib.runner", "JobFailed"),
    ("orchestration.lib.single_writer", "WarehouseBusy"),
    ("ml.scoring.retract", "RetractError"),
    ("ml.scoring.publish", "PublishError"),
)


def _expected(exc: BaseException) -> bool:
    return any(
        isinstance(exc, getattr(sys.modules[module], name))
        for module, name in EXPECTED_ERRORS
        if module in sys.modules
    )


app = typer.Typer(
    name="scoreline",
    help="Batch customer scoring: dbt features on DuckDB, LightGBM in MLflow, nightly Dagster "
    "jobs that score, check, publish and export to Redis. Paths come from SCORELINE_DATA_DIR "
    "(default ./data) and friends: docs/configuration.md.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@dataclass
class State:
    settings: Settings
    verbose: bool


def _state(ctx: typer.Context) -> State:
    return ctx.obj


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="show dbt's and Dagster's logs")
    ] = False,
) -> None:
    # Dagster flags beta parameters on every definition load; they are noise to an operator.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    ctx.obj = State(Settings.from_env(), verbose)


DateOption = Annotated[
    datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD", show_default=False)
]
SpecNames = Annotated[
    list[str] | None, typer.Argument(help="spec names (default: every spec)", show_default=False)
]
Who = Annotated[str, typer.Option(help="recorded as who moved the alias")]
AcceptShift = Annotated[
    str | None,
    typer.Option(
        "--accept-high-risk-shift",
        metavar="REASON",
        help="publish even if the high-risk share moves beyond the spec's block factor (a known "
        "event); the reason is kept with the check",
        show_default=False,
    ),
]


def _accept_shift_config(settings: Settings, reason: str | None, models=None) -> dict | None:
    from orchestration.defs.model_assets import accept_high_risk_shift_config

    if not reason:
        return None
    return accept_high_risk_shift_config([spec.name for spec in _specs(settings, models)], reason)


Why = Annotated[str, typer.Option("--reason", help="why (kept in the audit)")]


def _day(value: datetime | None) -> date | None:
    """The one place a command-line date becomes a `date`."""
    return value.date() if value else None


def _specs(settings: Settings, names: list[str] | None) -> list[ModelSpec]:
    specs = load_specs(settings.business_dir)
    unknown = [name for name in names or [] if name not in specs]
    if unknown:
        raise SpecError(f"unknown model spec(s) {unknown}; known: {sorted(specs)}")
    return [specs[name] for name in names] if names else list(specs.values())


class _Dagster:
    """The definitions and instance of one command (loaded once, quietly)."""

    def __init__(self, settings: Settings, screen: Terminal) -> None:
        import dagster as dg

        from orchestration.defs.definitions import build_definitions
        from orchestration.lib.runner import instance_for

        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        screen.say("loading the Dagster definitions (parses the dbt project when it changed)")
        self.defs = build_definitions(settings)
        self.instance = instance_for(settings)
        self.screen = screen

    def run(self, job: str, partition: date | None = None, title: str = "", **options) -> None:
        from orchestration.lib.runner import run_job, step_summaries

        if title:
            self.screen.say(title)
        result = run_job(self.defs, job, self.instance, partition, **options)
        for line in step_summaries(self.instance, result.run_id):
            self.screen.say(line)

    def nights(self, dates: list[date], job: str, run_config: dict | None = None) -> None:
        from orchestration.lib.runner import run_nights, run_seconds, step_summaries

        def summary(day: date, result) -> None:
            self.screen.say(f"{job} {day} ({run_seconds(self.instance, result.run_id):.1f} s):")
            for line in step_summaries(self.instance, result.run_id):
                self.screen.say(line)

        run_nights(
            self.defs, self.instance, dates, job, progress=self.screen.bars, on_night=summary,
            run_config=run_config,
        )  # fmt: skip


def _fail(exc: Exception) -> typer.Exit:
    """End a command on an expected error: its message in one line, exit 1."""
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


def _run(ctx: typer.Context, command: str, body: Callable[[Settings, Terminal], None]) -> None:
    """Run a command body with the quiet terminal; expected errors end as one line, exit 1."""
    state = _state(ctx)
    with terminal(state.settings.logs_dir, command, state.verbose) as screen:
        if screen.log_path:
            screen.say(f"logs: {screen.log_path}")
        try:
            body(state.settings, screen)
        except Exception as exc:
            if not _expected(exc):
                raise
            screen.warn(f"error: {exc}")
            if screen.log_path:
                screen.warn(f"full logs: {screen.log_path}")
            raise typer.Exit(1) from exc


# --- raw data -------------------------------------------------------------------------------


@app.command("generate")
def generate_command(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(help="customers in total")] = DEMO_CUSTOMERS,
    days: Annotated[int, typer.Option(help="number of days to write")] = DEMO_DAYS,
    start: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help=f"first day (default {DEMO_START})"),
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    drift: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KIND@DATE",
            help="switch on a drift scenario from DATE: price_increase, new_channel or "
            "longer_sessions (repeatable)",
        ),
    ] = None,
    malformed_share: Annotated[
        float, typer.Option(help="share of activities replaced by each malformed kind")
    ] = 0.0,
    out: Annotated[
        Path | None, typer.Option(help="output folder (default: SCORELINE_RAW_DIR)")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace existing day folders")
    ] = False,
) -> None:
    """Write the synthetic subscription business as day=YYYY-MM-DD/<table>.parquet folders
    (deterministic per seed)."""
    try:
        scenarios = [DriftScenario.parse(text) for text in drift or []]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--drift") from exc

    def body(settings: Settings, screen: Terminal) -> None:
        target = out or settings.raw_dir
        if any(target.glob("day=*")) and not overwrite:
            raise RawContractError(
                f"{target} already holds day folders; pass --overwrite to replace them"
            )
        if overwrite:
            for old in target.glob("day=*"):
                for file in old.iterdir():
                    file.unlink()
                old.rmdir()
        summary = generate(
            target, customers=customers, days=days, start=_day(start) or DEMO_START, seed=seed,
            drifts=scenarios, malformed_share=malformed_share, progress_file=screen.bars,
        )  # fmt: skip
        screen.say(
            f"wrote {summary.days} days to {target}: {summary.customers:,} customers, "
            f"{summary.activities:,} activities ({summary.cancellations:,} cancellations), "
            f"{summary.malformed_rows:,} deliberately malformed rows"
        )

    _run(ctx, "generate", body)


@app.command("check-raw")
def check_raw_command(
    ctx: typer.Context,
    since: DateOption = None,
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="day after the last to check", show_default=False),
    ] = None,
) -> None:
    """Check raw files' columns and types against the contract and the business vocabulary;
    errors name the file and column."""

    def body(settings: Settings, screen: Terminal) -> None:
        business = load_business(settings.business_dir)
        result = check_raw_files(
            settings.raw_dir, business, since=_day(since), until=_day(until),
            latest=raw_day_bound(settings),
        )  # fmt: skip
        screen.say(
            f"raw input contract holds: {result.files_checked} files, "
            f"days {result.days[0]} to {result.days[-1]}"
        )

    _run(ctx, "check-raw", body)


# --- the Dagster jobs ------------------------------------------------------------------------


@app.command("build")
def build_command(
    ctx: typer.Context,
    score_date: DateOption = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="rebuild from all history")
    ] = False,
    reload_from: DateOption = None,
) -> None:
    """Run the warehouse job for a score date: check the new raw days, dbt build the features
    and their contract tests. Default score date: the day after the newest raw day."""

    def body(settings: Settings, screen: Terminal) -> None:
        from ml.warehouse.dbt_runner import last_loaded_date, loaded_rows, plan_build
        from orchestration.defs.automation import WAREHOUSE_JOB

        day = _day(score_date) or newest_score_date(settings)
        plan = plan_build(day, last_loaded_date(settings), full_refresh, _day(reload_from))
        config = {"full_refresh": full_refresh}
        if reload_from:
            config["reload_from"] = _day(reload_from).isoformat()
        dagster = _Dagster(settings, screen)
        dagster.run(
            WAREHOUSE_JOB, day, title=f"warehouse for score date {day}",
            run_config={"ops": {"nightly_dbt_models": {"config": config}}},
        )  # fmt: skip
        for table, counts in sorted(loaded_rows(settings, plan.since, day).items()):
            screen.say(
                f"  {table}: {counts['raw']:,} raw rows over {counts['days']} day(s), "
                f"{counts['clean']:,} clean, {counts['rejected']:,} quarantined"
            )
        screen.say(f"warehouse built: {settings.warehouse_path}")

    _run(ctx, "build", body)


@app.command("train")
def train_command(ctx: typer.Context, models: SpecNames = None) -> None:
    """Run each spec's training job: labels and training set, LightGBM in MLflow, the gate.
    The new version becomes challenger, and champion if it passes the gate."""

    def body(settings: Settings, screen: Terminal) -> None:
        from orchestration.defs.automation import training_job_name

        dagster = _Dagster(settings, screen)
        for spec in _specs(settings, models):
            dagster.run(training_job_name(spec.name), title=f"training {spec.name}")

    _run(ctx, "train", body)


@app.command("score")
def score_command(
    ctx: typer.Context,
    models: SpecNames = None,
    date_: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="score date (default: newest built)"),
    ] = None,
    accept_high_risk_shift: AcceptShift = None,
) -> None:
    """Score, check, measure drift, publish and export to Redis for a score date the
    warehouse holds (the model part of the nightly job; the blocking checks still guard it)."""

    def body(settings: Settings, screen: Terminal) -> None:
        import dagster as dg

        from ml.warehouse.dbt_runner import last_loaded_date
        from orchestration.defs.automation import NIGHTLY_JOB
        from orchestration.defs.model_assets import NIGHTLY_MODEL_ASSETS

        loaded = last_loaded_date(settings)
        if loaded is None:
            raise RawContractError("the warehouse is empty: run `scoreline build` first")
        day = _day(date_) or loaded + timedelta(days=1)
        keys = [
            dg.AssetKey([spec.name, asset])
            for spec in _specs(settings, models)
            for asset in NIGHTLY_MODEL_ASSETS
        ]
        _Dagster(settings, screen).run(
            NIGHTLY_JOB, day, title=f"scoring {day}", asset_selection=keys,
            run_config=_accept_shift_config(settings, accept_high_risk_shift, models),
        )  # fmt: skip

    _run(ctx, "score", body)


@app.command("nightly")
def nightly_command(
    ctx: typer.Context,
    date_: Annotated[
        datetime | None,
        typer.Option(
            "--date", formats=["%Y-%m-%d"], help="score date (default: newest raw day + 1)"
        ),
    ] = None,
    accept_high_risk_shift: AcceptShift = None,
) -> None:
    """Run the nightly job for one score date: load the new raw day, build features, score,
    check, measure drift, publish, export to Redis, measure realized performance."""

    def body(settings: Settings, screen: Terminal) -> None:
        from orchestration.defs.automation import NIGHTLY_JOB

        day = _day(date_) or newest_score_date(settings)
        config = _accept_shift_config(settings, accept_high_risk_shift)
        _Dagster(settings, screen).nights([day], NIGHTLY_JOB, config)

    _run(ctx, "nightly", body)


@app.command("backfill")
def backfill_command(
    ctx: typer.Context,
    start: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="first date")],
    end: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="last date")],
    job: Annotated[str, typer.Option(help="nightly_job or warehouse_job")] = "nightly_job",
) -> None:
    """Run a job for a range of score dates, oldest first (one writer at a time). An older
    date never replaces a newer Redis export."""

    def body(settings: Settings, screen: Terminal) -> None:
        from orchestration.defs.automation import NIGHTLY_JOB, WAREHOUSE_JOB
        from orchestration.lib.runner import JobFailed, date_range

        if job not in (NIGHTLY_JOB, WAREHOUSE_JOB):
            raise JobFailed(f"--job must be {NIGHTLY_JOB} or {WAREHOUSE_JOB}, not {job!r}")
        first, last = _day(start), _day(end)
        if last < first:
            raise JobFailed(f"--to {last} is before --from {first}")
        dates = date_range(first, last)
        _Dagster(settings, screen).nights(dates, job)
        screen.say(f"{job}: {len(dates)} score dates from {first} to {last} succeeded")

    _run(ctx, "backfill", body)


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(help="customers")] = DEMO_CUSTOMERS,
    days: Annotated[int, typer.Option(help="days of history")] = DEMO_DAYS,
) -> None:
    """Generate demo data (if none), build the warehouse, train every spec, then run the
    nightly job through the first days of a price rise that the drift reports flag."""

    def body(settings: Settings, screen: Terminal) -> None:
        from orchestration.defs.automation import NIGHTLY_JOB, WAREHOUSE_JOB, training_job_name
        from orchestration.lib.runner import date_range, ensure_champions

        first, last = DEMO_NIGHTS
        if not any(settings.raw_dir.glob("day=*")):
            screen.say(f"generating demo data: {customers:,} customers x {days} days, {DEMO_DRIFT}")
            generate(
                settings.raw_dir, customers=customers, days=days, start=DEMO_START,
                drifts=[DriftScenario.parse(DEMO_DRIFT)], malformed_share=0.0005,
                progress_file=screen.bars,
            )  # fmt: skip
        else:
            screen.say(f"using raw data already in {settings.raw_dir}")
        dagster = _Dagster(settings, screen)
        dagster.run(WAREHOUSE_JOB, first, title=f"1/3 warehouse for score date {first}")
        screen.say("2/3 training every model spec on point-in-time training sets")
        specs = load_specs(settings.business_dir)
        for name in specs:
            dagster.run(training_job_name(name))
        for promoted in ensure_champions(settings, "scoreline demo", "demo bootstrap"):
            screen.say(
                f"   {promoted}: the gate kept it as challenger; the demo promotes it so the "
                "nightly chain has a champion (production would wait for one)"
            )
        maturing = DEMO_MATURING_NIGHT
        screen.say(
            f"3/3 nightly runs {maturing} (a backfill), then {first} .. {last}: score, check, "
            "drift, publish, Redis; realized performance of past dates as their labels mature"
        )
        dagster.nights([maturing, *date_range(first, last)], NIGHTLY_JOB)
        _demo_summary(settings, specs, screen)

    _run(ctx, "demo", body)


def _demo_summary(settings: Settings, specs: dict, screen: Terminal) -> None:
    from ml.scoring.publish import read_published
    from ml.serving.redis_export import export_metadata, live_key
    from orchestration.lib.resources import RedisResource

    redis_client = RedisResource(url=settings.redis_url).client(settings)
    screen.say("\nDemo ready.")
    for name in specs:
        drift = read_published(settings, "drift_history", name)
        alarms = [str(d.date()) for d in drift[drift.alarm].score_date]
        warned = [str(d.date()) for d in drift[drift.status == "warning"].score_date]
        meta = export_metadata(redis_client, name)
        realized = read_published(settings, "performance_history", name)
        screen.say(
            f"  {name}: drift alarms on {', '.join(alarms) or 'no date'}"
            + (f", warnings on {', '.join(warned)}" if warned else "")
            + "; Redis "
            f"{live_key(name)} holds {meta.get('rows', 0)} high-risk customers "
            f"for {meta.get('score_date', '-')}"
            + "".join(
                f"; realized ROC-AUC {row.roc_auc:.3f} on {row.score_date.date()} "
                f"(validation {row.validation_roc_auc:.3f})"
                for row in realized.itertuples()
            )
        )
    screen.say(
        f"  predictions:   {settings.published_dir / 'predictions'}\n"
        f"  drift reports: {settings.reports_dir / 'drift'}\n"
        f"  warehouse:     {settings.warehouse_path}\n"
        "  Dagster UI:    make dev      (assets, checks, schedules, sensor, these runs)\n"
        "  reports app:   make app\n"
        "  MLflow UI:     .venv/bin/mlflow ui --backend-store-uri "
        # a URI with a password (production) by its variable's name, never its value
        + (
            '"$MLFLOW_TRACKING_URI"'
            if urlsplit(settings.mlflow_tracking_uri).password
            else settings.mlflow_tracking_uri
        )
    )


# --- the registry ----------------------------------------------------------------------------


@app.command("promote")
def promote_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="spec name")],
    version: Annotated[int, typer.Argument(help="registered model version")],
    reason: Why,
    who: Who = "cli",
) -> None:
    """Make a version champion by hand; who and why go to the audit."""

    def body(settings: Settings, screen: Terminal) -> None:
        from ml.training import registry

        (spec,) = _specs(settings, [model])
        client = registry.connect(settings)
        registry.move_alias(client, spec, registry.CHAMPION, version, who, reason)
        screen.say(f"{spec.name}: champion is now v{version}")

    _run(ctx, "promote", body)


@app.command("rollback")
def rollback_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="spec name")],
    reason: Why,
    who: Who = "cli",
) -> None:
    """Give champion back to the version that held it before."""

    def body(settings: Settings, screen: Terminal) -> None:
        from ml.training import registry

        (spec,) = _specs(settings, [model])
        version = registry.rollback(registry.connect(settings), spec, who, reason)
        screen.say(f"{spec.name}: champion rolled back to v{version}")

    _run(ctx, "rollback", body)


@app.command("retract")
def retract_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="spec name")],
    date_: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="the wrong score date")
    ],
    reason: Why,
    who: Annotated[str, typer.Option(help="recorded as who retracted it")] = "cli",
) -> None:
    """Withdraw a wrong published score date: its files leave the readers' folders (kept under
    published/.retracted), the Redis export goes back to the newest remaining date (or to the
    safe default), and the audit records who, when and why. Rerun or backfill the date to
    publish a corrected one."""

    def body(settings: Settings, screen: Terminal) -> None:
        from ml.scoring.retract import retract
        from ml.serving.redis_export import connect
        from orchestration.lib.single_writer import single_writer

        (spec,) = _specs(settings, [model])
        day = _day(date_)
        with single_writer(settings, f"retract {spec.name} {day}"):
            client = connect(settings.redis_url, settings.redis_embedded_db)
            done = retract(settings, spec, day, client, who, reason)
        screen.say(
            f"{spec.name} {day} retracted: {done.files_moved} published file(s) moved to "
            f"{done.kept_in}; Redis export {done.redis}"
        )

    _run(ctx, "retract", body)


@app.command("models")
def models_command(
    ctx: typer.Context,
    models: SpecNames = None,
    history: Annotated[
        bool, typer.Option("--history", help="every alias move, not just the last ten")
    ] = False,
) -> None:
    """Champions, challengers and alias moves (who, when, why, from, to)."""

    def body(settings: Settings, screen: Terminal) -> None:
        from ml.training import registry

        client = registry.connect(settings)
        for spec in _specs(settings, models):
            champion = registry.alias_version(client, spec, registry.CHAMPION)
            challenger = registry.alias_version(client, spec, registry.CHALLENGER)
            screen.say(f"{spec.name}: champion {_v(champion)}, challenger {_v(challenger)}")
            moves = registry.promotion_history(client, spec)
            for move in moves if history else moves[-10:]:
                screen.say(
                    f"  {move['at']} {move['alias']} -> {_v(move['version'])} "
                    f"(was {_v(move['previous'])}) by {move['by']}: {move['why']}"
                )

    _run(ctx, "models", body)


# --- tools: UI, app, dbt ---------------------------------------------------------------------


def _v(version: int | None) -> str:
    return "none" if version is None else f"v{version}"


@app.command("dev")
def dev_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="interface to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 3000,
) -> None:
    """The Dagster UI on this project's instance: assets, checks, schedules, the sensor and
    the runs `scoreline` launched."""
    from orchestration.lib.runner import instance_for

    settings = _state(ctx).settings
    instance_for(settings)  # creates DAGSTER_HOME and its dagster.yaml
    replay = _replayed_today(settings)
    if replay:
        os.environ["SCORELINE_TODAY"] = replay.isoformat()
        typer.echo(
            f"The raw data ends before today: partitions end at its newest score date, {replay} "
            "(SCORELINE_TODAY; set it to choose another)"
        )
    command = [
        str(Path(sys.executable).with_name("dagster")), "dev",
        "-m", "orchestration.defs.definitions", "--host", host, "--port", str(port),
    ]  # fmt: skip
    typer.echo(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.execv(command[0], command)


def _replayed_today(settings) -> date | None:
    """The data's own today (its newest score date) when the raw days end before the clock's
    today, as the demo's generated calendar does; None on the clock or when SCORELINE_TODAY
    already chooses one."""
    from ml.ingest.raw_contract import RawContractError
    from ml.warehouse.dbt_runner import newest_score_date

    if settings.calendar_replayed:
        return None
    try:
        newest = newest_score_date(settings)
    except RawContractError:  # no raw data yet: the clock it is
        return None
    return newest if newest < settings.today else None


@app.command("app")
def app_command(
    host: Annotated[str, typer.Option(help="interface to serve on (customer-level data)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="port")] = 8501,
) -> None:
    """The reports app for business teams (Streamlit), on this machine only by default."""
    from ml.config import PROJECT_DIR

    command = [
        str(Path(sys.executable).with_name("streamlit")), "run",
        str(PROJECT_DIR / "app" / "streamlit_app.py"), "--server.address", host,
        "--server.port", str(port), "--browser.gatherUsageStats", "false",
        # viewers get the app, not Streamlit's developer menu (rerun, settings, source)
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip
    os.execv(command[0], command)


@app.command("features")
def features_command(
    ctx: typer.Context,
    write: Annotated[bool, typer.Option("--write", help="rewrite the generated columns")] = False,
) -> None:
    """Expand each declared feature version's families into contract columns; without
    --write, exit 1 when the committed columns are stale."""
    from ml.warehouse.feature_families import declared_versions, properties_files, regenerate

    settings = _state(ctx).settings
    try:
        business = load_business(settings.business_dir)
        stale = []
        for path in properties_files(settings.business_dir):
            text = regenerate(path, business)
            if text != path.read_text():
                stale.append(path)
                if write:
                    path.write_text(text)
            for model, version, _ in declared_versions(path):
                typer.echo(f"{model} v{version}: declared")
    except Exception as exc:
        if not _expected(exc):
            raise
        raise _fail(exc) from exc
    if stale and not write:
        for path in stale:
            typer.echo(
                f"{path}: generated columns differ from the families; run "
                "`scoreline features --write`",
                err=True,
            )
        raise typer.Exit(1)
    if stale:
        typer.echo("rewrote " + ", ".join(str(p) for p in stale))


@app.command("fingerprints")
def fingerprints_command(
    ctx: typer.Context,
    update: Annotated[bool, typer.Option("--update", help="rewrite the fingerprint file")] = False,
) -> None:
    """Compare each feature version's SQL+macros+contract hash with the business folder's
    released fingerprints; --update releases the current logic (commit the file)."""
    from ml.warehouse.feature_fingerprints import (
        FINGERPRINTS_FILE,
        changed_versions,
        compute_fingerprints,
        read_fingerprints,
        write_fingerprints,
    )

    settings = _state(ctx).settings
    try:
        run_dbt(settings, ["parse", "--quiet"], capture=True)
    except Exception as exc:
        if not _expected(exc):
            raise
        raise _fail(exc) from exc
    manifest = json.loads((settings.dbt_target_dir / "manifest.json").read_text())
    current = compute_fingerprints(manifest)
    path = settings.business_dir / FINGERPRINTS_FILE
    if update:
        write_fingerprints(path, current)
        typer.echo(f"released {', '.join(current)} -> {path}")
        return
    problems = changed_versions(read_fingerprints(path), current)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"feature versions unchanged: {', '.join(current)}")


@app.command("docs")
def docs_command(
    ctx: typer.Context,
    serve: Annotated[bool, typer.Option("--serve", help="serve the docs after generating")] = False,
    port: Annotated[int, typer.Option(help="port for --serve")] = 8080,
) -> None:
    """dbt docs: the feature catalog (every feature's description, window, owner, version)."""
    settings = _state(ctx).settings
    run_dbt(settings, ["docs", "generate"])
    typer.echo(f"feature catalog written to {settings.dbt_target_dir}")
    if serve:
        run_dbt(settings, ["docs", "serve", "--port", str(port), "--no-browser"])


@app.command("env")
def env_command(ctx: typer.Context) -> None:
    """Print the environment dbt needs: `eval "$(scoreline env)"`, then plain `dbt` sees the
    paths, the business folder and its declarations as Scoreline's runs do."""
    for key, value in dbt_environment(_state(ctx).settings).items():
        typer.echo(f"export {key}={shlex.quote(value)}")


@app.command("redis-acl")
def redis_acl_command() -> None:
    """Print a Redis ACL file for production: an exporter and a read-only reader confined to
    Scoreline's keys, the default user off. Passwords come from
    SCORELINE_REDIS_EXPORTER_PASSWORD and SCORELINE_REDIS_READER_PASSWORD (docs/operations.md)."""
    from ml.serving.redis_acl import PASSWORD_VARIABLES, acl_file

    try:
        text = acl_file({user: os.environ.get(var, "") for user, var in PASSWORD_VARIABLES.items()})
    except ValueError as exc:
        raise _fail(exc) from exc
    typer.echo(text, nl=False)


@app.command(
    "dbt",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def dbt_command(ctx: typer.Context) -> None:
    """Run dbt with Scoreline's environment, e.g. `scoreline dbt -- ls -s customer_features`.
    For inspection and by-hand builds; nothing it builds is scored or published."""
    try:
        run_dbt(_state(ctx).settings, ctx.args)
    except DbtError as exc:
        raise _fail(exc) from exc


def main() -> None:
    """The `scoreline` command: one command, then the process ends."""
    try:
        app()
    except subprocess.CalledProcessError as exc:  # a tool we exec'd into reports itself
        sys.exit(exc.returncode)
    finally:
        # What the command loaded (dbt's project, Dagster's definitions: millions of objects)
        # needs no collection now. Python's exit would walk it all looking for garbage (~2 s of
        # a night's command); frozen, it is left to the OS. What must be closed is closed by
        # then (the embedded Redis, DuckDB, the log file), and exit handlers still run.
        gc.freeze()


if __name__ == "__main__":
    main()
