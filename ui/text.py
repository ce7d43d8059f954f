"""User text shown literally where Streamlit reads Markdown: the app's one escaper.

Streamlit's Markdown is CommonMark plus GFM (tables, strikethrough, bare links),
math, ``:shortcode:`` emoji, ``:material/...:`` icons, ``:color[...]`` directives and
a few arrow ligatures (``->``). Backslash escapes stop every construct the parser
sees, but not the plugins that rewrite the parsed text afterwards: the emoji and icon
shortcodes, GFM's bare links (``https://``, ``www.``, ``a@b.example``) and the
arrows all match the unescaped text. A zero-width space after a punctuation
character (and inside ``www.``) breaks every one of those patterns, since each
needs a punctuation character directly followed by a letter or another mark. In
shown text that space is also a place the line may wrap, so it is left out where no
pattern needs it (after an opening bracket or quote, inside "O'Brien" or "1,500")
or before a closing bracket, quote or full stop).
Checked in Chromium against Streamlit's own frontend (tests/e2e/test_hostile_text_browser.py).

Pure Python, no streamlit import, so the simulator's tests and tools can use it too.
"""

from __future__ import annotations

import re
import string

INVISIBLE = "\u200b"
"""Zero-width space: invisible, read by no screen reader, dropped from accessible
names by browsers' test tooling; it only splits what Streamlit's plugins would match."""

_PUNCTUATION = frozenset(string.punctuation)
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


_OPENERS = frozenset("([{")
"""Brackets no plugin pattern starts with: nothing follows them, so no line starts
right after one ("milder (" then "one future ...")."""
_QUOTES = frozenset("'\"")
_NO_BREAK_BEFORE = frozenset(")]}>.,;:!?%") | _QUOTES
"""Marks a line must not start with: a mark before one is followed by nothing (no
plugin pattern is a mark and then one of these, but for the arrows ``->`` and ``=>``).
A word joiner (U+2060) would do the same, but browsers' test tooling and copied text
keep it, where they drop the zero-width space."""
_ARROWS = frozenset({"->", "=>"})
_IN_WORD = frozenset("'.,")
"""Marks that no plugin pattern needs, left whole between letters or digits
("O'Brien", "3.5", "1,500")."""


def _separator(text: str, at: int, *, display: bool) -> str:
    """What follows the punctuation mark ``text[at]``: a zero-width space (a plugin
    pattern must be split, and the line may break there), or nothing where no plugin
    could match and a break would be out of place."""
    if not display:
        return INVISIBLE  # an accessible name: never displayed, never wrapped
    char = text[at]
    before = text[at - 1] if at > 0 else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    if char in _OPENERS or (char in _QUOTES and (before.isspace() or before in _OPENERS)):
        return ""
    if char in _IN_WORD and before.isalnum() and after.isalnum():
        return ""
    if after in _NO_BREAK_BEFORE:
        return INVISIBLE if char + after in _ARROWS else ""
    return INVISIBLE


def _neutralise(text: str, *, escape: bool) -> str:
    """One line of ``text``, each ASCII punctuation mark followed by its separator
    (and, if ``escape``, preceded by a backslash), and ``www`` split from its dot."""
    line = _LINE_BREAKS.sub(" ", str(text)).strip()
    out = []
    for at, char in enumerate(line):
        if char in _PUNCTUATION:
            mark = f"\\{char}" if escape else char
            out.append(mark + _separator(line, at, display=escape))
        else:
            out.append(char)
    dot = r"\\\." if escape else r"\."
    return re.sub(rf"(www)(?={dot})", rf"\1{INVISIBLE}", "".join(out), flags=re.IGNORECASE)


def markdown_text(text: str) -> str:
    """``text`` as inline Markdown that Streamlit shows character for character.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows it for
    all of them) and followed by a zero-width space or, where no Markdown plugin could
    match, nothing (:func:`_separator`); so is the gap in ``www.``. Line
    breaks become spaces (a break would end a heading or start a block), so the
    result fits in a heading, a caption, a list item or a button label.
    """
    return _neutralise(text, escape=True)


def hidden_label(text: str) -> str:
    """A widget label for ``label_visibility="collapsed"``: the widget's accessible name.

    Streamlit sends the label to the browser as the widget's ``aria-label`` verbatim,
    so it must hold no backslash (screen readers read them out); it still renders the
    label, hidden, so links, emoji, icons and HTML are broken with zero-width spaces
    alone. Show the visible label next to the widget with :func:`markdown_text`.
    """
    return _neutralise(text, escape=False)


def shown_text(markdown: str) -> str:
    """What a reader sees of :func:`markdown_text`'s output (for tests and tools)."""
    unescaped = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)
    return unescaped.replace(INVISIBLE, "")
