"""Metrics, per-segment checks, plots, and the promotion gate's decision (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from ml.training.specs import PromotionRule

MIN_SEGMENT_ROWS = 200
MIN_SEGMENT_POSITIVES = 10


def classification_metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC-AUC, PR-AUC, Brier, log loss, and precision and lift in the top decile."""
    labels = np.asarray(labels)
    scores = np.asarray(scores)
    top = scores >= np.quantile(scores, 0.9)
    base_rate = labels.mean()
    precision_top = labels[top].mean() if top.any() else float("nan")
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
        "brier": float(brier_score_loss(labels, scores)),
        "log_loss": float(log_loss(labels, np.clip(scores, 1e-6, 1 - 1e-6))),
        "precision_top_decile": float(precision_top),
        "lift_top_decile": float(precision_top / base_rate) if base_rate else float("nan"),
        "positive_rate": float(base_rate),
    }


def segment_auc(frame: pd.DataFrame, scores: np.ndarray, segments: list[str]) -> dict[str, float]:
    """ROC-AUC per segment value (e.g. 'plan=basic'), for segments big enough to judge."""
    result = {}
    for column in segments:
        for value, rows in frame.groupby(column, observed=True).groups.items():
            labels = frame.loc[rows, "label"].to_numpy()
            if len(labels) < MIN_SEGMENT_ROWS or labels.sum() < MIN_SEGMENT_POSITIVES:
                continue
            if labels.min() == labels.max():
                continue
            positions = frame.index.get_indexer(rows)
            result[f"{column}={value}"] = float(roc_auc_score(labels, scores[positions]))
    return result


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reasons: list[str] = field(default_factory=list)


def promotion_decision(
    rule: PromotionRule,
    challenger: dict[str, float],
    challenger_segments: dict[str, float],
    champion: dict[str, float] | None,
    champion_segments: dict[str, float] | None,
) -> GateDecision:
    """Decide whether a challenger replaces the champion, both scored on the same rows.

    Args:
        rule: The spec's promotion rule.
        challenger: Challenger metrics on the validation rows.
        challenger_segments: Challenger per-segment AUC on the same rows.
        champion: Champion metrics on the same rows, or None when there is no champion.
        champion_segments: Champion per-segment AUC, or None.

    Returns:
        Promote or not, with every reason that decided it.
    """
    reasons = []
    value = challenger[rule.metric]
    if value < rule.floor:
        reasons.append(f"{rule.metric} {value:.4f} is below the floor {rule.floor}")
    if champion is not None:
        needed = champion[rule.metric] + rule.min_improvement
        if value < needed:
            reasons.append(
                f"{rule.metric} {value:.4f} does not beat the champion's "
                f"{champion[rule.metric]:.4f} + {rule.min_improvement}"
            )
        for segment, auc in challenger_segments.items():
            before = (champion_segments or {}).get(segment)
            if before is not None and auc < before - rule.max_segment_drop:
                reasons.append(
                    f"segment {segment} collapses: AUC {auc:.4f} vs champion {before:.4f}"
                )
    for segment, auc in challenger_segments.items():
        if auc < 0.5:
            reasons.append(f"segment {segment} scores worse than chance (AUC {auc:.4f})")
    if not reasons:
        reasons.append(
            "first model above the floor"
            if champion is None
            else f"{rule.metric} {value:.4f} beats champion {champion[rule.metric]:.4f}"
        )
        return GateDecision(True, reasons)
    return GateDecision(False, reasons)


def _figure(width: float, height: float):
    """A matplotlib figure without pyplot: headless (plots are files for MLflow, never
    windows), freed when dropped, and matplotlib imported only by the training that draws
    (~0.3 s every night's process would pay otherwise)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def calibration_figure(labels: np.ndarray, scores: np.ndarray, title: str):
    observed, predicted = calibration_curve(labels, scores, n_bins=10, strategy="quantile")
    fig, ax = _figure(5, 5)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot(predicted, observed, marker="o", label="model")
    ax.set(xlabel="predicted probability", ylabel="observed rate", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def importance_figure(features: list[str], gains: np.ndarray, title: str):
    order = np.argsort(gains)
    fig, ax = _figure(6, max(3, 0.3 * len(features)))
    ax.barh(np.array(features)[order], gains[order])
    ax.set(xlabel="total gain", title=title)
    fig.tight_layout()
    return fig
