"""The plan timeline, the team, the push and the seasons as the sidebar sets them: each
move writes the scenario through its lever, a refused one names the field and keeps what
the user set up. Driven through the session callbacks with a plain dict."""

from __future__ import annotations

import pytest

from simulator import ScenarioError, load_preset, scenario_from_dict, scenario_to_dict
from simulator.models import MAX_CHANGES, SEASONAL_PATTERNS, Change
from ui import controls, timeline
from ui import session as app_session


def open_session(preset: str = "balanced") -> dict:
    session: dict = {}
    app_session.start_session(session, {"preset": preset})
    timeline.prepare_draft(session, session[app_session.SCENARIO])
    return session


def current(session: dict):
    return session[app_session.SCENARIO]


def test_a_drafted_change_is_added_listed_in_words_and_removed() -> None:
    session = open_session()
    session[timeline.W_MONTH] = "2012-07"
    session[timeline.W_SET_REPS] = True
    session[timeline.W_REPS] = 15.0
    session[timeline.W_SET_EFFORT] = True
    session.update(
        {
            timeline.W_NEW_BUSINESS: 60.0,  # attract 35%, close 25% of all time
            timeline.W_CLOSING: 25 / 60 * 100,
            timeline.W_ENGAGE: 15.0,
            timeline.W_RETAIN: 15.0,
            timeline.W_LEVERAGE: 10.0,
        }
    )
    session[timeline.W_SET_FOCUS] = True
    session[timeline.W_FOCUS_SPLIT] = 50.0
    app_session.on_add_change(session)
    assert session[app_session.ERROR] is None
    [change] = current(session).changes
    assert (change.from_, change.reps) == ("2012-07", 15.0)
    assert change.effort.as_dict() == pytest.approx(
        {"attract": 0.35, "close": 0.25, "engage": 0.15, "retain": 0.15, "leverage": 0.10}
    )
    assert change.focus == {"subscriptions": 0.5, "projects": 0.5}
    assert current(session).change_months == ["2012-07"]

    [(index, listed, words)] = timeline.listed_changes(current(session))
    assert words == (
        "From 2012-07: 15 reps; effort attract 35%, close 25%, engage 15%, retain 15%, "
        "leverage 10%; focus Subscriptions 50%, Implementation projects 50%"
    )
    assert session[timeline.W_REPS] == 15.0  # the draft stays for the next change

    app_session.on_remove_change(session, index, listed)
    assert current(session).changes == ()
    app_session.on_remove_change(session, index, listed)  # a second click removes nothing
    assert current(session) == load_preset("balanced")


def test_a_second_click_on_add_adds_the_change_once() -> None:
    session = open_session()
    session[timeline.W_SET_CONTACTS] = True
    session[timeline.W_CONTACTS] = 1
    app_session.on_add_change(session)
    app_session.on_add_change(session)
    [change] = current(session).changes
    assert change.contacts_per_account == 1


def test_changes_are_listed_in_the_order_they_take_effect() -> None:
    session = open_session()
    session[timeline.W_SET_REPS] = True
    for month, reps in (("2013-01", 9.0), ("2012-04", 14.0)):
        session[timeline.W_MONTH], session[timeline.W_REPS] = month, reps
        app_session.on_add_change(session)
    listed = timeline.listed_changes(current(session))
    assert [words for _, _, words in listed] == ["From 2012-04: 14 reps", "From 2013-01: 9 reps"]
    assert [i for i, _, _ in listed] == [1, 0]  # the file's order, for "changes.N"


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        ({}, "changes: tick what changes"),
        ({timeline.W_SET_REPS: True, timeline.W_REPS: 0.0}, "changes.0.reps"),
        ({timeline.W_SET_REPS: True, timeline.W_REPS: 1e9}, "changes.0.reps"),
        ({timeline.W_SET_FOCUS: True, timeline.W_FOCUS_SPLIT: float("nan")}, "changes"),
    ],
)
def test_a_bad_change_names_the_field_and_keeps_the_draft(draft: dict, field: str) -> None:
    session = open_session()
    before = current(session)
    session.update(draft)
    kept = {key: session[key] for key in draft}
    app_session.on_add_change(session)
    assert field in session[app_session.ERROR]
    assert current(session) == before
    for key, value in kept.items():
        assert session[key] is value  # as the user set it


def test_all_focus_on_nothing_is_refused_naming_the_change() -> None:
    data = scenario_to_dict(load_preset("balanced"))
    data["product_lines"]["services"] = {"name": "Services", "focus": 0.2, "term_months": 0}
    scenario = scenario_from_dict(data)
    values = timeline.draft_defaults(scenario)
    values[timeline.W_SET_FOCUS] = True
    values.update({timeline.focus_key(line): 0.0 for line in scenario.line_ids})
    with pytest.raises(ScenarioError, match=r"changes\.0\.focus: at least one"):
        timeline.add_change(scenario, values)


def test_the_plan_holds_at_most_the_models_number_of_changes() -> None:
    scenario = load_preset("balanced")
    months = scenario.month_labels()
    full = tuple(
        Change.model_validate({"from": months[i % len(months)], "reps": 10.0 + i})
        for i in range(MAX_CHANGES)
    )
    scenario = scenario.model_copy(update={"changes": full})
    values = {**timeline.draft_defaults(scenario), timeline.W_SET_REPS: True}
    with pytest.raises(ScenarioError, match=f"at most {MAX_CHANGES}"):
        timeline.add_change(scenario, values)


def test_a_month_the_horizon_lost_goes_back_to_the_default() -> None:
    session = open_session()
    session[timeline.W_MONTH] = "2014-12"
    session[controls.W_MONTHS] = 12
    app_session.on_control_change(session, "simulation")
    timeline.prepare_draft(session, current(session))
    assert session[timeline.W_MONTH] == "2012-07"


def test_months_that_would_drop_a_change_are_refused_naming_it() -> None:
    session = open_session()
    session[timeline.W_MONTH], session[timeline.W_SET_REPS] = "2014-06", True
    app_session.on_add_change(session)
    session[controls.W_MONTHS] = 12
    app_session.on_control_change(session, "simulation")
    assert "changes.0.from: 2014-06 is outside the simulated months" in session[app_session.ERROR]
    assert current(session).simulation.months == 36


# --- The team, the seasons and the push.


def test_team_controls_write_the_team() -> None:
    session = open_session()
    session.update(
        {
            controls.W_REPS: 14.0,
            controls.W_RAMP: 6,
            controls.W_ATTRITION: 15.0,
            controls.W_BACKFILL: 2,
        }
    )
    app_session.on_control_change(session, "team")
    team = current(session).team
    assert (team.reps, team.ramp_months, team.attrition_annual, team.backfill_months) == (
        14.0,
        6,
        0.15,
        2,
    )
    session[controls.W_RAMP] = 99  # beyond the model's 36 months: refused by name
    app_session.on_control_change(session, "team")
    assert "team.ramp_months" in session[app_session.ERROR]
    assert session[controls.W_RAMP] == 6


def test_a_seasonal_pattern_and_custom_values() -> None:
    session = open_session()
    session[controls.W_SEASON] = "fiscal_q4"
    app_session.on_control_change(session, "season")
    assert current(session).seasonality.leads == SEASONAL_PATTERNS["fiscal_q4"]
    assert session[controls.W_SEASON_CUSTOM].startswith("0.9, 0.9, 1, 0.95")

    custom = "0.9, 0.9, 1, 1, 1, 0.9, 0.7, 0.8, 1.1, 1.1, 1.2, 1.4"
    session[controls.W_SEASON], session[controls.W_SEASON_CUSTOM] = "custom", custom
    app_session.on_control_change(session, "season")
    assert current(session).seasonality.leads[-1] == 1.4
    assert session[controls.W_SEASON] == "custom"

    session[controls.W_SEASON] = "none"
    app_session.on_control_change(session, "season")
    assert current(session).seasonality.leads is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1, 2, 3", "seasonality.leads: expected 12 comma-separated numbers, got 3"),
        ("2, " * 11 + "2", "seasonality.leads: the twelve monthly multipliers"),
        ("1, " * 11 + "x", "seasonality.leads: "),
        ("1, " * 11 + "9", "seasonality.leads"),  # above the model's largest multiplier
    ],
)
def test_bad_custom_seasons_are_refused_and_the_text_kept(text: str, message: str) -> None:
    session = open_session()
    session[controls.W_SEASON], session[controls.W_SEASON_CUSTOM] = "custom", text
    app_session.on_control_change(session, "season")
    assert message in session[app_session.ERROR]
    assert current(session).seasonality.leads is None
    assert session[controls.W_SEASON_CUSTOM] == text  # to correct, not retype


def test_turning_the_push_on_without_a_quota_uses_the_suggested_one() -> None:
    session = open_session()
    session[app_session.SUGGESTED_QUOTA] = 120_000.0
    session[controls.W_PUSH] = 50.0
    app_session.on_pressure_change(session)
    scenario = current(session)
    assert scenario.policy.quarter_end_push == 0.5 and scenario.policy.active
    assert scenario.targets.quarterly_bookings == 120_000.0
    assert app_session.defaulted_quota(session) == 120_000.0

    session[controls.W_QUOTA] = 300_000.0  # the user's own quota: no longer "defaulted"
    app_session.on_pressure_change(session)
    assert current(session).targets.quarterly_bookings == 300_000.0
    assert app_session.defaulted_quota(session) is None

    session[controls.W_QUOTA] = None  # the push cannot run without one: refused by name
    app_session.on_pressure_change(session)
    assert "policy.quarter_end_push needs targets.quarterly_bookings" in session[app_session.ERROR]
    assert current(session).targets.quarterly_bookings == 300_000.0


def test_without_a_suggestion_the_push_needs_a_quota_by_name() -> None:
    session = open_session()
    session[controls.W_PUSH] = 50.0
    app_session.on_pressure_change(session)
    assert "targets.quarterly_bookings" in session[app_session.ERROR]
    assert not current(session).policy.active


def test_the_suggested_quota_is_the_median_quarters_bookings() -> None:
    from simulator import simulate

    result = simulate(load_preset("balanced"), runs=200, seed=1)
    suggested = controls.suggested_quota(result)
    rows = result.quarterly.loc[result.quarterly["series"] == "bookings", "p50"]
    assert suggested == pytest.approx(rows.median(), rel=0.05)
    assert len(f"{suggested:.0f}".rstrip("0")) <= 2  # two significant figures


def test_no_quota_is_suggested_below_the_smallest_a_scenario_takes() -> None:
    from types import SimpleNamespace

    import pandas as pd

    for p50, expected in ((0.4, None), (0.0, None), (1.0, 1.0), (123_456.0, 120_000.0)):
        quarterly = pd.DataFrame({"series": ["bookings", "revenue"], "p50": [p50, 9e9]})
        result = SimpleNamespace(quarterly=quarterly)
        assert controls.suggested_quota(result) == expected  # type: ignore[arg-type]


def test_removing_the_change_that_sets_the_only_quota_of_a_push_is_refused() -> None:
    session = open_session()
    scenario = current(session)
    quota = Change.model_validate({"from": "2012-04", "targets": {"quarterly_bookings": 2e5}})
    pushed = scenario.model_copy(
        update={
            "changes": (quota,),
            "policy": scenario.policy.model_copy(update={"quarter_end_push": 0.5}),
        }
    )
    app_session.set_scenario(session, pushed)
    app_session.on_remove_change(session, 0, quota)
    assert "policy.quarter_end_push needs targets.quarterly_bookings" in session[app_session.ERROR]
    assert current(session).changes == (quota,)
    assert timeline.listed_changes(pushed)[0][2] == "From 2012-04: quota $200k a quarter"
