"""One number, one meaning for the early warning and the verdict: the main page's
headline, its key figures, the compare table, the early-warning chart, the workshop and
``whiplash run --json`` give the same warning lead and the same whiplash figures, and a
fix that removes the bust says "no bust to warn of", never a negative lead."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator import apply_overrides, load_preset, simulate
from simulator.cli import main as cli_main
from simulator.verdict_text import lead, warning_sentence
from simulator.workshop import load_workshop
from ui import compare, links
from ui import session as app_session
from ui.text import shown_text
from ui.verdict_charts import WARNING_SERIES, warning_frame

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
WORKSHOP = str(ROOT / "pages" / "1_Workshop.py")
RUNS = 200


def open_app(params: dict[str, str]) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in {"runs": str(RUNS), **params}.items():
        at.query_params[key] = value
    return at.run()


def metric(at: AppTest, label: str):
    [found] = [m for m in at.metric if m.label == label]
    return found


def warning_line(at: AppTest) -> str:
    return next(shown_text(m.value)[5:] for m in at.markdown if m.value.startswith("#### "))


def hold(at: AppTest, name: str) -> AppTest:
    at.text_input(key=compare.W_NAME).input(name).run()
    return next(b for b in at.button if b.label == "Hold this plan").click().run()


def table(at: AppTest) -> pd.DataFrame:
    [found] = [d.value for d in at.dataframe if "Warning lead" in d.value.columns]
    return found


def chart_spec(at: AppTest, description: str) -> dict:
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("description") == description:
            return spec
    raise AssertionError(f"no chart described as {description!r}")


def subtitle(spec: dict) -> str:
    """A chart's subtitle as one text (it is wrapped into lines to fit the chart)."""
    sub = spec["title"].get("subtitle", "")
    return " ".join([sub] if isinstance(sub, str) else sub)


def test_headline_key_figures_compare_table_chart_and_json_give_one_lead(capsys) -> None:
    at = open_app({"preset": "team_a_team_b"})
    assert not at.exception
    result = simulate(load_preset("team_a_team_b"), runs=RUNS)
    ew = result.early_warning
    assert ew.lead_months is not None and ew.lead_months > 0
    assert warning_line(at) == warning_sentence(ew)
    assert metric(at, "Warning lead").value == f"{ew.lead_months} mo"
    chart = chart_spec(at, "Early warning")
    assert subtitle(chart).startswith(warning_sentence(ew))

    at = hold(at, "Base")
    row = table(at).iloc[0]
    assert row["Warning lead"] == f"{ew.lead_months} months"
    for column in ("Whiplash", "Severe whiplash", "Largest fall in a year"):
        assert row[column] == metric(at, column).value, column
    headline = next(shown_text(m.value) for m in at.markdown if m.value.startswith("## "))
    assert row["Verdict"] == lead(result.whiplash) and f"{row['Verdict']}:" in headline

    preset = str(ROOT / "scenarios" / "team_a_team_b.toml")
    assert cli_main(["run", preset, "--runs", str(RUNS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["whiplash"]["early_warning_months"] == ew.lead_months
    assert data["early_warning"]["warned_from"] == ew.warned_from
    assert f"{round(data['whiplash']['probability'] * 100)}%" == row["Whiplash"]


def test_a_fix_that_removes_the_bust_says_no_bust_to_warn_of_not_a_negative_lead() -> None:
    original = apply_overrides(load_preset("hand_off_after_close"), [f"simulation.runs={RUNS}"])
    [fix] = [s.fix for s in load_workshop().steps if s.preset == "hand_off_after_close"]
    fixed = apply_overrides(original, list(fix))
    assert simulate(original).early_warning.lead_months  # the original warned of a bust
    assert simulate(fixed).early_warning.bust_quarter is None  # the fix removed it
    at = open_app({"scenario": links.encode_scenario(fixed)})
    assert not at.exception
    at.session_state[app_session.BASELINE] = original  # what "Pin as baseline" keeps
    at.run()
    assert not at.exception
    lead = metric(at, "Warning lead")
    assert lead.value == "no bust" and lead.delta in (None, "")
    assert warning_line(at).startswith("No bust to warn of")
    at = hold(at, "Fixed")
    assert table(at).iloc[0]["Warning lead"] == "no bust to warn of"
    spec = chart_spec(at, "Early warning")
    assert subtitle(spec).startswith("No bust to warn of")


def test_the_workshop_reveal_states_the_headline_figures() -> None:
    """The quarter answer's 'whiplash in X% of futures' is the main page's Whiplash
    key figure for the same plan, runs and seed."""
    main = open_app({"preset": "team_a_team_b", "runs": "1000"})
    whiplash = metric(main, "Whiplash").value
    workshop = AppTest.from_file(WORKSHOP, default_timeout=60).run()
    workshop.selectbox[0].select("2013Q1").run()
    workshop.button(key="ws_reveal_0").click().run()
    assert not workshop.exception
    boxes = [shown_text(b.value) for b in [*workshop.success, *workshop.info, *workshop.warning]]
    assert any(f"whiplash in {whiplash} of futures" in b for b in boxes), boxes
    assert subtitle(chart_spec(workshop, "Early warning")).startswith(warning_line(main))


def test_the_warning_chart_draws_the_early_warnings_own_numbers() -> None:
    result = simulate(load_preset("team_a_team_b"), runs=RUNS)
    ew = result.early_warning
    frame = warning_frame(result)
    safe = frame[frame.signal == WARNING_SERIES["renewal_exposure"]]
    assert list(safe.value) == pytest.approx([1 - v for v in ew.renewal_exposure.p50])
    level = ew.pipeline_coverage.warning_level
    for name in WARNING_SERIES:  # below the dashed level exactly where the signal warns
        rows = frame[frame.signal == WARNING_SERIES[name]]
        assert list(rows.value < level) == list(rows.warns), name
    july = safe[safe.month_name == "Jul 2012"].iloc[0]
    assert july.warns and july.value_text.endswith("of today's revenue at risk")
