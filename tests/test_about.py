"""The About page renders docs/model.md, with its stocks-and-flows diagram drawn."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.mermaid import MermaidError, mermaid_to_dot, split_mermaid

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "2_About_the_model.py")
MODEL = Path(__file__).resolve().parent.parent / "docs" / "model.md"


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


def test_about_page_draws_the_diagram_and_the_text():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert len(at.get("graphviz_chart")) == 1
    text = " ".join(m.value for m in at.markdown)
    assert "orphan" in text.lower() and "```mermaid" not in text
