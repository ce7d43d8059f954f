"""Escaped text wraps where prose wraps: never right after an opening bracket or quote,
never before a closing bracket, quote or full stop, never inside "O'Brien" or "1,500".

The escaper's zero-width spaces are line-break opportunities in the browser; a phone
showed the verdict's "milder (" at a line's end and "one future in 5" on the next.
The escaping itself is tests/test_text_escaping.py's; these check it still holds.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tests.test_text_escaping import HOSTILE, assert_inert, one_line, parsed, seen
from ui.text import INVISIBLE, markdown_text, shown_text

OPENERS = frozenset("([{")
CLOSERS = frozenset(")]}.,;:!?%'\"")


def breaks_offered(markdown: str) -> list[tuple[str, str]]:
    """(character before, character after) each zero-width space in the shown text."""
    text = parsed(markdown)
    pairs = []
    for at, char in enumerate(text):
        if char == INVISIBLE:
            before = text[at - 1] if at else ""
            after = text[at + 1] if at + 1 < len(text) else ""
            pairs.append((before, after))
    return pairs


def assert_wraps_like_prose(text: str) -> None:
    escaped = markdown_text(text)
    for before, after in breaks_offered(escaped):
        assert before not in OPENERS, (text, escaped)
        if before in "wW" and after == ".":
            continue  # "www" split from its dot: the bare-link plugin must not match
        assert after not in CLOSERS, (text, escaped)
    words = parsed(escaped)
    assert not re.search(rf"[A-Za-z0-9]['.,]{INVISIBLE}[A-Za-z0-9]", words), (text, escaped)


def test_the_verdicts_bracket_stays_with_its_words() -> None:
    said = "the middle future is milder (one future in 5 or more counts as a material risk)."
    escaped = markdown_text(said)
    assert "\\(one" in escaped  # nothing between the bracket and its first word
    assert "risk\\)\\." in escaped  # the full stop stays with the bracket
    assert shown_text(escaped) == said
    assert_wraps_like_prose(said)


@pytest.mark.parametrize(
    "text",
    [
        "O'Brien & Sons, Ltd. (UK) 100%",
        'She said "no." (twice)',
        "$1,500,000 at 3.5% [see note]",
        "{a}, (b); [c]: 'd'!",
        "(:smile:) (www.evil.example) ([x](http://evil.example))",
        *HOSTILE,
    ],
)
def test_no_break_after_an_opener_or_before_a_closer(text: str) -> None:
    assert_wraps_like_prose(text)
    escaped = markdown_text(text)
    assert seen(escaped) == one_line(text)
    assert_inert(escaped)


def test_a_long_link_can_still_wrap_at_its_slashes() -> None:
    """Hostile text without spaces must not overflow a phone's column."""
    pairs = breaks_offered(markdown_text("https://evil.example/a/very/long/path"))
    assert sum(before == "/" for before, _ in pairs) >= 4


@settings(max_examples=300, deadline=None)
@given(
    hs.lists(
        hs.sampled_from([*string.punctuation, "a", "1", " ", "www", "smile"]), max_size=30
    ).map("".join)
)
def test_any_text_is_inert_and_wraps_like_prose(text: str) -> None:
    escaped = markdown_text(text)
    assert_inert(escaped)
    assert seen(escaped) == text.strip()
    assert_wraps_like_prose(text)
