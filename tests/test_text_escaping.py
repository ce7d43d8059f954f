"""User text never becomes Markdown: ``ui.text`` and every page that shows user text.

The unit tests check the escaper's output against the patterns Streamlit's Markdown
reacts to (what its parser sees, and what its plugins match in the parsed text); the
AppTest runs open the app and the workshop with hostile titles and names and read the
Markdown bodies Streamlit would render. tests/e2e/test_hostile_text_browser.py checks
the same pages in Chromium's DOM.
"""

from __future__ import annotations

import html
import re
import string
from pathlib import Path

import pytest
import streamlit as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from streamlit.proto.LabelVisibility_pb2 import LabelVisibility
from streamlit.testing.v1 import AppTest

from simulator import load_preset, scenario_from_dict, scenario_to_dict
from simulator.workshop import parse_workshop, resolve
from ui import controls, links
from ui import workshop as ws
from ui.text import INVISIBLE, hidden_label, markdown_text

ROOT = Path(__file__).resolve().parent.parent
COLLAPSED = LabelVisibility.LabelVisibilityOptions.COLLAPSED

HOSTILE = [
    "[x](http://evil.example)",
    "[x][r] [r]: http://evil.example",
    "![img](http://evil.example/x.png)",
    "<http://evil.example>",
    "https://evil.example/path?q=1",
    "www.evil.example",
    "WWW.Evil.example",
    "mail me@evil.example",
    "mailto:me@evil.example",
    ":smile:",
    ":+1:",
    ":material/lock:",
    ":streamlit:",
    ":red[x]",
    ":red-background[x]",
    ":color[x]{foreground=red}",
    "<b>x</b>",
    "<script>alert(1)</script>",
    "&amp; &lt; &#42; &copy;",
    "# h",
    "*x*",
    "**x**",
    "_x_",
    "~~x~~",
    "`x`",
    "$x$",
    "$$x$$",
    "a\\b\\*c\\",
    "- item",
    "1. item",
    "> quote",
    "| a | b |",
    "---",
    "a -> b <- c <-> d -- e >= f",
    "Acme Inc.",
    "O'Brien & Sons, Ltd. (UK) 100%",
    "    indented",
    "line\nbreak\r\n# not a heading",
]
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")

# What Streamlit's Markdown plugins match in the parsed text (escapes already removed).
PLUGIN_PATTERNS = {
    "emoji or icon shortcode": re.compile(r":[\w+-][\w_+-]*:"),
    "icon": re.compile(r":material[/_]"),
    "bare link": re.compile(r"https?:/|www\.|(mailto|xmpp):\w|[-.\w+]@[-\w]", re.I),
    "arrow or dash": re.compile(r"(<->|->|<-|--|>=|<=|~=)"),
}
# What the parser reacts to in a label that has no backslash escapes.
LABEL_PATTERNS = {
    **PLUGIN_PATTERNS,
    "link": re.compile(r"\]\(|\]\[|\]:"),
    "autolink or HTML": re.compile(r"<[A-Za-z/!?]"),
    "entity": re.compile(r"&[#A-Za-z]"),
    "directive": re.compile(r":[A-Za-z]"),
    "heading or list": re.compile(r"^(#+|[-+*]|\d+[.)])(\s|$)"),
}


def one_line(text: str) -> str:
    return " ".join(re.split(r"[\r\n]+", text)).strip()


def parsed(markdown: str) -> str:
    """The text Streamlit's plugins see: backslash escapes applied, joiners kept."""
    return ESCAPE.sub(r"\1", markdown)


def seen(markdown: str) -> str:
    """The text a reader sees."""
    return parsed(markdown).replace(INVISIBLE, "")


def assert_inert(markdown: str) -> None:
    """No punctuation left unescaped, nothing a plugin would match once unescaped."""
    unescaped = ESCAPE.sub("", markdown)
    assert not set(unescaped) & set(string.punctuation), (markdown, unescaped)
    assert ":material/" not in markdown  # Streamlit rewrites this before parsing
    for name, pattern in PLUGIN_PATTERNS.items():
        assert not pattern.search(parsed(markdown)), (name, markdown)


# --- The escaper.
@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_shows_every_character_and_nothing_else(text: str) -> None:
    escaped = markdown_text(text)
    assert seen(escaped) == one_line(text)
    assert_inert(escaped)
    assert "\n" not in escaped and "\r" not in escaped


@pytest.mark.parametrize("text", HOSTILE)
def test_hidden_label_is_plain_text_with_invisible_breaks(text: str) -> None:
    label = hidden_label(text)
    assert label.replace(INVISIBLE, "") == one_line(text)  # no backslash is added
    for name, pattern in LABEL_PATTERNS.items():
        assert not pattern.search(label), (name, label)


def test_plain_text_stays_as_it_is() -> None:
    assert markdown_text("Nordic Telecom") == "Nordic Telecom"
    assert hidden_label("Nordic Telecom") == "Nordic Telecom"
    assert markdown_text("Acme Inc.") == f"Acme Inc\\.{INVISIBLE}"


MARKDOWN_ALPHABET = hs.sampled_from(
    [*string.punctuation, "www", "http", "material", "smile", "red", "a", "1", " ", "\n", "\t"]
)


@settings(max_examples=300, deadline=None)
@given(hs.one_of(hs.text(), hs.lists(MARKDOWN_ALPHABET, max_size=30).map("".join)))
def test_no_text_escapes_into_markdown(text: str) -> None:
    escaped = markdown_text(text)
    assert_inert(escaped)
    assert seen(escaped) == re.sub(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", " ", text).strip()
    label = hidden_label(text)
    for name, pattern in LABEL_PATTERNS.items():
        assert not pattern.search(label), (name, label)


# --- The app with a hostile scenario.
def hostile_scenario() -> dict:
    """team_a_team_b with a third line (one focus slider per line); every name hostile."""
    data = scenario_to_dict(load_preset("team_a_team_b"))
    data["meta"]["title"] = "[x](http://evil.example) <b>x</b> https://evil.example :smile:"
    data["product_lines"]["enterprise"]["name"] = "www.evil.example :material/lock: *x*"
    data["product_lines"]["transactional"]["name"] = ":red[x] # h $x$ \\ a@evil.example"
    data["product_lines"]["services"] = {"name": "<i>S</i> `c`", "focus": 0.2, "term_months": 0}
    data["contracts"][0]["name"] = "Acme Inc. [x](http://evil.example) :smile:"
    data["contracts"][1]["name"] = "# h *x* $x$ \\ :material/lock: www.evil.example"
    data["simulation"]["runs"] = 200
    return data


USER_TEXT_RAW = ("](http", "<b>", "<i>", ":smile:", ":material/lock", ":red[x]", "$x$", "*x*")


def open_hostile_app() -> tuple[AppTest, dict]:
    data = hostile_scenario()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["scenario"] = links.encode_scenario(scenario_from_dict(data))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, data


def bodies(at: AppTest) -> list[str]:
    """Every Markdown body on the page (markdown, captions, alerts, headings)."""
    kinds = ("markdown", "caption", "warning", "error", "info", "success")
    return [element.value for kind in kinds for element in at.get(kind)]


def test_app_shows_hostile_names_as_text() -> None:
    at, data = open_hostile_app()
    assert not at.error, [e.value for e in at.error]
    shown = bodies(at)
    for body in shown:
        for raw in USER_TEXT_RAW:
            assert raw not in body, (raw, body)
    title = data["meta"]["title"]
    assert f"### {markdown_text(title)}" in shown
    assert any(seen(body) == f"Now showing: {title} (shared link)" for body in shown)


def test_sliders_named_after_user_text_read_as_plain_text() -> None:
    at, data = open_hostile_app()
    shown = bodies(at)
    expected = {
        controls.end_key(i): f"{contract['name']}: ends"
        for i, contract in enumerate(data["contracts"])
    }
    expected |= {
        controls.contacts_key(i): f"{contract['name']}: buyer contacts"
        for i, contract in enumerate(data["contracts"])
    }
    expected |= {controls.focus_key(k): line["name"] for k, line in data["product_lines"].items()}
    widgets = {w.key: w for w in (*at.slider, *at.select_slider)}
    for key, text in expected.items():
        widget = widgets[key]
        assert widget.label.replace(INVISIBLE, "") == text  # the aria-label: no escapes
        assert widget.proto.label_visibility.value == COLLAPSED
        assert f":small[{markdown_text(text)}]" in shown  # the visible label, escaped


def test_two_line_focus_slider_names_both_lines_as_text() -> None:
    data = hostile_scenario()
    del data["product_lines"]["services"]
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["scenario"] = links.encode_scenario(scenario_from_dict(data))
    at.run()
    first, second = (line["name"] for line in data["product_lines"].values())
    text = f"New-business effort on {first} (the rest on {second})"
    assert at.slider(key=controls.W_FOCUS_SPLIT).label.replace(INVISIBLE, "") == text
    assert f":small[{markdown_text(text)}]" in bodies(at)


# --- The workshop page and its debrief.
HOSTILE_WORKSHOP = """
[workshop]
title = "[x](http://evil.example) :smile:"
intro = "<b>x</b> www.evil.example"
[[steps]]
preset = "team_a_team_b"
title = ":material/lock: # h"
story = "*x* $x$ https://evil.example"
question = ":red[x] \\\\ a@evil.example"
fix_title = "<script>alert(1)</script>"
fix = ["relationships.contacts_per_account=3"]
"""


@pytest.fixture
def hostile_workshop(monkeypatch: pytest.MonkeyPatch):
    workshop = parse_workshop(HOSTILE_WORKSHOP)
    st.cache_resource.clear()
    monkeypatch.setattr(ws, "load_workshop", lambda name=None: workshop)
    yield workshop
    st.cache_resource.clear()


def test_workshop_page_shows_trainer_text_as_text(hostile_workshop) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Workshop.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    step = hostile_workshop.steps[0]
    shown = bodies(at) + [h.value for h in at.get("title")] + [h.value for h in at.get("header")]
    for body in shown:
        for raw in USER_TEXT_RAW:
            assert raw not in body, (raw, body)
    assert markdown_text(hostile_workshop.title) in shown
    assert markdown_text(step.title) in shown
    assert f"### {markdown_text(step.question)}" in shown
    assert markdown_text(step.story) in shown
    assert markdown_text(hostile_workshop.intro) in shown
    reveal = next(b for b in at.button if b.key == "ws_reveal_0")
    reveal.click().run()
    fix = next(b for b in at.button if b.key == "ws_fix_0")
    assert seen(fix.label) == f"Apply the fix: {step.fix_title}"
    assert "<script" not in fix.label


def test_debrief_downloads_escape_trainer_text(hostile_workshop) -> None:
    entries = [ws.debrief_entry(resolve(hostile_workshop, 0), None)]
    text = ws.debrief_markdown(hostile_workshop, entries)
    assert f"# {markdown_text(hostile_workshop.title)}" in text
    for raw in USER_TEXT_RAW:
        assert raw not in text
    page = ws.debrief_html(hostile_workshop, entries)
    assert "<script" not in page and "<b>x</b>" not in page
    assert html.escape(hostile_workshop.steps[0].fix_title) in page
    assert f"<h1>{html.escape(hostile_workshop.title)}</h1>" in page
