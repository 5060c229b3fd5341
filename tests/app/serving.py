"""The app served by `scoreline app` and a headless Chromium, for browser tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

CHROMIUM = Path(os.environ.get("SCORELINE_CHROMIUM", "/usr/bin/chromium"))


@contextlib.contextmanager
def served_app(data_dir: Path) -> Iterator[str]:
    """The command users run (`make app`) on a data directory; yields its URL."""
    port = free_port()
    # the app finds its MLflow store from the data dir alone (earlier tests in this process
    # may have exported another store's MLFLOW_TRACKING_URI through mlflow.set_tracking_uri)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["SCORELINE_DATA_DIR"] = str(data_dir)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("scoreline")), "app", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def browser_page():
    """A page of Debian's Chromium, headless, through Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: `make browser` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def render_in_browser(page, url: str, expected: str) -> None:
    """Open `url`, wait for `expected` and for Streamlit to finish; fail on a traceback."""
    page.goto(url, wait_until="networkidle")
    page.get_by_text(expected, exact=False).first.wait_for(timeout=60_000)
    # Streamlit shows a status widget while a script runs; wait for it to finish drawing.
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    assert not page.get_by_test_id("stException").count(), f"{url} raised"
    # (an error-styled alert may be the page's own news, a drift alarm: tracebacks are not)
    assert "Traceback" not in page.content(), f"{url} shows a traceback"
