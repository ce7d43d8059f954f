"""The About page renders docs/model.md, with its stocks-and-flows diagram drawn legibly,
the article and the scenario format beside it, and no paths a user cannot open."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.server import (
    BROWSER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    streamlit_server,
)
from ui import docs
from ui.mermaid import MermaidError, mermaid_to_dot, split_mermaid

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "2_About_the_model.py")
MODEL = ROOT / "docs" / "model.md"
CODE_OR_MACHINE_PATH = re.compile(r"[\w/-]+\.py\b|/(?:work|root|home)/|share[d]/|\.\./")


def test_mermaid_flowchart_becomes_graphviz():
    dot = mermaid_to_dot(
        'flowchart LR\n  A["attract<br/>effort"] -->|"Poisson"| P[("pipeline")]\n'
        '  P -.-> X(["lost"])\n  D{"decide"} --> P\n'
    )
    assert "rankdir=LR" in dot
    assert '"A" [label="attract\\neffort", shape=box' in dot
    assert '"P" [label="pipeline", shape=cylinder' in dot
    assert '"A" -> "P" [label="Poisson"];' in dot
    assert '"P" -> "X" [style=dashed];' in dot
    assert '"D" [label="decide", shape=diamond' in dot


def test_the_page_can_turn_a_wide_flowchart_top_to_bottom():
    source = 'flowchart LR\n  A["a"] --> B["b"]\n'
    assert "rankdir=TB" in mermaid_to_dot(source, direction="TB")
    with pytest.raises(MermaidError):
        mermaid_to_dot(source, direction="diagonal")


def test_unknown_mermaid_is_refused():
    with pytest.raises(MermaidError):
        mermaid_to_dot("sequenceDiagram\n  A->>B: hi\n")
    with pytest.raises(MermaidError):
        mermaid_to_dot('flowchart LR\n  A["x"] ==> B["y"]\n')


def test_model_doc_diagram_converts_with_every_node_and_edge():
    kinds = [kind for kind, _ in split_mermaid(MODEL.read_text(encoding="utf-8"))]
    assert kinds.count("mermaid") == 1
    source = next(part for kind, part in split_mermaid(MODEL.read_text()) if kind == "mermaid")
    dot = mermaid_to_dot(source)
    arrows = sum(line.count("-->") + line.count("-.->") for line in source.splitlines())
    assert dot.count(" -> ") == arrows


def test_code_paths_are_dropped_or_put_in_words():
    text = docs.for_the_page(
        "Validated by the models\n(`simulator/models.py`); see the engine (`simulator/engine.py`"
        " and `simulator/results.py`).\n\n`tests/test_docs.py` checks it (`tests/test_docs.py`"
        " recomputes it). Limits live in `simulator/models.py` and `simulator/scenario_io.py`."
    )
    assert not CODE_OR_MACHINE_PATH.search(text), text
    assert "Validated by the models; see the engine." in text
    assert "A test checks it (a test recomputes it)." in text
    assert "Limits live in the code." in text


def test_links_to_repository_files_become_sections_of_the_page_or_plain_words():
    text = docs.for_the_page(
        "See [scenario-format.md](scenario-format.md), [the article](article.md#four),"
        " model.md, [the guide](workshop-guide.md), [GitHub](https://example.org/x.md)"
        " and [above](#stocks-and-flows); the error names docs/scenario-format.md."
    )
    assert "[the scenario file format](#scenario-format)" in text
    assert "[the article](#article)" in text
    assert "[the model](#model)" in text
    assert "the guide" in text and "workshop-guide.md" not in text
    assert "[GitHub](https://example.org/x.md)" in text and "[above](#stocks-and-flows)" in text
    assert "docs/scenario-format.md." in text  # quoted output of the CLI stays as it is


def test_about_page_draws_the_diagram_and_the_text():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    charts = at.get("graphviz_chart")
    assert len(charts) == 1
    assert "rankdir=TB" in charts[0].proto.spec  # tall, not shrunk to fit a wide layout
    text = " ".join(m.value for m in at.markdown)
    assert "orphan" in text.lower() and "```mermaid" not in text
    assert "four causes" in text.lower() and "Named limits" in text  # article and format


def test_about_page_shows_no_code_or_machine_paths_and_no_dead_links():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    shown = " ".join(
        [m.value for m in at.markdown]
        + [t.value for t in at.title]
        + [h.value for h in at.header]
        + [h.value for h in at.subheader]
        + [i.value for i in at.info]
    )
    assert not CODE_OR_MACHINE_PATH.search(shown), CODE_OR_MACHINE_PATH.search(shown)
    # A code path in a sentence's own aside reads as "(the code, ...)": dropped, not worded.
    assert not re.search(r"\(the code\b", shown), re.search(r"\(the code\b.{0,60}", shown)
    targets = re.findall(r"\]\(([^)\s]+)\)", shown)
    assert targets, "the page links nothing"
    for target in targets:
        assert target.startswith(("#", "https://", "http://")), target
    anchors = {f"#{h.proto.anchor}" for h in [*at.title, *at.subheader]}
    assert {"#model", "#article", "#scenario-format"} <= anchors
    assert [e.label for e in at.expander] == [
        "Read the article behind the simulator",
        "Read the scenario file format",
    ]


# --- In Chromium at 1280 x 720: the diagram's words are readable, the links work.
DIAGRAM_TEXT_JS = """() => {
  const svg = document.querySelector("[data-testid='stGraphVizChart'] svg");
  if (!svg || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width) return [];
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll("text")].map(t => t.getAttribute("font-size"));
  return sizes.map(size => parseFloat(size) * scale);
}"""
"""The font size of each label of the diagram in screen pixels, after the page scaled it."""


@pytest.fixture(scope="module")
def about_server() -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; `make browser` installs Debian's chromium")
    with streamlit_server("pages/2_About_the_model.py") as running:
        yield running


@pytest.mark.e2e
def test_the_diagram_is_legible_and_the_format_link_opens_in_the_page(
    about_server: Server,
) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    expect = playwright_api.expect
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(about_server.url)
            page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
            page.wait_for_function(f"() => ({DIAGRAM_TEXT_JS})().length > 20")
            heights = page.evaluate(DIAGRAM_TEXT_JS)
            assert min(heights) >= 12, f"diagram text {min(heights):.1f} px"
            page.get_by_role("link", name="the scenario file format").first.click()
            page.wait_for_url(re.compile("#scenario-format$"))
            expect(page.locator("#scenario-format")).to_be_in_viewport()
            page.get_by_text("Read the scenario file format").click()
            expect(page.get_by_text("Named limits").first).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
        finally:
            browser.close()


def _shown_strings(source: Path) -> Iterator[tuple[int, str]]:
    """Each string written in a page's code, but not its docstrings: text a page may
    show. (An f-string's literal parts count; its values are data.)"""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    attribute_docs = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings | attribute_docs
        ):
            yield node.lineno, node.value


def test_no_page_names_a_repository_file_a_user_cannot_open():
    """A served page's help, captions and errors send nobody to docs/x.md: the reader of a
    hosted app has no copy of the repository (the About page shows the docs it names)."""
    sources = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    sources += sorted((ROOT / "ui").glob("*.py"))
    named = [
        f"{source.relative_to(ROOT)}:{line}: {text!r}"
        for source in sources
        for line, text in _shown_strings(source)
        if re.search(r"\bdocs/[\w-]+\.md\b", text)
    ]
    assert not named, named
