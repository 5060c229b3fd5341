"""Evidently's HTML report of a night's drift: the same comparison `drift.measure_drift` judges,
drawn for people (the Drift page links it).

Apart from the verdicts because Evidently, with the plotly, nltk and web-server modules its
package imports, takes ~2 s to import: the process that runs a night never imports it, only the
helpers that draw (report_worker.py), and a `scoreline` command starts that much sooner.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.core.report import _default_input_data_generator
from evidently.legacy.metrics import DataDriftTable
from evidently.metrics import ValueDrift
from evidently.presets import DataDriftPreset

from ml.monitoring.calibration import SCORE, DriftCalibration
from ml.monitoring.distances import JENSEN_SHANNON, WASSERSTEIN
from ml.training.specs import ModelSpec


class DriftTablePreset(DataDriftPreset):
    """Evidently's DataDriftPreset as its page shows it: the drift table, whose title counts
    the drifted columns, and each column's distance, calibrated level and distributions.

    Left out, each computed by the preset and never needed:
    - a ValueDrift per column, drawing two plotly figures the page never shows (~0.1 s a
      column, half of a report); its pass/fail lines would repeat the table's "detected" column;
    - the dataset summary (DriftedColumnsCount): a second pass over every column's statistic
      and distributions (a third of what was left) to show the count the table's title
      already gives, with a pass/fail by Evidently's own share rule that the night's verdict
      (calibrated levels, a warning share, trends: ml/monitoring/drift.py) could contradict.
    """

    def generate_metrics(self, context):
        return []

    def render(self, context, child_widgets=None):
        table = DataDriftTable(
            columns=self.columns,
            num_stattest=self.num_method,
            cat_stattest=self.cat_method,
            per_column_stattest_threshold=self.per_column_threshold,
        )
        # (the preset's own render reads its legacy metrics the same way; Evidently is pinned)
        return context.get_legacy_metric(table, _default_input_data_generator, None)[1]


def draw_report(
    spec: ModelSpec,
    calibration: DriftCalibration,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    lag: int,
    features: list[str],
    html: Path,
) -> Path:
    """Evidently's report of the same comparison on `features` and the score, its thresholds
    the calibrated alarm levels, saved to `html` whole: a reader sees the previous file or this
    one, never a part."""
    columns = [*features, SCORE]
    definition = DataDefinition(
        numerical_columns=[c for c in columns if c not in spec.categorical_features],
        categorical_columns=list(spec.categorical_features),
    )
    report = Report(
        [
            DriftTablePreset(
                columns=features,
                # one statistic at every size (below 1,000 rows Evidently would switch to tests)
                num_method=WASSERSTEIN,
                cat_method=JENSEN_SHANNON,
                per_column_threshold={c: calibration.level(c).alarm(lag) for c in features},
            ),
            ValueDrift(
                column=SCORE, method=WASSERSTEIN, threshold=calibration.level(SCORE).alarm(lag)
            ),
        ],
        include_tests=True,
    )
    # Evidently reads the numeric columns together as one numpy array: pandas' nullable
    # integers (how features leave the warehouse) would make it an array of objects
    numeric = {column: "float64" for column in definition.numerical_columns}
    with warnings.catch_warnings():
        # Evidently divides by zero on constant columns and says so; the result is still right.
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = report.run(
            Dataset.from_pandas(current.astype(numeric), data_definition=definition),
            Dataset.from_pandas(reference.astype(numeric), data_definition=definition),
        )
    partial = html.with_name(f".{html.name}.partial")
    try:
        snapshot.save_html(str(partial))
        partial.replace(html)
    finally:
        partial.unlink(missing_ok=True)  # a save that failed midway leaves nothing behind
    return html
