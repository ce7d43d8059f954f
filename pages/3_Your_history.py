"""Check your own revenue history: upload a CSV, see its verdict, trend, season and chart.

The parsing and judging are :mod:`simulator.history_csv` (as ``whiplash assess``); the
words are :mod:`simulator.verdict_text` (as the main page's); ``ui/history.py`` holds
the page's pure parts. The uploaded file lives in this session's memory only.
"""

from __future__ import annotations

import streamlit as st

from simulator.scenario_io import MAX_FILE_BYTES
from ui import admission
from ui import history as hist
from ui.nav import page_menu
from ui.streamlit_runtime import session_gone
from ui.text import markdown_text
from ui.uploads import file_box
from ui.verdict_charts import history_chart

st.set_page_config(
    page_title="Your history – Sales whiplash simulator",
    page_icon="📈",
    layout="wide",
)
page_menu()

TONES = {"bad": ("red", "warning"), "warn": ("orange", "error"), "good": ("green", "check_circle")}
W_UPLOAD = "hist_w_upload"


def verdict_section(view: hist.HistoryView) -> None:
    colour, icon = TONES[view.tone]
    st.markdown(f"## :{colour}[:material/{icon}: {markdown_text(view.headline)}]")
    st.markdown("\n".join(f"- {markdown_text(line)}" for line in view.details))
    st.vega_lite_chart(history_chart(view.assessment).to_dict(validate=False), width="stretch")
    h = view.assessment.history
    notes = []
    if h.partial_first_months:
        notes.append(
            f"The first {h.partial_first_months} month(s) are left out: their quarter is "
            "incomplete."
        )
    if h.partial_last_months:
        notes.append(
            f"{h.quarters[-1]} has {h.partial_last_months} month(s) so far and counts at its "
            "run-rate."
        )
    if notes:
        st.caption(markdown_text(" ".join(notes)))


def main() -> None:
    st.title("Check your own revenue history")
    st.caption(
        "Does your own revenue whiplash, or is it a trend or a season? The same verdict "
        "the simulator gives a plan, for the quarters you have had."
    )
    st.markdown(markdown_text(hist.FORMAT_HELP))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    uploaded = file_box(left, hist.upload_label(), type=["csv"], limit=MAX_FILE_BYTES, key=W_UPLOAD)
    right.download_button(
        "Example CSV",
        data=hist.EXAMPLE_CSV,
        file_name=hist.EXAMPLE_NAME,
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )
    st.caption(markdown_text(hist.PRIVACY))
    if uploaded is None:
        return
    view = hist.read_upload(uploaded.name, uploaded.getvalue())
    if view.error:
        st.error(f"Not read: {markdown_text(view.error)}")
        return
    verdict_section(view)


try:  # compute only while holding a slot (ui/admission.py), like the main page
    with admission.compute_slot(gone=session_gone()):
        main()
except admission.SessionGone:
    st.stop()
