"""Sales whiplash simulator: move a lever, see whether revenue booms and busts (``make run``).

The page is drawn from the current scenario in ``st.session_state`` (see ``ui/session.py``);
widgets change it only through validated callbacks. Charts come from ``ui/charts.py``,
wording from ``ui/verdict.py``; this file only lays them out.
"""

from __future__ import annotations

import functools
from typing import Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import ui.presenter as presenter
from simulator import ResultSummary, Scenario, ScenarioError, dump_scenario
from simulator.budget import SimulationCancelled
from simulator.models import Contract, Effort, Relationships, Simulation, Team
from simulator.money import using_currency
from simulator.scenario_io import MAX_FILE_BYTES
from ui import (
    admission,
    book,
    compare,
    compare_view,
    controls,
    exports,
    first_paint,
    links,
    nav,
    page_cache,
    presets,
    push_widgets,
    report,
    session,
    timeline,
    verdict,
)
from ui.assumptions import render_assumptions
from ui.diagnosis import render_diagnosis
from ui.format import money
from ui.streamlit_runtime import session_gone, start_workers
from ui.text import hidden_label, markdown_text
from ui.uploads import file_box

ss = st.session_state
PRESENTING = presenter.start(ss, st.query_params.to_dict())
st.set_page_config(
    page_title="Sales whiplash simulator",
    page_icon="📉",
    layout="wide",
    initial_sidebar_state=presenter.sidebar_state(PRESENTING),
)
presenter.style()

# --- Simulation and charts: cached in ui/page_cache.py.


def show_chart(spec: dict, where: DeltaGenerator | None = None) -> None:
    (where or st).vega_lite_chart(spec, width="stretch")


def run_simulation(scenario: Scenario) -> ResultSummary | None:
    """The result, or None after showing an error panel (the rest of the page still works)."""
    try:
        return page_cache.simulate_cached(scenario.model_dump_json(), session_gone())
    except SimulationCancelled:  # the session has gone: nobody is left to see a message
        return None
    except Exception as exc:  # any engine failure becomes a message, never a traceback
        st.error(f"The simulation could not run: {markdown_text(str(exc))}")
        return None


# --- Sidebar controls. Shares are shown in percent; their range is the model's.
_SHARE = controls.limits(Effort, "attract")
PERCENT_LOW, PERCENT_HIGH = _SHARE.low * 100, _SHARE.high * 100


def slider(label: str, key: str, group: str, *, low: float, high: float, **kwargs) -> None:
    """A slider that re-validates its group of controls when it moves.

    Its value is the session's (``key``); ``value=low`` is what Streamlit would default
    to, given here so that it does not read the whole session state to find out whether
    the slider is a range (0.1 ms a slider, issue 13)."""
    st.slider(
        label,
        min_value=low,
        max_value=high,
        value=low,
        key=key,
        on_change=session.on_control_change,
        args=(ss, group),
        **kwargs,
    )


def user_label(label: str, *, help: str) -> str:
    """Show a label made of user text above its widget; return the widget's own label.

    Streamlit renders a widget's label as Markdown but also sends it verbatim as the
    widget's aria-label, where escapes would be read out. So the widget's label is
    the plain text (collapsed, see :func:`ui.text.hidden_label`) and the visible one
    is escaped Markdown, at the size of a widget label.
    """
    st.markdown(f":small[{markdown_text(label)}]", help=help)
    return hidden_label(label)


def scenario_controls(scenario: Scenario) -> None:
    labels = presets.preset_labels()  # short enough for the sidebar at 1280 px
    st.selectbox(
        "Preset scenario",
        options=list(labels),
        format_func=lambda name: labels.get(name, name),
        index=None,
        placeholder="Choose a preset…",
        key=session.W_PRESET,
        on_change=session.on_preset_change,
        args=(ss,),
        help="Ready-made plans: one per cause of whiplash in the article, and the balanced "
        "fix. The line below names the plan in full.",
    )
    st.caption(
        f"Now showing: {markdown_text(scenario.meta.title)} ({markdown_text(ss[session.SOURCE])})"
    )
    left, right = st.columns(2)
    left.button(
        "Reset to preset",
        on_click=session.load_preset_into,
        args=(ss, ss.get(session.PRESET)),
        disabled=ss.get(session.PRESET) is None,
        help="Undo every change since the preset was loaded.",
        width="stretch",
    )
    right.download_button(
        "Save as TOML",
        data=dump_scenario(scenario),
        file_name=f"{session.file_stem(scenario)}.toml",
        mime="application/toml",
        on_click="ignore",
        help="The current settings as a scenario file; upload it to come back to them.",
        width="stretch",
    )
    limit = session.upload_limit()
    file_box(
        st,
        f"Open a scenario file (.toml, up to {limit})",
        type=["toml"],
        limit=MAX_FILE_BYTES,
        key=session.upload_key(ss.get(session.UPLOAD_VERSION, 0)),
        on_change=session.on_upload,
        args=(ss,),
        help="A scenario saved from here or written by hand (its format is on the "
        "About the model page).",
    )


def effort_controls(scenario: Scenario) -> None:
    st.subheader("Effort across the engagement cycle")
    slider(
        "Time on new business",
        controls.W_NEW_BUSINESS,
        "effort",
        low=PERCENT_LOW,
        high=PERCENT_HIGH,
        step=1.0,
        format="%.0f%%",
        help="Prospecting plus closing; the rest goes to existing clients. "
        "Cause 1: attending to one stage of client engagement only.",
    )
    slider(
        "…of which closing (the rest prospecting)",
        controls.W_CLOSING,
        "effort",
        low=PERCENT_LOW,
        high=PERCENT_HIGH,
        step=1.0,
        format="%.0f%%",
        help="Cause 3: over-focus on closing. 'Close, close, close' empties the pipeline "
        "for next quarter.",
    )
    st.caption("The rest of the time, in proportion:")
    for key, label, why in (
        (controls.W_ENGAGE, "Onboarding (engage)", "a client handed off after the sale drifts"),
        (controls.W_RETAIN, "Account care (retain)", "unhappy clients do not renew"),
        (controls.W_LEVERAGE, "Up-sell and referrals (leverage)", "no growth from the base"),
    ):
        slider(
            label,
            key,
            "effort",
            low=PERCENT_LOW,
            high=PERCENT_HIGH,
            step=1.0,
            format="%.0f",
            help=f"Relative weight. Cause 1: neglecting a stage means {why}.",
        )
    show_chart(page_cache.effort_spec(scenario.effort.model_dump_json()))


def focus_controls(scenario: Scenario) -> None:
    st.subheader("Product-line focus")
    lines = scenario.product_lines
    why = "Cause 4: favouring one product line makes revenue come in waves."
    if len(lines) == 1:
        st.caption("One product line: all new-business effort goes to it.")
    elif len(lines) == 2:
        first, second = (line.name for line in lines.values())
        slider(
            user_label(f"New-business effort on {first} (the rest on {second})", help=why),
            controls.W_FOCUS_SPLIT,
            "focus",
            low=PERCENT_LOW,
            high=PERCENT_HIGH,
            step=1.0,
            format="%.0f%%",
            label_visibility="collapsed",
        )
    else:
        st.caption("Relative weight of each line in new-business effort:")
        for line_id, line in lines.items():
            slider(
                user_label(line.name, help=why),
                controls.focus_key(line_id),
                "focus",
                low=PERCENT_LOW,
                high=PERCENT_HIGH,
                step=1.0,
                format="%.0f",
                label_visibility="collapsed",
            )


def renewal_controls(scenario: Scenario) -> None:
    st.subheader("Contract renewal dates")
    if not scenario.contracts:
        st.caption("No contracts in the book.")
        return
    st.button(
        "Stagger renewals",
        on_click=session.on_stagger,
        args=(ss,),
        help="Spread the end dates over the quarters of a year, largest contracts first, "
        "so no single month is a renewal cliff (the 2012 client's January).",
        width="stretch",
    )
    shown = controls.contracts_with_sliders(scenario)
    if len(shown) < len(scenario.contracts):
        st.caption(f"The {len(shown)} largest contracts; edit all of them in the table.")
    contacts = controls.limits(Contract, "contacts")
    for i in shown:
        contract = scenario.contracts[i]
        group = f"contract:{i}"
        st.select_slider(
            user_label(
                f"{contract.name}: ends",
                help="The month this contract comes up for renewal. Contracts ending "
                "together are a renewal cliff.",
            ),
            options=controls.end_month_options(scenario, contract),
            key=controls.end_key(i),
            on_change=session.on_control_change,
            args=(ss, group),
            label_visibility="collapsed",
        )
        slider(
            user_label(
                f"{contract.name}: buyer contacts",
                help="Cause 2: single-threaded relationships. With one contact the account "
                "is lost when that person leaves.",
            ),
            controls.contacts_key(i),
            group,
            low=int(contacts.low),
            high=int(contacts.high),
            step=1,
            label_visibility="collapsed",
        )


def relationship_controls() -> None:
    st.subheader("Relationships")
    contacts = controls.limits(Relationships, "contacts_per_account")
    turnover = controls.limits(Relationships, "champion_turnover")
    slider(
        "Buyer contacts per account",
        controls.W_CONTACTS,
        "relationships",
        low=int(contacts.low),
        high=int(contacts.high),
        step=1,
        help="Cause 2: single-threaded relationships. Applies to every account without its "
        "own number.",
    )
    slider(
        "Buyer turnover (per year)",
        controls.W_TURNOVER,
        "relationships",
        low=float(turnover.low) * 100,
        high=float(turnover.high) * 100,
        step=5.0,
        format="%.0f%%",
        help="Share of buyer contacts who leave their job each year. Cause 2: a single "
        "contact who leaves takes the account with them.",
    )


def team_controls() -> None:
    st.subheader("Team")
    reps = controls.limits(Team, "reps")
    ramp = controls.limits(Team, "ramp_months")
    attrition = controls.limits(Team, "attrition_annual")
    backfill = controls.limits(Team, "backfill_months")
    st.number_input(
        "Sales reps at the start",
        min_value=0.0,
        max_value=float(reps.high),
        step=1.0,
        format="%g",
        key=controls.W_REPS,
        on_change=session.on_control_change,
        args=(ss, "team"),
        help="Headcount on day one. Add a change in the plan timeline to hire or cut later.",
    )
    slider(
        "Ramp-up of a new rep (months)",
        controls.W_RAMP,
        "team",
        low=int(ramp.low),
        high=int(ramp.high),
        step=1,
        help="A new rep's productivity rises evenly to 100% over these months.",
    )
    slider(
        "Reps who leave (per year)",
        controls.W_ATTRITION,
        "team",
        low=float(attrition.low) * 100,
        high=float(attrition.high) * 100,
        step=1.0,
        format="%.0f%%",
        help="Share of the team who leave in a year, drawn afresh in each future. 0% = nobody "
        "leaves.",
    )
    st.number_input(
        "Months to replace a leaver",
        min_value=int(backfill.low),
        max_value=int(backfill.high),
        step=1,
        key=controls.W_BACKFILL,
        on_change=session.on_control_change,
        args=(ss, "team"),
        help="A leaver's seat stays empty this long; the new rep then ramps up.",
    )


def timeline_controls(scenario: Scenario) -> None:
    """The plan's changes over time: listed in words, each removable; a draft to add one."""
    st.subheader("Plan timeline")
    st.caption(markdown_text(timeline.opening_words(scenario)))
    listed = timeline.listed_changes(scenario)
    for i, change, words in listed:
        st.markdown(f":small[{markdown_text(words)}]")
        st.button(
            "Remove",
            icon=":material/delete:",
            type="tertiary",
            key=timeline.remove_key(i),
            on_click=session.on_remove_change,
            args=(ss, i, change),
            help=f"Remove the change from {change.from_}.",
        )
    if not listed:
        st.caption("No changes yet: the plan above holds for the whole horizon.")
    timeline.prepare_draft(ss, scenario)
    with st.expander("Add a change", expanded=False):
        st.selectbox(
            "From month",
            options=scenario.month_labels(),
            key=timeline.W_MONTH,
            help="The month the new plan starts; it holds until a later change.",
        )
        if st.checkbox("Change the effort split", key=timeline.W_SET_EFFORT):
            draft_effort_controls()
        if len(scenario.line_ids) > 1 and st.checkbox(
            "Change product focus", key=timeline.W_SET_FOCUS
        ):
            draft_focus_controls(scenario)
        if st.checkbox("Change headcount", key=timeline.W_SET_REPS):
            st.number_input(
                "Sales reps from then on",
                min_value=0.0,
                max_value=float(timeline.REPS.high),
                step=1.0,
                format="%g",
                key=timeline.W_REPS,
                help="Hires ramp up; cuts take effect at once.",
            )
        if st.checkbox("Change buyer contacts per account", key=timeline.W_SET_CONTACTS):
            st.slider(
                "Buyer contacts per account from then on",
                min_value=int(timeline.CONTACTS.low),
                max_value=int(timeline.CONTACTS.high),
                step=1,
                key=timeline.W_CONTACTS,
            )
        st.button(
            "Add change",
            icon=":material/add:",
            on_click=session.on_add_change,
            args=(ss,),
            help="Add this change to the plan; the charts mark its month.",
            width="stretch",
        )


def draft_effort_controls() -> None:
    for key, label, fmt in (
        (timeline.W_NEW_BUSINESS, "Time on new business", "%.0f%%"),
        (timeline.W_CLOSING, "…of which closing (the rest prospecting)", "%.0f%%"),
        (timeline.W_ENGAGE, "Onboarding (engage), relative weight", "%.0f"),
        (timeline.W_RETAIN, "Account care (retain), relative weight", "%.0f"),
        (timeline.W_LEVERAGE, "Up-sell and referrals (leverage), relative weight", "%.0f"),
    ):
        st.slider(
            label, min_value=PERCENT_LOW, max_value=PERCENT_HIGH, step=1.0, format=fmt, key=key
        )


def draft_focus_controls(scenario: Scenario) -> None:
    lines = scenario.product_lines
    if len(lines) == 2:
        first, second = (line.name for line in lines.values())
        label = f"New-business effort on {first} (the rest on {second})"
        keys = [(timeline.W_FOCUS_SPLIT, label, "%.0f%%")]
    else:
        keys = [(timeline.focus_key(k), line.name, "%.0f") for k, line in lines.items()]
    for key, label, fmt in keys:
        st.slider(
            user_label(label, help="Focus from the change's month on."),
            min_value=PERCENT_LOW,
            max_value=PERCENT_HIGH,
            step=1.0,
            format=fmt,
            key=key,
            label_visibility="collapsed",
        )


def pressure_controls(scenario: Scenario) -> None:
    """The quarter-end push: the self-inflicted loop, and the quota it reacts to."""
    st.subheader("Management pressure")

    def wiring(key: str) -> dict:
        return {"key": key, "on_change": session.on_pressure_change, "args": (ss,)}

    push_widgets.push_share(wiring)
    quota = scenario.targets.quarterly_bookings
    suggested = ss.get(session.SUGGESTED_QUOTA)
    if not scenario.policy.active and quota is None:
        if suggested is not None:
            st.caption(
                "The push needs a new-business quota; turning it on sets "
                f"{markdown_text(money(suggested))} a quarter, what this plan books in a "
                "median quarter."
            )
        return
    push_widgets.push_settings(wiring, symbol=scenario.currency.symbol)
    if quota is None:
        st.caption("No quota at the start: the push reacts to the one the plan timeline sets.")
    defaulted = session.defaulted_quota(ss)
    if defaulted is not None:
        st.info(
            f"No quota was set, so the push reacts to {markdown_text(money(defaulted))} a "
            "quarter: what this plan books in a median quarter. Change it above.",
            icon=":material/info:",
        )


def season_controls(scenario: Scenario) -> None:
    st.subheader("Seasonality")
    st.selectbox(
        "Lead flow through the year",
        options=list(controls.SEASON_CHOICES),
        format_func=controls.SEASON_CHOICES.__getitem__,
        key=controls.W_SEASON,
        on_change=session.on_control_change,
        args=(ss, "season"),
        help="How many new leads arrive each calendar month, relative to the average.",
    )
    if ss.get(controls.W_SEASON) == controls.CUSTOM_SEASON:
        st.text_input(
            "Twelve monthly multipliers, January first (they average 1)",
            key=controls.W_SEASON_CUSTOM,
            max_chars=400,
            on_change=session.on_control_change,
            args=(ss, "season"),
            help="E.g. 0.9, 0.9, 1, 1, 1, 0.9, 0.7, 0.8, 1.1, 1.1, 1.2, 1.4",
        )
    if scenario.seasonality.decisions is not None:
        st.caption("Buyers' decisions also follow a seasonal pattern (set in the file).")


def settings_controls() -> None:
    runs = controls.limits(Simulation, "runs")
    months = controls.limits(Simulation, "months")
    seed = controls.limits(Simulation, "seed")
    with st.expander("Simulation settings", expanded=False):
        for label, key, lim, step, why in (
            (
                "Futures (runs)",
                controls.W_RUNS,
                runs,
                100,
                "Each run is one possible future: the same plan with other luck. More "
                "runs: smoother bands, slower.",
            ),
            ("Horizon (months)", controls.W_MONTHS, months, 3, "How far ahead to simulate."),
            (
                "Seed (which luck)",
                controls.W_SEED,
                seed,
                1,
                "Which futures are drawn: the same seed gives the same result, for "
                "repeatable demos.",
            ),
        ):
            st.number_input(
                label,
                min_value=int(lim.low),
                max_value=min(int(lim.high), controls.MAX_SAFE_INT),
                step=step,
                key=key,
                on_change=session.on_control_change,
                args=(ss, "simulation"),
                help=why,
            )


def sidebar(scenario: Scenario, *, first_screen: bool = False) -> None:
    """The page menu, then the plan's controls (left out of a first screen)."""
    nav.page_menu()
    if first_screen:
        return
    with st.sidebar:
        st.header("Your plan")
        scenario_controls(scenario)
        effort_controls(scenario)
        focus_controls(scenario)
        renewal_controls(scenario)
        relationship_controls()
        team_controls()
        timeline_controls(scenario)
        pressure_controls(scenario)
        season_controls(scenario)
        settings_controls()


# --- Main page.
def messages() -> None:
    for note in ss.get(session.NOTES) or []:
        st.warning(markdown_text(note))
    error = ss.get(session.ERROR)
    if error and not error.startswith(session.BOOK_ERROR):  # shown by the table instead
        st.error(f"Not applied: {markdown_text(error)}. Your settings are unchanged.")


TONES = {
    "bad": ("red", "warning"),
    "warn": ("orange", "error"),
    "good": ("green", "check_circle"),
}


def headline(result: ResultSummary, baseline: ResultSummary | None) -> None:
    """The verdict, what else it says (risk, trend, season, deal luck), the early
    warning and the key figures: every whiplash figure is the verdict's. The presenter
    view keeps the verdict and the key figures above the revenue chart and draws the
    rest under it (:func:`verdict_notes`), so both fit a 720-pixel projector."""
    colour, icon = TONES[verdict.verdict_tone(result)]
    sentence = markdown_text(verdict.verdict_sentence(result))
    st.markdown(f"## :{colour}[:material/{icon}: {sentence}]")
    if not PRESENTING:
        verdict_notes(result, caption=False)
    figures = verdict.key_figures(result, baseline=baseline)
    # One row on the projector (the sidebar is closed, so six fit); three a row beside
    # the sidebar, where six would cut their labels (tests/test_chart_legibility.py).
    per_row = len(figures) if PRESENTING else KEY_FIGURES_PER_ROW
    for first in range(0, len(figures), per_row):
        row = figures[first : first + per_row]
        for column, figure in zip(st.columns(per_row), row, strict=False):
            column.metric(
                figure.label,
                figure.value,
                delta=figure.delta,
                delta_color=figure.delta_color,
                delta_arrow=figure.delta_arrow,
                help=figure.help,
            )
    if not PRESENTING:
        futures_caption(result)


def verdict_notes(result: ResultSummary, *, caption: bool = True) -> None:
    """What else the verdict says and the early warning (with ``caption``, then how to
    read the charts): under the verdict, or under the revenue chart when presenting."""
    details = verdict.verdict_details(result)
    if details:
        st.markdown("\n".join(f"- {markdown_text(line)}" for line in details))
    warning = verdict.early_warning_sentence(result)
    st.markdown(f"#### {markdown_text(warning)}")
    if caption:
        futures_caption(result)


def futures_caption(result: ResultSummary) -> None:
    st.caption(
        f"{result.runs:,} futures simulated. {markdown_text(verdict.FUTURES)} The shaded "
        "bands hold 8 in 10 futures (p10 to p90); the line is the middle one (the median)."
    )


KEY_FIGURES_PER_ROW = 3


def baseline_controls(baseline: Scenario | None, *, title: str | None = None) -> None:
    """The baseline buttons and the presenter toggle in one row (buttons as wide as their
    labels); the presenter view puts the scenario's title first, as the page's header."""
    key = presenter.HEADER_KEY if title is not None else "baseline_row"
    row = st.container(horizontal=True, vertical_alignment="center", key=key)
    if title is not None:
        row.markdown(f"### {markdown_text(title)}", width="stretch")
    row.button(
        "Pin as baseline",
        icon=":material/push_pin:",
        on_click=session.pin_baseline,
        args=(ss,),
        help="Keep this result; later changes are drawn against it until you clear it.",
    )
    row.button(
        "Clear baseline",
        on_click=session.clear_baseline,
        args=(ss,),
        disabled=baseline is None,
    )
    row.toggle(
        "Presenter view",
        key=presenter.KEY,
        help="The verdict and the revenue chart on one projector screen (1280x720): the "
        "sidebar folded away, no contract table or downloads. The link keeps it (present=1).",
    )
    if title is None:
        if baseline is not None:
            row.caption(
                f"Baseline: {markdown_text(baseline.meta.title)}. "
                "Deltas and dashed lines compare to it.",
                width="stretch",
            )
        else:
            row.caption(
                "Pin a baseline, then change the plan to see before and after.", width="stretch"
            )


def chart_section(
    scenario: Scenario,
    baseline: Scenario | None,
    result: ResultSummary | None = None,
    baseline_result: ResultSummary | None = None,
    *,
    first_screen: bool = False,
) -> None:
    """The charts; any failure shows an error panel instead of a traceback. ``result``
    and ``baseline_result`` are the two scenarios' results, handed to the chart caches
    so that a miss does not read them again.

    The revenue chart takes the whole width; revenue and quota attainment per quarter
    sit side by side, then the rest two by two. A ``first_screen`` ends after the
    revenue chart (ui/first_paint.py).
    """
    key = scenario.model_dump_json()
    base_key = baseline.model_dump_json() if baseline is not None else None
    try:
        # The revenue chart goes to the browser before the other specs are built, so
        # it is drawn while the server works on the rest.
        show_chart(page_cache.fan_spec(key, base_key, PRESENTING, result, baseline_result))
        if PRESENTING and result is not None:  # the room reads the verdict, then these
            verdict_notes(result)
        if first_screen:
            return
        specs = page_cache.result_chart_specs(key, result)
        left, right = st.columns(2)
        show_chart(specs["bars"], left)
        show_chart(specs["attainment"], right)
        if result is not None:
            right.caption(markdown_text(verdict.bookings_sentence(result)))
        left, right = st.columns(2)
        show_chart(specs["coverage"], left)
        show_chart(specs["source"], right)
        if "capacity" in specs:  # engines with the headcount stock (the team's series)
            left, right = st.columns(2)
            show_chart(specs["line"], left)
            show_chart(specs["capacity"], right)
        else:
            show_chart(specs["line"])
        calendar = page_cache.calendar_spec(
            page_cache.calendar_key(scenario), page_cache.calendar_key(baseline), scenario, baseline
        )
        show_chart(calendar)
    except Exception as exc:  # a chart that cannot be drawn must not take the page down
        st.error(f"A chart could not be drawn: {markdown_text(str(exc))}")


def open_expander(label: str, *, key: str) -> DeltaGenerator | None:
    """A tracked expander, returned only while it is open, so that a closed one sends
    nothing of its body: opening it reruns the page (``on_change="rerun"``), which draws
    the body, and its key keeps it open across reruns."""
    expander = st.expander(label, key=key, on_change="rerun")
    return expander if expander.open else None


BOOK_EXPANDER = "book_expander"
"""Key of the contract table's expander (its open state is the session's)."""


def book_editor(scenario: Scenario) -> None:
    """The whole contract book as an editable table (validated on every edit).

    The table is sent only while its expander is open: a closed one shows nothing of it,
    and ``st.data_editor`` is the page's heaviest element in the browser (1.2 MB of
    code for its grid to fetch and compile on a new visitor's first load, then a canvas),
    which delayed the revenue chart of every new visitor. Closing it forgets the
    editor's state as a visit to another page does: accepted edits are in the plan
    already, and the table is drawn afresh from it (``session.current_book_table``).
    """
    # Keyed, so it stays open when a message above it comes or goes.
    expander = open_expander("Edit the contract book as a table", key=BOOK_EXPANDER)
    if expander is None:
        return
    with expander:
        st.caption(
            "Rows are numbered from 0, as in error messages (contracts.0 is the first row). "
            "Type amounts as 250k, 1.2M or 1,200,000 and months as 2013-01. Leave contacts "
            "blank to use the contacts per account; tick a row's box to delete it."
        )
        table = session.current_book_table(ss)
        key = book.book_key(table.version)
        if session.apply_unread_book_edits(ss, key):
            st.rerun()  # draw the whole page from the book the edits made
        notes = st.container()  # always there, so a message never moves the table
        contacts = controls.limits(Contract, "contacts")
        term = controls.limits(Contract, "renewal_term_months")
        # Every column is text the app reads itself (ui/book.py read_book): a typed value
        # is stored exactly as meant or refused with a message, never silently changed.
        text = functools.partial(st.column_config.TextColumn, default="")
        st.data_editor(
            book.book_frame(table),
            key=key,
            num_rows="delete",  # new rows come from the button below (see on_book_add_row)
            hide_index=False,
            width="stretch",
            on_change=session.on_book_edit,
            args=(ss, key),
            column_config={
                "name": text("Contract", help="The client or deal, as you call it."),
                "product_line": st.column_config.SelectboxColumn(
                    "Product line", options=scenario.line_ids
                ),
                "annual_value": text(
                    f"Annual value ({scenario.currency.symbol})",
                    help="E.g. 250k, 1.2M, 1,200,000 or 1.2e6.",
                ),
                "ends": text("Ends (YYYY-MM)", help="The month it comes up for renewal."),
                "contacts": text(
                    "Buyer contacts",
                    help=f"{contacts.low:g} to {contacts.high:g}; blank = contacts per account.",
                ),
                "renewal_term_months": text(
                    "Renewal term (months)",
                    help=f"{term.low:g} to {term.high:g}; blank = the product line's term.",
                ),
            },
        )
        left, right = st.columns([1, 3], vertical_alignment="center")
        left.button(
            "Add a contract",
            icon=":material/add:",
            on_click=session.on_book_add_row,
            args=(ss,),
            help="A blank row at the end of the table; it joins the plan once its name, "
            "product line, annual value and end month are filled in.",
        )
        total = sum(c.annual_value for c in scenario.contracts)
        count = len(scenario.contracts)
        right.caption(
            f"In the plan: {count} contract{'s' if count != 1 else ''}, "
            f"{markdown_text(money(total))} a year in all."
        )
        with notes:
            if (ss.get(session.ERROR) or "").startswith(session.BOOK_ERROR):
                st.error(f"Not applied: {markdown_text(ss[session.ERROR])}. The book is unchanged.")
            for note in session.book_notes(ss):
                st.info(markdown_text(note), icon=":material/edit_note:")


LESSON_EXPANDER = "lesson_expander"
"""Key of the "About this scenario" expander (its open state is the session's)."""


def lesson_section(scenario: Scenario) -> None:
    """What the scenario teaches, in its own words (plain text, never HTML).

    The workshop's diagnosis (which cause drives the swing) can be added here too.
    """
    meta = scenario.meta
    if not (meta.description or meta.lesson or meta.fix):
        return
    # Drawn only while open: the page's one always-closed block of text cost six
    # elements on every rerun.
    expander = open_expander("About this scenario", key=LESSON_EXPANDER)
    if expander is None:
        return
    with expander:
        for heading, text in (
            ("The situation", meta.description),
            ("What to notice", meta.lesson),
            ("Why the fix works", meta.fix),
        ):
            if text:
                st.markdown(f"**{heading}**")
                st.text(text.strip())


def diagnosis_section(scenario: Scenario) -> None:
    """Which cause drives the swing, and a suggested fix (ui/diagnosis.py, issue 4)."""
    try:
        render_diagnosis(scenario)
    except Exception as exc:  # an optional section must not take the page down
        st.error(f"The diagnosis could not run: {markdown_text(str(exc))}")


def assumptions_section(scenario: Scenario) -> None:
    """How the verdict moves across the judgement constants' ranges (ui/assumptions.py)."""
    try:
        render_assumptions(scenario)
    except SimulationCancelled:  # the session has gone: nobody is left to see a message
        return
    except Exception as exc:  # an optional section must not take the page down
        st.error(f"The assumptions could not be checked: {markdown_text(str(exc))}")


def _csv(result: ResultSummary, *, by: Literal["month", "quarter"]) -> str:
    """A results table for a download, in the currency of the result's scenario (a click
    runs its callable outside the page's ``using_currency``)."""
    with using_currency(result.scenario.currency):
        return exports.period_csv(result, by=by)


def share_section(
    scenario: Scenario, result: ResultSummary, compared: list[tuple[str, ResultSummary]]
) -> None:
    st.subheader("Share and download")
    st.caption(
        "The address bar holds these settings: copy the link to reopen this what-if. "
        "The report is two pages for a board (with the plans compared, if any); the CSVs "
        "have one row per month or quarter, amounts rounded, units in the headers; "
        "p10 and p90 mean 1 future in 10 is below or above them."
    )
    stem = session.file_stem(scenario)
    downloads = (
        ("Report (PDF)", lambda: report.report_pdf(result, compared=compared), "pdf", "report"),
        ("Report (PNG)", lambda: report.report_png(result, compared=compared), "png", "report"),
        # Drawn on the click too: building both tables on every rerun cost about 60 ms.
        ("Quarterly results (CSV)", lambda: _csv(result, by="quarter"), "csv", "quarterly"),
        ("Monthly results (CSV)", lambda: _csv(result, by="month"), "csv", "monthly"),
    )
    mime = {"pdf": "application/pdf", "png": "image/png", "csv": "text/csv"}
    for column, (label, data, kind, suffix) in zip(st.columns(4), downloads, strict=True):
        column.download_button(
            label,
            data=data,  # the report is drawn when the button is clicked
            file_name=f"{stem}_{suffix}.{kind}",
            mime=mime[kind],
            on_click="ignore",
            width="stretch",
        )
    st.page_link("pages/2_About_the_model.py", label="About the model", icon=":material/menu_book:")


def page(scenario: Scenario, *, first_screen: bool = False) -> bool:
    """The main column: verdict, figures, charts, table, diagnosis, downloads.

    The presenter view (ui/presenter.py) has a one-line header with the baseline buttons
    instead of the title block, and no contract table or downloads. A ``first_screen``
    (a new visitor's first run, ui/first_paint.py) stops after the revenue chart; it
    returns whether it did (it does not when there is no result to chart).
    """
    baseline_scenario: Scenario | None = ss.get(session.BASELINE)
    if PRESENTING:
        baseline_controls(baseline_scenario, title=scenario.meta.title)
    else:
        st.title("Sales whiplash simulator")
        st.caption("Will this sales plan make revenue boom one quarter and bust the next?")
        st.markdown(f"### {markdown_text(scenario.meta.title)}")
    messages()

    result = run_simulation(scenario)
    baseline = run_simulation(baseline_scenario) if baseline_scenario is not None else None
    if result is not None:
        headline(result, baseline)
        ss[session.SUGGESTED_QUOTA] = controls.suggested_quota(result)
    if not PRESENTING:
        baseline_controls(baseline_scenario)
    if result is not None:
        chart_section(
            scenario,
            baseline_scenario if baseline is not None else None,
            result,
            baseline,
            first_screen=first_screen,
        )
        if first_screen:
            first_paint.ask_for_the_rest()
            return True
    compared = compare_view.render_compare(ss, result, simulate=run_simulation)
    if not PRESENTING:
        book_editor(scenario)
    lesson_section(scenario)
    if result is not None:
        diagnosis_section(scenario)
        assumptions_section(scenario)
        if not PRESENTING:
            share_section(scenario, result, compared)
    return False


def main() -> None:
    start_workers()  # simulations run in worker processes when served (ui/workers.py)
    # Everything that computes (reading the link, simulating, charts, writing the link)
    # runs while holding a slot (ui/admission.py), so the server keeps answering
    # newcomers however many sessions compute at once.
    try:
        with admission.compute_slot(gone=session_gone()):
            draw()
    except admission.SessionGone:
        st.stop()


def draw() -> None:
    """The page for the scenario the link or the session holds, and the link for it."""
    query = presenter.scenario_params(st.query_params.to_dict())
    session.start_session(ss, query)
    compare.start(ss, query)
    scenario: Scenario = ss[session.SCENARIO]
    first_screen = first_paint.first_screen_only(ss, st.context.headers)
    # The main column first, so the verdict and charts reach the browser sooner; the
    # callbacks have already applied the move, so nothing here reads the sidebar.
    # Every amount on the page is in the scenario's currency.
    with using_currency(scenario.currency):
        first_screen_drawn = False
        try:
            first_screen_drawn = page(scenario, first_screen=first_screen)
        finally:
            sidebar(scenario, first_screen=first_screen_drawn)
    try:
        params = links.scenario_to_params(scenario, preset=ss.get(session.PRESET))
    except ScenarioError:  # too big for a link: the file is the way to share it
        params = {}
        st.info(
            "This scenario is too large to fit in a link, so the address bar does not "
            "carry it: use **Save as TOML** in the sidebar to share it as a file."
        )
    params.update(compare.link_params(ss))
    params = presenter.link_params(params, on=PRESENTING)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


main()
