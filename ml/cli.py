"""`scoreline`: generate data, check raw files, build the warehouse, release feature versions.

Every subcommand reads its paths from ml.config (SCORELINE_* environment variables).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from datetime import date
from pathlib import Path

from ml.business import BusinessError, load_business
from ml.config import Settings
from ml.feature_families import FamilyError, declared_versions, properties_files, regenerate
from ml.feature_fingerprints import (
    FINGERPRINTS_FILE,
    changed_versions,
    compute_fingerprints,
    read_fingerprints,
    write_fingerprints,
)
from ml.generate import DriftScenario, generate
from ml.publish import publish_predictions
from ml.raw_contract import RawContractError, check_raw_files, default_score_date
from ml.registry import RegistryError
from ml.score import ScoringInputError
from ml.specs import SpecError, load_specs
from ml.training_set import TrainingSetError
from ml.warehouse import DbtError, build_warehouse, dbt_environment, run_dbt

DEMO_CUSTOMERS = 50_000
DEMO_DAYS = 180
DEMO_START = date(2026, 1, 1)
DEMO_DRIFT = "price_increase@2026-06-01"
# The demo trains on history before the rise, then runs these nights through Dagster: four
# clean ones and two that see the rise (raw day 2026-06-01 first shows in score date 06-02).
DEMO_NIGHTS = (date(2026, 5, 29), date(2026, 6, 3))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from exc


def _drift(text: str) -> DriftScenario:
    try:
        return DriftScenario.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out) if args.out else settings.raw_dir
    if any(out.glob("day=*")) and not args.overwrite:
        print(
            f"{out} already holds day folders; pass --overwrite to replace them.", file=sys.stderr
        )
        return 2
    if args.overwrite:
        for old in out.glob("day=*"):
            for file in old.iterdir():
                file.unlink()
            old.rmdir()
    summary = generate(
        out,
        customers=args.customers,
        days=args.days,
        start=args.start,
        seed=args.seed,
        drifts=args.drift,
        malformed_share=args.malformed_share,
    )
    print(
        f"wrote {summary.days} days to {out}: {summary.customers:,} customers, "
        f"{summary.activities:,} activities ({summary.cancellations:,} cancellations), "
        f"{summary.malformed_rows:,} deliberately malformed rows"
    )
    return 0


def cmd_check_raw(args: argparse.Namespace, settings: Settings) -> int:
    business = load_business(settings.business_dir)
    result = check_raw_files(settings.raw_dir, business, since=args.since, until=args.until)
    print(
        f"raw input contract holds: {result.files_checked} files, "
        f"days {result.days[0]} to {result.days[-1]}"
    )
    return 0


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    score_date = args.score_date or default_score_date(settings.raw_dir)
    print(f"building the warehouse for score date {score_date} ({settings.business_dir.name})")
    build = build_warehouse(
        settings,
        score_date=score_date,
        full_refresh=args.full_refresh,
        with_training=not args.nightly,
        reload_from_date=args.reload_from,
        select="fqn:*" if args.all_versions else None,
    )
    print(f"warehouse built: {settings.warehouse_path}\n{build.summary()}")
    return 0


def cmd_features(args: argparse.Namespace, settings: Settings) -> int:
    business = load_business(settings.business_dir)
    stale = []
    for path in properties_files(settings.business_dir):
        text = regenerate(path, business)
        if text != path.read_text():
            stale.append(path)
            if args.write:
                path.write_text(text)
    for model, version, _ in (v for p in properties_files(settings.business_dir)
                              for v in declared_versions(p)):  # fmt: skip
        print(f"{model} v{version}: declared")
    if stale and not args.write:
        for path in stale:
            print(
                f"{path}: generated columns differ from the families; run "
                "`scoreline features --write`",
                file=sys.stderr,
            )
        return 1
    if stale:
        print("rewrote " + ", ".join(str(p) for p in stale))
    return 0


def cmd_env(args: argparse.Namespace, settings: Settings) -> int:
    for key, value in dbt_environment(settings).items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_dbt(args: argparse.Namespace, settings: Settings) -> int:
    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    run_dbt(settings, dbt_args)
    return 0


def cmd_fingerprints(args: argparse.Namespace, settings: Settings) -> int:
    run_dbt(settings, ["parse", "--quiet"])
    manifest = json.loads((settings.dbt_target_dir / "manifest.json").read_text())
    current = compute_fingerprints(manifest)
    path = settings.business_dir / FINGERPRINTS_FILE
    if args.update:
        write_fingerprints(path, current)
        print(f"released {', '.join(current)} -> {path}")
        return 0
    problems = changed_versions(read_fingerprints(path), current)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"feature versions unchanged: {', '.join(current)}")
    return 1 if problems else 0


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    run_dbt(settings, ["docs", "generate"])
    print(f"feature catalog written to {settings.dbt_target_dir}")
    if args.serve:
        run_dbt(settings, ["docs", "serve", "--port", str(args.port), "--no-browser"])
    return 0


def _specs(names: list[str], settings: Settings | None = None) -> list:
    specs = load_specs((settings or Settings.from_env()).business_dir)
    unknown = [name for name in names if name not in specs]
    if unknown:
        raise SpecError(f"unknown model spec(s) {unknown}; known: {sorted(specs)}")
    return [specs[name] for name in names] if names else list(specs.values())


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from ml.train import train_and_register

    for spec in _specs(args.models, settings):
        outcome = train_and_register(spec, settings, who=args.who)
        verdict = "promoted to champion" if outcome.decision.promote else "kept as challenger"
        print(
            f"{spec.name} v{outcome.version}: ROC-AUC {outcome.metrics['roc_auc']:.3f} "
            f"(baseline {outcome.baseline_metrics['roc_auc']:.3f}"
            + (
                f", champion {outcome.champion_metrics['roc_auc']:.3f}"
                if outcome.champion_metrics
                else ""
            )
            + f"), PR-AUC {outcome.metrics['pr_auc']:.3f}, lift@10% "
            f"{outcome.metrics['lift_top_decile']:.1f} in {outcome.seconds:.0f}s: {verdict} "
            f"({'; '.join(outcome.decision.reasons)})"
        )
    return 0


def score_and_publish(settings: Settings, names: list[str]) -> None:
    """Score each spec with its champion and publish the date atomically."""
    from ml.score import score

    for spec in _specs(names, settings):
        result = score(spec, settings)
        path = publish_predictions(settings, result.predictions, spec.name, result.score_date)
        champion_rows = int((~result.predictions.is_shadow).sum())
        print(
            f"{spec.name} {result.score_date}: {champion_rows:,} customers scored by "
            f"v{result.champion_version}"
            + (f" (shadow v{result.challenger_version})" if result.challenger_version else "")
            + f", {result.high_risk:,} high-risk -> {path}"
        )


def cmd_score(args: argparse.Namespace, settings: Settings) -> int:
    score_and_publish(settings, args.models)
    return 0


def cmd_promote(args: argparse.Namespace, settings: Settings) -> int:
    from ml import registry

    (spec,) = _specs([args.model], settings)
    client = registry.connect(settings)
    try:
        client.get_model_version(spec.registered_model_name, str(args.version))
    except Exception as exc:  # MLflow raises its own exception for an unknown version
        raise RegistryError(f"{spec.name} has no version {args.version}") from exc
    registry.move_alias(client, spec, registry.CHAMPION, args.version, args.who, args.reason)
    print(f"{spec.name}: champion is now v{args.version}")
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    from ml import registry

    (spec,) = _specs([args.model], settings)
    version = registry.rollback(registry.connect(settings), spec, args.who, args.reason)
    print(f"{spec.name}: champion rolled back to v{version}")
    return 0


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from ml import registry

    client = registry.connect(settings)
    for spec in _specs(args.models, settings):
        champion = registry.alias_version(client, spec, registry.CHAMPION)
        challenger = registry.alias_version(client, spec, registry.CHALLENGER)
        print(f"{spec.name}: champion v{champion}, challenger v{challenger}")
        for move in registry.promotion_history(client, spec)[-10:]:
            print(
                f"  {move['at']} {move['alias']} -> v{move['version']} "
                f"(was v{move['previous']}) by {move['by']}: {move['why']}"
            )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scoreline",
        description="Batch customer scoring: dbt features on DuckDB, point-in-time training sets, "
        "LightGBM in MLflow. The Dagster pipeline (demo, nightly, backfill) is "
        "`scoreline-pipeline`.",
        epilog="Paths come from SCORELINE_DATA_DIR (default ./data) and friends; see README.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        help="write synthetic raw data, one folder per day",
        description="Write the synthetic subscription business (customers and their activity "
        "stream, as businesses/subscription/business.yml declares them) as "
        "day=YYYY-MM-DD/<table>.parquet folders. Deterministic per seed.",
    )
    gen.add_argument("--customers", type=int, default=DEMO_CUSTOMERS, help="customers in total")
    gen.add_argument("--days", type=int, default=DEMO_DAYS, help="number of days to write")
    gen.add_argument("--start", type=_date, default=DEMO_START, help="first day (YYYY-MM-DD)")
    gen.add_argument("--seed", type=int, default=7, help="random seed")
    gen.add_argument(
        "--drift",
        type=_drift,
        action="append",
        default=[],
        metavar="KIND@DATE",
        help="switch on a drift scenario from DATE: price_increase or new_channel (repeatable)",
    )
    gen.add_argument(
        "--malformed-share",
        type=float,
        default=0.0,
        help="share of activities replaced by each malformed kind, to exercise the quarantine",
    )
    gen.add_argument("--out", help="output folder (default: SCORELINE_RAW_DIR)")
    gen.add_argument("--overwrite", action="store_true", help="replace existing day folders")
    gen.set_defaults(func=cmd_generate)

    check = sub.add_parser(
        "check-raw",
        help="check raw files against the input contract",
        description="Check every raw file's columns and types against the contract and the "
        "business's vocabulary (SCORELINE_BUSINESS_DIR); errors name the file and column.",
    )
    check.add_argument("--since", type=_date, help="first day to check")
    check.add_argument("--until", type=_date, help="day after the last to check")
    check.set_defaults(func=cmd_check_raw)

    build = sub.add_parser(
        "build",
        help="check new raw days and dbt build the warehouse",
        description="Check the raw days not loaded yet, then run `dbt build` (models and their "
        "contract tests). Incremental by default: a night reads only the new day.",
    )
    build.add_argument(
        "--score-date", type=_date,
        help="as-of date (default: the day after the newest raw day of any table)",
    )  # fmt: skip
    build.add_argument("--full-refresh", action="store_true", help="rebuild from all history")
    build.add_argument(
        "--nightly", action="store_true", help="skip labels and training sets (tag:training)"
    )
    build.add_argument("--reload-from", type=_date, help="reprocess raw days from this date")
    build.add_argument(
        "--all-versions", action="store_true",
        help="also build released feature versions no spec uses (nights skip them)",
    )  # fmt: skip
    build.set_defaults(func=cmd_build)

    features = sub.add_parser(
        "features",
        help="check (or write) declared feature versions' generated contract columns",
        description="Expand each declared feature version's families (config.meta.families in "
        "the business's feature YAML) into contract columns, against the vocabulary. Without "
        "--write, exit 1 when the committed columns are stale.",
    )
    features.add_argument("--write", action="store_true", help="rewrite the generated columns")
    features.set_defaults(func=cmd_features)

    env = sub.add_parser(
        "env",
        help="print the environment dbt needs (for running dbt by hand)",
        description='`eval "$(scoreline env)"`, then plain `dbt build` sees the paths, the '
        "business folder and its declarations as Scoreline's runs do.",
    )
    env.set_defaults(func=cmd_env)

    dbt = sub.add_parser(
        "dbt",
        help="run a dbt command with Scoreline's environment",
        description="e.g. `scoreline dbt -- ls -s customer_features`",
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments for dbt")
    dbt.set_defaults(func=cmd_dbt)

    prints = sub.add_parser(
        "fingerprints",
        help="check or release feature version fingerprints",
        description="Compare each feature version's SQL+macros+contract hash with the business "
        f"folder's {FINGERPRINTS_FILE}. --update releases the current logic (commit the file).",
    )
    prints.add_argument("--update", action="store_true", help="rewrite the fingerprint file")
    prints.set_defaults(func=cmd_fingerprints)

    docs = sub.add_parser(
        "docs",
        help="generate (and serve) dbt docs: the feature catalog",
        description="Run `dbt docs generate` against the built warehouse; --serve also serves "
        "it. Every feature shows its description, window, owner and version.",
    )
    docs.add_argument("--serve", action="store_true", help="serve the docs after generating")
    docs.add_argument("--port", type=int, default=8080, help="port for --serve")
    docs.set_defaults(func=cmd_docs)

    who = {"default": "cli", "help": "recorded as who moved an alias"}
    train = sub.add_parser(
        "train",
        help="train, log to MLflow, register, and run the promotion gate",
        description="Train each named model spec (default: all) on its point-in-time training "
        "set; the new version becomes challenger, and champion if it passes the gate.",
    )
    train.add_argument("models", nargs="*", help="spec names (ml/specs/*.yaml)")
    train.add_argument("--who", **who)
    train.set_defaults(func=cmd_train)

    score_cmd = sub.add_parser(
        "score",
        help="score the scoring input with the champion and publish it",
        description="Score every active customer with the champion (challenger in shadow) and "
        "replace that score date's published predictions atomically.",
    )
    score_cmd.add_argument("models", nargs="*", help="spec names (default: all)")
    score_cmd.set_defaults(func=cmd_score)

    promote = sub.add_parser(
        "promote", help="make a version champion by hand", description="Move the champion "
        "alias to a version; who and why are kept in the registry."
    )  # fmt: skip
    promote.add_argument("model", help="spec name")
    promote.add_argument("version", type=int, help="registered model version")
    promote.add_argument("--reason", required=True, help="why (kept in the registry)")
    promote.add_argument("--who", **who)
    promote.set_defaults(func=cmd_promote)

    rollback = sub.add_parser(
        "rollback", help="give champion back to the previous holder",
        description="Return the champion alias to the version that held it before.",
    )  # fmt: skip
    rollback.add_argument("model", help="spec name")
    rollback.add_argument("--reason", required=True, help="why (kept in the registry)")
    rollback.add_argument("--who", **who)
    rollback.set_defaults(func=cmd_rollback)

    models = sub.add_parser(
        "models", help="show champions, challengers and alias history",
        description="Aliases and the last ten alias moves per model.",
    )  # fmt: skip
    models.add_argument("models", nargs="*", help="spec names (default: all)")
    models.set_defaults(func=cmd_models)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        return args.func(args, settings)
    except (
        BusinessError,
        FamilyError,
        RawContractError,
        DbtError,
        SpecError,
        TrainingSetError,
        RegistryError,
        ScoringInputError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
