"""CDNOW, a real purchase log, through Scoreline, against BG/NBD (Fader, Hardie & Lee 2005).

Maps the log onto the raw contract (businesses/cdnow/prepare.py), builds the warehouse as of
1997-10-01 (nothing dated on or after it is read), trains the `lapse` spec on labels that all
close by then, scores every customer, and compares ROC-AUC and PR-AUC against the holdout label
(no purchase in 1997-10-01..1998-06-30) with BG/NBD fitted on the calibration period
(1997-01-01..1997-09-30). A paired bootstrap gives the 95% interval of the AUC difference.
Also checks BG/NBD against the paper's parameters on its 1/10 sample.

    make cdnow        (or: .venv/bin/python -m bench.cdnow_bench [--horizons 91,120,150,182])
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve  # noqa: E402

from bench.bgnbd import calibration_summary, fit_bgnbd  # noqa: E402
from ml.config import PROJECT_DIR, Settings  # noqa: E402
from ml.scoring.score import score  # noqa: E402
from ml.training import registry  # noqa: E402
from ml.training.specs import load_specs  # noqa: E402
from ml.training.train import train_and_register  # noqa: E402
from ml.warehouse.dbt_runner import build_warehouse, run_dbt  # noqa: E402

BUSINESS = PROJECT_DIR / "businesses" / "cdnow"
CUTOFF = date(1997, 10, 1)
HOLDOUT_END = date(1998, 7, 1)  # exclusive: the holdout is 1997-10-01..1998-06-30, 39 weeks
HOLDOUT_WEEKS = (HOLDOUT_END - CUTOFF).days / 7
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _prepare_module():
    spec = importlib.util.spec_from_file_location("cdnow_prepare", BUSINESS / "prepare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def paper_check(cache_dir: Path) -> str:
    """BG/NBD on the paper's 1/10 sample (2,357 customers, 39 weeks): its published fit."""
    prepare = _prepare_module()
    sample = pd.read_csv(prepare.fetch_dataset(cache_dir, prepare.SAMPLE_SUMMARY))
    model = fit_bgnbd(sample.frequency, sample.recency, sample["T"])
    fitted = {name: getattr(model, name) for name in PAPER}
    shown = ", ".join(f"{k}={v:.3f} (paper {PAPER[k]})" for k, v in fitted.items())
    return f"BG/NBD on the paper's 1/10 sample: {shown}; log-likelihood {model.log_likelihood:.1f}"


def holdout_lapse(purchases: pd.DataFrame) -> pd.Series:
    """1 for a customer with no purchase in the holdout period, per customer id (text)."""
    in_holdout = purchases[
        (purchases.date >= pd.Timestamp(CUTOFF)) & (purchases.date < pd.Timestamp(HOLDOUT_END))
    ].customer_id.unique()
    customers = purchases.customer_id.unique()
    return pd.Series(
        (~np.isin(customers, in_holdout)).astype(int), index=customers.astype(str), name="lapse"
    )


def paired_bootstrap(labels, ours, theirs, rounds: int = 2000, seed: int = 0):
    """95% interval of ROC-AUC(ours) - ROC-AUC(theirs) over resampled customers."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    differences = []
    for _ in range(rounds):
        pick = rng.integers(0, n, n)
        differences.append(
            roc_auc_score(labels[pick], ours[pick]) - roc_auc_score(labels[pick], theirs[pick])
        )
    return np.percentile(differences, [2.5, 97.5])


def leak_checks(settings: Settings) -> list[str]:
    """Nothing dated on or after the cutoff reached the warehouse, features or labels."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        facts = con.execute(
            """
            select
                (select max(loaded_date) from raw_row_reconciliation),
                (select max(activity_date) from int_activities_aggregated_to_customer_days),
                (select max(label_window_end_date) from training_labels),
                (select count(*) from customer_features_v1 where last_activity_at >= as_of_date)
            """
        ).fetchall()[0]
    loaded, newest_activity, newest_label_end, peeking = facts
    problems = []
    if loaded >= CUTOFF or newest_activity >= CUTOFF:
        problems.append(f"data of {max(loaded, newest_activity)} was loaded")
    if newest_label_end > CUTOFF:
        problems.append(f"a training label window ends {newest_label_end}")
    if peeking:
        problems.append(f"{peeking} feature rows read activity at or after their as-of date")
    return problems


def run_once(settings: Settings, horizon: int | None) -> dict:
    """Train the lapse spec (optionally with another horizon) and score as of the cutoff."""
    spec = load_specs(settings.business_dir)["lapse"]
    if horizon is not None and horizon != spec.label.horizon_days:
        business = settings.data_dir / f"business-{horizon}"
        shutil.rmtree(business, ignore_errors=True)
        shutil.copytree(BUSINESS, business)
        spec_file = business / "specs" / "lapse.yaml"
        spec_file.write_text(
            spec_file.read_text().replace(
                f"horizon_days: {spec.label.horizon_days}", f"horizon_days: {horizon}"
            )
        )
        # a copy of the warehouse: its labels become this horizon's, the shipped spec's stay
        warehouse = settings.data_dir / f"warehouse-{horizon}.duckdb"
        shutil.copy(settings.warehouse_path, warehouse)
        settings = replace(
            settings, business_dir=business, warehouse_path=warehouse,
            dbt_target_dir=settings.data_dir / f"dbt_target-{horizon}",
        )  # fmt: skip
        spec = load_specs(business)["lapse"]
    run_dbt(
        settings,
        ["build", "--select", "training_labels", "--exclude-resource-type", "unit_test"],
        vars={"score_date": CUTOFF.isoformat()},
        capture=True,
    )
    started = time.perf_counter()
    outcome = train_and_register(spec, settings, who="cdnow bench")
    client = registry.connect(settings)
    registry.move_alias(client, spec, registry.CHAMPION, outcome.version, "cdnow bench", "bench")
    result = score(spec, settings, CUTOFF)
    champion = result.predictions[~result.predictions.is_shadow]
    return {
        "horizon": spec.label.horizon_days,
        "validation_auc": outcome.metrics["roc_auc"],
        "train_seconds": time.perf_counter() - started,
        "scores": champion.set_index("customer_id").score,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=PROJECT_DIR / "data" / "cdnow")
    parser.add_argument(
        "--horizons", default="", help="also train with these label horizons (days), e.g. 91,182"
    )
    parser.add_argument("--plot", type=Path, help="ROC curves (PNG); default <data-dir>/roc.png")
    args = parser.parse_args()

    data_dir = args.data_dir.resolve()
    settings = replace(
        Settings.from_env({**os.environ, "SCORELINE_DATA_DIR": str(data_dir)}),
        business_dir=BUSINESS,
        training_sample_pct=100,
    )
    prepare = _prepare_module()
    cache = data_dir / "cache"
    started = time.perf_counter()
    prepare.main(["--raw-dir", str(settings.raw_dir), "--cache-dir", str(cache)])
    purchases = prepare.read_purchases(prepare.fetch_dataset(cache))
    print(paper_check(cache))

    for folder in ("mlflow", "published"):
        shutil.rmtree(data_dir / folder, ignore_errors=True)
    settings.warehouse_path.unlink(missing_ok=True)
    build = build_warehouse(settings, score_date=CUTOFF, full_refresh=True, capture=True)
    print(f"built as of {CUTOFF} in {build.run.seconds:.0f} s\n{build.summary()}")
    problems = leak_checks(settings)
    clean = f"nothing dated on or after {CUTOFF} reached the warehouse, features or labels"
    print("leak checks: " + ("; ".join(problems) if problems else clean))

    labels = holdout_lapse(purchases)
    summary = calibration_summary(purchases, pd.Timestamp(CUTOFF))
    summary.index = summary.index.astype(str)
    bgnbd = fit_bgnbd(summary.x, summary.t_x, summary["T"])
    summary["p_no_purchase"] = bgnbd.probability_no_purchase(
        summary.x, summary.t_x, summary["T"], HOLDOUT_WEEKS
    )
    summary["expected"] = bgnbd.expected_purchases(
        summary.x, summary.t_x, summary["T"], HOLDOUT_WEEKS
    )
    print(
        f"BG/NBD on all {len(summary):,} customers' calibration period: r={bgnbd.r:.3f}, "
        f"alpha={bgnbd.alpha:.3f}, a={bgnbd.a:.3f}, b={bgnbd.b:.3f}"
    )

    horizons = [None] + [int(h) for h in args.horizons.split(",") if h]
    rows = []
    for horizon in horizons:
        run = run_once(settings, horizon)
        frame = summary.join(run["scores"].rename("scoreline"), how="inner").join(labels)
        y = frame.lapse.to_numpy()
        bars = {
            "BG/NBD P(no purchase)": frame.p_no_purchase.to_numpy(),
            "BG/NBD -E[purchases]": -frame.expected.to_numpy(),
        }
        stronger = max(bars, key=lambda name: roc_auc_score(y, bars[name]))
        low, high = paired_bootstrap(y, frame.scoreline.to_numpy(), bars[stronger])
        rows.append(
            {
                "horizon": run["horizon"],
                "customers": len(frame),
                "lapse rate": y.mean(),
                "scoreline roc": roc_auc_score(y, frame.scoreline),
                "scoreline pr": average_precision_score(y, frame.scoreline),
                **{f"{name} roc": roc_auc_score(y, value) for name, value in bars.items()},
                **{f"{name} pr": average_precision_score(y, value) for name, value in bars.items()},
                "difference": roc_auc_score(y, frame.scoreline) - roc_auc_score(y, bars[stronger]),
                "95% interval": f"[{low:+.4f}, {high:+.4f}]",
                "validation roc": run["validation_auc"],
                "train s": run["train_seconds"],
            }
        )
        if horizon is None:
            plot_path = args.plot or data_dir / "roc.png"
            _plot(y, frame.scoreline.to_numpy(), bars, plot_path)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(4).to_string(index=False))
    print(
        f"the first row is the shipped spec; the difference is Scoreline's ROC-AUC minus the "
        f"stronger BG/NBD ranking's, with a paired bootstrap interval (2,000 resamples). "
        f"ROC curves: {plot_path}. Total {time.perf_counter() - started:.0f} s."
    )


def _plot(labels, ours, bars: dict, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, scores in [("Scoreline lapse (LightGBM)", ours), *bars.items()]:
        fpr, tpr, _ = roc_curve(labels, scores)
        ax.plot(fpr, tpr, label=f"{name}: {roc_auc_score(labels, scores):.3f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set(
        xlabel="false positive rate", ylabel="true positive rate",
        title="CDNOW holdout: no purchase in\n1997-10-01 .. 1998-06-30 (39 weeks)",
    )  # fmt: skip
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
