"""The main page's diagnosis and suggest-a-fix section: ``render_diagnosis(scenario)``.

Which cause drives this plan's whiplash (a ranked tornado chart and one sentence per
cause), and the smoothest plan within the user's limits, with a button that makes it
the current scenario (the plan it replaces is pinned as the baseline, so the charts
above show before and after). The numbers come from :mod:`simulator.diagnose` and
:mod:`simulator.optimize`; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from simulator import Scenario, ScenarioError
from simulator.budget import estimate
from simulator.diagnose import Diagnosis, diagnosis_runs, simulations
from simulator.optimize import LEVER_LABELS, LEVERS, Limits, Suggestion
from simulator.workshop import FixComparison, compare_fix

from . import charts
from .diagnosis_charts import tornado_chart
from .format import percent
from .runtime import diagnose_in_budget, suggest_fix_in_budget
from .text import markdown_text

W_ON = "dx_w_on"
W_KEEP = "dx_w_keep"
W_SHIFT = "dx_w_shift"
W_CONTACTS = "dx_w_contacts"
W_LEVERS = "dx_w_levers"
SUGGESTION = "dx_suggestion"
"""(scenario JSON, Suggestion) of the last search, shown while that scenario is current.
The suggestion keeps its before/after results as summaries only (``summary_only``), so
a session holds at most two summaries here (SECURITY.md gives the bound)."""
DIAGNOSIS_SECONDS = 6.0
"""Expected seconds (simulator.budget) the simulations of a diagnosis may take (the plan
and each cause not balanced already: up to nine)."""
DEFAULTS = Limits()


@st.cache_data(max_entries=16, show_spinner="Diagnosing…")
def cached_diagnosis(scenario_json: str) -> Diagnosis:
    """Diagnose once per distinct scenario (every simulation with the same seed), with
    no more runs than fit in DIAGNOSIS_SECONDS (the diagnosis notes fewer runs)."""
    scenario = Scenario.model_validate_json(scenario_json)
    own, _ = diagnosis_runs(scenario, None)
    cost = estimate(scenario, 1)
    each = DIAGNOSIS_SECONDS / simulations(scenario)
    fitting = max(1, int((each - cost.fixed_seconds) / cost.seconds_per_run))
    if fitting >= own:
        return diagnose_in_budget(scenario)
    note = (
        f"Diagnosed with {fitting:,} futures (the scenario asks for {scenario.simulation.runs:,}) "
        f"to answer within about {DIAGNOSIS_SECONDS:.0f} s; the ranking is less certain."
    )
    return replace(diagnose_in_budget(scenario, runs=fitting), note=note)


def apply_suggestion(session: MutableMapping[str, Any]) -> None:
    """Callback: pin the current plan as the baseline and make the suggestion current."""
    from . import (
        session as app_session,
    )  # the app's session glue; imported here so tests can use a dict

    stored = session.get(SUGGESTION)
    if not stored:
        return
    suggestion: Suggestion = stored[1]
    app_session.pin_baseline(session)
    app_session.set_scenario(session, suggestion.suggested)
    session[SUGGESTION] = None


def _diagnosis(scenario: Scenario) -> None:
    result = cached_diagnosis(scenario.model_dump_json())
    if result.note:
        st.caption(markdown_text(result.note))
    if result.lumpy:  # the swing is mostly deal luck: say so before any habit
        st.info(markdown_text(result.lumpiness), icon=":material/casino:")
    if result.concentration_sentence:  # a few accounts hold the book: not a habit either
        st.info(markdown_text(result.concentration_sentence), icon=":material/pie_chart:")
    st.altair_chart(tornado_chart(result), width="stretch")
    lines = []
    for rank, effect in enumerate(result.effects, start=1):
        marker = f"{rank}." if effect.applies else "-"
        lines.append(f"{marker} {markdown_text(effect.sentence)}")
    st.markdown("\n".join(lines))


def _changes_table(suggestion: Suggestion) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Setting": [c.label for c in suggestion.changes],
            "Now": [c.before for c in suggestion.changes],
            "Suggested": [c.after for c in suggestion.changes],
        }
    )


def _limits_form() -> Limits | None:
    with st.form("dx_fix_form", border=True):
        st.markdown("**Suggest a fix**: the smoothest plan within these limits (headcount fixed).")
        left, right = st.columns(2)
        left.slider(
            "Keep at least this share of the revenue (%)",
            min_value=50,
            max_value=100,
            value=round(DEFAULTS.keep_revenue * 100),
            key=W_KEEP,
        )
        left.slider(
            "Move renewal dates by at most (months)",
            min_value=0,
            max_value=12,
            value=DEFAULTS.max_shift_months,
            key=W_SHIFT,
        )
        right.slider(
            "At most this many buyer contacts per account",
            min_value=1,
            max_value=8,
            value=DEFAULTS.max_contacts,
            key=W_CONTACTS,
        )
        right.multiselect(
            "Levers the search may move",
            list(LEVERS),
            default=list(DEFAULTS.levers),
            format_func=lambda lever: LEVER_LABELS[lever],
            key=W_LEVERS,
        )
        if not st.form_submit_button("Suggest a fix", type="primary"):
            return None
    levers = tuple(st.session_state.get(W_LEVERS) or ())
    if not levers:
        st.error("Levers: choose at least one lever the search may move.")
        return None
    try:
        return Limits(
            keep_revenue=st.session_state[W_KEEP] / 100,
            max_shift_months=int(st.session_state[W_SHIFT]),
            max_contacts=int(st.session_state[W_CONTACTS]),
            levers=levers,
        )
    except ScenarioError as exc:
        st.error(markdown_text(str(exc)))
        return None


def _search(scenario: Scenario, limits: Limits) -> Suggestion:
    bar = st.progress(0.0, text="Searching the levers…")
    last = [-1.0]

    def progress(fraction: float, text: str) -> None:
        if fraction - last[0] >= 0.02 or fraction >= 1.0:
            last[0] = fraction
            bar.progress(min(max(fraction, 0.0), 1.0), text=text)

    try:
        return suggest_fix_in_budget(scenario, limits=limits, progress=progress)
    finally:
        bar.empty()


def _suggestion(scenario_json: str, session: MutableMapping[str, Any]) -> None:
    stored = session.get(SUGGESTION)
    if not stored or stored[0] != scenario_json:
        return
    suggestion: Suggestion = stored[1]
    if suggestion.fewer_runs:
        st.caption(markdown_text(suggestion.fewer_runs))
    if not suggestion.improved:
        st.info(markdown_text(suggestion.message))
        return
    st.markdown(markdown_text(suggestion.message))
    st.table(_changes_table(suggestion).set_index("Setting"))  # wraps: Now/Suggested fit a phone
    comparison = compare_fix(suggestion.before_result, suggestion.after_result)
    before_after_metrics(comparison)
    st.caption(markdown_text(comparison.sentence))
    st.vega_lite_chart(
        charts.revenue_fan_chart(
            suggestion.after_result,
            baseline=suggestion.before_result,
            title="Suggested plan (grey: the current plan)",
        ),
        width="stretch",
    )
    st.button(
        "Apply the suggested plan",
        key="dx_apply",
        type="primary",
        on_click=apply_suggestion,
        args=(session,),
        help="Makes the suggestion the current plan and pins the current one as the baseline.",
    )


def render_diagnosis(scenario: Scenario, *, workshop_link: bool = True) -> None:
    """The main page's 'What drives the whiplash?' section (diagnosis + suggest a fix).

    ``workshop_link`` adds a link to the workshop page (needs the multipage app).
    """
    session = st.session_state
    st.subheader("What drives the whiplash?")
    if workshop_link:
        st.page_link(
            "pages/1_Workshop.py",
            label="Workshop mode: predict, reveal and fix",
            icon=":material/school:",
        )
    st.caption(
        "Each cause (effort balance, relationships, renewal dates, product focus, onboarding "
        "and account care) is set alone to the balanced plan's level and simulated again with "
        "the same random futures; the biggest change is the biggest cause."
    )
    if not st.toggle("Diagnose this plan", key=W_ON):
        return
    _diagnosis(scenario)
    scenario_json = scenario.model_dump_json()
    limits = _limits_form()
    if limits is not None:
        session[SUGGESTION] = (scenario_json, _search(scenario, limits))
    _suggestion(scenario_json, session)


def before_after_metrics(comparison: FixComparison) -> None:
    """Three figures of a fix against the original plan, with their change in points:
    the verdict's, labelled as the main page's key figures are."""
    for column, (label, pair) in zip(
        st.columns(3),
        (
            ("Whiplash", comparison.probability),
            ("Severe whiplash", comparison.severe_probability),
            ("Largest fall in a year", comparison.largest_fall),
        ),
        strict=True,
    ):
        points = round(pair[1] * 100) - round(pair[0] * 100)
        # Streamlit reads "+0 points" as a rise: an unchanged figure gets no arrow or colour.
        column.metric(
            label,
            percent(pair[1]),
            delta=f"{points:+d} points from {percent(pair[0])}",
            delta_color="inverse" if points else "off",
            delta_arrow="auto" if points else "off",
        )
