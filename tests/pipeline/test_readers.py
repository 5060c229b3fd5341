"""Readers while a night writes: the app's queries and SQL on the published DuckDB file never
fail or wait, although the warehouse refuses every other process while dbt writes it (and a
reader holding the warehouse would fail the night: so readers never open it)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app import data
from ml.config import PROJECT_DIR
from ml.serving.read_model import sql_database_path, write_sql_database
from ml.warehouse.dbt_runner import last_loaded_date
from orchestration.defs.automation import NIGHTLY_JOB
from orchestration.defs.definitions import build_definitions
from orchestration.lib.runner import run_job
from tests.app.serving import browser_page, render_in_browser, served_app
from tests.pipeline.fixtures import private_copy

APP = PROJECT_DIR / "app" / "streamlit_app.py"


@pytest.mark.slow  # a night of its own (~25 s): make test-slow, which CI runs
def test_readers_never_fail_while_a_night_writes(pipeline, tmp_path, monkeypatch):
    """Regression: 73 of 481 reader opens failed during one night ("Conflicting lock is held"),
    and the At-risk page showed a traceback."""
    settings = private_copy(pipeline, tmp_path)
    monkeypatch.setenv("SCORELINE_DATA_DIR", str(settings.data_dir))
    defs = build_definitions(settings)
    day = last_loaded_date(settings) + timedelta(days=1)  # rerun the night the copy holds
    write_sql_database(settings)  # views over the copy's own files
    writing = threading.Event()
    errors: list[str] = []
    # (start, end) of every successful read, by reader
    reads: dict[str, list[tuple[float, float]]] = {"app": [], "sql": [], "pages": [], "browser": []}

    def app_reader() -> None:  # what the At-risk, Segments and Data quality pages query
        while writing.is_set():
            start = time.time()
            try:
                listed = data._FUNCTIONS["at_risk_customers"]("churn", day, (), ())
                segments = data._FUNCTIONS["segment_risk"]("churn", day, 0.35, "plan")
                assert len(listed) and len(segments) and "plan" in listed.columns
                data._FUNCTIONS["quarantine_summary"]()
                reads["app"].append((start, time.time()))
            except Exception as exc:  # noqa: BLE001 (every failure counts)
                errors.append(f"app: {exc!r}")

    def sql_reader() -> None:  # an analyst's `duckdb -readonly published/scoreline.duckdb`
        while writing.is_set():
            start = time.time()
            try:
                with duckdb.connect(str(sql_database_path(settings)), read_only=True) as con:
                    ((rows,),) = con.sql(
                        "select count(*) from predictions join customers using (customer_id)"
                    ).fetchall()
                assert rows > 0
                reads["sql"].append((start, time.time()))
            except Exception as exc:  # noqa: BLE001
                errors.append(f"sql: {exc!r}")

    def page_reader() -> None:  # the pages users need most, rendered as Streamlit would
        while writing.is_set():
            st.cache_data.clear()  # each render reads the files again
            for page, expected in (("at_risk", "At-risk customers"),
                                   ("overview", "Customers scored")):  # fmt: skip
                start = time.time()
                app = AppTest.from_file(str(APP), default_timeout=60)
                app.switch_page(f"app_pages/{page}.py")
                app.run()
                shown = [e.value for kind in ("title", "subheader") for e in getattr(app, kind)]
                shown += [m.label for m in app.metric]
                # an error-styled alert may be the page's own news (a drift alarm, when the
                # drifted night ran before this test); anything else is a failure
                failed = [e.value for e in app.error if not e.value.startswith("Drift alarm")]
                if app.exception or failed or expected not in shown:
                    errors.append(f"{page}: {app.exception or failed or shown}")
                reads["pages"].append((start, time.time()))

    def browser_reader() -> None:  # a manager in Chromium, on the app `make app` serves
        with served_app(settings.data_dir) as url, browser_page() as page:
            # the server runs a page's script, its queries, once the page's socket opens
            connected: list[float] = []
            page.on("websocket", lambda _socket: connected.append(time.time()))
            started.set()
            writing.wait(timeout=120)
            while writing.is_set():
                for path, expected in (("at_risk", "Download CSV"), ("", "Customers scored")):
                    start = time.time()
                    try:
                        render_in_browser(page, f"{url}/{path}", expected)
                    except Exception as exc:  # noqa: BLE001
                        errors.append(f"browser {path or 'overview'}: {exc!r}"[:500])
                    runs = [moment for moment in connected if moment >= start]
                    reads["browser"].append((runs[-1] if runs else start, time.time()))

    started = threading.Event()
    browser = threading.Thread(target=browser_reader)
    browser.start()
    assert started.wait(timeout=120), "the app and the browser started"
    writing.set()
    threads = [browser] + [
        threading.Thread(target=t) for t in (app_reader, sql_reader, page_reader)
    ]
    for thread in threads[1:]:
        thread.start()
    try:
        result = run_job(defs, NIGHTLY_JOB, pipeline.instance, day)
    finally:
        writing.clear()
        for thread in threads:
            thread.join()

    assert errors == []
    # while dbt held the warehouse for writing, every kind of reader read: at least one read
    # inside dbt's step (dbt runs inside this process, so its step is short and its Python
    # shares the interpreter with these threads). A query read begins and ends inside it. A page
    # is one read, its script run (in Chromium from the page's socket opening), and takes 1-4 s
    # with its queries first: one that began inside counts. Pages run back to back, so a step
    # longer than one page always holds a beginning, where one begun and ended inside needs a
    # step twice as long: a CI run on a slow hour saw 10 Chromium pages and none inside a 7-s step.
    steps = {
        entry.dagster_event.event_type_value: entry.timestamp
        for entry in pipeline.instance.all_logs(result.run_id)
        if entry.dagster_event and entry.dagster_event.step_key == "nightly_dbt_models"
    }
    began, ended = steps["STEP_START"], steps["STEP_SUCCESS"]
    for reader, spans in reads.items():
        inside = sum(
            began < start < ended and (reader in ("pages", "browser") or end < ended)
            for start, end in spans
        )
        assert inside >= 1, (
            f"{reader}: {len(spans)} reads in all, none inside {ended - began:.1f} s; from the "
            f"step's start: {[(round(a - began, 1), round(b - began, 1)) for a, b in spans]}"
        )
