"""The room page's Streamlit side: one store per process, cached results, who is asking.

The store (``rooms.RoomStore``) is opened once per process and URL and shared by every
session; results are cached per distinct plan (a :class:`ResultSummary`), so teams that
submit the same plan simulate once. A plan's result goes into the store with the plan
itself, so the reveal, on whichever app process serves the facilitator, simulates only
the plans whose result could not be kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rooms import RoomStore, Standing, SubmittedPlan, TeamResult, database_url, team_result
from simulator import ResultSummary, Scenario

from . import room_view as view
from . import verdict
from .charts import revenue_fan_chart
from .runtime import simulate_summary
from .vega import with_arrow_data

POLL_SECONDS = 1.0
"""How often a room page asks the store whether the room changed."""


@st.cache_resource(max_entries=4, show_spinner=False)
def _store(url: str) -> RoomStore:
    """One store (one connection pool) per database URL in this process."""
    return RoomStore(url)


def store() -> RoomStore:
    """The process's store for ``WHIPLASH_DATABASE_URL`` (or the default SQLite file)."""
    return _store(database_url())


@st.cache_data(max_entries=64, show_spinner="Simulating…")
def plan_result(scenario_json: str) -> ResultSummary:
    """One simulation per distinct plan, shared by every session (summaries only: 64 of
    a preset's size stay under a few tens of MB)."""
    return simulate_summary(Scenario.model_validate_json(scenario_json))


@st.cache_data(max_entries=64, show_spinner=False)
def plan_team_result(scenario_json: str) -> TeamResult:
    """The plan's result as the leaderboard records it (cached too: a submission reads
    it inside a room's burst of thirty, where a summary's copy and a verdict add up)."""
    summary = plan_result(scenario_json)
    return team_result(summary, sentence=verdict.verdict_sentence(summary))


def submitted_result(plan: Scenario) -> TeamResult | None:
    """The result to keep with a submitted plan; None if it cannot be simulated (the
    reveal then tries again and says why)."""
    try:
        return plan_team_result(plan.model_dump_json())
    except Exception:
        return None


def reveal_results(submitted: Iterable[SubmittedPlan]) -> dict[int, TeamResult]:
    """Each plan's result by team id: the one kept at submission, else simulated now."""
    return {
        s.team_id: s.result if s.result is not None else plan_team_result(s.plan.model_dump_json())
        for s in submitted
    }


@st.cache_data(max_entries=64, show_spinner=False)
def plan_fan_spec(scenario_json: str) -> dict:
    """The plan's revenue fan as a Vega-Lite spec (built once per plan), its data already
    encoded as Arrow: a team's page reruns every few seconds while it waits."""
    return with_arrow_data(revenue_fan_chart(plan_result(scenario_json)).to_dict(validate=False))


def teams_chart_spec(
    board: Sequence[Standing], *, highlight: int | None = None, height: int | None = None
) -> dict:
    """The teams' chart as ``st.vega_lite_chart`` takes it, its data already Arrow: at a
    reveal every team's page draws it at once, each with its own team in blue."""
    chart = view.teams_chart(board, highlight=highlight, height=height)
    return with_arrow_data(chart.to_dict(validate=False))


def client_identity() -> tuple[str, str | None]:
    """(this browser session, its network address if Streamlit knows it): what wrong
    join codes are counted against."""
    ctx = get_script_run_ctx()
    session = ctx.session_id if ctx is not None else "no-session"
    try:
        address = st.context.ip_address
    except Exception:  # outside a server (a test): no address
        address = None
    return session, address or None
