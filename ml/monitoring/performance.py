"""Realized performance: once a score date's label window has passed, how good were its scores?

The labels come from dbt's `realized_labels` (the same label macros that label training rows,
applied to the published champion predictions; a dbt asset of the nightly job), so a realized
ROC-AUC is measured exactly as the validation ROC-AUC the model was promoted on.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from ml.config import Settings
from ml.scoring.publish import pinned_files, publish_table, published_dates
from ml.serving.read_model import write_sql_database
from ml.training import registry
from ml.training.evaluate import classification_metrics
from ml.training.specs import ModelSpec
from ml.warehouse.dbt_runner import connect_read_only

HISTORY = "performance_history"


def measured_dates(settings: Settings, model_name: str) -> set[date]:
    """Score dates whose realized performance is already in the history."""
    return set(published_dates(settings, HISTORY, model_name))


def anything_matured(settings: Settings, specs: list[ModelSpec], as_of: date) -> bool:
    """True when a published, not yet measured score date's label window closed by `as_of`:
    otherwise the night skips the realized labels (a few seconds of dbt)."""
    return any(
        day + timedelta(days=spec.label.horizon_days) <= as_of
        for spec in specs
        for day in set(published_dates(settings, "predictions", spec.name))
        - measured_dates(settings, spec.name)
    )


def measure_realized_performance(
    settings: Settings, specs: list[ModelSpec], as_of: date
) -> pd.DataFrame:
    """Measure and publish every matured, not yet measured score date of each spec, from the
    `realized_labels` the nightly job's dbt step built as of `as_of`.

    Args:
        settings: Warehouse, published files and MLflow store.
        specs: Models to measure.
        as_of: The current score date: label windows ending on or before it have matured.

    Returns:
        The new history rows (empty when nothing matured since the last run).
    """
    files = pinned_files(settings, "predictions")
    if not files or not anything_matured(settings, specs, as_of):
        return pd.DataFrame()
    try:
        with connect_read_only(settings) as con:
            joined = con.execute(
                """
                select labels.model_name, labels.as_of_date as score_date, labels.label,
                       predictions.score, predictions.model_version
                from realized_labels as labels
                inner join read_parquet($files) as predictions
                    on predictions.model_name = labels.model_name
                    and predictions.customer_id = labels.customer_id
                    and predictions.score_date = labels.as_of_date
                    and not predictions.is_shadow
                """,
                {"files": files},
            ).df()
    except duckdb.CatalogException:  # realized labels not built yet
        return pd.DataFrame()
    client = registry.connect(settings)
    rows = []
    for spec in specs:
        done = measured_dates(settings, spec.name)
        mine = joined[joined.model_name == spec.name]
        for score_date, group in mine.groupby(mine.score_date.dt.date):
            if score_date in done or group.label.nunique() < 2:
                continue
            row = _history_row(client, spec, score_date, group)
            publish_table(settings, HISTORY, pd.DataFrame([row]), spec.name, score_date)
            rows.append(row)
    if rows:  # the night's read model writes the views too, but may have run before this
        write_sql_database(settings)
    return pd.DataFrame(rows)


def _history_row(client, spec: ModelSpec, score_date: date, group: pd.DataFrame) -> dict:
    # the champion served most customers (an A/B arm is at most half of them)
    version = int(group.model_version.mode().iloc[0])
    served = group[group.model_version == version]
    metrics = classification_metrics(served.label, served.score.to_numpy())
    validation_auc = registry.version_info(client, spec, version).validation_auc
    drop = None if validation_auc is None else validation_auc - metrics["roc_auc"]
    return {
        "model_name": spec.name,
        "score_date": score_date,
        "model_version": version,
        "rows": len(served),
        "positives": int(served.label.sum()),
        "roc_auc": metrics["roc_auc"],
        "pr_auc": metrics["pr_auc"],
        "validation_roc_auc": validation_auc,
        "drop_vs_validation": drop,
        "alarm": bool(drop is not None and drop > spec.promotion.max_realized_drop),
        **arm_comparison(group, version),
    }


def auc_standard_error(labels: np.ndarray, scores: np.ndarray) -> float:
    """DeLong's (1988) standard error of a ROC-AUC, from midranks (ties count half)."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype="float64")
    positives, negatives = scores[labels], scores[~labels]
    m, n = len(positives), len(negatives)
    ranks = rankdata(np.concatenate([positives, negatives]))
    # each positive's share of negatives ranked below it, each negative's of positives above it
    above = (ranks[:m] - rankdata(positives)) / n
    below = 1 - (ranks[m:] - rankdata(negatives)) / m
    return float(np.sqrt(above.var(ddof=1) / m + below.var(ddof=1) / n))


ARM_COLUMNS = ("challenger_version", "challenger_rows", "challenger_roc_auc", "arm_difference",
               "arm_difference_low", "arm_difference_high")  # fmt: skip


def arm_comparison(group: pd.DataFrame, champion_version: int) -> dict:
    """The challenger's A/B arm against the champion's on one matured score date: each arm's
    realized ROC-AUC and the difference with a 95% interval. The arms are disjoint customers
    drawn by a stable hash, so the two AUCs are independent. All None without a challenger
    arm (or with one class in an arm)."""
    empty = dict.fromkeys(ARM_COLUMNS)
    challenger = group[group.model_version != champion_version]
    champion = group[group.model_version == champion_version]
    if challenger.empty or challenger.label.nunique() < 2 or champion.label.nunique() < 2:
        return empty
    errors, aucs = [], []
    for arm in (champion, challenger):
        aucs.append(float(roc_auc_score(arm.label, arm.score)))
        errors.append(auc_standard_error(arm.label.to_numpy(), arm.score.to_numpy()))
    difference = aucs[1] - aucs[0]
    margin = 1.96 * float(np.hypot(*errors))
    return {
        "challenger_version": int(challenger.model_version.mode().iloc[0]),
        "challenger_rows": len(challenger),
        "challenger_roc_auc": aucs[1],
        "arm_difference": difference,
        "arm_difference_low": difference - margin,
        "arm_difference_high": difference + margin,
    }
