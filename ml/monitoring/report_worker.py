"""Evidently's HTML drift reports, drawn in helper processes beside the night.

A report is plotly figures built in Python, ~0.06 s a feature drawn and ~0.6-1 s a model, and
nothing in the night waits for it: the drift verdict, its history rows and the publication are
computed before and without it. Drawn in the night's own process it held up every step after
it (a third of a 50k-customer night); drawn here it uses the machine's spare core while the
night goes on. The helpers start when a run that draws reports starts, so their imports
(~2-3 s) overlap the night's dbt step, and they live as long as this process (a backfill's
nights share them). The caller waits for its reports before its run ends
(orchestration/lib/resources.py).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import types
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from threading import Lock

# One helper per model a night draws (two ship): when the night ends and waits, each draws one
# report on its own core instead of the second queuing behind the first (~0.5 s a 50k night).
HELPERS = 2
_pool: ProcessPoolExecutor | None = None
_lock = Lock()


def _import_drawing() -> None:
    """Runs in the helper as it starts: a lower priority than the night's own work, which it
    must never slow (dbt's and LightGBM's threads come first when both cores are busy), then
    Evidently's and plotly's imports, paid once."""
    os.nice(10)
    import ml.monitoring.drift_report  # noqa: F401

    # what it imported lives as long as the helper: no collection walks it again, nor the
    # helper's exit (~1 s, which the night's process waits for when it ends)
    gc.freeze()


def _ready() -> bool:
    return True


def _draw(*args) -> object:
    """Runs in the helper: the night's process hands over this function, not draw_report
    itself, which it could only name by importing Evidently (drift_report.py)."""
    from ml.monitoring.drift_report import draw_report

    return draw_report(*args)


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """A spawned child re-runs the parent's main script unless the script guards itself with
    `if __name__ == "__main__"`: an unguarded script that runs a night would run it again in
    the helper. The helper needs nothing from the script, so while it starts it sees none."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def start() -> None:
    """Start the helper processes (if they are not running), each importing what it draws with."""
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: this process holds DuckDB's, dbt's and Dagster's threads and locks
            _pool = ProcessPoolExecutor(
                max_workers=HELPERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_import_drawing,
            )
            with _main_script_hidden():
                # one task each starts every helper now (the pool starts one a task while none
                # is idle), so none imports while a night waits for its report
                for _ in range(HELPERS):
                    _pool.submit(_ready)


def submit(*args) -> Future:
    """Draw a report (`ml.monitoring.drift_report.draw_report`'s arguments) in the helper; the
    future holds the file written, or the error that stopped it."""
    global _pool
    start()
    try:
        return _pool.submit(_draw, *args)
    except BrokenProcessPool:  # the helper died (killed, out of memory): a new one draws
        with _lock:
            _pool = None
        start()
        return _pool.submit(_draw, *args)
