"""The project's Markdown docs made fit for the About page.

The docs are written for the repository: they name source files (``simulator/engine.py``)
and link each other by relative path (``scenario-format.md``). Served by Streamlit, a
relative link is dead and a source path means nothing to a sales leader, so the page
shows each doc through :func:`for_the_page`: paths of code files dropped or put in
words, and links to the docs the page shows turned into links to their sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


@dataclass(frozen=True)
class Doc:
    """A doc the About page shows, and the anchor of its section on the page."""

    file: str
    anchor: str
    title: str


MODEL = Doc("model.md", "model", "the model")
ARTICLE = Doc("article.md", "article", "the article behind the simulator")
SCENARIO_FORMAT = Doc("scenario-format.md", "scenario-format", "the scenario file format")
SHOWN = (MODEL, ARTICLE, SCENARIO_FORMAT)

_CODE_PATH = r"`(?:[\w.-]+/)+[\w.-]+\.py`"
_ASIDE = re.compile(rf"[ \t]*\n?[ \t]*\((?:{_CODE_PATH}(?:,? and |, )?)+\)")
"""An aside that only names code files: ``(`simulator/models.py`)``."""
_PATH = re.compile(_CODE_PATH)
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
_NAMED = re.compile(
    r"(?<![\w/.\[(-])(" + "|".join(re.escape(d.file) for d in SHOWN) + r")(?![\w\])])"
)
"""A doc named in plain words (``see model.md``), not in a link or a longer path."""
_SENTENCE_END = re.compile(r"(?:^|[.!?:|]\s*|\n\s*\n\s*|^\s*[-*]\s+)$")


def read(doc: Doc) -> str | None:
    """The doc's text, or None when this copy of the project does not have it."""
    try:
        return (DOCS / doc.file).read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None


def _path_in_words(match: re.Match[str]) -> str:
    words = "a test" if match.group(0).startswith("`tests/") else "the code"
    before = match.string[max(0, match.start() - 40) : match.start()]
    return words.capitalize() if _SENTENCE_END.search(before) else words


def _link(match: re.Match[str]) -> str:
    text, target = match.group(1), match.group(2)
    if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return match.group(0)  # a web address or a section of this page
    name = target.split("#", 1)[0].rsplit("/", 1)[-1]
    doc = next((d for d in SHOWN if d.file == name), None)
    if doc is None:
        return text  # a file the page cannot show: keep the words, drop the link
    if text.endswith(".md"):
        text = doc.title
    return f"[{text}](#{doc.anchor})"


def for_the_page(markdown: str) -> str:
    """The doc as the page shows it: no code-file paths, no dead relative links."""
    text = _ASIDE.sub("", markdown)
    text = _PATH.sub(_path_in_words, text)
    text = text.replace("the code and the code", "the code")
    text = _LINK.sub(_link, text)
    return _NAMED.sub(_named, text)


def _named(match: re.Match[str]) -> str:
    doc = next(d for d in SHOWN if d.file == match.group(1))
    return f"[{doc.title}](#{doc.anchor})"


def split_title(markdown: str) -> tuple[str, str]:
    """The doc's first ``# `` heading and the text after it."""
    first, _, rest = markdown.lstrip().partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest
    return "", markdown
