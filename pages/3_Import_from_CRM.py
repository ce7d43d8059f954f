"""Import from your CRM: upload an opportunities export (and optionally a contracts
export), check the column mapping, see the fitted numbers with their data-quality notes
and the backtest, and use the fitted company as your plan.

The wizard's parts are ``ui/crm_import.py`` (pure); the fitting is
``simulator.calibrate``, the same as ``whiplash calibrate`` (docs/calibration.md). The
export stays in this session's memory: the uploaders hold it, the page keeps only the
fit, and the link carries only the scenario.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from simulator import Scenario, ScenarioError
from simulator.crm_csv import CONTRACT_FIELDS, OPPORTUNITY_FIELDS, FieldSpec
from simulator.models import MAX_REPS
from simulator.money import using_currency
from ui import admission, compare, links, session
from ui import crm_import as crm
from ui.backtest_chart import backtest_chart
from ui.nav import page_menu
from ui.streamlit_runtime import session_gone
from ui.text import markdown_text

st.set_page_config(
    page_title="Import from your CRM – Sales whiplash simulator", page_icon="📥", layout="wide"
)
ss = st.session_state
page_menu()

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "crm_opportunities.csv"


def uploads_section() -> tuple[crm.Upload | None, crm.Upload | None, bool]:
    """Step 1: the two uploaders. Returns the uploads with their mapping (step 2) and
    whether every required field has a column."""
    st.subheader("1. Upload your export")
    left, right = st.columns(2)
    opportunities = left.file_uploader(
        "Opportunities export (.csv)",
        type=["csv", "txt"],
        key=crm.W_OPPORTUNITIES,
        max_upload_size=crm.MAX_UPLOAD_MB,
        help="Salesforce, HubSpot or any CSV with a stage, an amount, a created and a "
        "close date per opportunity.",
    )
    contracts = right.file_uploader(
        "Contracts or subscriptions export (.csv, optional)",
        type=["csv", "txt"],
        key=crm.W_CONTRACTS,
        max_upload_size=crm.MAX_UPLOAD_MB,
        help="Account, value (annual, monthly or per billing period) and end or start "
        "date per contract: the renewal calendar's real cliff.",
    )
    st.caption(markdown_text(f"Files {crm.upload_limit_text()}. {crm.PRIVACY}"))
    if EXAMPLE.is_file():
        st.download_button(
            "Example export (CSV)",
            data=EXAMPLE.read_bytes(),
            file_name=EXAMPLE.name,
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
            help="A Salesforce-style report the project generates from known numbers.",
        )
    if opportunities is None:
        return None, None, False
    st.subheader("2. Check the columns")
    st.caption("Detected from the headers; change any that is wrong. Fields marked * are needed.")
    opp, ready = mapping_section(
        "opportunities", opportunities.name, opportunities.getvalue(), OPPORTUNITY_FIELDS
    )
    con = None
    if contracts is not None:
        con, con_ready = mapping_section(
            "contracts", contracts.name, contracts.getvalue(), CONTRACT_FIELDS
        )
        ready = ready and con_ready
    return opp, con, ready


MAPPING_COLUMNS = 3
"""Column choices side by side in a file's mapping."""


def mapping_section(
    kind: str, name: str, data: bytes, fields: tuple[FieldSpec, ...]
) -> tuple[crm.Upload | None, bool]:
    """One file's column mapping: a choice per field, the detected column first."""
    header = crm.read_file_header(name, data, fields=fields)
    if header.error:
        st.error(f"Not read: {markdown_text(header.error)}")
        return None, False
    digest = crm.fingerprint(data)
    options = [crm.NOT_MAPPED, *header.columns]
    with st.container(border=True, key=f"crm_mapping_{kind}"):
        st.markdown(f"**{markdown_text(name)}** ({kind}, {len(header.columns)} columns)")
        # Three a row: at 1280 px beside the sidebar a quarter of the row cut a CRM's
        # column names ("Opportunity Own", tests/e2e/test_crm_import_browser.py).
        cols = st.columns(MAPPING_COLUMNS)
        for i, spec in enumerate(fields):
            key = crm.map_key(kind, digest, spec.name)
            if key not in ss:
                ss[key] = header.detected.get(spec.name, crm.NOT_MAPPED)
            cols[i % MAPPING_COLUMNS].selectbox(
                f"{spec.name}{' *' if spec.required else ''}",
                options,
                key=key,
                help=spec.help.capitalize() + ".",
            )
    mapping = crm.chosen_mapping(ss, kind=kind, digest=digest, header=header, fields=fields)
    missing = crm.missing_message(name, crm.unmapped_required(mapping, fields), what=kind)
    if missing:
        st.error(markdown_text(missing))
    return crm.Upload(name=name, data=data, mapping=mapping), missing is None


def options_section() -> None:
    with st.expander("Options: team size, stages, dates"):
        cols = st.columns(4)
        cols[0].number_input(
            "Reps (0: count the owners)",
            min_value=0.0,
            max_value=float(MAX_REPS),
            step=1.0,
            format="%g",
            key=crm.W_REPS,
            help="The team today, if it differs from the owners in the export.",
        )
        cols[1].text_input(
            "Won stages (comma-separated)",
            key=crm.W_WON,
            max_chars=500,
            placeholder="Closed Won, Won, ...",
            help="Blank: the usual names (any stage with the word 'won').",
        )
        cols[2].text_input(
            "Lost stages (comma-separated)",
            key=crm.W_LOST,
            max_chars=500,
            placeholder="Closed Lost, Lost, ...",
            help="Blank: the usual names. Every other stage is open pipeline.",
        )
        cols[3].selectbox("Date order", list(crm.DATE_ORDERS), key=crm.W_DATE_ORDER)


def request_of(opp: crm.Upload, con: crm.Upload | None) -> crm.FitRequest:
    reps = ss.get(crm.W_REPS) or 0.0
    return crm.FitRequest(
        opportunities=opp,
        contracts=con,
        won=crm.stages(ss.get(crm.W_WON) or ""),
        lost=crm.stages(ss.get(crm.W_LOST) or ""),
        reps=float(reps) if reps > 0 else None,
        date_order=crm.DATE_ORDERS.get(ss.get(crm.W_DATE_ORDER) or "", None),
    )


def results_section(outcome: crm.FitOutcome, current: Scenario) -> None:
    """Step 3 and 4: the fitted numbers, notes and backtest; "use as my scenario"."""
    cal = outcome.calibration
    if cal is None:
        st.error(f"Not fitted: {markdown_text(outcome.error or '')}")
        return
    st.subheader("3. Your fitted numbers")
    with using_currency(current.currency):
        st.markdown(markdown_text(crm.summary(cal)))
        st.table(crm.line_table(cal))
        notes = crm.notes(cal)
        with st.expander(f"Data-quality notes ({len(notes)})", expanded=bool(notes)):
            if notes:
                st.markdown("\n".join(f"- {markdown_text(n)}" for n in notes))
            else:
                st.caption("Nothing was left out or guessed.")
        st.markdown(markdown_text(crm.backtest_sentence(cal)))
        if cal.backtest is not None:
            spec = backtest_chart(cal.backtest).to_dict(validate=False)
            st.vega_lite_chart(spec, width="stretch")
    st.subheader("4. Use it")
    st.caption(
        "Puts the fitted company (team size, product lines, open pipeline, book, season) "
        "into your plan; the currency, targets, push and changes of plan stay yours, and "
        "the message says what was replaced. Undo brings your plan back."
    )
    st.button(
        "Use as my scenario",
        type="primary",
        icon=":material/check:",
        on_click=crm.on_use,
        args=(ss,),
    )


def adopted_section() -> None:
    message = ss.get(crm.ADOPTED)
    if not message:
        return
    st.success(markdown_text(message), icon=":material/check_circle:")
    left, right = st.columns(2)
    with left, contextlib.suppress(StreamlitPageNotFoundError):  # the page run alone
        st.page_link("app.py", label="See it in the simulator", icon=":material/monitoring:")
    right.button(
        "Undo: back to my previous plan",
        icon=":material/undo:",
        on_click=crm.on_undo,
        args=(ss,),
    )


def main() -> None:
    st.title("Import from your CRM")
    st.caption(
        "Your own numbers from a CRM export: win rates, cycles, deal sizes, lead flow and "
        "the open pipeline, fitted per product line and checked against what was actually "
        "booked. The same fit as `whiplash calibrate` on the command line."
    )
    error = ss.get(session.ERROR)
    if error:
        st.error(f"Not applied: {markdown_text(error)}. Your settings are unchanged.")
    adopted_section()
    opp, con, ready = uploads_section()
    if opp is None:
        return
    options_section()
    request = request_of(opp, con)
    if st.button("Fit my numbers", icon=":material/tune:", disabled=not ready):
        with st.spinner("Fitting and backtesting…"), admission.compute_slot(gone=session_gone()):
            ss[crm.FIT] = crm.fit(request)
            ss[crm.ADOPTED] = None
    outcome: crm.FitOutcome | None = ss.get(crm.FIT)
    if outcome is None:
        return
    if outcome.key != request.key():
        st.info("The files, columns or options changed since the last fit: fit again.")
        return
    results_section(outcome, ss[session.SCENARIO])


session.start_session(ss, st.query_params.to_dict())
compare.start(ss, st.query_params.to_dict())
try:
    main()
except admission.SessionGone:
    st.stop()
current: Scenario = ss[session.SCENARIO]
try:
    params = links.scenario_to_params(current, preset=ss.get(session.PRESET))
except ScenarioError:  # too big for a link: the file is the way to share it
    params = {}
params.update(compare.link_params(ss))
if st.query_params.to_dict() != params:
    st.query_params.from_dict(params)
