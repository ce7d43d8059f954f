"""The dynamics levers in a room: a team's quarter-end push and plan timeline, set on its
own page, stored with its submission (re-validated by the store), and shown in the
facilitator's debrief. AppTest sessions for the facilitator and each team; the store
on a real SQLite file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rooms import (
    Forbidden,
    NotFound,
    RevealedRound,
    RoomError,
    RoomStore,
    TeamResult,
    leaderboard,
    results_csv,
    team_plan,
)
from rooms.plans import MAX_TEAM_CHANGES, TEAM_LEVERS, headcount_ceiling
from simulator import Scenario, levers, load_preset
from simulator.models import Change, ChangeTargets, Effort, Policy
from tests.support.rooms import BACKENDS, Clock, database
from ui import controls, timeline
from ui import room_view as view
from ui.text import shown_text

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "3_Room.py")
GUIDE = (Path(__file__).resolve().parent.parent / "docs" / "workshop-guide.md").read_text(
    encoding="utf-8"
)
PRESET = load_preset("team_a_team_b")  # a 900k quota; 12 reps; no push, no changes
MID_YEAR = "2012-07"
PUSH = Policy(quarter_end_push=0.5, push_trigger=0.9, perception_delay_months=1)


# --- The page, driven by AppTest -------------------------------------------------------------


@pytest.fixture
def url(tmp_path, monkeypatch) -> str:
    url = database("sqlite", tmp_path)
    monkeypatch.setenv("WHIPLASH_DATABASE_URL", url)
    return url


def session() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def page_text(at: AppTest) -> str:
    kinds = ("title", "header", "subheader", "markdown", "caption", "error", "info", "success")
    return shown_text("\n".join(str(e.value) for k in kinds for e in getattr(at, k)))


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def ok(at: AppTest) -> None:
    assert not at.exception and not at.error, [e.value for e in at.error] or at.exception


def open_room_page() -> tuple[AppTest, str]:
    host = session()
    button(host, "Open a new room").click().run()
    code = host.session_state["room_facilitator"].code
    return host, code


def join(code: str, name: str) -> AppTest:
    at = session()
    at.text_input(key="room_w_code").input(code)
    at.text_input(key="room_w_name").input(name)
    button(at, "Join").click().run()
    ok(at)
    return at


def open_round(host: AppTest, preset: str) -> None:
    host.run()
    host.selectbox(key="room_w_source").set_value(f"preset:{preset}")
    button(host, "Open round 1").click().run()
    ok(host)


def test_a_team_pushes_and_changes_its_plan_mid_year_and_the_reveal_says_so(url: str):
    host, code = open_room_page()
    pushers, steady = join(code, "Pushers"), join(code, "Steady")
    open_round(host, "team_a_team_b")
    for team in (pushers, steady):
        team.run()
        ok(team)
        assert "Plan timeline" in page_text(team) and "Management pressure" in page_text(team)

    # The pushers turn the quarter-end push on and, from July, move time to prospecting.
    pushers.slider(key=view.PREFIX + controls.W_PUSH).set_value(50.0).run()
    ok(pushers)
    assert pushers.session_state["room_plan"].policy.quarter_end_push == 0.5
    assert pushers.slider(key=view.PREFIX + controls.W_PUSH_TRIGGER).value == 90.0
    pushers.selectbox(key=view.PREFIX + timeline.W_MONTH).set_value(MID_YEAR)
    pushers.checkbox(key=view.PREFIX + timeline.W_SET_EFFORT).check().run()
    pushers.slider(key=view.PREFIX + timeline.W_NEW_BUSINESS).set_value(60.0)
    pushers.slider(key=view.PREFIX + timeline.W_CLOSING).set_value(30.0)
    button(pushers, "Add change").click().run()
    ok(pushers)
    plan = pushers.session_state["room_plan"]
    assert [c.from_ for c in plan.changes] == [MID_YEAR]
    assert plan.changes[0].effort.attract == pytest.approx(0.42)  # 60% x (1 - 30%)
    assert f"From {MID_YEAR}: effort attract 42%" in page_text(pushers)
    # The simulator page's widgets in the same session are not moved.
    assert controls.W_PUSH not in pushers.session_state
    button(pushers, "Submit our plan").click().run()
    assert "Plan submitted." in page_text(pushers)
    button(steady, "Submit our plan").click().run()
    assert "Plan submitted." in page_text(steady)
    # The other team's page shows none of the pushers' choices.
    assert steady.slider(key=view.PREFIX + controls.W_PUSH).value == 0.0
    assert "No changes yet" in page_text(steady)

    host.run()
    assert "2 of 2 teams have submitted" in page_text(host)
    button(host, "Close and reveal").click().run()
    ok(host)
    text = page_text(host)
    assert "Round 1 revealed" in text and "What each team chose" in text
    board, chosen = host.dataframe[1].value, host.dataframe[2].value  # [0]: the standings
    assert sorted(board["Team"]) == ["Pushers", "Steady"] and list(board["Rank"]) == [1, 2]
    assert list(chosen["Team"]) == list(board["Team"])  # in the leaderboard's order
    rows = {row["Team"]: row for _, row in chosen.iterrows()}
    assert rows["Pushers"]["Quarter-end push"].startswith(
        "50% of prospecting to closing when below 90% of a $900k quota"
    )
    assert rows["Pushers"]["Quarter-end push"].endswith("(changed)")
    assert rows["Pushers"]["Plan timeline"].startswith(f"From {MID_YEAR}: effort attract 42%")
    assert rows["Steady"]["Quarter-end push"] == "off"
    assert rows["Steady"]["Plan timeline"] == "none"
    pushers.run()  # the team's own page: its rank and what it chose
    assert "Rank " in page_text(pushers)
    assert "Your plan: quarter-end push 50% of prospecting to closing" in page_text(pushers)
    assert f"plan timeline: From {MID_YEAR}: effort attract 42%" in page_text(pushers)
    # The stored plans are what the teams set (the store re-validated them).
    store = RoomStore(url)
    key = host.session_state["room_facilitator"].key
    stored = {s.team: s.plan for s in store.plans(code, secret=key, number=1)}
    assert stored["Pushers"].policy == PUSH and len(stored["Pushers"].changes) == 1
    assert not stored["Steady"].policy.active and not stored["Steady"].changes
    store.dispose()


@pytest.mark.parametrize("blind", [False, True])
def test_turning_the_push_on_without_a_quota_fills_in_the_rounds_median_quarter(
    url: str, blind: bool
):
    host, code = open_room_page()
    team = join(code, "Pushers")
    host.run()
    host.checkbox(key="room_w_blind").set_value(blind)
    open_round(host, "balanced")
    team.run()
    assert ("A blind round" in page_text(team)) == blind
    assert "The push needs a new-business quota" in page_text(team)
    team.slider(key=view.PREFIX + controls.W_PUSH).set_value(25.0).run()
    ok(team)
    plan = team.session_state["room_plan"]
    assert plan.policy.quarter_end_push == 0.25
    quota = plan.targets.quarterly_bookings
    assert quota is not None and quota > 0
    assert team.number_input(key=view.PREFIX + controls.W_QUOTA).value == quota


def test_a_plan_hiring_beyond_the_rounds_headcount_is_refused_at_submit(url: str):
    host, code = open_room_page()
    team = join(code, "Hirers")
    open_round(host, "team_a_team_b")
    team.run()
    team.checkbox(key=view.PREFIX + timeline.W_SET_REPS).check().run()
    reps = team.number_input(key=view.PREFIX + timeline.W_REPS)
    assert reps.max == headcount_ceiling(PRESET) == 12.0  # the widget stops at the round's
    # Whatever the session holds, the store checks the plan again when it is submitted.
    hiring = PRESET.model_copy(update={"changes": (Change(**{"from": MID_YEAR, "reps": 500}),)})
    team.session_state["room_plan"] = hiring
    button(team, "Submit our plan").click().run()
    assert not team.exception
    assert "plan: changes.0.reps: 500 reps; in this round a team has at most 12" in page_text(team)
    store = RoomStore(url)
    assert store.status(code, secret=host.session_state["room_facilitator"].key).submitted == 0
    store.dispose()


# --- The store: the new fields at the boundary ------------------------------------------------


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path: Path):
    s = RoomStore(database(request.param, tmp_path), clock=Clock())
    yield s
    s.dispose()


def open_room(store: RoomStore):
    room = store.create_room(creator="facilitator", title="Dynamics")
    a, b = (store.join(room.code, name, client=name) for name in ("A", "B"))
    store.open_round(room.code, secret=room.key, scenario=PRESET, label="Round 1")
    return room, a, b


def pushing_plan(*, changes: tuple[Change, ...] = ()) -> Scenario:
    return levers.apply(PRESET, {"pressure": levers.Pressure(PUSH, 900_000.0), "changes": changes})


def test_a_team_sets_only_its_own_push_and_timeline(store: RoomStore):
    room, a, b = open_room(store)
    change = Change(**{"from": MID_YEAR, "contacts_per_account": 4})
    store.submit(room.code, secret=a.token, plan=pushing_plan(changes=(change,)))
    store.submit(room.code, secret=b.token, plan=PRESET)
    mine, theirs = (store.own_plan(room.code, secret=t.token) for t in (a, b))
    assert mine.policy == PUSH and mine.changes == (change,)
    assert not theirs.policy.active and theirs.changes == ()
    with pytest.raises(Forbidden):  # the facilitator has no plan to set
        store.submit(room.code, secret=room.key, plan=pushing_plan())
    other = store.create_room(creator="elsewhere")
    intruder = store.join(other.code, "Intruder", client="x")
    with pytest.raises(NotFound):  # another room's token cannot reach this room's teams
        store.submit(room.code, secret=intruder.token, plan=pushing_plan())
    assert store.own_plan(room.code, secret=b.token).policy == theirs.policy


def constructed(**fields: object) -> Scenario:
    """A scenario made without validation: what a hostile caller could hand the store."""
    return PRESET.model_copy(update=fields)


HOSTILE = [
    (
        {"policy": Policy.model_construct(quarter_end_push=-1.0, push_trigger=0.9)},
        r"policy\.quarter_end_push",
    ),
    (
        {
            "policy": Policy.model_construct(
                quarter_end_push=0.5, push_trigger=float("nan"), perception_delay_months=1
            )
        },
        r"policy\.push_trigger",
    ),
    (
        {
            "policy": Policy.model_construct(
                quarter_end_push=0.5, push_trigger=0.9, perception_delay_months=9
            )
        },
        r"policy\.perception_delay_months",
    ),
    ({"changes": (Change.model_construct(from_="2099-13", reps=5.0),)}, r"changes\.0\.from"),
    ({"changes": (Change(**{"from": "2030-01", "reps": 5}),)}, r"changes\.0\.from"),
    ({"changes": (Change.model_construct(from_=MID_YEAR, reps=-3.0),)}, r"changes\.0\.reps"),
    ({"changes": (Change.model_construct(from_=MID_YEAR, reps="many"),)}, r"changes\.0\.reps"),
    ({"changes": (Change(**{"from": MID_YEAR, "reps": 13}),)}, r"changes\.0\.reps: 13 reps"),
    ({"changes": ({"from": MID_YEAR, "reps": 5000},)}, r"changes\.0\.reps: 5000 reps"),
    ({"changes": (Change(**{"from": MID_YEAR, "focus": {"zzz": 1.0}}),)}, r"changes\.0\.focus"),
    (
        {
            "changes": (
                Change.model_construct(
                    from_=MID_YEAR, effort=Effort.model_construct(attract=2.0, close=-1.0)
                ),
            )
        },
        r"changes\.0\.effort",
    ),
    (
        {"changes": (Change(**{"from": MID_YEAR, "targets": ChangeTargets()}),) * 13},
        rf"changes: 13 changes of plan; a team's plan holds at most {MAX_TEAM_CHANGES}",
    ),
    (
        {"changes": (Change(**{"from": MID_YEAR, "contacts_per_account": 2}),) * 1_000_000},
        r"changes: 1,000,000 changes of plan",
    ),
    ({"changes": 42}, r"not a scenario's levers"),
]


@pytest.mark.parametrize(("fields", "named"), HOSTILE)
def test_hostile_push_and_timeline_values_are_refused_naming_the_field(
    store: RoomStore, fields: dict, named: str
):
    room, a, _ = open_room(store)
    with pytest.raises(RoomError, match=rf"^plan: {named}") as refused:
        store.submit(room.code, secret=a.token, plan=constructed(**fields))
    assert len(str(refused.value)) < 300 and "\n" not in str(refused.value)
    assert store.own_plan(room.code, secret=a.token) is None  # nothing stored
    assert store.status(room.code, secret=room.key).submitted == 0


def test_the_rounds_own_hires_and_changes_can_be_kept_moved_or_dropped():
    given = load_preset("too_late_to_react")  # hires in July 2012
    hired = max(change.reps for change in given.changes if change.reps is not None)
    assert hired > given.team.reps
    assert headcount_ceiling(given) == hired  # the round's largest headcount
    assert team_plan(given, given).changes == given.changes
    earlier = levers.lever("timing").write(given, (0,))
    assert team_plan(given, earlier).changes[0].from_ == given.simulation.start
    assert team_plan(given, levers.lever("changes").write(given, ())).changes == ()


def test_the_team_levers_bring_their_control_groups_from_the_registry():
    assert {"changes", "pressure"} <= set(TEAM_LEVERS)
    assert {"timeline", "pressure"} <= set(view.PLAN_GROUPS)
    for name in TEAM_LEVERS:  # every team lever has a group on the team's page
        assert set(levers.lever(name).groups) & set(view.PLAN_GROUPS), name
    assert "company" not in view.PLAN_GROUPS and "simulation" not in view.PLAN_GROUPS


def test_the_debrief_words_and_markdown_name_each_teams_choice():
    plan = pushing_plan(changes=(Change(**{"from": MID_YEAR, "reps": 10}),))
    chosen = view.plan_choices(plan, round_scenario=PRESET)
    assert chosen["Quarter-end push"] == (
        "50% of prospecting to closing when below 90% of a $900k quota (seen after 1 month) "
        "(changed)"
    )
    assert chosen["Plan timeline"] == f"From {MID_YEAR}: 10 reps (changed)"
    assert view.plan_choices(PRESET, round_scenario=PRESET)["Plan timeline"] == "none"
    # The line under a team's own result: not "plan timeline none".
    assert view.own_plan_words(view.plan_choices(PRESET, round_scenario=PRESET)) == (
        "Your plan: quarter-end push off; no plan timeline"
    )
    assert view.own_plan_words(chosen) == (
        "Your plan: quarter-end push 50% of prospecting to closing when below 90% of a $900k "
        f"quota (seen after 1 month) (changed); plan timeline: From {MID_YEAR}: 10 reps (changed)"
    )
    result = TeamResult(
        score=1.0,
        median_revenue=2.0,
        probability=0.0,
        severe_probability=0.0,
        max_drawdown=0.0,
        verdict="none",
        sentence="No whiplash",
        quarters=("2012Q1",),
        quarter_revenue=(1.0,),
    )
    revealed = [RevealedRound(1, "Round 1", tuple(leaderboard([(7, "**A**", result)])))]
    text = view.debrief_markdown("Room", revealed, choices={1: {7: chosen}})
    shown = shown_text(text)
    assert "   - Quarter-end push: 50% of prospecting to closing when below 90%" in shown
    assert f"   - Plan timeline: From {MID_YEAR}: 10 reps (changed)" in shown
    assert "1. ****A****:" in shown and "**A**" not in text  # the name stays plain text


def test_the_guide_documents_the_new_levers_and_their_limits():
    room = GUIDE[GUIDE.index("## Running a room") :]
    assert "quarter-end push" in room.lower() and "plan timeline" in room.lower()
    assert f"`MAX_TEAM_CHANGES` | {MAX_TEAM_CHANGES} |" in room
    assert "headcount" in room


def test_a_push_turned_off_again_reads_as_off_not_changed():
    left_quota = levers.apply(PRESET, {"pressure": levers.Pressure(Policy(), 1_000_000.0)})
    assert view.plan_choices(left_quota, round_scenario=PRESET)["Quarter-end push"] == "off"
    other_quota = levers.apply(PRESET, {"pressure": levers.Pressure(PUSH, 1_000_000.0)})
    assert view.plan_choices(other_quota, round_scenario=pushing_plan())[
        "Quarter-end push"
    ].endswith("$1M quota (seen after 1 month) (changed)")


def test_on_the_page_a_change_is_removed_and_a_thirteenth_is_refused(url: str):
    host, code = open_room_page()
    team = join(code, "Planners")
    open_round(host, "team_a_team_b")
    team.run()
    team.selectbox(key=view.PREFIX + timeline.W_MONTH).set_value(MID_YEAR)
    team.checkbox(key=view.PREFIX + timeline.W_SET_CONTACTS).check().run()
    button(team, "Add change").click().run()
    assert len(team.session_state["room_plan"].changes) == 1
    button(team, "Remove").click().run()
    ok(team)
    assert team.session_state["room_plan"].changes == ()
    assert "No changes yet" in page_text(team)
    months = PRESET.month_labels()[1 : 1 + MAX_TEAM_CHANGES]
    full = levers.lever("changes").write(
        PRESET, tuple(Change(**{"from": m, "contacts_per_account": 2}) for m in months)
    )
    team.session_state["room_plan"] = full
    team.run()
    team.selectbox(key=view.PREFIX + timeline.W_MONTH).set_value(PRESET.month_labels()[-1])
    team.checkbox(key=view.PREFIX + timeline.W_SET_CONTACTS).check().run()
    button(team, "Add change").click().run()
    assert f"a team's plan holds at most {MAX_TEAM_CHANGES}" in page_text(team)
    assert team.session_state["room_plan"].changes == full.changes  # the plan as it was


def test_the_results_csv_carries_each_teams_choices_in_columns_of_their_own():
    result = TeamResult(
        score=1.0,
        median_revenue=2.0,
        probability=0.0,
        severe_probability=0.0,
        max_drawdown=0.0,
        verdict="none",
        sentence="No whiplash",
        quarters=("2012Q1",),
        quarter_revenue=(1.0,),
    )
    board = tuple(leaderboard([(7, "Pushers", result), (8, "Quiet", result)]))
    chosen = view.plan_choices(pushing_plan(), round_scenario=PRESET)
    text = results_csv([RevealedRound(1, "Round 1", board)], choices={1: {7: chosen}})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"quarter_end_push", "plan_timeline", "effort", "contacts", "renewals"} <= set(rows[0])
    by_team = {row["team"]: row for row in rows}
    assert by_team["Pushers"]["quarter_end_push"].startswith("50% of prospecting to closing")
    assert by_team["Quiet"]["quarter_end_push"] == ""  # no plan words given: blank, not made up
    assert results_csv([RevealedRound(1, "Round 1", board)]).splitlines()[0].endswith(",sentence")
