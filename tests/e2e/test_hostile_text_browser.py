"""Hostile names in Chromium: Streamlit's real frontend shows them as text.

A shared link (``?scenario=``, ui/links.py's encode_scenario) opens a plan whose title,
product lines and contracts are named with Markdown, HTML, bare links and shortcodes.
The DOM must hold none of the links, emoji, icons or formatting they spell, show every
character the user typed, and give each slider the plain name as its accessible name
(no backslashes read out by a screen reader).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import load_preset, scenario_from_dict, scenario_to_dict
from tests.support.server import (
    BROWSER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    streamlit_server,
)
from ui.links import encode_scenario

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page
expect = playwright_api.expect

TITLE = "[x](http://evil.example) <b>x</b> https://evil.example :smile: :red[x]"
LINES = {
    "enterprise": "www.evil.example :material/lock: *x*",
    "transactional": "# h $x$ \\ me@evil.example",
    "services": "<i>S</i> `c` :streamlit: a -> b",
}
CONTRACTS = ("Acme Inc. [x](http://evil.example) :smile:", "*x* $x$ :material/lock: _y_")

# Every element Streamlit draws from Markdown, with what it made of the text.
MARKDOWN_REPORT_JS = """() => [...document.querySelectorAll(
    "[data-testid='stMarkdownContainer'], [data-testid='stCaptionContainer']")]
  .map(box => ({
    text: box.textContent.replaceAll("\\u200b", "").trim(),
    hidden: !box.checkVisibility(),
    links: [...box.querySelectorAll("a[href]")].map(a => a.getAttribute("href"))
      .filter(href => !href.startsWith("#")),
    made: [...box.querySelectorAll(
        "img, em, strong, del, code, .katex, h1, ul, ol, table, blockquote,"
        + " [data-testid='stIconMaterial'], span[class*='stMarkdownColored']")]
      .map(e => e.tagName + "." + e.className),
  }))"""
EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def hostile_link() -> str:
    data = scenario_to_dict(load_preset("team_a_team_b"))
    data["meta"]["title"] = TITLE
    data["product_lines"]["services"] = {"name": "", "focus": 0.2, "term_months": 0}
    for key, name in LINES.items():
        data["product_lines"][key]["name"] = name
    for contract, name in zip(data["contracts"], CONTRACTS, strict=True):
        contract["name"] = name
    data["simulation"]["runs"] = 200
    return encode_scenario(scenario_from_dict(data))


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; `make browser` installs Debian's chromium")
    with streamlit_server() as running:
        yield running


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[Page]:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
        tab.set_default_timeout(BROWSER_TIMEOUT_MS)
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(f"{server.url}/?scenario={hostile_link()}")
        tab.get_by_test_id("stMetric").first.wait_for()
        tab.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
        tab.get_by_role("slider", name=f"{CONTRACTS[1]}: buyer contacts").wait_for()
        yield tab
        assert not errors, errors
        browser.close()


def user_boxes(page: Page) -> list[dict]:
    """The Markdown elements that show user text (all of it holds 'x' or 'evil')."""
    names = (TITLE, *LINES.values(), *CONTRACTS)
    boxes = page.evaluate(MARKDOWN_REPORT_JS)
    found = [b for b in boxes if any(name in b["text"] for name in names)]
    assert len(found) >= len(names), [b["text"] for b in boxes]
    return found


def test_no_link_emoji_icon_or_formatting_comes_from_user_text(page: Page) -> None:
    for box in user_boxes(page):
        assert box["links"] == [], box
        assert box["made"] == [], box
        assert not EMOJI.search(box["text"]), box
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
    outside = [h for h in hrefs if not h.startswith("#")]  # headings' own anchors stay
    assert not [h for h in outside if "evil" in h or h.startswith("mailto:")], outside
    icons = page.get_by_test_id("stIconMaterial").all_text_contents()
    assert "lock" not in icons
    expect(page.get_by_role("img", name="Streamlit logo")).to_have_count(0)
    # A collapsed label is never displayed, so math there (hidden_label cannot stop
    # it without backslashes) never shows; none may show anywhere else.
    expect(page.locator(".katex:visible")).to_have_count(0)


def test_visible_text_is_what_the_user_typed(page: Page) -> None:
    main = page.get_by_test_id("stMain")
    heading = main.locator("h3").first.text_content() or ""
    assert heading.replace("\u200b", "") == TITLE
    shown = [b["text"] for b in user_boxes(page) if not b["hidden"]]
    for contract in CONTRACTS:
        assert f"{contract}: ends" in shown
        assert f"{contract}: buyer contacts" in shown
    for name in LINES.values():
        assert name in shown


def test_sliders_are_named_with_the_plain_text(page: Page) -> None:
    """Streamlit names a slider's group by its label and the thumb by group and label."""
    names = [f"{c}: {what}" for c in CONTRACTS for what in ("ends", "buyer contacts")]
    for name in (*names, *LINES.values()):
        group = page.get_by_role("group", name=name, exact=True)
        expect(group).to_have_count(1)
        slider = group.get_by_role("slider")
        expect(slider).to_have_accessible_name(f"{name} {name}")
        label = group.get_attribute("aria-label") or ""
        assert label.replace("\u200b", "") == name  # nothing else: no backslash, no entity
