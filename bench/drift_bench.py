"""Drift detection bench: false alarms on clean nights, and how soon each scenario is seen.

    make bench-drift                     # 50,000 customers, 150 days of history, 30 clean nights
    .venv/bin/python -m bench.drift_bench --customers 20000 --clean-nights 10 --scenario-nights 5

Trains both models once on the clean history (their drift levels are calibrated there), then
runs nights through the real nightly dbt build and the drift rules the nightly asset applies
(without Evidently's HTML, which decides nothing):

- clean:           `--clean-nights` nights of the same business;
- price_increase:  prices rise 25% (the generator; every customer gets a plan change);
- new_channel:     a new acquisition channel brings lighter users from the first night;
- longer_sessions: sessions last 60% longer; only features reading session length move
                   (churn reads one, payment_failure none: it must not alarm);
- stuck_feature:   a pipeline bug: `active_days_last_30d` is 0 for a stable 10% of customers
                   (applied to the clean nights' scoring input, as a bug in its SQL would be).

The generator's scenarios leave the days before them byte-identical, so every scenario
continues the same warehouse from the night the models were trained. Prints one line per
scenario and model, such as `new_channel churn: first warning after 3 nights, no alarm in 10`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench.warehouse_bench import dbt_import_seconds
from ml.config import Settings
from ml.ingest.generate import DriftScenario, generate
from ml.monitoring.drift import ALARM, OK, DriftResult, measure_drift
from ml.scoring.score import read_scoring_input
from ml.training import registry
from ml.training.specs import load_specs
from ml.training.train import train_and_register
from ml.warehouse.dbt_runner import build_warehouse
from orchestration.lib.runner import ensure_champions

START = date(2025, 11, 1)
GENERATED = ("price_increase", "new_channel", "longer_sessions")
STUCK_FEATURE, STUCK_SHARE = "active_days_last_30d", 0.10


@dataclass
class Run:
    """One scenario's nights for one model."""

    results: list[DriftResult] = field(default_factory=list)
    previous: pd.DataFrame = field(default_factory=pd.DataFrame)

    def first(self, statuses: tuple[str, ...]) -> int | None:
        found = [i for i, r in enumerate(self.results, 1) if r.status in statuses]
        return found[0] if found else None


def stuck(frame: pd.DataFrame) -> pd.DataFrame:
    """The pipeline bug: one feature reads 0 for a stable slice of customers."""
    ids = pd.util.hash_pandas_object(frame.customer_id.astype(str), index=False)
    slice_ = (ids % 100) < STUCK_SHARE * 100
    return frame.assign(**{STUCK_FEATURE: frame[STUCK_FEATURE].where(~slice_, 0)})


class Champions:
    """Each spec's champion, its reference and its calibrated levels, loaded once."""

    def __init__(self, settings: Settings):
        client = registry.connect(settings)
        self.specs = load_specs(settings.business_dir)
        self.loaded = {
            name: (
                registry.load_model(client, spec, registry.CHAMPION),
                *registry.load_drift_reference(client, spec, registry.alias_version(
                    client, spec, registry.CHAMPION)),
            )
            for name, spec in self.specs.items()
        }  # fmt: skip

    def night(
        self,
        settings: Settings,
        day: date,
        runs: dict[str, Run],
        corrupt: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    ) -> None:
        for name, spec in self.specs.items():
            champion, reference, calibration = self.loaded[name]
            current = read_scoring_input(settings, spec, day)
            if corrupt is not None:
                current = corrupt(current)
            current = current.assign(score=champion.model.predict_proba(current)[:, 1])
            run = runs.setdefault(name, Run())
            result = measure_drift(
                spec, reference, calibration, current, day, champion.version,
                settings.reports_dir, previous=run.previous,
            )  # fmt: skip
            run.results.append(result)
            rows = result.feature_rows().assign(score_date=day)
            run.previous = pd.concat([run.previous, rows], ignore_index=True)


def nightly_build(settings: Settings, day: date) -> float:
    started = time.perf_counter()
    build_warehouse(settings, score_date=day, with_training=False, capture=True)
    return time.perf_counter() - started


def scenario_settings(base: Settings, root: Path, name: str) -> Settings:
    folder = root / name
    return replace(
        base,
        data_dir=folder,
        raw_dir=folder / "raw",
        warehouse_path=folder / "warehouse.duckdb",
        dbt_target_dir=folder / "dbt_target",
        reports_dir=folder / "reports",
    )


def verdict(scenario: str, name: str, run: Run) -> str:
    nights = len(run.results)
    if scenario == "clean":
        alarms = sum(r.status == ALARM for r in run.results)
        warned = sum(r.status != OK for r in run.results)
        return f"clean {name}: false alarms {alarms}/{nights}, warnings {warned}/{nights}" + _worst(
            run
        )
    warning, alarm = run.first(("warning", ALARM)), run.first((ALARM,))
    said = (
        f"first warning after {warning} night{'s' * (warning != 1)}"
        if warning
        else f"no warning in {nights}"
    )
    said += (
        f", first alarm after {alarm} night{'s' * (alarm != 1)}"
        if alarm
        else f", no alarm in {nights}"
    )
    return f"{scenario} {name}: {said}" + _worst(run)


def _worst(run: Run, nights: int = 3) -> str:
    """What spoke on the first nights that did (or nothing), in the result's own words."""
    spoke = [r for r in run.results if r.status != OK][:nights]
    return "".join(
        f"\n    night {r.score_date} {r.status}: " + "; ".join([*r.reasons, *r.warnings])[:300]
        for r in spoke
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=150, help="days of history before training")
    parser.add_argument("--clean-nights", type=int, default=30)
    parser.add_argument("--scenario-nights", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, help="default: data/bench-drift-<customers>")
    args = parser.parse_args()

    root = (args.data_dir or Path("data") / f"bench-drift-{args.customers}").resolve()
    nights = max(args.clean_nights, args.scenario_nights)
    trained_on = START + timedelta(days=args.days)  # the reference date
    today = trained_on + timedelta(days=nights + 1)
    os.environ["SCORELINE_TODAY"] = today.isoformat()
    base = replace(
        Settings.from_env({**os.environ, "SCORELINE_DATA_DIR": str(root / "clean")}),
        today=today,
    )
    print(
        f"drift bench: {args.customers:,} customers, trained on {args.days} days, "
        f"{args.clean_nights} clean nights, {args.scenario_nights} per scenario; machine "
        f"yardstick (Python): a fresh process imported dbt in {dbt_import_seconds():.1f} s"
    )
    snapshot = root / "trained.duckdb"
    if not snapshot.exists():
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        generate(base.raw_dir, customers=args.customers, days=args.days + nights, start=START)
        build_warehouse(base, score_date=trained_on, full_refresh=True, capture=True)
        for spec in load_specs(base.business_dir).values():
            train_and_register(spec, base, who="drift bench")
        ensure_champions(base, "drift bench", "bench set-up")
        shutil.copy(base.warehouse_path, snapshot)
        print(f"set-up (generate, build, train): {time.perf_counter() - started:.0f} s")
    else:
        shutil.copy(snapshot, base.warehouse_path)
    champions = Champions(base)

    runs: dict[str, dict[str, Run]] = {"clean": {}, "stuck_feature": {}}
    build_seconds = []
    for i in range(1, args.clean_nights + 1):
        day = trained_on + timedelta(days=i)
        build_seconds.append(nightly_build(base, day))
        champions.night(base, day, runs["clean"])
        if i <= args.scenario_nights:
            champions.night(base, day, runs["stuck_feature"], corrupt=stuck)
        statuses = ", ".join(f"{n} {r.results[-1].status}" for n, r in runs["clean"].items())
        print(f"  clean night {day}: {statuses}", flush=True)
    for scenario in GENERATED:
        settings = scenario_settings(base, root, scenario)
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        generate(
            settings.raw_dir, customers=args.customers, days=args.days + nights, start=START,
            drifts=[DriftScenario(scenario, trained_on)], progress=False,
        )  # fmt: skip
        shutil.copy(snapshot, settings.warehouse_path)
        runs[scenario] = {}
        for i in range(1, args.scenario_nights + 1):
            day = trained_on + timedelta(days=i)
            build_seconds.append(nightly_build(settings, day))
            champions.night(settings, day, runs[scenario])
        shutil.rmtree(settings.data_dir)
    print(
        f"nightly dbt build: median {np.median(build_seconds):.1f} s over {len(build_seconds)} "
        "nights"
    )
    for scenario, by_model in runs.items():
        for name, run in by_model.items():
            print(verdict(scenario, name, run))


if __name__ == "__main__":
    main()
