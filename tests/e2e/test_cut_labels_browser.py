"""No page cuts a label short: at 1280x720 beside the open sidebar and on a 390 px phone,
no text in a page's main column is clipped with "…" (Streamlit draws a widget's label,
a link or a key figure on one line and cuts what does not fit).

The simulator page itself is checked with its charts in tests/e2e/test_presenter_browser.py;
here are the other pages, each as a new visitor opens it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import BROWSER_TIMEOUT_MS, Server

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page

SIZES = {"1280x720": {"width": 1280, "height": 720}, "390x844": {"width": 390, "height": 844}}
PAGES = ["Workshop", "Room", "Your_company", "Import_from_CRM", "Your_history", "About_the_model"]

CUT_JS = """() => [...document.querySelectorAll("[data-testid='stMain'] *")]
.filter(el => el.offsetParent !== null && el.textContent.trim() !== ""
  && getComputedStyle(el).textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth + 1)
.map(el => el.textContent.trim())"""


@pytest.fixture(scope="module", params=list(SIZES))
def tab(request: pytest.FixtureRequest, browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport=SIZES[request.param])
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield page
    context.close()


@pytest.mark.parametrize("address", PAGES)
def test_no_label_is_cut_short(tab: Page, server: Server, address: str) -> None:
    tab.goto(f"{server.url}/{address}")
    tab.get_by_test_id("stMain").locator("h1").first.wait_for()  # the page's title
    tab.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
    assert tab.evaluate(CUT_JS) == [], f"{address}: text cut off with an ellipsis"
