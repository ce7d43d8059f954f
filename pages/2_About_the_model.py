"""About the model: docs/model.md rendered as a page, so users can see what the numbers mean.

The article the model follows and the scenario file format are shown below it, each in
an expander: a served page cannot open the repository's files by relative link.
"""

from __future__ import annotations

import contextlib

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from ui import docs
from ui.mermaid import MermaidError, mermaid_to_dot, split_mermaid
from ui.nav import page_menu

st.set_page_config(page_title="About the model", page_icon="📖", layout="wide")
page_menu()


def show(markdown: str) -> None:
    """A doc's text with its Mermaid diagrams drawn top to bottom at their natural size
    (a wide diagram shrunk into the column draws its labels too small to read)."""
    for kind, part in split_mermaid(docs.for_the_page(markdown)):
        if kind == "markdown":
            st.markdown(part)
            continue
        try:
            st.graphviz_chart(mermaid_to_dot(part, direction="TB"), width="content")
        except MermaidError:  # a diagram the converter does not know: show its source
            st.code(part, language="text")


text = docs.read(docs.MODEL)
if text is None:
    st.title("About the model", anchor=docs.MODEL.anchor)
    st.info("The model description is not in this copy of the project yet.")
else:
    title, body = docs.split_title(text)
    st.title(title or "About the model", anchor=docs.MODEL.anchor)
    show(body)

st.header("Further reading", divider="gray")
for doc in (docs.ARTICLE, docs.SCENARIO_FORMAT):
    text = docs.read(doc)
    if text is None:
        continue
    title, body = docs.split_title(text)
    st.subheader(title or doc.title.capitalize(), anchor=doc.anchor)
    with st.expander(f"Read {doc.title}"):
        show(body)

with contextlib.suppress(StreamlitPageNotFoundError):  # the page run on its own
    st.page_link("app.py", label="Back to the simulator", icon=":material/arrow_back:")
