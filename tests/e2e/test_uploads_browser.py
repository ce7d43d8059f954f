"""A file box states one limit, the true one. Streamlit's drop zone prints the server's
cap ("1MB per file"), which is wrong for the boxes read up to 256 KiB; those hide it
(ui/uploads.py), while the boxes whose limit is the cap keep Streamlit's line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import BROWSER_TIMEOUT_MS, Server

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page
expect = playwright_api.expect

BOXES_JS = """() => [...document.querySelectorAll("[data-testid='stFileUploader']")]
.map(box => {
  const cap = box.querySelector("[data-testid='stFileUploaderDropzoneInstructions']");
  return [box.querySelector("[data-testid='stWidgetLabel']").textContent.trim(),
          cap !== null && cap.offsetParent !== null ? cap.textContent.trim() : ""];
})"""
"""Each file box on the page: its label and the drop zone's visible line ("" if none)."""


@pytest.fixture()
def tab(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield page
    context.close()


def open_page(tab: Page, server: Server, address: str) -> None:
    tab.goto(f"{server.url}/{address}")
    tab.get_by_test_id("stMain").locator("h1").first.wait_for()  # the page's title
    tab.wait_for_selector("[data-test-script-state='notRunning']", state="attached")


def boxes(tab: Page, *, count: int) -> dict[str, str]:
    """Label to visible drop-zone line, once the page has drawn ``count`` boxes."""
    expect(tab.get_by_test_id("stFileUploader")).to_have_count(count)
    return dict(tab.evaluate(BOXES_JS))


def test_the_history_box_gives_its_own_limit_alone(tab: Page, server: Server) -> None:
    open_page(tab, server, "Your_history")
    [(label, cap)] = boxes(tab, count=1).items()
    assert "up to 256 KiB" in label
    assert cap == "", f"the drop zone also says {cap!r}"


def test_the_scenario_box_hides_the_cap_and_the_bundle_box_states_it(
    tab: Page, server: Server
) -> None:
    """A bundle is read up to 1,028 KiB, but the cap refuses more than 1 MiB first: its
    label says 1 MiB, as the drop zone does."""
    open_page(tab, server, "")
    tab.get_by_text("Open a bundle of plans").click()  # the bundle's box is in an expander
    shown = boxes(tab, count=2)
    scenario = next(label for label in shown if label.startswith("Open a scenario file"))
    bundle = next(label for label in shown if label.startswith("A plans file saved here"))
    assert "up to 256 KiB" in scenario and shown[scenario] == "", shown
    assert "up to 1 MiB" in bundle and shown[bundle].startswith("1MB per file"), shown


def test_the_crm_boxes_keep_streamlits_line_which_is_their_limit(tab: Page, server: Server) -> None:
    """The hiding is the small boxes' alone: the CRM export is read up to the cap."""
    open_page(tab, server, "Import_from_CRM")
    shown = boxes(tab, count=2)
    assert all(cap.startswith("1MB per file") for cap in shown.values()), shown
    assert "Files up to 1 MiB" in tab.get_by_test_id("stMain").inner_text()
