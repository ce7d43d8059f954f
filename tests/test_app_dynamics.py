"""The app's dynamics controls, driven by AppTest: a sales leader adds a change of plan,
sees it listed and marked on the charts, removes it; the quarter-end push and the
seasons travel in the link; bad custom seasons are refused by name."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import controls, runtime, timeline
from ui import session as app_session
from ui.text import shown_text

from .test_app import APP, assert_page_ok, current
from .test_charts_dynamics import team_table

RUNS = "200"


def open_app(params: dict[str, str]) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in {"runs": RUNS, **params}.items():
        at.query_params[key] = value
    return at.run()


def listed(at: AppTest) -> list[str]:
    return [
        shown_text(m.value) for m in at.markdown if shown_text(m.value).startswith(":small[From ")
    ]


def marker_labels(at: AppTest, description: str) -> set[str]:
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("description") == description:
            return {
                layer["encoding"]["tooltip"][0]["title"]
                for layer in spec.get("layer", [])
                if layer.get("encoding", {}).get("tooltip")
            } & {"Plan change"}
    raise AssertionError(f"no chart {description!r}")


def add_button(at: AppTest):
    [button] = [b for b in at.button if b.label == "Add change"]
    return button


def test_a_change_of_plan_is_added_listed_marked_and_removed() -> None:
    at = open_app({"preset": "balanced"})
    assert listed(at) == []
    assert marker_labels(at, "Revenue fan chart") == set()
    at.selectbox(key=timeline.W_MONTH).set_value("2012-07").run()
    at.checkbox(key=timeline.W_SET_REPS).check().run()
    at.number_input(key=timeline.W_REPS).set_value(15.0).run()
    at.checkbox(key=timeline.W_SET_CONTACTS).check().run()
    at.slider(key=timeline.W_CONTACTS).set_value(2).run()
    add_button(at).click().run()
    assert_page_ok(at)

    [change] = current(at).changes
    assert (change.from_, change.reps, change.contacts_per_account) == ("2012-07", 15.0, 2)
    assert listed(at) == [":small[From 2012-07: 15 reps; 2 buyer contacts per account]"]
    assert at.query_params["changes"] == "2012-07/reps:15/contacts:2"
    for description in ("Revenue fan chart", "Quarterly revenue bars", "Revenue by source"):
        assert marker_labels(at, description) == {"Plan change"}, description

    at.button(key=timeline.remove_key(0)).click().run()
    assert_page_ok(at)
    assert current(at).changes == ()
    assert listed(at) == []
    assert "changes" not in at.query_params
    assert marker_labels(at, "Revenue fan chart") == set()


def test_a_bad_change_names_the_field_and_keeps_the_draft() -> None:
    at = open_app({"preset": "balanced"})
    before = current(at)
    at.checkbox(key=timeline.W_SET_REPS).check().run()
    at.number_input(key=timeline.W_REPS).set_value(0.0).run()
    add_button(at).click().run()
    assert not at.exception
    [error] = at.error
    assert "changes.0.reps" in shown_text(error.value)
    assert current(at) == before
    assert at.checkbox(key=timeline.W_SET_REPS).value is True
    assert at.number_input(key=timeline.W_REPS).value == 0.0


def test_the_push_gets_a_quota_says_so_and_round_trips_through_a_link() -> None:
    at = open_app({"preset": "balanced"})
    assert any("The push needs a new-business quota" in c.value for c in at.caption)
    suggested = at.session_state[app_session.SUGGESTED_QUOTA]  # of the plan as it stood
    at.slider(key=controls.W_PUSH).set_value(50.0).run()
    assert_page_ok(at)
    scenario = current(at)
    assert scenario.policy.quarter_end_push == 0.5
    quota = scenario.targets.quarterly_bookings
    assert quota == suggested > 0
    [info] = at.info
    assert "No quota was set" in shown_text(info.value)
    at.slider(key=controls.W_PUSH_TRIGGER).set_value(80.0).run()
    at.select_slider(key=controls.W_PUSH_DELAY).set_value(2).run()
    at.slider(key=controls.W_ATTRITION).set_value(20.0).run()
    at.selectbox(key=controls.W_SEASON).set_value("summer_dip").run()
    assert_page_ok(at)
    params = dict(at.query_params)
    assert params["push"] == f"0.5,0.8,2,{quota:.0f}"
    assert params["season"] == "summer_dip" and params["team"] == "12,5,0.2,3"

    again = open_app(params)
    assert_page_ok(again)
    assert not again.warning
    assert current(again) == current(at)
    assert again.slider(key=controls.W_PUSH).value == 50.0
    assert again.number_input(key=controls.W_QUOTA).value == quota
    assert again.selectbox(key=controls.W_SEASON).value == "summer_dip"
    assert not again.info  # the quota came with the link: nothing was filled in


def test_custom_seasons_are_validated_by_name() -> None:
    at = open_app({"preset": "balanced"})
    at.selectbox(key=controls.W_SEASON).set_value("custom").run()
    box = at.text_input(key=controls.W_SEASON_CUSTOM)
    box.input("1.5, " * 11 + "1.5").run()  # averages 1.5, not 1
    assert not at.exception
    [error] = at.error
    assert "seasonality.leads: the twelve monthly multipliers" in shown_text(error.value)
    assert at.text_input(key=controls.W_SEASON_CUSTOM).value.startswith("1.5, 1.5")
    assert current(at).seasonality.leads == (1.0,) * 12  # what "custom" started from

    good = "0.9, 0.9, 1, 1, 1, 0.9, 0.7, 0.8, 1.1, 1.1, 1.2, 1.4"
    at.text_input(key=controls.W_SEASON_CUSTOM).input(good).run()
    assert_page_ok(at)
    assert current(at).seasonality.leads[6] == 0.7
    assert at.query_params["season"] == good.replace(" ", "")


def test_the_team_chart_shows_when_the_result_has_the_team_series(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = open_app({"preset": "balanced"})
    shown = {json.loads(e.proto.spec).get("description") for e in at.get("vega_lite_chart")}
    plain = "Team capacity" in shown  # the engine reports the team's series already

    real = runtime.simulate_summary

    def with_team(scenario, **kwargs):
        result = real(scenario, **kwargs)
        if plain:
            return result
        team = team_table(result.month_labels)
        return replace(result, monthly=pd.concat([result.monthly, team], ignore_index=True))

    monkeypatch.setattr(runtime, "simulate_summary", with_team)
    at = open_app({"preset": "balanced", "changes": "2012-07/reps:12"})
    assert_page_ok(at)
    [team] = [
        json.loads(e.proto.spec)
        for e in at.get("vega_lite_chart")
        if json.loads(e.proto.spec).get("description") == "Team capacity"
    ]
    assert "Plan change" in json.dumps(team)
