"""The workshop's first step in a real browser: predict, reveal, fix, debrief, next.

The page is served by ``streamlit run`` on loopback and driven by Debian's Chromium,
partly from the keyboard (a trainer at a projector may not have a mouse at hand).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.workshop import load_workshop
from tests.support.server import (
    BROWSER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    streamlit_server,
)

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

DRAWN_CHARTS_JS = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
.filter(chart => [...chart.querySelectorAll("svg g.role-mark path, svg g.role-mark text")]
  .some(m => { const b = m.getBBox(); return b.width > 0 && b.height > 0; })).length"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; `make browser` installs Debian's chromium")
    with streamlit_server("pages/1_Workshop.py") as running:
        yield running


@pytest.fixture()
def page(server: Server):
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        tab = context.new_page()
        tab.set_default_timeout(BROWSER_TIMEOUT_MS)
        tab.goto(server.url)
        yield tab
        browser.close()


def drawn_charts(page) -> int:
    return page.evaluate(DRAWN_CHARTS_JS)


def test_first_step_end_to_end(page):
    expect(page.get_by_text("Step 1 of 6: The 2012 client: Team A and Team B")).to_be_visible()
    expect(
        page.get_by_text(
            "Will revenue hold in 2013? If not, in which quarter does whiplash first hit?"
        )
    ).to_be_visible()
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 0  # the room predicts first

    page.get_by_label("The room's prediction: the quarter whiplash first hits").click()
    page.get_by_role("option", name="2013Q1", exact=True).click()

    reveal = page.get_by_role("button", name="Reveal the simulation")
    reveal.focus()
    page.keyboard.press("Enter")  # buttons work from the keyboard
    expect(page.get_by_text("Right: the room said 2013Q1")).to_be_visible()
    page.wait_for_function(f"() => ({DRAWN_CHARTS_JS})() >= 1")
    expect(page.locator(".vega-embed[aria-label='Prediction chart']")).to_be_visible()
    lesson = len(load_workshop().steps[0].charts)  # the charts the lesson points at
    expect(page.locator(".vega-embed[aria-label='Early warning']")).to_be_visible()
    expect(
        page.get_by_label("The room's prediction: the quarter whiplash first hits")
    ).to_be_disabled()

    page.get_by_role("button", name="Apply the fix").click()
    expect(page.get_by_text("Why it works:")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Severe whiplash")).to_be_visible()
    page.wait_for_function(f"() => ({DRAWN_CHARTS_JS})() >= {2 + lesson}")
    assert drawn_charts(page) == 2 + lesson

    with page.expect_download() as download:
        page.get_by_role("button", name="Download debrief (HTML, printable)").click()
    debrief = Path(download.value.path()).read_text()
    assert "The 2012 client: Team A and Team B" in debrief
    assert "2013Q1" in debrief and "Whiplash in" in debrief

    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    expect(
        page.get_by_label("The room's prediction: revenue in 2014Q4 ($ per quarter)")
    ).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
