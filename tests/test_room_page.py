"""The room page, driven by AppTest: a facilitator and two teams, each in its own
session, play a round on one database (submit, reveal, ranks), then a second."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from rooms import RoomStore, schema, shown_code
from rooms.store import transaction
from simulator import load_preset
from tests.support.rooms import database
from ui import room as rm
from ui import room_view as view
from ui.text import markdown_text, shown_text

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "3_Room.py")
HOSTILE = "**Bold** <b>x</b> :red[y]"


@pytest.fixture
def url(tmp_path, monkeypatch) -> str:
    url = database("sqlite", tmp_path)
    monkeypatch.setenv("WHIPLASH_DATABASE_URL", url)
    return url


def session() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def page_text(at: AppTest) -> str:
    """What the page says, as a reader sees it (escapes and zero-width spaces removed)."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "error", "info", "success")
    parts = [element.value for kind in kinds for element in getattr(at, kind)]
    return shown_text("\n".join(str(p) for p in parts))


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def open_room(at: AppTest) -> str:
    at.text_input(key="room_w_title").input("Tuesday workshop")
    button(at, "Open a new room").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    access = at.session_state["room_facilitator"]
    assert f"Room code: {access.shown_code}" in page_text(at)
    assert access.key not in str(dict(at.query_params.items()))  # never in the address
    assert at.image  # the QR code
    return access.code


def join(code: str, name: str) -> AppTest:
    at = session()
    at.text_input(key="room_w_code").input(code.lower())
    at.text_input(key="room_w_name").input(name)
    button(at, "Join").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.query_params["room"] == code and at.query_params["team"]
    return at


def test_a_facilitator_and_two_teams_play_two_rounds(url: str):
    host = session()
    code = open_room(host)
    first, second = join(code, "Steady Co"), join(code, HOSTILE)
    assert second.title[0].value == markdown_text(HOSTILE)  # a name is plain text

    host.run()
    assert "0 of" not in page_text(host) and "2 teams in the room" in page_text(host)
    assert f"Room code: {shown_code(code)}" in page_text(host)
    host.selectbox(key="room_w_source").set_value("preset:team_a_team_b")
    button(host, "Open round 1").click().run()
    title = load_preset("team_a_team_b").meta.title
    assert f"Round 1: {markdown_text(title)}" in [h.value for h in host.header]
    assert "0 of 2 teams have submitted" in page_text(host)

    for team in (first, second):
        team.run()
        assert "Shape your plan" in page_text(team)
    # The first team balances its effort; the second submits the plan as it comes.
    # (Half the time to new business, half of that to prospecting: the preset's [history]
    # of closing habits makes moving time from prospecting to onboarding no cure.)
    first.slider(key=view.PREFIX + "w_new_business").set_value(50.0).run()
    first.slider(key=view.PREFIX + "w_closing").set_value(50.0).run()
    button(first, "Submit our plan").click().run()
    assert "Plan submitted." in page_text(first) and "is in" in page_text(first)
    host.run()
    assert "1 of 2 teams have submitted" in page_text(host)
    button(second, "Submit our plan").click().run()
    host.run()
    assert "2 of 2 teams have submitted" in page_text(host)

    button(host, "Close and reveal").click().run()
    assert not host.exception and not host.error, [e.value for e in host.error]
    text = page_text(host)
    assert "Round 1 revealed" in text and "Steady Co leads" in text
    standings, board = host.dataframe[0].value, host.dataframe[1].value  # beside the chart, all
    for table in (standings, board):
        assert list(table["Team"]) == ["Steady Co", HOSTILE] and list(table["Rank"]) == [1, 2]
    for at in (host, second):  # the name's markup never reaches Streamlit's Markdown
        raw = [str(e.value) for kind in ("markdown", "title", "subheader") for e in at.get(kind)]
        assert not [r for r in raw if "**Bold**" in r or "<b>" in r or ":red[" in r]
    assert host.get("download_button")  # results CSV and the debrief

    first.run()
    second.run()
    assert "Rank 1 of 2" in page_text(first) and "Rank 2 of 2" in page_text(second)

    # Round 2: the second team learns from the first; the change is shown against round 1.
    host.selectbox(key="room_w_source").set_value("preset:team_a_team_b")
    button(host, "Open round 2").click().run()
    # While round 2 is played, round 1's leaderboard stays at hand, shut.
    [earlier] = [e for e in host.expander if e.label.startswith("Round 1: ")]
    [kept] = earlier.dataframe
    assert list(kept.value["Team"]) == ["Steady Co", HOSTILE]
    second.run()
    # Under its round 2 plan, the team's own round 1, shut, to start from.
    [own] = [e for e in second.expander if e.label.startswith("Your round 1")]
    assert shown_text(own.label) == "Your round 1: Rank 2 of 2"
    assert "Score " in shown_text(own.markdown[0].value)
    second.slider(key=view.PREFIX + "w_new_business").set_value(50.0).run()
    second.slider(key=view.PREFIX + "w_closing").set_value(50.0).run()
    button(second, "Submit our plan").click().run()
    button(host, "Close and reveal").click().run()
    standings, board = host.dataframe[0].value, host.dataframe[1].value
    assert "vs last round" in board.columns  # the full board; the standings stay short
    assert list(standings.columns) == ["Rank", "Team", "Score", "Whiplash"]
    second.run()
    assert "Round 1 → 2" in page_text(second)

    store = RoomStore(url)
    revealed = store.revealed_rounds(code, secret=host.session_state["room_facilitator"].key)
    assert [len(r.standings) for r in revealed] == [2, 1]
    store.dispose()


def test_the_reveal_uses_the_results_kept_at_submission_and_simulates_only_the_rest(
    url: str, monkeypatch
):
    """With several app processes the facilitator's is seldom the one that simulated a
    team's plan: the reveal reads the result the team's process kept with the plan."""
    host = session()
    code = open_room(host)
    teams = [join(code, "Steady Co"), join(code, "Closers"), join(code, "Late")]
    host.run()
    host.selectbox(key="room_w_source").set_value("preset:team_a_team_b")
    button(host, "Open round 1").click().run()
    for share, team in zip((50.0, 20.0, 35.0), teams, strict=True):
        team.run()
        team.slider(key=view.PREFIX + "w_new_business").set_value(share).run()
        button(team, "Submit our plan").click().run()
        assert "Plan submitted." in page_text(team)
    store = RoomStore(url)
    key = host.session_state["room_facilitator"].key
    kept = store.plans(code, secret=key)
    st.cache_data.clear()  # the facilitator's process has simulated none of the plans
    for plan in kept:  # each kept result is its own plan's, as a fresh simulation gives it
        assert plan.result == rm.plan_team_result(plan.plan.model_dump_json()), plan.team
    late = next(p for p in kept if p.team == "Late")
    with transaction(store.engine, write=True) as conn:  # a plan kept without its result
        conn.execute(
            update(schema.plans).where(schema.plans.c.team_id == late.team_id).values(result=None)
        )
    st.cache_data.clear()
    simulated = []
    real = rm.simulate_summary
    monkeypatch.setattr(rm, "simulate_summary", lambda s: simulated.append(s) or real(s))

    button(host, "Close and reveal").click().run()
    assert not host.exception and not host.error, [e.value for e in host.error]
    assert "Round 1 revealed" in page_text(host)
    assert simulated == [late.plan]
    board = {s.team: s.result for s in store.standings(code, secret=key, number=1)}
    assert board == {p.team: p.result for p in kept}
    store.dispose()


def test_a_team_page_has_no_facilitator_controls_and_a_reload_resumes_it(url: str):
    host = session()
    code = open_room(host)
    team = join(code, "Team A")
    labels = {b.label for b in team.button}
    assert not labels & {
        "Open round 1",
        "Close the round",
        "Reopen the round",
        "Close and reveal",
        "Reveal",
        "Remove the team",
    }
    reloaded = AppTest.from_file(PAGE, default_timeout=60)
    reloaded.query_params.update(dict(team.query_params.items()))
    reloaded.run()
    assert shown_text(reloaded.title[0].value) == "Team A"
    assert "Waiting for the facilitator" in page_text(reloaded)


def open_round_with(team_name: str, *, minutes: int = 0) -> tuple[AppTest, AppTest]:
    """A room with one team and round 1 open on team_a_team_b: (facilitator, team)."""
    host = session()
    code = open_room(host)
    team = join(code, team_name)
    host.run()
    host.selectbox(key="room_w_source").set_value("preset:team_a_team_b")
    host.selectbox(key="room_w_minutes").set_value(minutes)
    button(host, "Open round 1").click().run()
    return host, team


def test_a_round_closed_too_early_is_reopened_and_a_late_team_submits(url: str):
    host, late = open_round_with("Late Co")
    button(host, "Close the round").click().run()
    assert "Close the round" not in [b.label for b in host.button]
    late.run()
    assert "Your team did not submit a plan" in page_text(late)
    button(host, "Reopen the round").click().run()
    assert not host.error and "0 of 1 team has submitted" in page_text(host)
    late.run()
    button(late, "Submit our plan").click().run()
    assert "Plan submitted." in page_text(late)
    host.run()
    assert "1 of 1 team has submitted" in page_text(host)


def test_a_round_with_a_time_limit_counts_down_and_closes_by_itself(url: str):
    host, team = open_round_with("Punctual Co", minutes=5)
    assert re.search(r"0 of 1 team has submitted\W* · closes in [45]:\d\d", page_text(host))
    team.run()
    assert re.search(r"0 of 1 team has submitted · closes in [45]:\d\d", page_text(team))
    assert "then submit it before the round closes at " in page_text(team)
    assert not [m for m in team.markdown if ":orange[" in m.value]

    store = RoomStore(url)
    with transaction(store.engine, write=True) as conn:  # the last minute: body text, orange
        conn.execute(update(schema.rounds).values(closes_at=int(time.time()) + 30))
    team.run()
    [hurry] = [m.value for m in team.markdown if ":orange[" in m.value]
    assert re.search(r":orange\[\*\*closes in 0:[23]\d\*\*\]", hurry)

    with transaction(store.engine, write=True) as conn:  # the five minutes pass
        conn.execute(update(schema.rounds).values(closes_at=schema.rounds.c.opened_at - 1))
    team.run()  # its poll sees the round closed: the page shows the wait, not the plan
    assert "The round is closed" in page_text(team) and "Submit our plan" not in [
        b.label for b in team.button
    ]
    host.run()
    labels = [b.label for b in host.button]
    assert "Reopen the round" in labels and "Close the round" not in labels


def test_the_facilitator_removes_a_team_from_the_dashboard(url: str):
    host = session()
    code = open_room(host)
    kept, rude = join(code, "Steady Co"), join(code, HOSTILE)
    assert "room_w_remove" not in [s.key for s in kept.selectbox]  # a team has no such list
    host.run()  # the live list, and the list to remove from, have both teams
    remove = host.selectbox(key="room_w_remove")
    assert remove.options == ["Steady Co", HOSTILE]
    assert button(host, "Remove the team").disabled  # nothing chosen yet
    remove.set_value(rude.session_state["room_team"].team_id).run()
    button(host, "Remove the team").click().run()
    assert not host.exception and not host.error, [e.value for e in host.error]
    text = page_text(host)
    assert "The team is removed: its plans and results are deleted." in text
    assert "1 team in the room" in text and HOSTILE not in text  # nor in the note
    assert host.selectbox(key="room_w_remove").value is None  # nothing left chosen

    rude.run()  # its next run (its page polls every second) goes back to joining
    assert "no longer in the room" in page_text(rude) and "room_team" not in rude.session_state
    assert "team" not in rude.query_params
    rude.text_input(key="room_w_code").input(code)
    rude.text_input(key="room_w_name").input("Polite Co")
    button(rude, "Join").click().run()
    assert not rude.error and shown_text(rude.title[0].value) == "Polite Co"
    kept.run()
    assert shown_text(kept.title[0].value) == "Steady Co" and not kept.error


def test_a_wrong_code_is_refused_on_the_page(url: str):
    session_ = session()
    session_.text_input(key="room_w_code").input("7K3M-9QXR")
    session_.text_input(key="room_w_name").input("Guessers")
    button(session_, "Join").click().run()
    assert "no open room has this code" in page_text(session_)
    assert "room_team" not in session_.session_state


BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/141.0 Safari/537.36"}


def team_link(url: str, *, blind: bool = False) -> AppTest:
    """A team's page opened from its link while a round is open (not run yet)."""
    from simulator import load_preset

    store = RoomStore(url)
    room = store.create_room(creator="test", title="First screen")
    member = store.join(room.code, "Late Joiners", client="test")
    store.open_round(
        room.code,
        secret=room.key,
        scenario=load_preset("team_a_team_b"),
        label="Round 1",
        blind=blind,
    )
    store.dispose()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"room": member.code, "team": member.token})
    return at


def as_browser(monkeypatch) -> None:
    """From now on every new session is a browser's (AppTest sends no User-Agent)."""
    from ui import first_paint

    real = first_paint.first_screen_only
    monkeypatch.setattr(
        first_paint, "first_screen_only", lambda s, _h, **kw: real(s, BROWSER, **kw)
    )


def test_a_team_link_sends_the_plans_result_first_then_its_controls(url: str, monkeypatch):
    """A browser's first run of a team's page (ui/first_paint.py): the heading, Submit
    and the plan's verdict and chart, no controls; the run the browser then asks for
    draws the controls, set to the plan, and changes nothing of it."""
    at = team_link(url)
    whole = AppTest.from_file(PAGE, default_timeout=60)
    whole.query_params.update(dict(at.query_params.items()))
    whole.run()  # no User-Agent: the whole page at once
    as_browser(monkeypatch)

    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert shown_text(at.title[0].value) == "Late Joiners"
    assert button(at, "Submit our plan")
    assert any(m.value.startswith("#### ") and "whiplash" in m.value for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 1
    assert not at.slider and not at.checkbox, "the plan's controls wait for the second run"
    plan = at.session_state["room_plan"]

    at.run()  # what the browser asks for once the plan's chart is drawn
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("vega_lite_chart")) == 1
    assert len(at.slider) == len(whole.slider) >= 7
    assert {s.key: s.value for s in at.slider} == {s.key: s.value for s in whole.slider}
    assert at.session_state["room_plan"] == plan, "the split changes nothing of the plan"

    at.slider(key=view.PREFIX + "w_new_business").set_value(50.0).run()
    moved = at.session_state["room_plan"].effort
    assert moved != plan.effort and moved.attract + moved.close == pytest.approx(0.5)


def test_a_blind_rounds_page_and_a_failed_preview_come_whole(url: str, monkeypatch):
    """With no chart to wait for, nothing would ask for the rest: the controls come at once."""
    as_browser(monkeypatch)
    at = team_link(url, blind=True).run()
    assert not at.exception and at.slider and not at.get("vega_lite_chart")

    st.cache_data.clear()
    monkeypatch.setattr(rm, "simulate_summary", lambda _s: 1 / 0)
    failed = team_link(url).run()
    assert any("could not run" in e.value for e in failed.error)
    assert failed.slider, "the controls are there to change the plan"
    assert button(failed, "Submit our plan")


def test_a_round_in_kroner_shows_its_amounts_in_kroner(url: str):
    """A trainer's own preset may be in DKK, as the simulator page would show it: the
    team's score, the facilitator's leaderboard and the debrief say kr., not $."""
    from simulator import load_preset
    from simulator.models import Currency

    danish = load_preset("team_a_team_b").model_copy(update={"currency": Currency(code="DKK")})
    store = RoomStore(url)
    room = store.create_room(creator="test", title="Salgsmøde")
    member = store.join(room.code, "Hold A", client="a")
    store.open_round(room.code, secret=room.key, scenario=danish, label="I kroner")
    store.submit(room.code, secret=member.token, plan=danish)
    store.close_round(room.code, secret=room.key)
    results = rm.reveal_results(store.plans(room.code, secret=room.key))
    store.reveal_round(room.code, secret=room.key, number=1, results=results)

    team = AppTest.from_file(PAGE, default_timeout=60)
    team.query_params["room"] = room.code
    team.query_params["team"] = member.token
    team.run()
    assert "Rank 1 of 1" in page_text(team)
    score = next(line for line in page_text(team).splitlines() if "Score " in line)
    assert " kr.:" in score and "$" not in score, score

    host = session()
    host.text_input(key="room_w_resume_code").input(room.code)
    host.text_input(key="room_w_resume_key").input(room.key)
    button(host, "Resume").click().run()
    assert "Hold A leads" in page_text(host)
    assert "kr." in str(host.dataframe[1].value["Score"][0])  # the debrief: test_room_view.py


def test_teams_that_submit_the_same_plan_share_the_lead(url):
    """Two teams that submit the round's plan as it comes score the same: the dashboard
    names both as leaders and each team's page says whom it ties with."""
    host = session()
    code = open_room(host)
    first, second = join(code, "Alpha"), join(code, "Beta")
    host.run()
    button(host, "Open round 1").click().run()
    for team in (first, second):
        team.run()
        button(team, "Submit our plan").click().run()
    host.run()
    button(host, "Close and reveal").click().run()
    assert not host.exception and not host.error, [e.value for e in host.error]
    assert "Alpha and Beta share the lead" in page_text(host)
    assert " leads" not in page_text(host)
    assert list(host.dataframe[0].value["Rank"]) == [1, 1]
    first.run()
    second.run()
    assert "Rank 1 of 2, tied with Beta" in page_text(first)
    assert "Rank 1 of 2, tied with Alpha" in page_text(second)


def test_a_waiting_team_sees_the_room_fill(url):
    """Before the first round a team's page counts the teams in the room, live."""
    host = session()
    code = open_room(host)
    first = join(code, "Early birds")
    assert "Your team is the first in the room." in page_text(first)
    join(code, "Latecomers")
    first.run()
    assert "2 teams in the room, yours included." in page_text(first)
