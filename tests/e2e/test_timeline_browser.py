"""The plan timeline in real Chromium: a link's change of plan is listed in the sidebar
and Vega draws its labelled marker on the fan, quarterly and breakdown charts; removing
it takes the marker and the link parameter away."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.server import BROWSER_TIMEOUT_MS, Server

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect

# The titles of the charts whose SVG draws the text mark "From Jul 2012".
MARKED_JS = """label => [...document.querySelectorAll(".vega-embed svg")]
.filter(svg => [...svg.querySelectorAll("g.role-mark text")]
  .some(t => t.textContent === label))
.map(svg => { const t = svg.querySelector("g.role-title text"); return t && t.textContent; })"""
CHARTS_DRAWN_JS = """() => {
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")];
  return charts.length > 0 && charts.every(c => c.querySelector(".vega-embed svg g.role-mark"));
}"""


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()


def idle(page: Page) -> None:
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
    page.wait_for_function(CHARTS_DRAWN_JS)


def test_a_change_is_listed_marked_by_vega_and_removed(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/?preset=balanced&runs=300&changes=2012-07/reps:15")
    page.get_by_test_id("stMetric").first.wait_for()
    idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("From 2012-07: 15 reps")).to_be_visible()
    marked = page.evaluate(MARKED_JS, "From Jul 2012")
    assert {"Revenue per month", "Revenue per quarter", "Revenue by source"} <= set(marked)

    sidebar.get_by_role("button", name="Remove").click()
    page.wait_for_url(re.compile(r"^(?!.*changes=)"))
    idle(page)
    expect(sidebar.get_by_text("From 2012-07: 15 reps")).to_have_count(0)
    assert page.evaluate(MARKED_JS, "From Jul 2012") == []
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.js_errors == []  # type: ignore[attr-defined]
