"""The Streamlit app, driven by AppTest: what a user sees when they move the levers.

Most tests use 300 runs (set through the URL, as a shared link would) to keep the file
fast; the default preset is also run once exactly as ``make run`` opens it.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

import simulator
from simulator import (
    ScenarioError,
    dump_scenario,
    list_presets,
    load_preset,
    parse_scenario,
    scenario_from_dict,
    scenario_to_dict,
)
from simulator.models import STAGES
from ui import book, controls, links, presets, runtime
from ui import session as app_session
from ui.text import shown_text
from ui.verdict import early_warning_sentence, key_figures, verdict_sentence

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
RUNS = "300"
CHART_COUNT = 8  # effort split, fan, quarterly, quota attainment, coverage, by source, by line,
# renewal calendar


# --- Helpers.
def open_app(params: dict[str, str] | None = None, *, runs: str | None = RUNS) -> AppTest:
    """A fresh session (empty simulation cache) opened on a URL with these parameters."""
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    query = dict(params or {})
    if runs is not None:
        query.setdefault("runs", runs)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def assert_page_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def verdict_text(at: AppTest) -> str:
    lines = [m.value for m in at.markdown if m.value.startswith("## ")]
    assert len(lines) == 1, lines
    return lines[0]


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label.startswith(label)]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def pct(text: str) -> float:
    """'88%' -> 88.0; '-37% 2013Q1' -> -37.0."""
    return float(text.split("%")[0])


def chart(at: AppTest, description: str) -> tuple[dict, list[pd.DataFrame]]:
    """A chart's Vega-Lite spec and its datasets, read from the element's proto."""
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("description") == description:
            frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in element.proto.datasets]
            return spec, frames
    raise AssertionError(f"no chart described as {description!r}")


def rows_with(frames: list[pd.DataFrame], column: str) -> pd.DataFrame:
    """The concatenated datasets that have ``column``."""
    return pd.concat([f for f in frames if column in f.columns], ignore_index=True)


def current(at: AppTest) -> simulator.Scenario:
    return at.session_state[app_session.SCENARIO]


# --- The page runs.
@pytest.mark.parametrize("preset", list(list_presets()))
def test_every_preset_runs_without_exception(preset: str) -> None:
    at = open_app({"preset": preset})
    assert_page_ok(at)
    assert current(at).meta.title == load_preset(preset).meta.title
    assert verdict_text(at).startswith("## ")
    assert len(at.metric) == 6
    charts = at.get("vega_lite_chart")
    # The team chart comes with engines that report headcount (tests/test_app_dynamics.py).
    charts = [c for c in charts if json.loads(c.proto.spec).get("description") != "Team capacity"]
    assert len(charts) == CHART_COUNT
    for element in charts:
        assert element.proto.datasets, json.loads(element.proto.spec).get("description")
    assert not at.warning


def test_default_page_shows_the_2013q1_cliff_with_early_warning() -> None:
    at = open_app(runs=None)  # exactly what `make run` opens: the default preset, all runs
    assert_page_ok(at)
    assert current(at) == load_preset(presets.DEFAULT_PRESET)
    text = verdict_text(at)
    # Mild in the middle future, with its severe tail flagged. Since the preset has a
    # [history] of its own habits, its revenue holds flat around the cliff (no decline).
    assert "Mild whiplash" in text and ":red[" in text
    assert any("Severe-whiplash risk" in shown_text(m.value) for m in at.markdown)
    assert any("months before the first bust in 2013Q1" in m.value for m in at.markdown)
    assert at.query_params == {"preset": presets.DEFAULT_PRESET}
    assert at.get("page_link"), "the page links to About the model"


def test_sidebar_sliders_show_the_session_value_and_streamlits_default() -> None:
    """The sliders pass their minimum as ``value`` (app.py, slider()): what Streamlit would
    default to, so each shows the session's value and sends the same default."""
    at = open_app()
    assert_page_ok(at)
    keyed = [s for s in at.slider if s.key in at.session_state]
    assert len(keyed) >= 10
    for widget in keyed:
        assert widget.value == at.session_state[widget.key], widget.key
        assert list(widget.proto.default) == [widget.proto.min], widget.key
    assert at.slider(key=controls.W_CLOSING).value > 70  # not the minimum
    at.slider(key=controls.W_CLOSING).set_value(35.0).run()
    assert at.slider(key=controls.W_CLOSING).value == pytest.approx(35.0)


# --- Each lever moves the result in the expected direction.
def test_more_prospecting_raises_coverage_and_lowers_the_fall() -> None:
    at = open_app()
    assert at.slider(key=controls.W_CLOSING).value > 70  # the preset closes almost 80%
    _, before = chart(at, "Early warning")
    fall = pct(metric(at, "Largest fall in a year").value)
    revenue_before = current(at)

    at.slider(key=controls.W_CLOSING).set_value(35.0).run()
    assert_page_ok(at)
    effort = current(at).effort
    assert effort.attract > revenue_before.effort.attract
    assert effort.close < revenue_before.effort.close
    assert sum(effort.as_dict().values()) == pytest.approx(1.0, abs=1e-5)
    _, after = chart(at, "Early warning")

    def coverage(frames: list[pd.DataFrame]) -> float:
        rows = rows_with(frames, "signal")
        return rows[rows.signal == "Pipeline coverage"]["value"].mean()

    assert coverage(after) > coverage(before)
    assert pct(metric(at, "Largest fall in a year").value) < fall
    _, split = chart(at, "Effort split")
    shares = rows_with(split, "share").set_index("stage")["share"]
    assert shares["attract"] == pytest.approx(effort.attract)


def test_focus_on_enterprise_shrinks_transactional_revenue() -> None:
    at = open_app()
    _, before = chart(at, "Revenue by line")
    at.slider(key=controls.W_FOCUS_SPLIT).set_value(90.0).run()
    assert_page_ok(at)
    shares = current(at).focus_shares
    assert shares["enterprise"] == pytest.approx(0.9)
    _, after = chart(at, "Revenue by line")

    def transactional(frames: list[pd.DataFrame]) -> float:
        rows = rows_with(frames, "key")
        return rows.loc[rows["key"] == "transactional", "mean"].sum()

    assert transactional(after) < 0.8 * transactional(before)


def test_moving_a_renewal_date_splits_the_cliff() -> None:
    at = open_app()
    _, before = chart(at, "Renewal calendar")
    assert set(rows_with(before, "ends")["ends"]) == {"2013-01"}
    severe = pct(metric(at, "Severe whiplash").value)

    at.select_slider(key=controls.end_key(1)).set_value("2013-07").run()
    assert_page_ok(at)
    assert current(at).contracts[1].ends == "2013-07"
    _, after = chart(at, "Renewal calendar")
    assert set(rows_with(after, "ends")["ends"]) == {"2013-01", "2013-07"}
    assert pct(metric(at, "Severe whiplash").value) < severe


def test_more_buyer_contacts_lower_whiplash_probability() -> None:
    at = open_app()
    probability = pct(metric(at, "Whiplash").value)
    _, before = chart(at, "Quarterly revenue bars")
    for i in (0, 1):
        assert at.slider(key=controls.contacts_key(i)).value == 1
        at.slider(key=controls.contacts_key(i)).set_value(5).run()
    assert_page_ok(at)
    assert [c.contacts for c in current(at).contracts] == [5, 5]
    assert pct(metric(at, "Whiplash").value) < probability
    _, after = chart(at, "Quarterly revenue bars")

    def q2013q1(frames: list[pd.DataFrame]) -> float:
        rows = rows_with(frames, "quarter").drop_duplicates("quarter").set_index("quarter")
        return float(rows.loc["2013Q1", "p50"])

    assert q2013q1(after) > q2013q1(before)


def test_contacts_per_account_and_turnover_controls() -> None:
    at = open_app({"preset": "balanced"})
    probability = pct(metric(at, "Whiplash").value)
    at.slider(key=controls.W_CONTACTS).set_value(1).run()
    at.slider(key=controls.W_TURNOVER).set_value(100.0).run()
    assert_page_ok(at)
    rel = current(at).relationships
    assert (rel.contacts_per_account, rel.champion_turnover) == (1, 1.0)
    assert pct(metric(at, "Whiplash").value) > probability


# --- The workshop flow: pin, fix, compare.
def test_stagger_and_contacts_improve_against_the_pinned_baseline() -> None:
    at = open_app()
    _, fan = chart(at, "Revenue fan chart")
    assert "Baseline median" not in set(rows_with(fan, "line")["line"])
    assert all(m.delta in (None, "") for m in at.metric)

    [pin] = [b for b in at.button if "Pin as baseline" in b.label]
    pin.click().run()
    assert at.session_state[app_session.BASELINE] == current(at)
    [stagger] = [b for b in at.button if b.label == "Stagger renewals"]
    stagger.click().run()
    assert [c.ends for c in current(at).contracts] == ["2013-02", "2013-08"]
    for i in (0, 1):
        at.slider(key=controls.contacts_key(i)).set_value(4).run()
    assert_page_ok(at)

    _, fan = chart(at, "Revenue fan chart")
    assert "Baseline median" in set(rows_with(fan, "line")["line"])
    probability = metric(at, "Whiplash")
    assert probability.delta.startswith("-"), probability.delta
    assert metric(at, "Largest fall in a year").delta.startswith("-")
    assert metric(at, "Revenue, 36 mo").delta.startswith("+")
    calendar_spec, calendar = chart(at, "Renewal calendar")
    assert "Baseline end month" in json.dumps(calendar_spec)  # dashed outline of old dates
    assert set(rows_with(calendar, "ends")["ends"]) == {
        "2013-01",
        "2013-02",
        "2013-08",
    }  # with the baseline

    [clear] = [b for b in at.button if b.label == "Clear baseline"]
    clear.click().run()
    _, fan = chart(at, "Revenue fan chart")
    assert "Baseline median" not in set(rows_with(fan, "line")["line"])
    assert all(m.delta in (None, "") for m in at.metric)


def test_reset_to_preset_undoes_changes_but_keeps_the_baseline() -> None:
    at = open_app()
    [pin] = [b for b in at.button if "Pin as baseline" in b.label]
    pin.click().run()
    at.slider(key=controls.W_NEW_BUSINESS).set_value(40.0).run()
    assert current(at).effort != load_preset("team_a_team_b").effort
    [reset] = [b for b in at.button if b.label == "Reset to preset"]
    reset.click().run()
    assert current(at).effort == load_preset("team_a_team_b").effort
    assert at.slider(key=controls.W_NEW_BUSINESS).value == pytest.approx(70.0)
    assert at.session_state[app_session.BASELINE] is not None


def test_picking_a_preset_loads_it() -> None:
    at = open_app()
    at.selectbox(key=app_session.W_PRESET).set_value("new_product_splash").run()
    assert_page_ok(at)
    assert current(at).meta.title == load_preset("new_product_splash").meta.title
    assert at.query_params["preset"] == "new_product_splash"
    lines = current(at).line_ids
    if len(lines) > 2:
        assert all(at.slider(key=controls.focus_key(line)) for line in lines)


# --- Files.
def test_bad_upload_shows_the_error_and_keeps_everything() -> None:
    at = open_app()
    at.slider(key=controls.W_CLOSING).set_value(50.0).run()
    [pin] = [b for b in at.button if "Pin as baseline" in b.label]
    pin.click().run()
    before, params = current(at), dict(at.query_params)

    bad = dump_scenario(before).replace("contacts_per_account = 2", "contacts_per_account = 0", 1)
    at.file_uploader(key=app_session.W_UPLOAD).upload(
        "mine.toml", bad.encode(), "application/toml"
    ).run()
    assert not at.exception
    [error] = at.error
    assert "relationships.contacts_per_account" in shown_text(error.value)
    assert current(at) == before
    assert at.session_state[app_session.BASELINE] == before
    assert dict(at.query_params) == params
    assert at.slider(key=controls.W_CLOSING).value == pytest.approx(50.0)

    # A refused file is taken out of the uploader: the next one goes to a fresh uploader.
    [fresh] = [u for u in at.file_uploader if "scenario file" in u.proto.label]
    fresh.upload("junk.toml", b"[effort\nx=", "text/plain").run()
    assert "not valid TOML" in at.error[0].value
    assert current(at) == before


def test_saved_toml_uploads_back_to_the_same_state() -> None:
    at = open_app()
    at.slider(key=controls.W_CLOSING).set_value(45.0).run()
    at.select_slider(key=controls.end_key(0)).set_value("2013-04").run()
    at.slider(key=controls.W_TURNOVER).set_value(15.0).run()
    saved, widgets = current(at), controls.widget_values(current(at))
    text = dump_scenario(saved)
    assert parse_scenario(text) == saved

    other = open_app({"preset": "balanced"})
    other.file_uploader(key=app_session.W_UPLOAD).upload("saved.toml", text.encode()).run()
    assert_page_ok(other)
    assert current(other) == saved
    for key, value in widgets.items():
        assert other.session_state[key] == pytest.approx(value), key
    assert "scenario" in other.query_params  # an uploaded scenario travels whole in the link


def test_user_text_from_a_file_is_shown_as_plain_text() -> None:
    scenario = load_preset("balanced")
    data = simulator.scenario_to_dict(scenario)
    data["meta"]["title"] = "<b>Bold</b> **claim** [link](http://example.com)"
    data["meta"]["description"] = "<script>alert(1)</script> *not italic*"
    text = dump_scenario(simulator.scenario_from_dict(data))
    at = open_app({"preset": "balanced"})
    at.session_state["lesson_expander"] = True  # "About this scenario" is drawn while open
    at.file_uploader(key=app_session.W_UPLOAD).upload("x.toml", text.encode()).run()
    assert_page_ok(at)
    assert any(t.value == data["meta"]["description"] for t in at.text)
    for element in at.markdown:
        assert "<b>" not in element.value and "<script>" not in element.value
        assert "[link](" not in element.value
    assert all(not getattr(m.proto, "allow_html", False) for m in at.markdown)


# --- The shareable URL.
def test_query_parameters_round_trip() -> None:
    at = open_app()
    at.slider(key=controls.W_CLOSING).set_value(40.0).run()
    at.slider(key=controls.W_FOCUS_SPLIT).set_value(55.0).run()
    at.slider(key=controls.contacts_key(1)).set_value(3).run()
    at.select_slider(key=controls.end_key(1)).set_value("2013-10").run()
    at.number_input(key=controls.W_SEED).set_value(7).run()
    params = dict(at.query_params)
    assert params["preset"] == "team_a_team_b"
    assert {"effort", "focus", "ends", "cc", "seed"} <= set(params)
    assert len("&".join(f"{k}={v}" for k, v in params.items())) < 200  # compact

    again = open_app(params, runs=None)
    assert_page_ok(again)
    assert not again.warning
    assert current(again) == current(at)
    for key in (controls.W_CLOSING, controls.W_FOCUS_SPLIT, controls.contacts_key(1)):
        assert again.slider(key=key).value == pytest.approx(at.slider(key=key).value)
    assert again.select_slider(key=controls.end_key(1)).value == "2013-10"
    assert verdict_text(again) == verdict_text(at)


def test_tampered_query_parameters_warn_and_fall_back() -> None:
    at = open_app(
        {
            "preset": "team_a_team_b",
            "effort": "0.9,0.9,0,0,0",
            "contacts": "many",
            "ends": "2013-13,2013-01",
            "months": "999999",
            "seed": "-1",
        }
    )
    assert_page_ok(at)
    notes = " ".join(shown_text(w.value) for w in at.warning)
    for name in ("effort", "contacts", "ends", "months", "seed"):
        assert f"link's {name}=" in notes
    base = load_preset("team_a_team_b")
    assert current(at).effort == base.effort
    assert current(at).simulation.months == base.simulation.months
    assert at.slider(key=controls.W_CONTACTS).value == base.relationships.contacts_per_account
    assert at.query_params["preset"] == "team_a_team_b"
    assert "effort" not in at.query_params  # the bad values are not carried on

    at = open_app({"preset": "no_such_preset", "scenario": "garbage!"}, runs=None)
    assert_page_ok(at)
    notes = " ".join(shown_text(w.value) for w in at.warning)
    assert "no_such_preset" in notes and "scenario could not be opened" in notes
    assert current(at) == load_preset(presets.DEFAULT_PRESET)


def three_line_scenario() -> str:
    """team_a_team_b with a third product line, as TOML (no preset has three)."""
    data = simulator.scenario_to_dict(load_preset("team_a_team_b"))
    data["product_lines"]["services"] = {"name": "Services", "focus": 0.2, "term_months": 0}
    data["simulation"]["runs"] = int(RUNS)
    return dump_scenario(simulator.scenario_from_dict(data))


def test_three_lines_get_one_focus_slider_each() -> None:
    at = open_app()
    at.file_uploader(key=app_session.W_UPLOAD).upload(
        "three.toml", three_line_scenario().encode()
    ).run()
    assert_page_ok(at)
    sliders = {line: at.slider(key=controls.focus_key(line)) for line in current(at).line_ids}
    assert sliders["services"].value == pytest.approx(20 / 1.2)
    sliders["services"].set_value(0.0).run()
    assert current(at).focus_shares["services"] == 0.0
    _, lines = chart(at, "Revenue by line")
    assert "services" not in set(rows_with(lines, "key")["key"])  # no new services revenue
    for line in ("enterprise", "transactional"):
        at.slider(key=controls.focus_key(line)).set_value(0.0).run()
    [error] = at.error  # all focus at zero is impossible: refused, named, settings kept
    assert "focus" in error.value
    assert current(at).focus_shares["transactional"] > 0
    assert at.slider(key=controls.focus_key("transactional")).value > 0


def test_limits_rejected_by_the_engine_show_an_error_and_keep_the_settings() -> None:
    at = open_app()
    at.file_uploader(key=app_session.W_UPLOAD).upload(
        "three.toml", three_line_scenario().encode()
    ).run()
    at.number_input(key=controls.W_MONTHS).set_value(120).run()
    assert_page_ok(at)
    before = current(at)
    at.number_input(key=controls.W_RUNS).set_value(20_000).run()  # x 120 months x 3 lines
    assert not at.exception
    [error] = at.error
    assert "simulation.runs x simulation.months" in shown_text(error.value)
    assert current(at) == before
    assert at.number_input(key=controls.W_RUNS).value == before.simulation.runs


def test_a_failing_simulation_shows_an_error_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(runtime, "simulate", broken)  # every page simulates through it
    at = open_app()
    assert not at.exception
    assert any("engine exploded" in e.value for e in at.error)
    assert at.slider(key=controls.W_CLOSING)  # the controls still work
    assert not at.metric


def test_about_page_renders_and_the_scenario_survives_the_visit() -> None:
    at = open_app()
    at.slider(key=controls.W_CLOSING).set_value(40.0).run()
    changed = current(at)
    at.switch_page("pages/2_About_the_model.py").run()
    assert not at.exception
    assert at.markdown or at.info
    assert at.get("page_link")
    at.switch_page("app.py").run()
    assert_page_ok(at)
    assert current(at) == changed
    assert at.slider(key=controls.W_CLOSING).value == pytest.approx(40.0)


# --- Pure state functions.
def test_effort_controls_reproduce_every_preset_exactly() -> None:
    for name in list_presets():
        effort = load_preset(name).effort
        assert controls.effort_from_controls(controls.effort_controls(effort)) == effort


@settings(max_examples=200, deadline=None)
@given(
    new_business=hs.floats(0, 100),
    closing=hs.floats(0, 100),
    weights=hs.lists(hs.floats(0, 100), min_size=3, max_size=3),
)
def test_effort_controls_never_make_an_impossible_plan(
    new_business: float, closing: float, weights: list[float]
) -> None:
    sliders = controls.EffortControls(new_business, closing, *weights)
    effort = controls.effort_from_controls(sliders)  # validated: sums to 1 within tolerance
    shares = effort.as_dict()
    assert all(0 <= shares[s] <= 1 for s in STAGES)
    assert shares["attract"] + shares["close"] == pytest.approx(new_business / 100, abs=1e-5)


def test_stagger_spreads_the_largest_contracts_furthest_apart() -> None:
    staggered = controls.stagger_renewals(load_preset("team_a_team_b"))
    assert [c.ends for c in staggered.contracts] == ["2013-02", "2013-08"]
    assert controls.stagger_renewals(staggered) == staggered  # a second click changes nothing

    data = simulator.scenario_to_dict(load_preset("team_a_team_b"))
    base = data["contracts"][0]
    data["contracts"] = [dict(base, name=f"c{i}", annual_value=1000 * (i + 1)) for i in range(8)]
    many = controls.stagger_renewals(simulator.scenario_from_dict(data))
    quarters = [(simulator.models.month_index(c.ends) // 3) for c in many.contracts]
    assert len(set(quarters)) == 4 and all(quarters.count(q) == 2 for q in set(quarters))


def test_book_edits_apply_and_bad_cells_name_the_field() -> None:
    scenario = load_preset("team_a_team_b")
    edited = book.apply_book_edits(
        scenario,
        {
            "edited_rows": {"0": {"ends": "2013-04", "contacts": 3.0}},
            "added_rows": [
                {
                    "name": "New deal",
                    "product_line": "enterprise",
                    "annual_value": 5e5,
                    "ends": "2014-02",
                }
            ],
            "deleted_rows": [1],
        },
    )
    assert [(c.name, c.ends, c.contacts) for c in edited.contracts] == [
        ("Team A: Nordic Telecom (multi-year)", "2013-04", 3),
        ("New deal", "2014-02", None),
    ]
    with pytest.raises(ScenarioError, match=r"contracts\.0\.annual_value"):
        book.apply_book_edits(scenario, {"edited_rows": {0: {"annual_value": -5.0}}})
    with pytest.raises(ScenarioError, match=r"contracts\.2\.name"):
        book.apply_book_edits(scenario, {"added_rows": [{"product_line": "enterprise"}]})
    with pytest.raises(ScenarioError, match=r"contracts\.1\.ends"):
        book.apply_book_edits(scenario, {"edited_rows": {1: {"ends": "Jan 2013"}}})


def test_book_edit_callback_keeps_the_book_on_error() -> None:
    session: dict = {}
    app_session.start_session(session, {})
    before, version = session[app_session.SCENARIO], session[app_session.BOOK_VERSION]
    key = book.book_key(version)
    session[key] = {"edited_rows": {0: {"product_line": "nope"}}}
    app_session.on_book_edit(session, key)
    assert "contracts.0.product_line" in session[app_session.ERROR]
    assert session[app_session.SCENARIO] == before
    assert session[app_session.BOOK_VERSION] == version + 1  # the table is redrawn from the book
    session[book.book_key(version + 1)] = {"edited_rows": {1: {"ends": "2014-01"}}}
    app_session.on_book_edit(session, book.book_key(version + 1))
    assert session[app_session.ERROR] is None
    assert session[app_session.SCENARIO].contracts[1].ends == "2014-01"
    assert session[controls.end_key(1)] == "2014-01"  # the slider follows the table


def test_links_for_edited_books_carry_the_whole_scenario() -> None:
    scenario = book.apply_book_edits(
        load_preset("team_a_team_b"), {"edited_rows": {0: {"annual_value": 123.0}}}
    )
    params = links.scenario_to_params(scenario, preset="team_a_team_b")
    assert set(params) == {"scenario"}
    opened, preset, notes = links.scenario_from_params(params)
    assert (opened, preset, notes) == (scenario, None, [])


def test_damaged_scenario_links_are_rejected_cleanly() -> None:
    good = links.encode_scenario(load_preset("balanced"))
    for text in ("", "!!!", good[:-10], "A" * (links.MAX_PARAM_CHARS + 1)):
        with pytest.raises(ScenarioError):
            links.decode_scenario(text)
    bomb = base64.urlsafe_b64encode(zlib.compress(b"#" * 2_000_000)).decode()
    with pytest.raises(ScenarioError, match="too large"):
        links.decode_scenario(bomb)


def test_verdict_wording() -> None:
    result = simulator.simulate(load_preset("balanced"), runs=300)
    calm = result.whiplash
    assert verdict_sentence(result) == (
        f"No whiplash: whiplash in {round(calm.probability * 100)}% of futures, "
        f"severe in {round(calm.severe_probability * 100)}%"
    )
    warning = early_warning_sentence(result)
    assert warning.startswith("No bust to warn of")
    client = simulator.simulate(load_preset("team_a_team_b"), runs=300)
    sentence = verdict_sentence(client)
    assert sentence.startswith("Mild whiplash: whiplash in ")
    figures = key_figures(client, baseline=result)
    assert [f.delta is not None for f in figures][:5] == [True, True, True, True, True]
    assert figures[1].label == "Whiplash" and figures[1].delta.startswith("+")


def test_a_scenario_too_big_for_a_link_says_save_as_file() -> None:
    import random
    import string

    rnd = random.Random(1)
    data = scenario_to_dict(load_preset("balanced"))
    data["contracts"] = [
        {
            "name": "".join(rnd.choices(string.ascii_letters, k=90)),
            "product_line": "subscriptions",
            "annual_value": 1000 + i,
            "ends": "2013-01",
        }
        for i in range(200)
    ]
    big = scenario_from_dict(data)
    with pytest.raises(ScenarioError, match="characters in a link"):
        links.scenario_to_params(big, preset=None)
    at = open_app()
    app_session.set_scenario(at.session_state, big)
    at.run()
    assert not at.exception
    assert any("too large to fit in a link" in i.value for i in at.info)
    assert "scenario" not in at.query_params
