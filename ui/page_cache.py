"""The main page's simulation and chart caches, shared by every session.

They live here rather than in ``app.py`` because a page's script runs again on every
rerun: decorating a function with ``st.cache_data`` there re-created its cache wrapper
each time (reading the function's source to key it), about 4 ms of every rerun. A
module is imported once per process, so these are decorated once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

import ui.presenter as presenter
from simulator import ResultSummary, Scenario
from simulator.models import Effort

from . import charts, vega, verdict_charts
from .runtime import simulate_summary

RESULT_ENTRIES = 64
"""Results kept by :func:`simulate_cached` (``ResultSummary``, shared by every session):
a room of 30, each with a plan and a pinned baseline, finds both still here on its next
rerun (with 12 the room's own plans pushed each other out). Each is at most
``budget.summary_bytes`` of its scenario (under 1 MB for any scenario within the
per-request bound; 67 kB for the default preset), so this cache holds at most about
64 MB; SECURITY.md, "Memory and time per request and per session", gives the sum. The
chart-spec caches below keep as many (a spec is its chart's rows, a few kB to 100 kB)."""


@st.cache_data(max_entries=RESULT_ENTRIES, show_spinner=False)
def simulate_cached(
    scenario_json: str, _should_stop: Callable[[], bool] | None = None
) -> ResultSummary:
    """Simulate once per distinct scenario, so moving a slider back is instant.

    ``_should_stop`` (not part of the cache key) cancels a run whose session went away;
    a cancelled run raises, so nothing is cached for it.
    """
    scenario = Scenario.model_validate_json(scenario_json)
    sim = scenario.simulation
    # The spinner is started here, on a miss alone: on a hit it cost a timer thread and
    # two messages for a spinner that never shows (it appears after half a second).
    with st.spinner(f"Simulating {sim.runs:,} futures over {sim.months} months…"):
        return simulate_summary(scenario, should_stop=_should_stop)


def _result_of(scenario_json: str, given: ResultSummary | None) -> ResultSummary:
    """The result the caller already holds for ``scenario_json``, else the cached one.

    Every read of :func:`simulate_cached` unpickles a fresh copy of the result (pandas
    tables, the scenario), about 1 ms each; the page passes the copy it has, so a cold
    rerun reads it once, not three times (issue 13)."""
    return given if given is not None else simulate_cached(scenario_json)


@st.cache_data(max_entries=RESULT_ENTRIES, show_spinner=False)
def result_chart_specs(scenario_json: str, _result: ResultSummary | None = None) -> dict[str, dict]:
    """Vega-Lite specs of the charts that depend on the result alone (``_result``, not
    part of the key, is the result for ``scenario_json`` if the caller has it)."""
    result = _result_of(scenario_json, _result)
    specs = {
        "bars": _spec(charts.quarterly_bars, result),
        "attainment": _spec(verdict_charts.attainment_chart, result),
        "coverage": _spec(verdict_charts.warning_chart, result),
        "source": _spec(charts.breakdown_chart, result, by="source"),
        "line": _spec(charts.breakdown_chart, result, by="line"),
    }
    if charts.has_capacity(result):
        specs["capacity"] = _spec(charts.capacity_chart, result)
    return specs


@st.cache_data(max_entries=RESULT_ENTRIES, show_spinner=False)
def fan_spec(
    scenario_json: str,
    baseline_json: str | None,
    presenting: bool,
    _result: ResultSummary | None = None,
    _baseline: ResultSummary | None = None,
) -> dict:
    """The revenue fan (``_result`` and ``_baseline``, not part of the key, are the
    results for the two keys if the caller has them)."""
    result = _result_of(scenario_json, _result)
    baseline = _result_of(baseline_json, _baseline) if baseline_json is not None else None
    size = (
        {"plot_height": presenter.FAN_PLOT_HEIGHT, "narrowest": presenter.FAN_NARROWEST_PLOT}
        if presenting
        else {}
    )
    return _spec(charts.revenue_fan_chart, result, baseline=baseline, **size)


# What the renewal calendar draws: its cache key, so other levers do not redraw it.
CALENDAR_FIELDS = {
    "currency": True,
    "simulation": {"start", "months"},
    "relationships": {"contacts_per_account"},
    "product_lines": {"__all__": {"name"}},
    "contracts": True,
}


def calendar_key(scenario: Scenario | None) -> str | None:
    if scenario is None:
        return None
    return json.dumps(scenario.model_dump(mode="json", include=CALENDAR_FIELDS), sort_keys=True)


@st.cache_data(max_entries=12, show_spinner=False)
def calendar_spec(
    key: str, base_key: str | None, _scenario: Scenario, _baseline: Scenario | None
) -> dict:
    """Keyed on the calendar's own inputs (``_``-arguments are not part of the key)."""
    return _spec(charts.renewal_calendar, _scenario, baseline_scenario=_baseline)


@st.cache_data(max_entries=32, show_spinner=False)
def effort_spec(effort_json: str) -> dict:
    return _spec(charts.effort_split_bar, Effort.model_validate_json(effort_json))


def _spec(build: Callable[..., Any], /, *args: Any, **kwargs: Any) -> dict:
    """Build a chart and return its Vega-Lite spec (the builders' own tests validate it).

    The builders write their specs as dicts (ui/vega.py), so this costs a few ms; the
    datasets are encoded for the browser here, once per cached spec."""
    return vega.with_arrow_data(build(*args, **kwargs).to_dict(validate=False))
