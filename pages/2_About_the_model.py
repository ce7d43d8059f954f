"""About the model: docs/model.md rendered as a page, so users can see what the numbers mean."""

from __future__ import annotations

import contextlib
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from ui.mermaid import MermaidError, mermaid_to_dot, split_mermaid
from ui.nav import page_menu

MODEL_DOC = Path(__file__).resolve().parent.parent / "docs" / "model.md"

st.set_page_config(page_title="About the model", page_icon="📖", layout="wide")
page_menu()


def model_text() -> str | None:
    """The model description, or None while it has not been written."""
    try:
        return MODEL_DOC.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None


text = model_text()
if text is None:
    st.title("About the model")
    st.info("The model description (docs/model.md) is not in this copy of the project yet.")
else:
    for kind, part in split_mermaid(text):
        if kind == "markdown":
            st.markdown(part)
            continue
        try:
            st.graphviz_chart(mermaid_to_dot(part), width="stretch")
        except MermaidError:  # a diagram the converter does not know: show its source
            st.code(part, language="text")
with contextlib.suppress(StreamlitPageNotFoundError):  # the page run on its own
    st.page_link("app.py", label="Back to the simulator", icon=":material/arrow_back:")
