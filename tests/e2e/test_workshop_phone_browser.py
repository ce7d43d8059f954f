"""The workshop's prediction box and the phone layout in real Chromium.

V reveals while the cursor is still in the dollar box, the typed amount stays in it,
the result is scrolled into view, and a reload resumes the step; at 390x844 the
sidebar starts collapsed, the diagnosis chart's labels do not overlap and the fix
table keeps its Now and Suggested columns on screen. Screenshots go to pytest's
temporary directory for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import BROWSER_TIMEOUT_MS, Server

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect

LEVEL_LABEL = "The room's prediction: revenue in 2014Q4 ($ per quarter)"
RESULT = "[class*='st-key-ws_result']"
# The verdict, the first thing in the result, sits whole between the top bar and the
# bottom of the window.
VERDICT_IN_VIEW_JS = f"""() => {{
  const verdict = document.querySelector("{RESULT} [data-testid='stAlert']");
  const bar = document.querySelector("[data-testid='stHeader']");
  if (!verdict || !bar) return false;
  const box = verdict.getBoundingClientRect();
  return box.top >= bar.getBoundingClientRect().bottom && box.bottom <= window.innerHeight;
}}"""
TORNADO = ".vega-embed[aria-label='Diagnosis tornado chart']"
# Pairs of overlapping label boxes, and labels running past the chart's right edge, in
# the tornado's axes and legend.
CLASHES_JS = """selector => {
  const chart = document.querySelector(selector);
  const right = chart.getBoundingClientRect().right;
  const groups = ["g.role-axis-label", "g.role-legend-label"];
  const clashes = [];
  for (const group of groups) {
    for (const g of chart.querySelectorAll(`svg ${group}`)) {
      const boxes = [...g.querySelectorAll("text")]
        .filter(t => t.textContent && t.getAttribute("opacity") !== "0")
        .map(t => [t.textContent, t.getBoundingClientRect()]);
      for (const [text, b] of boxes) {
        if (b.right > right + 1) clashes.push(`${text} is cut at the right edge`);
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [s, a] = boxes[i], [t, b] = boxes[j];
          if (a.left < b.right - 1 && b.left < a.right - 1 &&
              a.top < b.bottom - 1 && b.top < a.bottom - 1) clashes.push(`${s} / ${t}`);
        }
      }
    }
  }
  return clashes;
}"""


def new_page(browser: Browser, *, width: int, height: int) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors  # type: ignore[attr-defined]
    yield tab
    assert not errors, errors
    context.close()


@pytest.fixture
def projector(browser: Browser) -> Iterator[Page]:
    yield from new_page(browser, width=1280, height=720)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from new_page(browser, width=390, height=844)


def idle(page: Page) -> None:
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")


def test_v_reveals_while_typing_keeps_the_amount_and_scrolls_to_the_result(
    projector: Page, server: Server, tmp_path: Path
) -> None:
    page = projector
    page.goto(f"{server.url}/Workshop?step=2")
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    box = page.get_by_label(LEVEL_LABEL, exact=True)
    box.click()
    box.press_sequentially("1.5M")
    box.press("v")  # the cursor is still in the box

    page.wait_for_url(re.compile(r"revealed=2"))
    assert "p2=1.5M" in page.url
    expect(box).to_have_value("1.5M")  # not the placeholder
    expect(box).to_be_disabled()
    verdict = page.locator(RESULT).get_by_test_id("stAlert")
    expect(verdict).to_contain_text("too high")
    page.wait_for_function(VERDICT_IN_VIEW_JS)  # brought into view at 1280x720
    chart = page.locator(f"{RESULT} .vega-embed[aria-label='Prediction chart']")
    expect(chart).to_be_in_viewport(ratio=0.5)
    page.screenshot(path=tmp_path / "workshop_revealed_1280x720.png")

    page.reload()
    box = page.get_by_label(LEVEL_LABEL, exact=True)
    expect(box).to_have_value("1.5M")  # the reload resumed the revealed step
    expect(box).to_be_disabled()
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    expect(page.locator(RESULT).get_by_test_id("stAlert")).to_contain_text("too high")


def test_a_phone_starts_with_the_sidebar_shut_and_reads_the_diagnosis(
    phone: Page, server: Server, tmp_path: Path
) -> None:
    page = phone
    page.goto(f"{server.url}/?runs=200")
    page.get_by_test_id("stMetric").first.wait_for()
    idle(page)
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    page.screenshot(path=tmp_path / "main_390x844.png")

    page.get_by_text("Diagnose this plan").click()
    page.locator(f"{TORNADO} svg g.role-axis-label text").first.wait_for()
    assert page.evaluate(CLASHES_JS, TORNADO) == []
    page.locator(TORNADO).screenshot(path=tmp_path / "tornado_390.png")

    page.get_by_role("button", name="Suggest a fix").click()
    table = page.get_by_test_id("stTable")
    expect(table).to_be_visible(timeout=4 * BROWSER_TIMEOUT_MS)
    for name in ("Now", "Suggested"):
        header = table.get_by_role("columnheader", name=name, exact=True)
        expect(header).to_be_visible()
        box = header.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    table.screenshot(path=tmp_path / "fix_table_390.png")
