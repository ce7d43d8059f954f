"""No page cuts a label short: at 1280x720 beside the open sidebar and on a 390 px phone,
no text in a page's main column is clipped with "…" (Streamlit draws a widget's label,
a link or a key figure on one line and cuts what does not fit).

The simulator page itself is checked with its charts in tests/e2e/test_presenter_browser.py;
here are the other pages, each as a new visitor opens it. Where a label takes two lines
instead, the boxes of its row stay level (Your company's rows of fields).
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


ROWS_JS = """() => [...document.querySelectorAll(
  "[data-testid='stMain'] [data-testid='stHorizontalBlock']")]
.map(row => [...row.querySelectorAll(":scope > [data-testid='stColumn']")]
  .map(col => [...col.querySelectorAll("input[type='text'], input[type='number']")].pop())
  .filter(input => input !== undefined && input.offsetParent !== null)
  .map(input => [input.getAttribute("aria-label"),
                 Math.round(input.getBoundingClientRect().bottom)]))
.filter(row => row.length > 1)"""
"""Each row of side-by-side fields: every column's last box, with its bottom edge."""


def test_side_by_side_fields_line_up_when_a_label_wraps(browser: Any, server: Server) -> None:
    """At 1280 px beside the sidebar, "Ramp-up of a new rep (months)" and "Deal size
    spread (sd / mean)" take two lines; their boxes stay level with their neighbours'."""
    context = browser.new_context(viewport=SIZES["1280x720"])
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page.goto(f"{server.url}/Your_company")
        page.get_by_role("textbox", name="First simulated month (YYYY-MM)").wait_for()
        page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
        rows = page.evaluate(ROWS_JS)
        assert len(rows) >= 6, rows  # team, two lines of two rows, targets, currency
        for row in rows:
            bottoms = {bottom for _, bottom in row}
            assert max(bottoms) - min(bottoms) <= 1, f"boxes not level: {row}"
    finally:
        context.close()
