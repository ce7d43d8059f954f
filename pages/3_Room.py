"""A room: a facilitator runs rounds, teams play from their own devices (issue 13).

One page, three views: joining (a code and a team name, or opening a room), the
facilitator's dashboard (join code and QR code, rounds, who has submitted, the reveal
and the debrief) and a team's page (its plan, then its result and rank). Every rule
(who may do what, limits, expiry) lives in the room store (``rooms/``); this page lays
out what the store returns. The facilitator key stays in this browser session only (it
is never put in the address, which the projector shows); a team's token is in its own
address bar (``?room=…&team=…``), so a reload or a second device of the team resumes.
"""

from __future__ import annotations

import contextlib
import time

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rooms import (
    ROOM_HOURS,
    NotFound,
    RevealedRound,
    RoomAccess,
    RoomError,
    RoomStatus,
    RoundInfo,
    TeamAccess,
    results_csv,
    round_sources,
    source_scenario,
)
from rooms.codes import MAX_NAME, shown_code
from rooms.plans import check_changes, headcount_ceiling
from simulator import Scenario, ScenarioError
from simulator.models import Change, Contract, Currency, Effort, Relationships
from simulator.money import using_currency
from ui import (
    admission,
    chart_warmup,
    controls,
    first_paint,
    presenter,
    push_widgets,
    timeline,
    verdict,
)
from ui import clock as ui_clock
from ui import room as rm
from ui import room_view as view
from ui.nav import page_menu
from ui.streamlit_runtime import session_gone, start_workers
from ui.text import markdown_text

st.set_page_config(
    page_title="Room – Sales whiplash simulator",
    page_icon="👥",
    layout="wide",
    initial_sidebar_state="collapsed",
)
ss = st.session_state
page_menu()

FACILITATOR = "room_facilitator"
TITLE_BLOCK = "room_header"
"""Key of the page's title block (the dashboard's, a team's): presenter.room_style sizes
the title by it."""
TEAM = "room_team"
PLAN = "room_plan"
PLAN_ROUND = "room_plan_round"
ROUND_SCENARIO = "room_round_scenario"
CHOICES = "room_choices"
OWN_CHOICES = "room_own_choices"
OWN_BEFORE = "room_own_before"
ROUND_SCENARIOS = "room_round_scenarios"
ERROR = "room_error"
W_CODE = "room_w_code"
W_NAME = "room_w_name"
W_SOURCE = "room_w_source"
W_BLIND = "room_w_blind"
W_MINUTES = "room_w_minutes"
W_END = "room_w_end"
W_REMOVE = "room_w_remove"
W_REMOVE_OPEN = "room_w_remove_open"
W_QR_OPEN = "room_w_qr_open"
W_KEY_OPEN = "room_w_key_open"
NOTE = "room_note"

_SHARE = controls.limits(Effort, "attract")
PERCENT = (_SHARE.low * 100, _SHARE.high * 100)
ACCOUNT_CONTACTS = controls.limits(Relationships, "contacts_per_account")
CONTRACT_CONTACTS = controls.limits(Contract, "contacts")


def say(error: Exception | str) -> None:
    """Keep a message for the next run (after a callback or an st.rerun)."""
    ss[ERROR] = str(error)


def messages() -> None:
    if ss.get(ERROR):
        st.error(markdown_text(ss.pop(ERROR)))
    if ss.get(NOTE):
        st.success(markdown_text(ss.pop(NOTE)))


def steady_expander(label: str, *, key: str) -> DeltaGenerator:
    """An expander that stays as the facilitator left it. Unkeyed, Streamlit draws an
    expander shut again whenever a rerun moves it on the page (a note above it going
    away, a team's joining adding a form), under the hand of someone reading it."""
    return st.expander(label, key=key, on_change="rerun")


def clock(ts: int | None) -> str:
    """A time of day in the browser's own time zone (ui/clock.py)."""
    zone = ui_clock.viewer_zone(st.context.timezone, st.context.timezone_offset)
    return ui_clock.clock(ts, zone=zone)


def round_scenario(code: str, secret: str, number: int) -> Scenario:
    """A round's scenario, read once a session: it never changes, and reading it back
    (parsed and validated) costs a page run that all thirty teams make at once. Its
    currency is the round's: a trainer's own preset may be in kroner."""
    kept = ss.setdefault(ROUND_SCENARIOS, {})
    if (code, number) not in kept:
        kept[(code, number)] = rm.store().round_scenario(code, secret=secret, number=number)
    return kept[(code, number)]


# --- Joining --------------------------------------------------------------------------------


def resume_from_link() -> None:
    """A team's address (``?room=…&team=…``) brings the team back after a reload."""
    params = st.query_params
    if TEAM in ss or FACILITATOR in ss or "team" not in params or "room" not in params:
        return
    code, token = params.get("room", ""), params.get("team", "")
    try:
        status = rm.store().status(code, secret=token)
    except RoomError:
        st.query_params.clear()
        say("This team link has expired or is not valid any more: join again with the code.")
        return
    if status.me is None:  # a facilitator key in a team link: not accepted from the URL
        st.query_params.clear()
        return
    ss[TEAM] = TeamAccess(code=status.code, team_id=status.me.id, name=status.me.name, token=token)


def landing() -> None:
    st.title("Play in a room")
    st.caption(
        "Teams shape a sales plan on their own devices; the facilitator reveals every "
        "team's result on the projector, ranked by revenue and stability."
    )
    messages()
    join, host = st.columns(2, gap="large")
    with join:
        st.subheader("Join as a team")
        if "join" in st.query_params and W_CODE not in ss:
            ss[W_CODE] = str(st.query_params.get("join", ""))[:20]
        with st.form("room_join"):
            st.text_input("Room code (on the projector)", key=W_CODE, max_chars=20)
            st.text_input("Team name", key=W_NAME, max_chars=MAX_NAME)
            joined = st.form_submit_button("Join", type="primary")
        if joined:
            session, address = rm.client_identity()
            try:
                access = rm.store().join(
                    ss.get(W_CODE, ""), ss.get(W_NAME, ""), client=session, address=address
                )
            except RoomError as exc:
                st.error(markdown_text(str(exc)))
            else:
                ss[TEAM] = access
                st.query_params.from_dict({"room": access.code, "team": access.token})
                st.rerun()
    with host:
        st.subheader("Run a room")
        st.caption(
            "Opens a room with a join code for the projector. This browser tab becomes "
            "the facilitator's dashboard; keep the facilitator key it shows to resume "
            "after a reload."
        )
        with st.form("room_open"):
            title = st.text_input("Room title (optional)", max_chars=80, key="room_w_title")
            opened = st.form_submit_button("Open a new room", type="primary")
        if opened:
            session, address = rm.client_identity()
            try:
                ss[FACILITATOR] = rm.store().create_room(creator=address or session, title=title)
            except RoomError as exc:
                st.error(markdown_text(str(exc)))
            else:
                st.query_params.clear()
                st.rerun()
        with st.expander("Resume a room as its facilitator"), st.form("room_resume"):
            code = st.text_input("Room code", key="room_w_resume_code", max_chars=20)
            key = st.text_input("Facilitator key", key="room_w_resume_key", type="password")
            resumed = st.form_submit_button("Resume")
        if resumed:
            try:
                status = rm.store().status(code, secret=key)
                if not status.facilitator:
                    raise RoomError("this is a team's link, not the facilitator key")
            except RoomError as exc:
                st.error(markdown_text(str(exc)))
            else:
                ss[FACILITATOR] = RoomAccess(code=status.code, key=key)
                st.rerun()


# --- The facilitator's dashboard -------------------------------------------------------------


def facilitator(access: RoomAccess) -> None:
    try:
        status = rm.store().status(access.code, secret=access.key)
    except RoomError as exc:
        del ss[FACILITATOR]
        say(f"The room is no longer available ({exc}).")
        st.rerun()
    presenter.room_style()  # the dashboard is projected: less white space above it
    presenter.top_on_new_phase(status.code, round_key(status))
    with st.container(key=TITLE_BLOCK):
        st.title(markdown_text(status.title or "Whiplash room"))
    messages()
    link = view.join_link(_page_url(), status.code)
    if not status.rounds:  # the joining phase: the code and the QR code, large
        code_col, qr_col = st.columns([3, 1])
        with code_col:
            st.markdown(f"## Room code: {shown_code(status.code)}")
            st.markdown(f"Join at {markdown_text(link)} (or scan the code) with your team's name.")
            st.caption(
                f"The room closes at {clock(status.expires_at)} ({ROOM_HOURS} hours after it "
                "opened); "
                "then it and everything in it are deleted."
            )
        qr_col.image(view.qr_svg(link), width=220, caption="Scan to join")
    else:
        st.markdown(
            f"**Room code: {shown_code(status.code)}** · join at {markdown_text(link)} · "
            f"closes at {clock(status.expires_at)}"
        )
    rounds_section(access, status)
    if status.rounds:  # for a latecomer; below the round, which the projector shows first
        with steady_expander("QR code to join", key=W_QR_OPEN):
            st.image(view.qr_svg(link), width=220)
    with steady_expander("Facilitator key: keep it private", key=W_KEY_OPEN):
        st.caption(
            "This key is the dashboard: with it and the room code, any browser can open, "
            "close and reveal rounds. It is not in the address bar; paste it into "
            "*Resume a room* after a reload."
        )
        st.code(access.key, language=None)
        st.checkbox("I want to end the room and delete its data", key=W_END)
        if st.button("End the room", disabled=not ss.get(W_END)):
            rm.store().end_room(access.code, secret=access.key)
            del ss[FACILITATOR]
            st.rerun()


def remove_team_form(access: RoomAccess, status: RoomStatus) -> None:
    """Take a team out: a name that should not be on the projector, a team that joined
    twice. Drawn by the page, not inside the live list's poll (a list redrawn every
    second under an open menu made choosing from it unsteady): the poll reruns the page
    when a team joins or leaves, so a team that has just joined is in it. Chosen by its
    id and confirmed by its name (rooms/store.py), so a list that changed in between
    removes nobody else."""
    if not status.teams:
        return
    names = {t.id: t.name for t in status.teams}
    with steady_expander("Remove a team", key=W_REMOVE_OPEN):
        st.caption(
            "Its plans and results are deleted and the leaderboards rank the other teams "
            "again; its page goes back to joining, and its name is free."
        )
        chosen = st.selectbox(
            "Team to remove",
            list(names),
            index=None,
            format_func=lambda team_id: names.get(team_id, "?"),
            placeholder="Choose a team",
            key=W_REMOVE,
        )
        st.button(
            "Remove the team",
            disabled=chosen is None,
            on_click=on_remove_team,
            args=(access, names),
        )


def on_remove_team(access: RoomAccess, names: dict[int, str]) -> None:
    team_id = ss.get(W_REMOVE)
    if team_id not in names:
        return
    try:
        rm.store().remove_team(access.code, secret=access.key, team_id=team_id, name=names[team_id])
    except RoomError as exc:
        say(exc)
    else:
        # Not by name: a name the facilitator removes is one not to show the room again.
        ss[NOTE] = "The team is removed: its plans and results are deleted."
    ss.pop(W_REMOVE, None)


def _page_url() -> str:
    try:
        return st.context.url or ""
    except Exception:  # no browser (a test)
        return ""


def rounds_section(access: RoomAccess, status: RoomStatus) -> None:
    current = status.current
    if current is not None and current.state != "revealed":
        st.header(f"Round {current.number}: {markdown_text(current.label)}", anchor=False)
        # The buttons above the teams: thirty names take eight rows, which pushed them
        # below a 1280x720 screen.
        left, middle, _ = st.columns([1, 1, 2])
        if current.state == "open" and left.button("Close the round", width="stretch"):
            act(lambda: rm.store().close_round(access.code, secret=access.key))
        if current.state == "closed" and left.button(
            "Reopen the round",
            width="stretch",
            help="Closed too early: the teams may submit again; the plans in stay.",
        ):
            act(lambda: rm.store().reopen_round(access.code, secret=access.key))
        if middle.button(
            "Close and reveal" if current.state == "open" else "Reveal",
            type="primary",
            width="stretch",
            shortcut="V",
        ):
            act(lambda: reveal(access, current.number))
        live_teams(access.code, access.key, dashboard_key(status))
        remove_team_form(access, status)
        revealed_before(access)
    elif current is None:  # joining: the room watches its names arrive, under the code
        live_teams(access.code, access.key, dashboard_key(status))
        remove_team_form(access, status)
        open_round_form(access, status)
    else:  # the last round is revealed: its debrief, then the next round's form
        debrief(access, status)
        st.divider()
        open_round_form(access, status)
        live_teams(access.code, access.key, dashboard_key(status))
        remove_team_form(access, status)


def act(action) -> None:
    """Run a store action; a refusal becomes the message of the next run."""
    try:
        action()
    except RoomError as exc:
        say(exc)
    st.rerun()


def open_round_form(access: RoomAccess, status: RoomStatus) -> None:
    number = len(status.rounds) + 1
    st.header(f"Round {number}", anchor=False)
    sources = {s.key: s for s in round_sources()}
    st.selectbox(
        "Scenario the teams play",
        list(sources),
        format_func=lambda key: sources[key].label,
        key=W_SOURCE,
        help="A preset, or a step of a workshop sequence (scenarios/workshops/).",
    )
    st.checkbox(
        "Blind round: teams see no simulation of their plan before the reveal",
        key=W_BLIND,
    )
    st.selectbox(
        "Time limit",
        view.TIME_LIMITS,
        format_func=view.time_limit_words,
        key=W_MINUTES,
        help="The round closes by itself when its time is up; every team's page counts "
        "down. You may close it sooner, and reopen it.",
    )
    if st.button(f"Open round {number}", type="primary", shortcut="O"):
        source = sources[ss[W_SOURCE]]
        act(
            lambda: rm.store().open_round(
                access.code,
                secret=access.key,
                scenario=source_scenario(source),
                label=source.title,
                blind=bool(ss.get(W_BLIND)),
                minutes=ss.get(W_MINUTES) or None,
            )
        )


def reveal(access: RoomAccess, number: int) -> None:
    """Close the round and record every submitted plan's result (kept with the plan when
    it was submitted; any other simulated now)."""
    store = rm.store()
    store.close_round(access.code, secret=access.key, number=number)
    results = rm.reveal_results(store.plans(access.code, secret=access.key, number=number))
    store.reveal_round(access.code, secret=access.key, number=number, results=results)


@st.fragment(run_every=rm.POLL_SECONDS)
def live_teams(code: str, key: str, seen: str) -> None:
    """Who has joined and who has submitted, redrawn every few seconds; the whole page
    when the round's state changes without the facilitator (its time is up) or a team
    joins or leaves (the list to remove a team from is the page's)."""
    try:
        status = rm.store().status(code, secret=key)
    except RoomError:
        return
    if dashboard_key(status) != seen:
        st.rerun()
    current = status.current
    open_now = current is not None and current.state == "open"
    if not status.teams:
        st.info("No team has joined yet.")
        return
    count = len(status.teams)
    if open_now:
        left = deadline(current, time.time())
        st.markdown(f"**{view.submitted_words(status.submitted, count)}**{left}")
    else:
        st.markdown(f"**{count} team{'s' if count != 1 else ''} in the room**")
    columns = st.columns(4)
    for i, team in enumerate(status.teams):
        if not open_now:
            mark = ":material/group:"
        elif team.submitted:
            mark = ":green[:material/check_circle:]"
        else:
            mark = ":gray[:material/hourglass_empty:]"
        columns[i % 4].markdown(f"{mark} {markdown_text(team.name)}")


def debrief(access: RoomAccess, status: RoomStatus) -> None:
    revealed = rm.store().revealed_rounds(access.code, secret=access.key)
    if not revealed:
        return
    last = revealed[-1]
    previous = revealed[-2] if len(revealed) > 1 else None
    st.header(f"Round {last.number} revealed: {markdown_text(last.label)}", anchor=False)
    currencies = round_currencies(access, revealed)
    with using_currency(currencies[last.number]):
        revealed_round(access, last, previous)
    left, right, _ = st.columns([1, 1, 2])
    chosen_by_round = {r.number: round_choices(access, r.number) for r in revealed}
    left.download_button(
        "Download results (CSV)",
        data=results_csv(revealed, choices=chosen_by_round),
        file_name="whiplash_room_results.csv",
        mime="text/csv",
        on_click="ignore",
        width="stretch",
    )
    right.download_button(
        "Download debrief (Markdown)",
        data=view.debrief_markdown(
            status.title,
            revealed,
            choices=chosen_by_round,
            currencies=currencies,
        ),
        file_name="whiplash_room_debrief.md",
        mime="text/markdown",
        on_click="ignore",
        width="stretch",
    )
    earlier_rounds(revealed[:-1], currencies)


def earlier_rounds(revealed: list[RevealedRound], currencies: dict[int, Currency]) -> None:
    """Each round revealed before, newest first, shut until the facilitator opens it:
    its leaderboard, for the debrief and while the next round is played."""
    for earlier in reversed(revealed):
        with (
            steady_expander(
                f"Round {earlier.number}: {markdown_text(earlier.label)}",
                key=f"room_w_round_{earlier.number}_open",
            ),
            using_currency(currencies[earlier.number]),
        ):
            st.dataframe(
                view.leaderboard_frame(earlier.standings), hide_index=True, width="stretch"
            )


def revealed_before(access: RoomAccess) -> None:
    """While a round is played, the rounds revealed before it (the facilitator may talk
    from round 1's leaderboard while the teams play round 2)."""
    revealed = rm.store().revealed_rounds(access.code, secret=access.key)
    earlier_rounds(revealed, round_currencies(access, revealed))


def round_currencies(access: RoomAccess, revealed: list[RevealedRound]) -> dict[int, Currency]:
    """Each revealed round's currency, by number: a trainer's own preset may be in kroner."""
    return {r.number: round_scenario(access.code, access.key, r.number).currency for r in revealed}


def revealed_round(access: RoomAccess, last: RevealedRound, previous: RevealedRound | None) -> None:
    """The last revealed round: the teams' chart beside the leader and the standings, the
    leaderboard in full, what each team chose."""
    board = list(last.standings)
    if not board:
        st.info("No team submitted a plan in this round.")
    else:
        top = board[0]
        before = previous.standings if previous else None
        # The chart beside the leader and the standings, so that a projector at 1280x720
        # shows them all (they stack on a phone); the leaderboard in full follows.
        chart, standings = st.columns([3, 2], gap="medium")
        chart.vega_lite_chart(
            rm.teams_chart_spec(board, height=view.DASHBOARD_CHART_HEIGHT), width="stretch"
        )
        with standings:
            st.subheader(
                f":material/emoji_events: {markdown_text(view.leader_words(board))}", anchor=False
            )
            st.markdown(markdown_text(view.result_sentence(top.result)))
            st.dataframe(
                view.standings_frame(board),
                hide_index=True,
                width="stretch",
                # A long name is cut in its cell (whole in the table below), not the
                # score and whiplash off the table's right edge.
                column_config={
                    "Rank": st.column_config.NumberColumn(width="small"),
                    "Team": st.column_config.TextColumn(width="medium"),
                },
            )
        st.dataframe(
            view.leaderboard_frame(board, previous=before), hide_index=True, width="stretch"
        )
        if previous is not None:
            note = view.most_improved(previous, last)
            if note:
                st.markdown(markdown_text(note))
        chosen = round_choices(access, last.number)
        if chosen:
            st.subheader("What each team chose", anchor=False)
            st.dataframe(view.choices_frame(board, chosen), hide_index=True, width="stretch")
        st.caption(
            "Score = median revenue × (1 − whiplash probability ÷ 2) × (1 − max drawdown): "
            "revenue you can count on. Max drawdown is the largest fall from the best "
            "quarter so far."
        )


def round_choices(access: RoomAccess, number: int) -> dict[int, dict[str, str]]:
    """What each team of a revealed round chose, in words, by team id (kept in this
    session: a revealed round's plans no longer change)."""
    kept = ss.setdefault(CHOICES, {})
    if (access.code, number) not in kept:
        given = round_scenario(access.code, access.key, number)
        kept[(access.code, number)] = {
            s.team_id: view.plan_choices(s.plan, round_scenario=given)
            for s in rm.store().plans(access.code, secret=access.key, number=number)
        }
    return kept[(access.code, number)]


# --- A team's page ---------------------------------------------------------------------------


def team(access: TeamAccess) -> None:
    try:
        status = rm.store().status(access.code, secret=access.token)
    except RoomError:
        del ss[TEAM]
        st.query_params.clear()
        ss[W_CODE] = shown_code(access.code)  # joining again: the code is filled in
        say(
            "Your team is no longer in the room: the room has ended, or the facilitator "
            "removed the team. Join again with the code on the projector."
        )
        st.rerun()
    presenter.room_style()  # a laptop's screen: less white space above the round
    presenter.top_on_new_phase(status.code, round_key(status))
    with st.container(key=TITLE_BLOCK):
        st.title(markdown_text(access.name))
        st.caption(
            f"Room {shown_code(status.code)} · {markdown_text(status.title or 'Whiplash room')}"
        )
    messages()
    current = status.current
    watch_round(access.code, access.token, round_key(status))
    first_screen = first_paint.first_screen_only(
        ss, st.context.headers, key=first_paint.ROOM_STARTED
    )
    if current is None:
        st.info("Waiting for the facilitator to open the first round…")
        chart_warmup.warm_charts()  # while it waits, for the round's first chart
        return
    st.header(f"Round {current.number}: {markdown_text(current.label)}", anchor=False)
    with using_currency(round_scenario(access.code, access.token, current.number).currency):
        team_round(access, status, first_screen=first_screen)


def team_round(access: TeamAccess, status: RoomStatus, *, first_screen: bool) -> None:
    """The current round on a team's page: the plan while it is open, the wait while it is
    closed, the result and rank once revealed."""
    current = status.current
    if current.state == "open":
        plan_section(access, status, first_screen=first_screen)
        if current.blind:  # no chart until the reveal (an open round's preview loads it)
            chart_warmup.warm_charts()
    elif current.state == "closed":
        chart_warmup.warm_charts()
        me = status.me
        done = me is not None and me.submitted
        st.info(
            "The round is closed: the facilitator reveals it in a moment. "
            + (
                f"Your plan of {clock(me.submitted_at)} is in."
                if done
                else "Your team did not submit a plan."
            )
        )
    else:
        team_result_section(access)


def deadline(current: RoundInfo, now: float) -> str:
    """' · closes in 4:05' for an open round with a time limit, else ''."""
    if current.closes_at is None:
        return ""
    return f" · {view.deadline_words(current.closes_at, now)}"


def round_key(status: RoomStatus) -> str:
    """The current round and its state, e.g. '2:open' ('' before the first round)."""
    now = status.current
    return "" if now is None else f"{now.number}:{now.state}"


def dashboard_key(status: RoomStatus) -> str:
    """What the dashboard's page draws from besides the live list: the round and its
    state, and which teams are in the room, e.g. '2:open|3,4,7'."""
    return f"{round_key(status)}|{','.join(str(t.id) for t in status.teams)}"


@st.fragment(run_every=rm.POLL_SECONDS)
def watch_round(code: str, token: str, seen: str) -> None:
    """Redraw the whole page when the facilitator opens, closes or reveals a round."""
    try:
        status = rm.store().status(code, secret=token)
    except NotFound:  # the room ended or the team was removed: the page says which
        st.rerun()
    except RoomError:
        return
    if round_key(status) != seen:
        st.rerun()
    now = status.current
    if now is None:  # while the room fills: a team sees it is in the right room
        st.caption(view.waiting_words(len(status.teams)))
    elif now.state == "open":
        at = time.time()  # one reading: the words and their element agree on the minute
        left = deadline(now, at)
        last_minute = now.closes_at is not None and view.hurry(now.closes_at, at)
        show = st.markdown if last_minute else st.caption  # a caption is faded
        show(f"{view.submitted_words(status.submitted, len(status.teams))}{left}.")


def round_plan(access: TeamAccess, number: int) -> Scenario:
    """The plan being shaped: the team's submitted plan, else the round's scenario."""
    if ss.get(PLAN_ROUND) != (access.code, number) or PLAN not in ss:
        given = round_scenario(access.code, access.token, number)
        plan = rm.store().own_plan(access.code, secret=access.token) or given
        ss[PLAN] = plan
        ss[ROUND_SCENARIO] = given
        draft = view.PrefixedState(ss)
        for key in timeline.draft_defaults(plan):  # a new round's draft starts from its plan
            draft.pop(key, None)
        ss[PLAN_ROUND] = (access.code, number)
        view.sync_plan_widgets(ss, plan)
    return ss[PLAN]


def on_plan_change(group: str, moved: str = "") -> None:
    """A plan widget moved: apply its group. The other widgets follow the plan; the one
    ``moved`` (its key) keeps where the team put it, so a quick second step on it is not
    answered with the first one's value."""
    plan: Scenario = ss[PLAN]
    try:
        ss[PLAN] = view.apply_plan_group(plan, group, ss)
    except (RoomError, ValueError, TypeError, KeyError) as exc:
        say(f"Not applied: {exc}")
        view.sync_plan_widgets(ss, plan)
        return
    if not controls.keeps_while_moving(group):
        view.sync_plan_widgets(ss, ss[PLAN], skip=(moved,))


def on_pressure_change(moved: str) -> None:
    """The push controls: turning the push on in a plan without a quota fills in what
    the round's plan books in a median quarter (as the simulator page does)."""
    plan: Scenario = ss[PLAN]
    state = view.PrefixedState(ss)
    values = controls.widget_values(plan)
    values.update({k: state[k] for k in values if k in state})
    if controls.needs_quota(plan, values):
        state[controls.W_QUOTA] = suggested_quota()
    on_plan_change("pressure", moved)


def suggested_quota() -> float | None:
    """The quota the push uses when the plan has none: the round's plan's median
    quarter of bookings (one simulation per round, shared by every team)."""
    try:
        with admission.compute_slot(gone=session_gone()):  # a callback: outside main()'s
            summary = rm.plan_result(ss[ROUND_SCENARIO].model_dump_json())
        return controls.suggested_quota(summary)
    except Exception:  # gone, or no suggestion: the model then names the missing quota
        return None


def on_add_change() -> None:
    """Callback for "Add change": the drafted change joins the team's plan, or the
    message names the field and the draft stays as the team set it."""
    plan: Scenario = ss[PLAN]
    draft = view.PrefixedState(ss)
    timeline.prepare_draft(draft, plan)
    try:
        changed = timeline.add_change(plan, draft)
        check_changes(ss[ROUND_SCENARIO], changed.changes)  # what the store will refuse
    except (ScenarioError, TypeError, ValueError, KeyError) as exc:
        say(f"Not added: {exc}")
    else:
        ss[PLAN] = changed


def on_remove_change(index: int, change: Change) -> None:
    """Callback for a listed change's "Remove" (a second click removes nothing more)."""
    try:
        ss[PLAN] = timeline.remove_change(ss[PLAN], index, change)
    except ScenarioError as exc:  # e.g. the push loses the only quota a change set
        say(f"Not removed: {exc}")
    view.sync_plan_widgets(ss, ss[PLAN])


def on_stagger() -> None:
    ss[PLAN] = controls.stagger_renewals(ss[PLAN])
    view.sync_plan_widgets(ss, ss[PLAN])


def plan_slider(label: str, key: str, group: str, *, low, high, **kwargs) -> None:
    st.slider(
        label,
        min_value=low,
        max_value=high,
        key=view.PREFIX + key,
        on_change=on_plan_change,
        args=(group,),
        **kwargs,
    )


def plan_controls(plan: Scenario) -> None:
    """Every control group of the team's levers (``view.PLAN_GROUPS``, from the lever
    registry), laid out: the habits side by side, the book, then the year's dynamics."""
    habits, focus = st.columns(2, gap="large")
    book = st.container()
    over_time, pressure = st.columns(2, gap="large")
    where = {
        "effort": habits,
        "focus": focus,
        "relationships": focus,
        "contract": book,
        "timeline": over_time,
        "pressure": pressure,
    }
    for group in view.PLAN_GROUPS:
        with where[group]:
            DRAW[group](plan)


def effort_controls(plan: Scenario) -> None:
    st.subheader("Effort", anchor=False)
    for key, label in (
        (controls.W_NEW_BUSINESS, "Time on new business"),
        (controls.W_CLOSING, "…of which closing"),
        (controls.W_ENGAGE, "Onboarding (weight)"),
        (controls.W_RETAIN, "Account care (weight)"),
        (controls.W_LEVERAGE, "Up-sell and referrals (weight)"),
    ):
        plan_slider(label, key, "effort", low=PERCENT[0], high=PERCENT[1], step=1.0, format="%.0f")


def focus_controls(plan: Scenario) -> None:
    st.subheader("Focus and relationships", anchor=False)
    lines = plan.product_lines
    if len(lines) == 2:
        first, second = (line.name for line in lines.values())
        plan_slider(
            f"New-business effort on {first} (%; the rest on {second})",
            controls.W_FOCUS_SPLIT,
            "focus",
            low=PERCENT[0],
            high=PERCENT[1],
            step=1.0,
            format="%.0f",
        )
    elif len(lines) > 2:
        for line_id, line in lines.items():
            plan_slider(
                f"Focus on {line.name} (weight)",
                controls.focus_key(line_id),
                "focus",
                low=PERCENT[0],
                high=PERCENT[1],
                step=1.0,
                format="%.0f",
            )


def relationship_controls(plan: Scenario) -> None:
    plan_slider(
        "Buyer contacts per account",
        controls.W_CONTACTS,
        "relationships",
        low=int(ACCOUNT_CONTACTS.low),
        high=int(ACCOUNT_CONTACTS.high),
        step=1,
    )


def contract_controls(plan: Scenario) -> None:
    if not plan.contracts:
        return
    with st.expander("Renewal dates and contacts of the largest contracts"):
        st.button("Stagger renewals", on_click=on_stagger)
        for i in controls.contracts_with_sliders(plan):
            contract = plan.contracts[i]
            st.select_slider(
                f"{contract.name}: ends",
                options=controls.end_month_options(plan, contract),
                key=view.PREFIX + controls.end_key(i),
                on_change=on_plan_change,
                args=(f"contract:{i}",),
            )
            plan_slider(
                f"{contract.name}: buyer contacts",
                controls.contacts_key(i),
                f"contract:{i}",
                low=int(CONTRACT_CONTACTS.low),
                high=int(CONTRACT_CONTACTS.high),
                step=1,
            )


def timeline_controls(plan: Scenario) -> None:
    """The plan's changes at a month: listed in words, each removable; a draft to add
    one (ui/timeline.py, under the room's widget keys)."""
    st.subheader("Plan timeline", anchor=False)
    st.caption(markdown_text(timeline.opening_words(plan)))
    listed = timeline.listed_changes(plan)
    for i, change, words in listed:
        st.markdown(f":small[{markdown_text(words)}]")
        st.button(
            "Remove",
            icon=":material/delete:",
            type="tertiary",
            key=view.PREFIX + timeline.remove_key(i),
            on_click=on_remove_change,
            args=(i, change),
        )
    if not listed:
        st.caption("No changes yet: the plan above holds for the whole round.")
    timeline.prepare_draft(view.PrefixedState(ss), plan)
    with st.expander("Add a change"):
        st.selectbox("From month", options=plan.month_labels(), key=view.PREFIX + timeline.W_MONTH)
        if st.checkbox("Change the effort split", key=view.PREFIX + timeline.W_SET_EFFORT):
            for key, label in (
                (timeline.W_NEW_BUSINESS, "Time on new business"),
                (timeline.W_CLOSING, "…of which closing"),
                (timeline.W_ENGAGE, "Onboarding (weight)"),
                (timeline.W_RETAIN, "Account care (weight)"),
                (timeline.W_LEVERAGE, "Up-sell and referrals (weight)"),
            ):
                st.slider(
                    f"{label} from then on",
                    min_value=PERCENT[0],
                    max_value=PERCENT[1],
                    step=1.0,
                    format="%.0f",
                    key=view.PREFIX + key,
                )
        if len(plan.line_ids) > 1 and st.checkbox(
            "Change product focus", key=view.PREFIX + timeline.W_SET_FOCUS
        ):
            names = [line.name for line in plan.product_lines.values()]
            for key, name in zip(timeline.focus_draft_keys(plan), names, strict=False):
                label = (
                    f"New-business effort on {names[0]} from then on (%)"
                    if key == timeline.W_FOCUS_SPLIT
                    else f"Focus on {name} from then on (weight)"
                )
                st.slider(
                    label,
                    min_value=PERCENT[0],
                    max_value=PERCENT[1],
                    step=1.0,
                    format="%.0f",
                    key=view.PREFIX + key,
                )
        if st.checkbox("Change headcount", key=view.PREFIX + timeline.W_SET_REPS):
            ceiling = headcount_ceiling(ss.get(ROUND_SCENARIO, plan))
            st.number_input(
                "Sales reps from then on",
                min_value=0.0,
                max_value=float(ceiling),
                step=1.0,
                format="%g",
                key=view.PREFIX + timeline.W_REPS,
                help=f"Hires ramp up; cuts take effect at once. At most {ceiling:g} in "
                "this round: hiring costs nothing in the model.",
            )
        if st.checkbox(
            "Change buyer contacts per account", key=view.PREFIX + timeline.W_SET_CONTACTS
        ):
            st.slider(
                "Buyer contacts per account from then on",
                min_value=int(timeline.CONTACTS.low),
                max_value=int(timeline.CONTACTS.high),
                step=1,
                key=view.PREFIX + timeline.W_CONTACTS,
            )
        st.button("Add change", icon=":material/add:", on_click=on_add_change, width="stretch")


def pressure_controls(plan: Scenario) -> None:
    """The quarter-end push: how hard management pushes when behind the quota."""
    st.subheader("Management pressure", anchor=False)

    def wiring(key: str) -> dict:
        return {
            "key": view.PREFIX + key,
            "on_change": on_pressure_change,
            "args": (view.PREFIX + key,),
        }

    push_widgets.push_share(wiring)
    if not plan.policy.active and plan.targets.quarterly_bookings is None:
        st.caption(
            "The push needs a new-business quota: turning it on sets what the round's "
            "plan books in a median quarter."
        )
        return
    push_widgets.push_settings(wiring, symbol=plan.currency.symbol)


DRAW = {
    "effort": effort_controls,
    "focus": focus_controls,
    "relationships": relationship_controls,
    "contract": contract_controls,
    "timeline": timeline_controls,
    "pressure": pressure_controls,
}
"""Each control group's widgets; the groups shown are ``view.PLAN_GROUPS``."""


def plan_section(access: TeamAccess, status: RoomStatus, *, first_screen: bool = False) -> None:
    """The plan being shaped and Submit. A ``first_screen`` (a browser session's first
    run of the team's page, ui/first_paint.py) sends the plan's result without its
    controls, which the browser asks for once the chart is drawn."""
    current = status.current
    plan = round_plan(access, current.number)
    me = status.me
    submitted_at = me.submitted_at if me is not None else None
    # The button and what it says side by side (stacked on a phone), so the plan's chart
    # starts higher on a laptop's screen.
    button, said = st.columns([1, 3], vertical_alignment="center")
    note = said.empty()  # filled once the button has had its say: no second run to show it
    refused = submitted = None
    if button.button("Submit our plan", type="primary", shortcut="S", width="stretch"):
        try:
            rm.store().submit(
                access.code, secret=access.token, plan=plan, result=rm.submitted_result(plan)
            )
        except RoomError as exc:
            refused = str(exc)
        else:
            submitted = submitted_at = int(time.time())
    closes = (
        "the facilitator closes the round"
        if current.closes_at is None
        else f"the round closes at {clock(current.closes_at)}"
    )
    with note.container():
        if refused:
            st.error(markdown_text(refused))
        if submitted_at is not None:
            st.success(
                ("Plan submitted. " if submitted else "")
                + f"Your plan of {clock(submitted_at)} is in. Change it and submit again "
                f"until {closes}."
            )
        else:
            st.info(f"Shape your plan, then submit it before {closes}.")
    if current.blind:
        plan_controls(plan)
        st.caption("A blind round: your plan's simulation is shown at the reveal.")
        # Simulated as in an open round, only not shown: each plan while it is shaped,
        # so that Submit finds its result done and keeps it for the reveal.
        with contextlib.suppress(Exception):  # the reveal says so if a plan cannot run
            rm.plan_result(plan.model_dump_json())
        own_round_before(access, current.number)
        return
    # What the plan does beside the controls that shape it (stacked on a phone, the
    # result first), so a team sees the effect of a move without scrolling, and the
    # result does not move when the controls come after it on a first screen.
    result, shaping = st.columns(2, gap="large")
    with result:
        drawn = plan_preview(plan)
        own_round_before(access, current.number)  # under the chart: on a phone, above
    with shaping:  # the controls, not under the last of them
        if first_screen and drawn:
            first_paint.ask_for_the_rest()
        else:
            plan_controls(plan)


def own_round_before(access: TeamAccess, number: int) -> None:
    """Beside the plan of a later round, the team's own last revealed round, shut: its
    rank, result and what it chose, to start from. Kept in this session: a revealed
    round no longer changes, and the page reruns with every move of a slider."""
    kept = ss.setdefault(OWN_BEFORE, {})
    key = (access.code, access.team_id, number)
    if key not in kept:
        revealed = rm.store().revealed_rounds(access.code, secret=access.token)
        earlier = [r for r in revealed if r.number < number]
        kept[key] = earlier[-1] if earlier else None
    before: RevealedRound | None = kept[key]
    if before is None:
        return
    board = list(before.standings)
    mine = next((s for s in board if s.team_id == access.team_id), None)
    place = view.rank_words(mine, board) if mine is not None else "no plan submitted"
    currency = round_scenario(access.code, access.token, before.number).currency
    with (
        steady_expander(
            markdown_text(f"Your round {before.number}: {place}"),
            key=f"room_w_own_round_{before.number}_open",
        ),
        using_currency(currency),
    ):
        if mine is None:
            st.caption("Your team did not submit a plan in that round.")
            return
        st.markdown(markdown_text(view.result_sentence(mine.result)))
        own_plan_caption(access, before.number)


def plan_preview(plan: Scenario) -> bool:
    """The plan's verdict and revenue chart; False (and the reason) if it cannot run."""
    try:
        summary = rm.plan_result(plan.model_dump_json())
        st.markdown(f"#### {markdown_text(verdict.verdict_sentence(summary))}")
        st.vega_lite_chart(rm.plan_fan_spec(plan.model_dump_json()), width="stretch")
    except Exception as exc:  # a preview that cannot run must not block submitting
        st.error(f"The simulation could not run: {markdown_text(str(exc))}")
        return False
    return True


def own_plan_caption(access: TeamAccess, number: int) -> None:
    """The team's own push and plan timeline in a revealed round, under its result."""
    chosen = own_choices(access, number)
    if chosen is not None:
        st.caption(markdown_text(view.own_plan_words(chosen)))


def own_choices(access: TeamAccess, number: int) -> dict[str, str] | None:
    """What the team chose in a revealed round, in words; None if it submitted nothing.
    Kept in this session: a revealed round's plan no longer changes, and reading it
    back (two scenarios parsed and validated) was a third of the result page's run,
    which all thirty teams' pages make at once at the reveal."""
    kept = ss.setdefault(OWN_CHOICES, {})
    key = (access.code, access.team_id, number)
    if key not in kept:
        own = rm.store().own_plan(access.code, secret=access.token, number=number)
        given = round_scenario(access.code, access.token, number)
        kept[key] = None if own is None else view.plan_choices(own, round_scenario=given)
    return kept[key]


def team_result_section(access: TeamAccess) -> None:
    store = rm.store()
    revealed = store.revealed_rounds(access.code, secret=access.token)
    last = revealed[-1]
    board = list(last.standings)
    mine = next((s for s in board if s.team_id == access.team_id), None)
    if mine is None:
        st.warning("Your team did not submit a plan in this round.")
    else:
        colour = view.verdict_colour_name(mine.result.verdict)
        st.subheader(f":{colour}[{markdown_text(view.rank_words(mine, board))}]", anchor=False)
        st.markdown(f"**{markdown_text(view.result_sentence(mine.result))}**")
        st.markdown(markdown_text(mine.result.sentence))
        own_plan_caption(access, last.number)
        if len(revealed) > 1:
            change = view.own_change_sentence(access.team_id, revealed[-2], last)
            if change:
                st.markdown(f"**{markdown_text(change)}**")
    if board:
        st.vega_lite_chart(rm.teams_chart_spec(board, highlight=access.team_id), width="stretch")
        st.dataframe(view.leaderboard_frame(board), hide_index=True, width="stretch")


def main() -> None:
    resume_from_link()
    if FACILITATOR in ss:
        facilitator(ss[FACILITATOR])
        chart_warmup.warm_charts()  # the dashboard's first chart is the first reveal's
    elif TEAM in ss:
        team(ss[TEAM])
    else:
        landing()


start_workers()  # simulations run in worker processes when served (ui/workers.py)
try:  # compute only while holding a slot (ui/admission.py), like the other pages
    with admission.compute_slot(gone=session_gone()):
        main()
except admission.SessionGone:
    st.stop()
