"""About the model: docs/model.md rendered as a page, so users can see what the numbers mean."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

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
    st.markdown(text)
st.page_link("app.py", label="Back to the simulator", icon=":material/arrow_back:")
