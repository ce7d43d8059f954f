"""The main page's assumptions panel: ``render_assumptions(scenario)``.

Some of the model's constants are judgement (how often an orphaned account still renews,
what a deal pulled forward wins, ...). On request, the panel simulates each at the low
and high end of its plausible range and says whether the verdict holds, with a
dot-and-range chart and a table. The numbers come from :mod:`simulator.assumptions`
(through :func:`ui.runtime.assumptions_in_budget`, inside the memory budget); the page
run that asks holds its compute slot (``ui/admission.py``) as every page run does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import streamlit as st

from simulator import Scenario
from simulator.assumptions import AssumptionsReport

from .assumptions_charts import assumptions_chart, assumptions_table
from .runtime import assumptions_in_budget
from .streamlit_runtime import session_gone
from .text import markdown_text

CHECKED = "as_checked"
"""Digest of the scenario whose assumptions the user asked to see (a fixed size, however
large the scenario): the panel shows them while that scenario is current."""
W_CHECK = "as_w_check"
EXPANDER = "as_expander"
ENTRIES = 16
"""Reports kept by :func:`cached_assumptions` (a few kB each, shared by every session)."""


@st.cache_data(max_entries=ENTRIES, show_spinner="Checking the assumptions…")
def cached_assumptions(
    scenario_json: str, _should_stop: Callable[[], bool] | None = None
) -> AssumptionsReport:
    """Assess once per distinct scenario; ``_should_stop`` (not part of the key) ends the
    work when the session goes, and nothing is cached for it."""
    scenario = Scenario.model_validate_json(scenario_json)
    return assumptions_in_budget(scenario, should_stop=_should_stop)


def digest(scenario_json: str) -> str:
    return hashlib.sha256(scenario_json.encode()).hexdigest()


def _report(report: AssumptionsReport) -> None:
    if report.robust:
        st.success(markdown_text(report.sentence), icon=":material/verified:")
    else:
        st.warning(markdown_text(report.sentence), icon=":material/rule:")
    if report.note:
        st.caption(markdown_text(report.note))
    st.altair_chart(assumptions_chart(report), width="stretch")
    st.dataframe(assumptions_table(report), hide_index=True, width="stretch")
    st.caption(
        "Each cell reads low / this plan's value / high. A range with a source is backed "
        "by a published figure; the rest are the model's judgement (About the model, "
        "'Assumptions and their ranges')."
    )


def render_assumptions(scenario: Scenario) -> None:
    """The expander 'How sure is this verdict?': a button, then the report for this plan."""
    session = st.session_state
    scenario_json = scenario.model_dump_json()
    with st.expander(
        "How sure is this verdict? The model's assumptions", key=EXPANDER, on_change="rerun"
    ):
        st.caption(
            "A few constants of the model are judgement, not measurement. Check each at the "
            "low and the high end of its plausible range, one at a time and with the same "
            "random futures, to see whether the verdict still holds."
        )
        if st.button("Check the assumptions", key=W_CHECK, icon=":material/tune:"):
            session[CHECKED] = digest(scenario_json)
        if session.get(CHECKED) != digest(scenario_json):
            return
        _report(cached_assumptions(scenario_json, session_gone()))
