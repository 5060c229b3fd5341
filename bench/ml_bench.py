"""Benchmark the ML lifecycle on a built warehouse: training, then score-and-publish.

Run after bench/warehouse_bench.py (it reuses that warehouse):

    .venv/bin/python bench/ml_bench.py --data-dir data/bench-1000000
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace
from pathlib import Path

from ml.config import Settings
from ml.scoring.publish import publish_predictions
from ml.scoring.score import predict, read_scoring_input
from ml.training import registry
from ml.training.specs import load_specs
from ml.training.train import train_and_register


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", default="churn")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    settings = replace(
        Settings.from_env({"SCORELINE_DATA_DIR": str(data_dir)}),
        mlflow_tracking_uri=f"sqlite:///{data_dir / 'bench-mlflow' / 'mlflow.db'}",
        mlflow_artifacts_dir=data_dir / "bench-mlflow" / "artifacts",
        published_dir=data_dir / "bench-published",
    )
    spec = load_specs()[args.model]

    outcome = train_and_register(spec, settings, who="bench")
    print(
        f"training ({spec.name}): {outcome.seconds:.1f} s end to end (read, LightGBM with "
        f"early stopping, calibration, baseline, MLflow logging); validation ROC-AUC "
        f"{outcome.metrics['roc_auc']:.3f}, baseline {outcome.baseline_metrics['roc_auc']:.3f}"
    )

    timings = {}
    started = time.perf_counter()
    client = registry.connect(settings)
    # Time the version just trained, whatever the gate decided about it.
    champion = registry.load_model(client, spec, registry.CHALLENGER)
    timings["load model"] = time.perf_counter() - started

    mark = time.perf_counter()
    frame = read_scoring_input(settings, spec)
    timings["read scoring input"] = time.perf_counter() - mark

    mark = time.perf_counter()
    scores = champion.model.predict_proba(frame)[:, 1]
    timings["predict (all rows)"] = time.perf_counter() - mark

    high = frame[scores >= spec.high_risk_threshold]
    mark = time.perf_counter()
    champion.model.reasons(high)
    reasons_seconds = time.perf_counter() - mark
    timings[f"reasons ({len(high):,} high-risk rows)"] = reasons_seconds

    mark = time.perf_counter()
    predictions = predict(spec, champion, frame, served=True)
    timings["predict + reasons (score.predict)"] = time.perf_counter() - mark

    mark = time.perf_counter()
    publish_predictions(settings, predictions, spec.name, predictions.score_date.iloc[0])
    timings["publish (atomic parquet)"] = time.perf_counter() - mark

    end_to_end = (
        timings["load model"] + timings["read scoring input"]
        + timings["predict + reasons (score.predict)"] + timings["publish (atomic parquet)"]
    )  # fmt: skip
    print(f"\nscore-and-publish, {len(frame):,} customers:")
    for name, seconds in timings.items():
        print(f"  {name:<40}{seconds:>8.2f} s")
    print(f"  {'end to end':<40}{end_to_end:>8.2f} s  ({len(frame) / end_to_end:,.0f} rows/s)")
    print(f"  reasons throughput: {len(high) / reasons_seconds:,.0f} rows/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (this process): {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
