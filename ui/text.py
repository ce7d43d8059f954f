"""User text shown literally where Streamlit reads Markdown: the app's one escaper.

Streamlit's Markdown is CommonMark plus GFM (tables, strikethrough, bare links),
math, ``:shortcode:`` emoji, ``:material/...:`` icons, ``:color[...]`` directives and
a few arrow ligatures (``->``). Backslash escapes stop every construct the parser
sees, but not the plugins that rewrite the parsed text afterwards: the emoji and icon
shortcodes, GFM's bare links (``https://``, ``www.``, ``a@b.example``) and the
arrows all match the unescaped text. A zero-width space after each punctuation
character (and inside ``www.``) breaks every one of those patterns, since each
needs a punctuation character directly followed by a letter or another mark.
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


def _neutralise(text: str, *, escape: bool) -> str:
    """One line of ``text``, each ASCII punctuation mark followed by a zero-width space
    (and, if ``escape``, preceded by a backslash), and ``www`` split from its dot."""
    out = []
    for char in _LINE_BREAKS.sub(" ", str(text)).strip():
        if char in _PUNCTUATION:
            out.append(f"\\{char}{INVISIBLE}" if escape else f"{char}{INVISIBLE}")
        else:
            out.append(char)
    dot = r"\\\." if escape else r"\."
    return re.sub(rf"(www)(?={dot})", rf"\1{INVISIBLE}", "".join(out), flags=re.IGNORECASE)


def markdown_text(text: str) -> str:
    """``text`` as inline Markdown that Streamlit shows character for character.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows it for
    all of them) and followed by a zero-width space; so is the gap in ``www.``. Line
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
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(INVISIBLE, "")
