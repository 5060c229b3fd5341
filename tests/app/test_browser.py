"""The app served on localhost, driven in headless Chromium (Debian's, through Playwright).

Checks each page's content and saves a screenshot per page under test-artifacts/screenshots
(SCORELINE_SCREENSHOTS_DIR overrides), which CI keeps and the README's pictures come from.
"""

from __future__ import annotations

import os
import socket
import urllib.request
from pathlib import Path

import pytest

from tests.app.serving import browser_page, render_in_browser, served_app

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("SCORELINE_SCREENSHOTS_DIR", PROJECT / "test-artifacts" / "screenshots")
)
PAGES = {
    "overview": "Customers scored",
    "at_risk": "Download CSV",
    "segments": "Risk by plan",
    "model_health": "Champion and challenger history",
    "drift": "Score drift and its calibrated levels",
    "data_quality": "Quarantined raw rows",
    "feature_catalog": "columns of customer_features",
}


@pytest.fixture(scope="module")
def served(pipeline):
    with served_app(pipeline.settings.data_dir) as url:
        yield url


@pytest.fixture(scope="module")
def page():
    with browser_page() as opened:
        yield opened


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_in_a_real_browser(name, served, page):
    # The default page lives at the root; the others at their url_path.
    path = "" if name == "overview" else name
    render_in_browser(page, f"{served}/{path}", PAGES[name])
    assert not page.get_by_text("Page not found").count(), f"{name}: no such page"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
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


def test_the_app_serves_this_machine_only_by_default(served):
    """It shows customer-level data: `make app` binds 127.0.0.1 unless HOST opens it up."""
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    port = int(served.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{address}:{port}/_stcore/health", timeout=2)
    assert urllib.request.urlopen(f"{served}/_stcore/health", timeout=2).status == 200
