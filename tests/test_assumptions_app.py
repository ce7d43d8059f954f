"""The assumptions panel: its chart and table builders, and the panel on the main page.

The chart is checked through ``to_dict()`` (which validates against the Vega-Lite
schema); the panel through AppTest: nothing is computed until the button is pressed,
the result is cached for every session and computed inside the page's compute slot and
the memory budget, and a failure shows an error panel while the page goes on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import ui.runtime
from simulator import load_preset
from simulator.assumptions import JUDGEMENTS, LEVELS, assess_assumptions
from ui import admission, controls, session
from ui.assumptions import CHECKED, W_CHECK
from ui.assumptions_charts import (
    LEVEL_NAMES,
    assumptions_chart,
    assumptions_frame,
    assumptions_table,
)
from ui.charts import VERDICT_COLOURS
from ui.text import shown_text

APP = str(Path(__file__).resolve().parent.parent / "app.py")
RUNS = 150
DESCRIPTION = "Assumptions chart"


@pytest.fixture(scope="module")
def report():
    return assess_assumptions(load_preset("single_threaded"), runs=RUNS, seed=4)


# --- The builders -----------------------------------------------------------------------


def test_chart_validates_and_draws_three_dots_per_constant(report):
    spec = assumptions_chart(report).to_dict()  # validates against the schema
    assert spec["description"] == DESCRIPTION
    assert f"{RUNS:,} random futures" in spec["title"]["subtitle"]
    text = json.dumps(spec)
    assert '"tooltip"' in text
    rows = next(d for d in spec["datasets"].values() if d and "assumption" in d[0])
    assert len(rows) == 3 * len(JUDGEMENTS)
    assert [r["assumption"] for r in rows[::3]] == [j.label for j in JUDGEMENTS]
    assert {r["level"] for r in rows} == {LEVEL_NAMES[level] for level in LEVELS}
    dots = spec["layer"][-1]["encoding"]
    assert dots["x"]["field"] == "probability"
    assert dots["color"]["scale"]["range"] == [
        VERDICT_COLOURS[v] for v in dots["color"]["scale"]["domain"]
    ]
    assert dots["y"]["sort"] == [j.label for j in JUDGEMENTS]


def test_chart_rows_are_the_report_s_figures(report):
    frame = assumptions_frame(report)
    orphan = frame[frame["assumption"] == JUDGEMENTS[0].label].set_index("level")
    sensitivity = report.sensitivities[0]
    for level in LEVELS:
        outcome = sensitivity.at(level)
        assert orphan.loc[LEVEL_NAMES[level], "probability"] == outcome.probability
        assert orphan.loc[LEVEL_NAMES[level], "verdict"] == outcome.verdict


def test_table_has_one_row_per_constant_with_its_source(report):
    table = assumptions_table(report)
    assert list(table["Assumption"]) == [j.label for j in JUDGEMENTS]
    assert list(table["Source of the range"]) == [j.source for j in JUDGEMENTS]
    holds = dict(zip(table["Assumption"], table["Verdict holds"], strict=True))
    for s in report.sensitivities:
        assert holds[s.judgement.label] == ("yes" if s.robust else "no")
    assert table["Verdict"].iloc[0] == " / ".join(o.verdict for o in report.sensitivities[0].levels)


# --- The panel on the main page ---------------------------------------------------------


def open_app(preset: str, *, clear: bool = True) -> AppTest:
    if clear:
        st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["preset"] = preset
    at.query_params["runs"] = str(RUNS)
    return at.run()


def described(at: AppTest) -> list[str]:
    return [json.loads(e.proto.spec).get("description") for e in at.get("vega_lite_chart")]


@pytest.fixture
def calls(monkeypatch):
    """Every assessment the panel starts, with what held it when it ran."""
    seen = []

    def counting(scenario, **kwargs):
        seen.append(
            {
                "slot": getattr(admission._held, "depth", 0),
                "budget": ui.runtime.SIMULATION_BUDGET.in_flight,
                "runs": scenario.simulation.runs,
            }
        )
        return assess_assumptions(scenario, **kwargs)

    monkeypatch.setattr(ui.runtime, "assess_assumptions", counting)
    return seen


def test_panel_computes_on_request_for_the_current_plan_only(calls):
    at = open_app("team_a_team_b")  # its verdict depends on the orphaned-account factor
    assert not at.exception and DESCRIPTION not in described(at)
    assert not calls, "nothing is computed before the button"
    at.button(key=W_CHECK).click().run()
    assert not at.exception and not at.error
    assert DESCRIPTION in described(at)
    sentence = [shown_text(w.value) for w in at.warning if "verdict" in shown_text(w.value)]
    assert sentence and sentence[0].startswith("The verdict depends on ")
    assert JUDGEMENTS[0].label.lower() in sentence[0]
    assert len(calls) == 1 and calls[0]["slot"] == 1 and calls[0]["budget"] > 0
    at.run()  # a rerun (another widget moved) keeps the panel without computing again
    assert DESCRIPTION in described(at) and len(calls) == 1
    asked_for = at.session_state[CHECKED]
    at.slider(key=controls.W_CONTACTS).set_value(3).run()  # a new plan: asked again
    assert at.session_state[session.SCENARIO].relationships.contacts_per_account == 3
    assert at.session_state[CHECKED] == asked_for and DESCRIPTION not in described(at)
    at.button(key=W_CHECK).click().run()
    assert DESCRIPTION in described(at) and len(calls) == 2


def test_another_session_reads_the_cached_result(calls):
    first = open_app("balanced")
    first.button(key=W_CHECK).click().run()
    second = open_app("balanced", clear=False)
    second.button(key=W_CHECK).click().run()
    assert len(calls) == 1
    for at in (first, second):
        holds = [shown_text(s.value) for s in at.success]
        assert "The verdict (none) holds across every assumption's plausible range." in holds


def test_a_failing_assessment_shows_an_error_and_the_page_goes_on(monkeypatch):
    def broken(scenario, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(ui.runtime, "assess_assumptions", broken)
    at = open_app("balanced")
    at.button(key=W_CHECK).click().run()
    assert not at.exception
    errors = [shown_text(e.value) for e in at.error]
    assert errors == ["The assumptions could not be checked: engine exploded"]
    assert [m for m in at.markdown if m.value.startswith("## ")], "the verdict is still there"
