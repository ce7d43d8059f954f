"""The CRM import wizard in real Chromium: upload the sample export through the page's
own file input, see the detected columns and the fit, press "Use as my scenario" and
find the fitted company in the simulator. The upload travels the real server path
(Streamlit's upload endpoint), which the AppTest tests skip."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.support.crm import SAMPLE
from tests.support.server import BROWSER_TIMEOUT_MS, Server

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab.goto(f"{server.url}/Import_from_CRM")
    tab.get_by_role("heading", name="Import from your CRM").wait_for()
    idle(tab)
    yield tab
    context.close()


def idle(page: Page) -> None:
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")


def test_upload_the_sample_and_use_it_as_my_scenario(page: Page) -> None:
    expect(page.get_by_text("up to 1 MiB and 20,000 rows a file")).to_be_visible()
    uploader = page.get_by_test_id("stFileUploader").first
    uploader.locator("input[type='file']").set_input_files(str(SAMPLE))
    expect(page.get_by_text("crm_opportunities.csv (opportunities, 9 columns)")).to_be_visible()
    mapping = page.locator(".st-key-crm_mapping_opportunities")
    expect(mapping.get_by_role("combobox", name="stage *")).to_have_value("StageName")
    expect(mapping.get_by_role("combobox", name="product")).to_have_value("Product Family")
    page.get_by_role("button", name="Fit my numbers").click()
    expect(page.get_by_text("549 opportunities, lead flow from 2023-01")).to_be_visible()
    expect(page.get_by_text("Backtest 2023-04 to 2024-12")).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    page.get_by_role("button", name="Use as my scenario").click()
    expect(page.get_by_text("Your plan is now the fitted company.")).to_be_visible()
    expect(page.get_by_text("team size (12 -> 8 reps)", exact=False)).to_be_visible()
    idle(page)
    page.get_by_role("link", name="See it in the simulator").click()
    page.get_by_test_id("stMetric").first.wait_for()
    expect(page.get_by_text("Calibrated from crm_opportunities.csv").first).to_be_visible()
    assert "Account" not in page.url and "Rep%2003" not in page.url


CLIPPED_JS = """box => [...box.querySelectorAll("input[role='combobox']")]
.filter(input => input.scrollWidth > input.clientWidth + 1).map(input => input.value)"""
"""The column choices whose chosen name does not fit its box."""


@contextlib.contextmanager
def sample_uploaded(browser: Browser, server: Server, *, width: int, height: int):
    """A new visitor's wizard at this size with the sample export uploaded."""
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        tab.goto(f"{server.url}/Import_from_CRM")
        tab.get_by_test_id("stFileUploader").first.locator("input[type='file']").set_input_files(
            str(SAMPLE)
        )
        yield tab
    finally:
        context.close()


def test_the_detected_column_names_fit_their_boxes_on_a_projector(browser: Browser, server) -> None:
    """At 1280x720 beside the sidebar, Salesforce's "Opportunity Owner" is shown whole."""
    with sample_uploaded(browser, server, width=1280, height=720) as tab:
        mapping = tab.locator(".st-key-crm_mapping_opportunities")
        expect(mapping.get_by_role("combobox", name="owner")).to_have_value("Opportunity Owner")
        expect(mapping.get_by_role("combobox")).to_have_count(8)
        assert mapping.evaluate(CLIPPED_JS) == []


def test_the_fitted_numbers_read_whole_on_a_phone(browser: Browser, server) -> None:
    """A column per product line, wrapping: no figure runs past a 390 px screen."""
    with sample_uploaded(browser, server, width=390, height=844) as tab:
        tab.get_by_role("button", name="Fit my numbers").click()
        table = tab.get_by_test_id("stTable")
        expect(table).to_contain_text("32% (112 of 355)")
        box = table.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1")
