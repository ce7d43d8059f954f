"""Escaped text wraps like prose in Chromium, at every column width a phone could give.

The escaper's invisible separators are read by the browser's line breaking: a zero-width
space after "(" let a phone end a line with "milder (". Each text below, as
:func:`ui.text.markdown_text` leaves it once Markdown has removed its backslashes, is
laid out in columns from 40 to 400 px wide; no line may end with an opening bracket or
start with a closing bracket or full stop, and no word or number may split at its
apostrophe, point or comma. The old separators (a zero-width space
after every mark) are laid out too, to show the check sees the defect.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.support.server import BROWSER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS
from ui.text import INVISIBLE, markdown_text

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page

TEXTS = [
    "Severe-whiplash risk: 24% of futures lose 30% or more within a year, though the "
    "middle future is milder (one future in 5 or more counts as a material risk).",
    "O'Brien & Sons, Ltd. (UK) 100% of the 'Q3' [renewal] {deal}",
    'She said "no." (twice) and $1,500,000 at 3.5% (see: note)!',
]
WIDTHS = range(40, 401, 3)
OPENERS = set("([{")
CLOSERS = set(")]}.,;:!?%")
IN_WORD = set("'.,")  # "O'" then "Brien", "3." then "5", "1," then "500"

# Per width: each line's first and last visible character, and whether a space ends the
# line before it.
LINE_EDGES_JS = """([text, widths]) => {
  const box = document.createElement("div");
  box.style.cssText = "font: 16px sans-serif; overflow-wrap: normal; word-break: normal";
  document.body.replaceChildren(box);
  box.textContent = text;
  const node = box.firstChild;
  const out = [];
  for (const width of widths) {
    box.style.width = width + "px";
    const lines = [];
    let top = null;
    for (let i = 0; i < text.length; i++) {
      if (/[\\s\\u200b]/.test(text[i])) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (top === null || rect.top > top + 1) {
        const before = text.slice(0, i).replace(/[\\u200b]+$/, "");
        const spaced = /\\s$/.test(before);
        lines.push([text[i], text[i], spaced]);
        top = rect.top;
      } else lines[lines.length - 1][1] = text[i];
    }
    out.push({width, lines});
  }
  return out;
}"""


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; `make browser` installs Debian's chromium")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page()
        tab.set_default_timeout(BROWSER_TIMEOUT_MS)
        tab.set_content("<!doctype html><html lang='en'><body></body></html>")
        yield tab
        browser.close()


def shown(markdown: str) -> str:
    """The text Chromium lays out: backslash escapes gone, separators kept."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def bad_wraps(page: Page, text: str) -> list[str]:
    found = []
    for layout in page.evaluate(LINE_EDGES_JS, [text, list(WIDTHS)]):
        lines = layout["lines"]
        for (_, end, _), (start, _, spaced) in pairwise(lines):
            in_word = not spaced and end in IN_WORD and start.isalnum()
            if end in OPENERS or start in CLOSERS or in_word:
                found.append(f"{layout['width']} px: line ends {end!r}, next starts {start!r}")
    return found


@pytest.mark.parametrize("text", TEXTS)
def test_no_line_ends_on_an_opener_or_starts_on_a_closer(page: Page, text: str) -> None:
    assert bad_wraps(page, shown(markdown_text(text))) == []


def test_the_old_separators_broke_after_the_bracket_and_inside_words(page: Page) -> None:
    def old(text: str) -> str:
        return "".join(c + INVISIBLE if c in string.punctuation else c for c in text)

    assert any("ends '('" in wrap for wrap in bad_wraps(page, old(TEXTS[0])))
    assert any("ends \"'\", next starts 'B'" in wrap for wrap in bad_wraps(page, old(TEXTS[1])))
