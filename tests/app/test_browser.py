"""The app served on localhost, driven in headless Chromium (Debian's, through Playwright).

Checks each page's content and saves a screenshot per page under test-artifacts/screenshots
(SCORELINE_SCREENSHOTS_DIR overrides), which CI keeps and the README's pictures come from.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SCORELINE_CHROMIUM", "/usr/bin/chromium"))
PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("SCORELINE_SCREENSHOTS_DIR", PROJECT / "test-artifacts" / "screenshots")
)
PAGES = {
    "overview": "Customers scored",
    "at_risk": "Download CSV",
    "segments": "Risk by plan",
    "model_health": "Champion and challenger history",
    "drift": "Drift history",
    "data_quality": "Quarantined raw rows",
    "feature_catalog": "columns of customer_features",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served_app(pipeline):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: `make browser` installs Debian's chromium")
    port = _free_port()
    # the app finds its MLflow store from the data dir alone (earlier tests in this process
    # may have exported another store's MLFLOW_TRACKING_URI through mlflow.set_tracking_uri)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["SCORELINE_DATA_DIR"] = str(pipeline.settings.data_dir)
    # the command users run (`make app`), so its defaults are what the browser meets
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("scoreline")), "app", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_in_a_real_browser(name, served_app, browser_page):
    # The default page lives at the root; the others at their url_path.
    path = "" if name == "overview" else name
    browser_page.goto(f"{served_app}/{path}", wait_until="networkidle")
    browser_page.get_by_text(PAGES[name], exact=False).first.wait_for(timeout=60_000)
    # Streamlit shows a status widget while a script runs; wait for it to finish drawing.
    browser_page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    assert not browser_page.get_by_test_id("stException").count(), f"{name} raised"
    assert not browser_page.get_by_text("Page not found").count(), f"{name}: no such page"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def _own_address() -> str | None:
    """This machine's address on its network (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_app_serves_this_machine_only_by_default(served_app):
    """It shows customer-level data: `make app` binds 127.0.0.1 unless HOST opens it up."""
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    port = int(served_app.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{address}:{port}/_stcore/health", timeout=2)
    assert urllib.request.urlopen(f"{served_app}/_stcore/health", timeout=2).status == 200
