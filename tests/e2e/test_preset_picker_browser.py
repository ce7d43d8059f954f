"""The preset picker on a 1280x720 projector: the chosen plan's name is readable.

The sidebar's selectbox used to cut "The 2012 client: Team A and Team B" to "The 2012
client: Team A and T…". The picker now offers each title up to its colon
(ui.presets.preset_labels) and the caption under it names the plan in full; in Chromium
no text in the picker, its open list or that caption is cut off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import (
    BROWSER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Server,
    streamlit_server,
)
from ui.presets import preset_labels, preset_titles

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page
expect = playwright_api.expect

PROJECTOR = {"width": 1280, "height": 720}
ARTIFACTS = ROOT / "test-artifacts"

# Texts inside the element that the browser does not show whole: wider than their box
# where the box clips (CSS ellipsis or hidden overflow), or spelled with "…".
# The picker shows its value in an input: the same test on the input's value.
CUT_TEXT_JS = """(root) => [root, ...root.querySelectorAll("*")]
  .filter(el => el.tagName === "INPUT" ? el.value.trim()
    : [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .filter(el => {
    const style = getComputedStyle(el);
    const clips = style.overflow !== "visible" || style.textOverflow === "ellipsis";
    const text = el.tagName === "INPUT" ? el.value : el.textContent;
    return (clips && el.scrollWidth > el.clientWidth + 1) || text.includes("…");
  })
  .map(el => el.tagName === "INPUT" ? el.value : el.textContent)"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; `make browser` installs Debian's chromium")
    with streamlit_server() as running:
        yield running


@pytest.fixture()
def page(server: Server) -> Iterator[Page]:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_context(viewport=PROJECTOR).new_page()
        tab.set_default_timeout(BROWSER_TIMEOUT_MS)
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(f"{server.url}/?runs=200")
        tab.get_by_test_id("stMetric").first.wait_for()
        tab.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
        yield tab
        assert not errors, errors
        browser.close()


def picker(page: Page):
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_be_visible()
    return sidebar.get_by_test_id("stSelectbox").filter(has_text="Preset scenario")


def now_showing(page: Page):
    return (
        page.get_by_test_id("stSidebar")
        .get_by_test_id("stCaptionContainer")
        .filter(has_text="Now showing:")
    )


def assert_whole(page: Page, locator) -> None:
    expect(locator).to_be_visible()
    assert locator.evaluate(CUT_TEXT_JS) == [], locator.inner_text()


def test_the_chosen_preset_is_named_whole_at_1280_px(page: Page) -> None:
    labels, titles = preset_labels(), preset_titles()
    box = picker(page)
    expect(box.get_by_role("combobox")).to_have_value(labels["team_a_team_b"])
    assert_whole(page, box)
    caption = now_showing(page)
    expect(caption).to_contain_text(f"Now showing: {titles['team_a_team_b']}")
    assert_whole(page, caption)
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_test_id("stSidebar").screenshot(path=ARTIFACTS / "preset-picker-1280x720.png")


def test_every_option_reads_whole_and_picking_one_names_it_in_full(page: Page) -> None:
    labels, titles = preset_labels(), preset_titles()
    picker(page).get_by_role("combobox").click()
    options = page.get_by_role("option")
    expect(options).to_have_count(len(labels))
    assert sorted(options.all_inner_texts()) == sorted(labels.values())
    for index in range(len(labels)):
        assert_whole(page, options.nth(index))
    page.get_by_role("option", name=labels["too_late_to_react"], exact=True).click()
    expect(picker(page).get_by_role("combobox")).to_have_value(labels["too_late_to_react"])
    caption = now_showing(page)
    expect(caption).to_contain_text(f"Now showing: {titles['too_late_to_react']}")
    assert_whole(page, picker(page))
    assert_whole(page, caption)
