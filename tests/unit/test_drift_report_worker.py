"""Evidently's drift reports drawn in the helper process: the same file as drawn in place, a
helper that died replaced, a failed report logged without failing the run, a script without a
main guard not run again by the helper, and Evidently never imported by the night's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import dagster as dg

from ml.monitoring import report_worker
from ml.monitoring.calibration import SCORE
from ml.monitoring.drift import measure_drift
from ml.monitoring.drift_report import draw_report
from orchestration.lib.resources import DriftReportsResource
from tests.unit.test_drift_calibration import REFERENCE, _calibrated, _night, _score, _spec

ROOT = Path(__file__).resolve().parents[2]


def _report_args(html: Path) -> tuple:
    calibration, reference = _calibrated()
    current = _night(REFERENCE + timedelta(days=3)).drop(columns="customer_id")
    current = current.assign(**{SCORE: _score(current)})[[*_spec().features, SCORE]]
    return (_spec(), calibration, reference, current, 3, ["usage", "channel"], html)


def test_the_helper_draws_the_report_measure_drift_asked_for(tmp_path):
    calibration, reference = _calibrated()
    day = REFERENCE + timedelta(days=2)
    frame = _night(day)
    futures = []
    result = measure_drift(
        _spec(), reference, calibration, frame.assign(score=_score(frame)), day, 1, tmp_path,
        report=lambda *args: futures.append(report_worker.submit(*args)),
    )  # fmt: skip
    written = futures[0].result(timeout=120)
    assert written == Path(result.report_html) and written.stat().st_size > 100_000
    assert "Wasserstein" in written.read_text(), "Evidently's drift table, its calibrated levels"
    assert [p.name for p in written.parent.iterdir() if p.name.startswith(".")] == [], (
        "no partial file left beside the report"
    )


def test_the_report_draws_the_drift_table_not_the_columns_pages_it_never_shows(tmp_path):
    written = draw_report(*_report_args(tmp_path / "r.html"))
    page = written.read_text()
    assert all(f'"{column}"' in page for column in ("usage", "channel")), "each drawn column"
    # the score's own ValueDrift stays; the preset's per-column ones (their figures discarded
    # by its page, half the drawing time) are not computed
    assert f"Value Drift for column {SCORE}" in page
    assert "Value Drift for column usage" not in page
    # the table's title counts the drifted columns; the preset's dataset summary (a second
    # pass over every column, and a verdict by Evidently's own share rule) is not drawn
    assert "Drift is detected for" in page
    assert "Dataset Drift is" not in page


def test_the_report_reads_integer_features_as_the_warehouse_hands_them_over(tmp_path):
    """ml.warehouse.frames gives integers as pandas' nullable type; Evidently stacks the
    numeric columns into one numpy array, which those made an array of objects it failed on."""
    spec, calibration, reference, current, lag, _, html = _report_args(tmp_path / "r.html")
    nullable = {"tenure_days": "Int32"}
    reference, current = reference.astype(nullable), current.astype(nullable)
    current.loc[current.index[:5], "tenure_days"] = None
    features = ["tenure_days", "usage", "channel"]
    written = draw_report(spec, calibration, reference, current, lag, features, html)
    assert '"tenure_days"' in written.read_text()


def test_a_helper_that_died_is_replaced(tmp_path):
    report_worker.submit(*_report_args(tmp_path / "first.html")).result(timeout=120)
    for pid in list(report_worker._pool._processes):
        os.kill(pid, signal.SIGKILL)
    # the pool notices the death on its next use, or the submit finds it broken
    try:
        report_worker.submit(*_report_args(tmp_path / "lost.html")).result(timeout=120)
    except Exception:  # noqa: BLE001 - the report in flight when it died may be lost
        pass
    written = report_worker.submit(*_report_args(tmp_path / "second.html")).result(timeout=120)
    assert written.exists()


def test_a_report_that_fails_is_logged_and_the_run_still_succeeds(tmp_path):
    spec, calibration, reference, current, lag, shown, _ = _report_args(tmp_path / "x.html")
    broken = current.drop(columns="usage")  # Evidently cannot draw a column it lacks

    @dg.op
    def drift(drift_reports: DriftReportsResource) -> None:
        drift_reports.draw(spec, calibration, reference, broken, lag, shown, tmp_path / "r.html")

    @dg.job
    def night():
        drift()

    instance = dg.DagsterInstance.ephemeral()
    result = night.execute_in_process(
        resources={"drift_reports": DriftReportsResource()}, instance=instance
    )

    assert result.success
    errors = [e.user_message for e in instance.all_logs(result.run_id) if e.level >= 40]
    assert any(f"drift report {tmp_path / 'r.html'} was not written" in m for m in errors)
    assert not (tmp_path / "r.html").exists()


def test_a_script_without_a_main_guard_is_not_run_again_by_the_helper(tmp_path):
    script = tmp_path / "night.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import pickle, sys
            from pathlib import Path
            from ml.monitoring import report_worker
            print("script ran", flush=True)
            args = pickle.loads(Path({str(tmp_path / "args.pkl")!r}).read_bytes())
            print(report_worker.submit(*args).result(timeout=120).name, flush=True)
            """
        )
    )
    import pickle

    (tmp_path / "args.pkl").write_bytes(pickle.dumps(_report_args(tmp_path / "r.html")))
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines() == ["script ran", "r.html"]


def test_the_nights_process_imports_neither_evidently_nor_matplotlib():
    """Only the helpers draw: Evidently (~2 s to import, with plotly and nltk) and matplotlib
    (training's plots) stay out of every `scoreline` command that runs a night."""
    code = textwrap.dedent(
        """
        import sys
        import orchestration.cli, orchestration.defs.definitions
        from ml.monitoring import report_worker
        print(sorted(m for m in ("evidently", "plotly", "matplotlib") if m in sys.modules))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
