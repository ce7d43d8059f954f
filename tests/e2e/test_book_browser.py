"""The contract table typed into by a person in real Chromium (issue 8).

``st.data_editor`` is a Glide Data Grid drawn on a canvas, so a cell is reached the way a
person reaches it: click a row's Contract cell, move with the arrow keys, press Enter to
open the cell editor, type, press Enter. What was stored is read back from the page (the
caption totals the book; refusals and unfinished rows show a message by the table).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.server import (
    BROWSER_TIMEOUT_MS,
    Server,
)

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect

COLUMNS = ("name", "product_line", "annual_value", "ends")
GRID_HAS_ROWS_JS = """rows => {
  const grids = document.querySelectorAll(
    ".st-key-book_expander [data-testid='stDataFrameResizable']");
  if (grids.length !== 1) return false;  // a redrawn table replaces the old one
  const height = grids[0].getBoundingClientRect().height / (rows + 1);
  return height > 30 && height < 50;
}"""
TYPING_DELAY_MS = 60  # a quick typist; the keys go one by one, as from a keyboard


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab.goto(f"{server.url}/?runs=300")
    tab.get_by_test_id("stMetric").first.wait_for()
    idle(tab)
    tab.get_by_text("Edit the contract book as a table").click()
    idle(tab)
    yield tab
    context.close()


def idle(page: Page) -> None:
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")


def book(page: Page):
    return page.locator(".st-key-book_expander")


def select_cell(page: Page, row: int, column: str, *, rows: int) -> None:
    """Click the row's Contract cell (header plus ``rows`` rows fill the grid), then arrow
    right to ``column``."""
    page.wait_for_function(GRID_HAS_ROWS_JS, arg=rows)  # redrawn with that many rows
    grid = book(page).get_by_test_id("stDataFrameResizable")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    row_height = box["height"] / (rows + 1)
    page.keyboard.press("Escape")  # clear the selection: a click on a selected cell edits it
    page.mouse.click(box["x"] + 200, box["y"] + row_height * (row + 1.5))
    for _ in range(COLUMNS.index(column)):
        page.keyboard.press("ArrowRight")


SHOWN = {  # what a cell of each column holds before it is typed over
    "name": re.compile(r"^(Team .*|)$"),
    "annual_value": re.compile(r"^([0-9.,]+[kMBT]?|)$"),
    "ends": re.compile(r"^([0-9]{4}-[0-9]{2}|)$"),
}


def type_into(page: Page, row: int, column: str, text: str, *, rows: int = 2) -> None:
    """Open the cell's editor, replace its text as a person types, and commit with Enter.

    The grid is redrawn after a refused edit; a click that reaches the old grid leaves
    the wrong cell selected, so the editor's current text is checked before typing.
    """
    editor = page.locator("textarea.gdg-input")
    for _attempt in range(3):
        idle(page)
        select_cell(page, row, column, rows=rows)
        page.keyboard.press("Enter")
        try:
            editor.wait_for(timeout=5_000)
        except playwright_api.TimeoutError:
            continue  # the click went to a grid being replaced
        if SHOWN[column].match(editor.input_value()):
            break
        page.keyboard.press("Escape")
        expect(editor).to_have_count(0)
    else:
        pytest.fail(f"could not reach row {row}'s {column} cell")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text, delay=TYPING_DELAY_MS)
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)


def empty_cell(page: Page, row: int, column: str, *, refusal: str) -> None:
    """Select the cell and press Delete, as a person empties a required cell.

    After a refused edit the grid is redrawn; a click that reaches the old grid selects
    nothing and the key is lost (the alert still shows the previous refusal), so the key
    is pressed again on the redrawn grid, at most three times.
    """
    alert = book(page).get_by_test_id("stAlert")
    for _attempt in range(3):
        idle(page)
        select_cell(page, row, column, rows=2)
        page.keyboard.press("Delete")
        try:
            expect(alert).to_contain_text(refusal, timeout=10_000)
        except AssertionError:
            continue  # the key went to a grid being replaced
        break
    else:
        pytest.fail(f"emptying row {row}'s {column} cell was never refused with {refusal!r}")
    idle(page)


def expect_book_total(page: Page, text: str) -> None:
    expect(book(page).get_by_text(re.compile(r"In the plan: "))).to_contain_text(text)
    idle(page)


def expect_refused(page: Page, text: str) -> None:
    expect(book(page).get_by_test_id("stAlert")).to_contain_text(text)
    idle(page)


def test_typed_values_are_stored_as_meant_or_refused_by_name(page: Page) -> None:
    expect_book_total(page, "2 contracts, $5.4M a year")  # $3M + $2.4M

    type_into(page, 1, "annual_value", "3M")
    expect_book_total(page, "2 contracts, $6M a year")  # $3M, not $3

    for row, column, text, message in (
        (0, "annual_value", "-100", "contracts.0.annual_value: '-100' is negative"),
        (0, "annual_value", "2013-1", "contracts.0.annual_value: '2013-1' has a '-'"),
        (1, "ends", "Jan 2013", "contracts.1.ends: 'Jan 2013' is not a month in the form"),
        (1, "ends", "2013-13", "contracts.1.ends: '2013-13' is not a month in the form"),
    ):
        type_into(page, row, column, text)
        expect_refused(page, message)
        expect_book_total(page, "2 contracts, $6M a year")

    empty_cell(page, 0, "name", refusal="contracts.0.name: is required")
    expect_book_total(page, "2 contracts, $6M a year")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_new_rows_name_keeps_every_character_typed(page: Page) -> None:
    book(page).get_by_role("button", name="Add a contract").click()
    idle(page)
    # Typing into the new row is an ordinary edit: no rerun replaces the grid mid-word
    # (Streamlit's own add-row sent one on the click and lost the first letters). The
    # editor is opened with Enter: on a busy machine the grid itself can drop the key
    # that opens it by typing, which is the browser's timing, not the app's.
    type_into(page, 2, "name", "New big deal", rows=3)
    note = book(page).get_by_text(re.compile("is not in the plan yet"))
    expect(note).to_have_text(
        "Row 2 ('New big deal') is not in the plan yet: fill in product line, annual value, ends."
    )
    idle(page)
    type_into(page, 2, "annual_value", "250k", rows=3)
    expect(note).to_contain_text("fill in product line, ends.")
    expect_book_total(page, "2 contracts, $5.4M a year")  # not in the plan until complete
    expect(book(page).get_by_test_id("stAlert").filter(has_text="Not applied")).to_have_count(0)
