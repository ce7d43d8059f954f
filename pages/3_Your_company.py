"""Your company: the numbers that define it (team, product lines, targets, currency, the
start month), edited in the app instead of in TOML.

A page of its own rather than a sidebar section: eight product lines of eight numbers
each need a page's width, and the sidebar stays the plan's levers. The page edits the
session's scenario (``ui/session.py``), which the simulator page then simulates; each
field is a control of the ``company`` group (``ui/controls.py``), so a refused value
names the field and changes nothing, exactly as in the sidebar.
"""

from __future__ import annotations

import contextlib

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from simulator import Scenario, ScenarioError, dump_scenario
from simulator.models import MAX_PRODUCT_LINES, ProductLine, Team
from simulator.money import using_currency
from ui import company, compare, controls, links, session
from ui.nav import page_menu
from ui.text import markdown_text

st.set_page_config(
    page_title="Your company – Sales whiplash simulator", page_icon="🏢", layout="wide"
)
ss = st.session_state
page_menu()


def company_input(kind, label: str, key: str, *, group: str = "company", **kwargs) -> None:
    """A field that re-validates its control group when it changes."""
    kind(label, key=key, on_change=session.on_control_change, args=(ss, group), **kwargs)


def number(label: str, key: str, field: str, *, percent: bool = False, **kwargs) -> None:
    """A product line's number with the model's range (in percent for shares)."""
    lim = controls.limits(ProductLine, field)
    scale = 100.0 if percent else 1.0
    whole = field in controls.WHOLE_FIELDS
    step = kwargs.pop("step", 1.0)
    low = lim.low * scale if lim.low is not None else None
    high = lim.high * scale if lim.high is not None else None
    company_input(
        st.number_input,
        label,
        key,
        min_value=int(low) if whole else low,
        max_value=int(high) if whole else high,
        step=1 if whole else step,
        **kwargs,
    )


def messages() -> None:
    error = ss.get(session.ERROR)
    if error:
        st.error(f"Not applied: {markdown_text(error)}. Your settings are unchanged.")


def team_section() -> None:
    st.subheader("Team")
    reps, ramp = controls.limits(Team, "reps"), controls.limits(Team, "ramp_months")
    attrition = controls.limits(Team, "attrition_annual")
    backfill = controls.limits(Team, "backfill_months")
    cols = st.columns(4, vertical_alignment="bottom")
    with cols[0]:
        company_input(
            st.number_input,
            "Sales reps at the start",
            controls.W_REPS,
            group="team",
            min_value=0.0,
            max_value=float(reps.high),
            step=1.0,
            format="%g",
            help="Everyone who sells and looks after accounts, in full-time people.",
        )
    with cols[1]:
        company_input(
            st.number_input,
            "Ramp-up of a new rep (months)",
            controls.W_RAMP,
            group="team",
            min_value=int(ramp.low),
            max_value=int(ramp.high),
            step=1,
        )
    with cols[2]:
        company_input(
            st.number_input,
            "Reps who leave a year (%)",
            controls.W_ATTRITION,
            group="team",
            min_value=float(attrition.low) * 100,
            max_value=float(attrition.high) * 100,
            step=1.0,
            format="%g",
        )
    with cols[3]:
        company_input(
            st.number_input,
            "Months to replace a leaver",
            controls.W_BACKFILL,
            group="team",
            min_value=int(backfill.low),
            max_value=int(backfill.high),
            step=1,
        )


def line_card(scenario: Scenario, line_id: str, symbol: str) -> None:
    key = controls.line_key
    with st.container(border=True, key=f"line_card_{line_id}"):
        head, remove = st.columns([5, 1], vertical_alignment="bottom")
        with head:
            company_input(
                st.text_input,
                "Product line name",
                key(line_id, "name"),
                max_chars=controls.limits(ProductLine, "name").max_length,
                help=f"Its id in the scenario file is {line_id}; renaming keeps it.",
            )
        remove.button(
            "Remove",
            key=f"remove_line_{line_id}",
            icon=":material/delete:",
            on_click=company.on_remove_line,
            args=(ss, line_id),
            disabled=len(scenario.product_lines) == 1,
            width="stretch",
        )
        first = st.columns(4, vertical_alignment="bottom")
        with first[0]:
            company_input(
                st.text_input,
                f"Deal size a year ({symbol})",
                key(line_id, "deal_size"),
                max_chars=40,
                help="Annual value of a new contract (its one-off value when the term is 0); "
                "type 50k, 1.2M or 1,200,000.",
            )
        with first[1]:
            number(
                "Sales cycle (months)",
                key(line_id, "sales_cycle_months"),
                "sales_cycle_months",
                help="Months from a new opportunity to its decision.",
            )
        with first[2]:
            number(
                "Win rate (%)",
                key(line_id, "win_rate"),
                "win_rate",
                percent=True,
                format="%g",
                help="Share of decided opportunities that are won.",
            )
        with first[3]:
            number(
                "Deal size spread (sd / mean)",
                key(line_id, "deal_size_cv"),
                "deal_size_cv",
                step=0.1,
                format="%g",
                help="0: every deal the same size; 1: sizes vary as much as their mean.",
            )
        second = st.columns(4, vertical_alignment="bottom")
        with second[0]:
            number(
                "Contract term (months; 0 = one-off)",
                key(line_id, "term_months"),
                "term_months",
            )
        with second[1]:
            number(
                "Renewal rate (%)",
                key(line_id, "renewal_rate"),
                "renewal_rate",
                percent=True,
                format="%g",
                help="Share of contracts renewed at the end of their term, with full care.",
            )
        with second[2]:
            number(
                "Leads per rep-month",
                key(line_id, "leads_per_rep_month"),
                "leads_per_rep_month",
                step=0.5,
                format="%g",
                help="New opportunities a rep-month of prospecting creates.",
            )
        with second[3]:
            number(
                "Closing effort per deal (rep-months)",
                key(line_id, "close_effort_per_deal"),
                "close_effort_per_deal",
                step=0.05,
                format="%g",
                help="Rep-months of closing work each decided opportunity takes.",
            )


def lines_section(scenario: Scenario, symbol: str) -> None:
    st.subheader("Product lines")
    st.caption(
        "How each line sells. The split of new-business effort between the lines is set "
        "in the simulator's sidebar; a new line takes an equal share."
    )
    for line_id in scenario.line_ids:
        line_card(scenario, line_id, symbol)
    count = len(scenario.product_lines)
    st.button(
        "Add a product line",
        icon=":material/add:",
        on_click=company.on_add_line,
        args=(ss,),
        disabled=count >= MAX_PRODUCT_LINES,
        help=f"Up to {MAX_PRODUCT_LINES} lines; a new one starts from the model's defaults.",
    )


def targets_section(symbol: str) -> None:
    st.subheader("Targets")
    left, right = st.columns(2, vertical_alignment="bottom")
    with left:
        company_input(
            st.text_input,
            f"Revenue target per quarter ({symbol})",
            controls.W_REVENUE_TARGET,
            max_chars=40,
            placeholder="not set",
            help="Forward coverage compares the pipeline with it; blank: with the run-rate.",
        )
    with right:
        company_input(
            st.text_input,
            f"New-business quota per quarter ({symbol})",
            controls.W_COMPANY_QUOTA,
            max_chars=40,
            placeholder="not set",
            help="Bookings of new deals a quarter: what the quarter-end push reacts to.",
        )


def currency_section() -> None:
    st.subheader("Currency and calendar")
    # The checkbox's column is wider: at 1280 px beside the sidebar a third of it cut
    # "After the amount" to "After the a…" (tests/e2e/test_cut_labels_browser.py).
    cols = st.columns([1, 1, 1.5, 2], vertical_alignment="bottom")
    with cols[0]:
        company_input(
            st.text_input,
            "Currency code",
            controls.W_CURRENCY,
            max_chars=3,
            help="ISO 4217, e.g. USD, EUR, GBP, DKK: every amount is shown in it (no "
            "conversion). A new code brings its usual symbol.",
        )
    with cols[1]:
        company_input(st.text_input, "Symbol", controls.W_SYMBOL, max_chars=6)
    with cols[2]:
        company_input(
            st.checkbox,
            "After the amount",
            controls.W_SYMBOL_AFTER,
            help="Write the symbol after the amount: 250k kr.",
        )
    with cols[3]:
        company_input(
            st.text_input,
            "First simulated month (YYYY-MM)",
            controls.W_START,
            max_chars=7,
            help="The contracts' end months and the plan's changes move with it, so they "
            "keep their distance from the start.",
        )


def draw(scenario: Scenario) -> None:
    st.title("Your company")
    st.caption(
        "The numbers that make this plan yours. Every change is checked at once; the "
        "simulator page shows what it does."
    )
    with contextlib.suppress(StreamlitPageNotFoundError):  # the page run alone
        st.page_link(
            "pages/3_Import_from_CRM.py",
            label="Or fit them to your CRM export",
            icon=":material/input:",
        )
    messages()
    symbol = scenario.currency.symbol
    team_section()
    lines_section(scenario, symbol)
    targets_section(symbol)
    currency_section()
    st.divider()
    left, right = st.columns(2, vertical_alignment="center")
    left.download_button(
        "Save as TOML",
        data=dump_scenario(scenario),
        file_name=f"{session.file_stem(scenario)}.toml",
        mime="application/toml",
        on_click="ignore",
        width="stretch",
    )
    with right, contextlib.suppress(StreamlitPageNotFoundError):  # the page run alone
        st.page_link("app.py", label="Back to the simulator", icon=":material/arrow_back:")


session.start_session(ss, st.query_params.to_dict())
compare.start(ss, st.query_params.to_dict())
current: Scenario = ss[session.SCENARIO]
with using_currency(current.currency):
    draw(current)
try:
    params = links.scenario_to_params(current, preset=ss.get(session.PRESET))
except ScenarioError:  # too big for a link: the file is the way to share it
    params = {}
params.update(compare.link_params(ss))
if st.query_params.to_dict() != params:
    st.query_params.from_dict(params)
