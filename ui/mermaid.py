"""Draw docs/model.md's Mermaid flowchart in the app, as Graphviz.

GitHub renders the ```mermaid block of docs/model.md; Streamlit's markdown would show
it as code. Streamlit draws Graphviz in the browser with no extra package, so the
About page converts the small subset of Mermaid the doc uses (``flowchart LR``,
quoted node labels in the shapes below, ``-->``, ``-.->`` and ``-->|"label"|``
edges) into DOT. The doc stays the single source of the diagram.
"""

from __future__ import annotations

import re

# Mermaid node shape -> (opening, closing, Graphviz attributes), longest openings first.
SHAPES = (
    ('[("', '")]', 'shape=cylinder, style="filled", fillcolor="#E8F1F8"'),
    ('(["', '"])', 'shape=box, style="rounded,filled", fillcolor="#F6E3D9"'),
    ('[["', '"]]', 'shape=box, peripheries=2, style="filled", fillcolor="#E3F2EC"'),
    ('{"', '"}', 'shape=diamond, style="filled", fillcolor="#FFF3D6"'),
    ('["', '"]', 'shape=box, style="rounded"'),
)
NODE_FONT_PT = 14
EDGE_FONT_PT = 12
"""Label sizes at the diagram's natural size (points; the page draws it unscaled)."""
_NODE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")
_EDGE = re.compile(r'\s*(-\.->|-->)\s*(?:\|"([^"]*)"\|)?')


class MermaidError(ValueError):
    """The flowchart uses Mermaid the converter does not know."""


def _label(text: str) -> str:
    return text.replace("<br/>", "\\n").replace('"', '\\"')


def _node(line: str, pos: int, nodes: dict[str, str]) -> tuple[str, int]:
    match = _NODE.match(line, pos)
    if not match:
        raise MermaidError(f"expected a node at {line[pos:]!r}")
    name, pos = match.group(1), match.end()
    for opening, closing, attrs in SHAPES:
        if line.startswith(opening, pos):
            end = line.find(closing, pos + len(opening))
            if end < 0:
                raise MermaidError(f"unclosed label in {line!r}")
            label = _label(line[pos + len(opening) : end])
            nodes[name] = f'"{name}" [label="{label}", {attrs}];'
            return name, end + len(closing)
    nodes.setdefault(name, f'"{name}";')
    return name, pos


def mermaid_to_dot(source: str, *, direction: str | None = None) -> str:
    """DOT for a Mermaid ``flowchart LR`` of the subset described above.

    ``direction`` ("LR" or "TB") overrides the flowchart's own: a wide left-to-right
    chart shrunk into a page column draws its labels too small to read.
    """
    lines = [ln.strip() for ln in source.strip().splitlines() if ln.strip()]
    if not lines or not re.fullmatch(r"flowchart\s+(LR|TD|TB)", lines[0]):
        raise MermaidError("only 'flowchart LR' (or TD) diagrams are converted")
    rankdir = direction or ("LR" if lines[0].endswith("LR") else "TB")
    if rankdir not in ("LR", "TB"):
        raise MermaidError(f"direction must be LR or TB, not {rankdir!r}")
    nodes: dict[str, str] = {}
    edges: list[str] = []
    for line in lines[1:]:
        left, pos = _node(line, 0, nodes)
        while pos < len(line):
            match = _EDGE.match(line, pos)
            if not match:
                raise MermaidError(f"cannot read {line[pos:]!r}")
            arrow, label = match.group(1), match.group(2)
            right, pos = _node(line, match.end(), nodes)
            attrs = []
            if label:
                attrs.append(f'label="{_label(label)}"')
            if arrow == "-.->":
                attrs.append("style=dashed")
            edges.append(f'"{left}" -> "{right}"' + (f" [{', '.join(attrs)}];" if attrs else ";"))
            left = right
    return "\n".join(
        [
            "digraph {",
            f"  rankdir={rankdir};",
            f'  node [fontname="Source Sans Pro", fontsize={NODE_FONT_PT}];',
            f'  edge [fontname="Source Sans Pro", fontsize={EDGE_FONT_PT}, color="#555555"];',
            *(f"  {n}" for n in nodes.values()),
            *(f"  {e}" for e in edges),
            "}",
        ]
    )


def split_mermaid(markdown: str) -> list[tuple[str, str]]:
    """The document as ("markdown", text) and ("mermaid", source) parts, in order."""
    parts: list[tuple[str, str]] = []
    for i, chunk in enumerate(re.split(r"^```mermaid\n(.*?)^```\n?", markdown, flags=re.S | re.M)):
        if chunk.strip():
            parts.append(("mermaid" if i % 2 else "markdown", chunk))
    return parts
