"""A whole room played on the real server, as its people would: the driver behind
``python -m bench.load --pattern room`` (issue 13's done-when) and its test.

Every person is a websocket session of their own (:mod:`tests.support.session`) on the
Room page, and does what their browser would: the facilitator opens a room with the
landing page's form; each team joins with the join form (the code read off the
facilitator's page, a team name), all at one moment. From then on every page keeps
itself live as a browser tab does, by running the page's fragment on the timer the
server gave it (``st.fragment(run_every=...)``, ui/room.py's ``POLL_SECONDS``); that is
how a team's page learns that a round opened or was revealed. For each round the
facilitator presses *Open round N*; each team, once its page shows its plan, shapes a
plan no other team has (untimed: that is the round being played) and all press
*Submit our plan* at one moment; the facilitator presses *Close and reveal*; each team's
page shows its rank. Round 2 follows the debrief.

Timed, for every step, from the press that started it to the page that answers it, for
everyone it reaches: the wait a person in the room sees, including the up to
``POLL_SECONDS`` before a team's page asks. The target: nobody waits 2 s or more.
"""

from __future__ import annotations

import math
import os
import random
import re
import statistics
import threading
import time
from dataclasses import dataclass, field

import psutil
import websocket

from rooms import RoomStore
from tests.support.server import Server, cpu_seconds
from tests.support.session import FINISHED_OK, ProtocolError, Rerun, StreamlitSession
from ui import controls
from ui import room_view as view
from ui.text import shown_text

PAGE = "Room"
TEAMS = 30
ROUNDS = 2
BLIND = frozenset({2})
"""Rounds played blind (the facilitator ticks *Blind round*): teams see no simulation of
their plan, so the reveal is where each plan is first simulated unless its submission
was."""
BLIND_FIELD = "room_w_blind"
TARGET_SECONDS = 2.0
"""Nobody in the room waits this long for any page (issue 13's done-when)."""
SLIDER = view.PREFIX + controls.W_NEW_BUSINESS
CODE_FIELD, NAME_FIELD = "room_w_code", "room_w_name"
ROOM_CODE = re.compile(r"Room code: \**([A-Z0-9]{4}-[A-Z0-9]{4})")
ROUND = re.compile(r"^Round (\d+): ")
RANK = re.compile(r"Rank (\d+) of (\d+)")
KEY = re.compile(r"[A-Za-z0-9_-]{20,}")
"""The facilitator key as the dashboard shows it (a code block): read to check the store."""
STEP_TIMEOUT = 120.0
"""Seconds a step may take before the run is called off as an error."""


def share(team: int, number: int) -> float:
    """Team ``team``'s new-business share in round ``number`` (%): no two teams of a
    room (at most 40) pick the same one in a round, and each team a new one each round."""
    return 40.0 + (team + 17 * (number - 1)) % 60


@dataclass
class Step:
    """One moment of the room and how long each person it reached waited (seconds)."""

    name: str
    expected: int
    waits: list[float] = field(default_factory=list)

    @property
    def worst(self) -> float:
        return max(self.waits, default=math.nan)

    def line(self) -> str:
        got = f"{len(self.waits)} of {self.expected}"
        if not self.waits:
            return f"{self.name}: nobody ({got})"
        median = statistics.median(self.waits) * 1000
        return f"{self.name}: median {median:,.0f} ms, worst {self.worst * 1000:,.0f} ms ({got})"


@dataclass
class PlayReport:
    teams: int
    rounds: int
    steps: list[Step]
    errors: list[str]
    stored: dict[int, int]
    """Round number -> teams' plans in the store."""
    ranked: dict[int, int]
    """Round number -> teams in the revealed round's standings."""
    server_cpu: float
    load_before: float
    played: list[str] = field(default_factory=list)
    """Each round's heading on the dashboard ('Round 1: Preset: …'): what was played."""

    @property
    def worst(self) -> float:
        return max((s.worst for s in self.steps if s.waits), default=math.nan)

    @property
    def complete(self) -> bool:
        """Every step reached everyone, and every round holds every team's plan."""
        return (
            all(len(s.waits) == s.expected for s in self.steps)
            and len(self.steps) > 0
            and all(self.stored.get(n) == self.teams for n in range(1, self.rounds + 1))
            and all(self.ranked.get(n) == self.teams for n in range(1, self.rounds + 1))
        )

    @property
    def met(self) -> bool:
        return not self.errors and self.complete and self.worst < TARGET_SECONDS

    def lines(self) -> list[str]:
        rows = [*self.played, *(step.line() for step in self.steps)]
        rows.append(
            "plans stored per round: "
            + ", ".join(f"round {n}: {self.stored.get(n, 0)} of {self.teams}" for n in self.stored)
        )
        rows.append(f"errors: {len(self.errors)}")
        rows.append(f"server CPU over the whole room: {self.server_cpu:.2f} cores busy on average")
        rows.append(f"longest wait of anyone: {self.worst * 1000:,.0f} ms")
        return rows


def _texts(rerun: Rerun) -> list[str]:
    return [shown_text(t) for t in rerun.texts]


def _button(rerun: Rerun, label: str) -> str | None:
    return next((i for i, b in rerun.buttons.items() if b.label == label), None)


def _round_shown(rerun: Rerun) -> int | None:
    """The round a page's heading names ('Round 2: …'), if any."""
    for text in _texts(rerun):
        found = ROUND.match(text)
        if found:
            return int(found.group(1))
    return None


class Page:
    """One person's tab: a session that also runs the page's timed fragments, as the
    browser does, between the person's own actions."""

    def __init__(self, server: Server, *, rng: random.Random, stop: threading.Event) -> None:
        self.session = StreamlitSession(server, page_name=PAGE)
        self.rng = rng
        self.stop = stop
        """Set when the room is called off: a page waiting for its timer stops at once."""
        self.next_tick = math.inf
        self.last: Rerun | None = None

    def run(self, *, moves: dict[str, object] | None = None, press: str = "") -> Rerun:
        """The person acts (or the page first loads): one run, its answer kept."""
        triggers = [press] if press else []
        started = self.session.send_rerun(
            query_string=self.session.query_string, moves=moves, triggers=triggers
        )
        return self._answer(self.session.wait_finished(started))

    def tick(self) -> Rerun | None:
        """Wait for the page's fragment timer and run the fragment. None when the room is
        called off meanwhile, or the page has no timer (after a short wait for the room,
        so that a caller waiting in a loop does not spin)."""
        if not self.session.timers:
            self.stop.wait(0.1)
            return None
        if self.stop.wait(max(0.0, self.next_tick - time.perf_counter())):
            return None
        self.next_tick = time.perf_counter() + min(self.session.timers.values())
        fragment = next(iter(self.session.timers))
        started = self.session.send_rerun(
            query_string=self.session.query_string, fragment_id=fragment
        )
        return self._answer(self.session.wait_finished(started))

    def _answer(self, rerun: Rerun) -> Rerun:
        if rerun.status not in FINISHED_OK or rerun.exceptions:
            raise ProtocolError(f"{'; '.join(rerun.exceptions) or 'the run did not finish'}")
        if self.session.timers and math.isinf(self.next_tick):  # a new timer, a random phase
            self.next_tick = time.perf_counter() + self.rng.uniform(
                0, min(self.session.timers.values())
            )
        if rerun.status == FINISHED_OK[0]:  # a whole run: what the page now shows
            self.last = rerun
        return rerun

    def close(self) -> None:
        self.session.close()


@dataclass
class _Room:
    teams: int
    rounds: int
    code: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    pressed: dict[str, float] = field(default_factory=dict)
    """Step -> when the press that started it went out (perf_counter)."""
    steps: dict[str, Step] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    joined: threading.Barrier = field(init=False)
    ready: threading.Barrier = field(init=False)
    done: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.joined = threading.Barrier(self.teams + 1)  # the teams and the facilitator
        self.ready = threading.Barrier(self.teams)  # the teams, before each submission

    def step(self, name: str, expected: int) -> Step:
        with self.lock:
            return self.steps.setdefault(name, Step(name, expected))

    def waited(self, name: str, seconds: float) -> None:
        with self.lock:
            self.steps[name].waits.append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)
        self.stop.set()
        self.joined.abort()
        self.ready.abort()


def _open_step(n: int) -> str:
    return f"round {n} opened: press → team's page with its plan"


def _submit_step(n: int) -> str:
    return f"round {n} submitted at once: press → receipt"


def _reveal_step(n: int) -> str:
    return f"round {n} revealed: press → team's page with its rank"


def _facilitator_step(label: str, n: int) -> str:
    return f"round {n}, facilitator: {label} → dashboard"


def _team(server: Server, room: _Room, number: int) -> None:
    """One team's device, from the join form to its rank in the last round."""
    try:
        page = Page(server, rng=random.Random(number), stop=room.stop)
    except (OSError, websocket.WebSocketException) as exc:
        room.fail(f"team {number + 1}: could not connect: {exc}")
        return
    name = f"Team {number + 1}"
    try:
        landing = page.run()
        fields = {
            key: landing.widgets[key][0]
            for key in (CODE_FIELD, NAME_FIELD)
            if key in landing.widgets
        }
        join = _button(landing, "Join")
        if len(fields) < 2 or join is None:
            raise ProtocolError("no join form on the landing page")
        room.joined.wait(timeout=STEP_TIMEOUT)  # everyone joins at one moment
        started = time.perf_counter()
        mine = page.run(moves={fields[CODE_FIELD]: room.code, fields[NAME_FIELD]: name}, press=join)
        if name not in _texts(mine):
            raise ProtocolError(f"joining did not show the team's page: {mine.errors}")
        room.waited("join: press Join → own team page", time.perf_counter() - started)
        submitted = revealed = 0
        while revealed < room.rounds and not room.stop.is_set():
            now = page.last
            shown = _round_shown(now) if now is not None else None
            submit = _button(now, "Submit our plan") if now is not None else None
            if shown == submitted + 1 and submit is not None:  # the round is open: play it
                room.waited(
                    _open_step(shown), time.perf_counter() - room.pressed[_open_step(shown)]
                )
                room.ready.wait(timeout=STEP_TIMEOUT)  # every team sees it before any plays
                widget, _ = now.widgets[SLIDER]
                shaped = page.run(moves={widget: [share(number, shown)]})
                submit = _button(shaped, "Submit our plan")
                if submit is None or not shaped.ok:
                    raise ProtocolError(f"the plan did not update: {shaped.errors}")
                room.ready.wait(timeout=STEP_TIMEOUT)  # time is called: all press at once
                started = time.perf_counter()
                receipt = page.run(press=submit)
                if not receipt.ok or not any("Plan submitted." in t for t in _texts(receipt)):
                    raise ProtocolError(f"no receipt: {receipt.errors}")
                room.waited(_submit_step(shown), time.perf_counter() - started)
                submitted = shown
                room.done.release()
            elif shown == revealed + 1 and any(RANK.search(t) for t in _texts(now)):
                compared = f"Round {shown - 1} → {shown}: "
                if shown > 1 and not any(compared in t for t in _texts(now)):
                    raise ProtocolError(f"round {shown}'s result is not compared with the last")
                room.waited(
                    _reveal_step(shown), time.perf_counter() - room.pressed[_reveal_step(shown)]
                )
                revealed = shown
                room.done.release()
            else:
                page.tick()
    except threading.BrokenBarrierError:
        room.fail(f"{name}: called off (another person's session failed first)")
    except (ProtocolError, KeyError) as exc:
        room.fail(f"{name}: {exc}")
    finally:
        page.close()


def _facilitator_waits(page: Page, room: _Room, count: int) -> None:
    """Keep the dashboard live (its fragment timer) until ``count`` teams report."""
    deadline = time.perf_counter() + STEP_TIMEOUT
    for _ in range(count):
        while not room.done.acquire(timeout=0.05):
            if room.stop.is_set() or time.perf_counter() > deadline:
                raise ProtocolError("the teams did not all get there in time")
            if time.perf_counter() >= page.next_tick:
                page.tick()


def _press(
    page: Page,
    room: _Room,
    label: str,
    *,
    number: int,
    step: str,
    answered: str,
    moves: dict[str, object] | None = None,
) -> Rerun:
    """The facilitator presses ``label`` in round ``number`` (with the widgets ``moves``
    set); time the dashboard's answer (``answered`` shown) and note the press as the
    start of the teams' ``step``."""
    button = _button(page.last, label) if page.last is not None else None
    if button is None:
        raise ProtocolError(f"no {label!r} button on the dashboard")
    room.pressed[step] = started = time.perf_counter()
    answer = page.run(press=button, moves=moves)
    if not answer.ok or not any(answered in t for t in _texts(answer)):
        raise ProtocolError(f"{label!r} did not show {answered!r}: {answer.errors}")
    room.waited(_facilitator_step(label, number), time.perf_counter() - started)
    return answer


def run_room(
    server: Server,
    url: str,
    *,
    teams: int = TEAMS,
    rounds: int = ROUNDS,
    blind: frozenset[int] = BLIND,
    serving: list[Server] | None = None,
) -> PlayReport:
    """Play a room of ``teams`` teams for ``rounds`` rounds on the server (the rounds in
    ``blind`` blind); check the store. ``serving``: the processes whose CPU counts (the
    proxy and its workers; default ``server``)."""
    load_before = os.getloadavg()[0]
    room = _Room(teams=teams, rounds=rounds)
    processes = [psutil.Process(s.process.pid) for s in serving or [server]]

    cpu_start, wall_start = cpu_seconds(processes), time.monotonic()
    facilitator = Page(server, rng=random.Random(-1), stop=room.stop)
    key = ""
    played: list[str] = []
    threads: list[threading.Thread] = []
    try:
        landing = facilitator.run()
        opened = facilitator.run(press=_button(landing, "Open a new room") or "")
        found = next((ROOM_CODE.search(t) for t in opened.texts if ROOM_CODE.search(t)), None)
        if found is None:
            raise ProtocolError(f"no room code on the new dashboard: {opened.errors}")
        room.code = found.group(1)
        key = next((t for t in opened.texts if KEY.fullmatch(t)), "")
        room.step("join: press Join → own team page", teams)
        for n in range(1, rounds + 1):
            room.step(_facilitator_step(f"Open round {n}", n), 1)
            room.step(_open_step(n), teams)
            room.step(_submit_step(n), teams)
            room.step(_facilitator_step("Close and reveal", n), 1)
            room.step(_reveal_step(n), teams)
        threads = [
            threading.Thread(target=_team, args=(server, room, i), daemon=True)
            for i in range(teams)
        ]
        for thread in threads:
            thread.start()
        room.joined.wait(timeout=STEP_TIMEOUT)
        while len(room.steps["join: press Join → own team page"].waits) < teams:
            if room.stop.is_set():
                raise ProtocolError("a team could not join")
            facilitator.tick()
        facilitator.run()  # the dashboard as it now is: the teams in, the round form
        for n in range(1, rounds + 1):
            tick = facilitator.last.widgets.get(BLIND_FIELD) if facilitator.last else None
            if n in blind and tick is None:
                raise ProtocolError("no blind-round box on the dashboard")
            dashboard = _press(
                facilitator,
                room,
                f"Open round {n}",
                number=n,
                step=_open_step(n),
                answered="Round",
                moves={tick[0]: True} if n in blind else None,
            )
            played.extend(
                t + (" (blind)" if n in blind else "")
                for t in _texts(dashboard)
                if t.startswith(f"Round {n}: ")
            )
            _facilitator_waits(facilitator, room, teams)  # every team has submitted
            facilitator.run()
            _press(
                facilitator,
                room,
                "Close and reveal",
                number=n,
                step=_reveal_step(n),
                answered=f"Round {n} revealed",
            )
            _facilitator_waits(facilitator, room, teams)  # every team has seen its rank
    except threading.BrokenBarrierError:
        room.fail("the facilitator: called off (a team's session failed first)")
    except ProtocolError as exc:
        room.fail(f"the facilitator: {exc}")
    finally:
        room.stop.set()
        for thread in threads:
            thread.join(timeout=STEP_TIMEOUT)
        facilitator.close()
    cpu = (cpu_seconds(processes) - cpu_start) / max(time.monotonic() - wall_start, 1e-9)
    return PlayReport(
        teams=teams,
        rounds=rounds,
        steps=list(room.steps.values()),
        errors=room.errors,
        server_cpu=cpu,
        load_before=load_before,
        played=played,
        **_stored(url, room.code, key, rounds=rounds),
    )


def _stored(url: str, code: str, key: str, *, rounds: int) -> dict[str, dict[int, int]]:
    """Per round, the plans the store holds and the teams its reveal ranked."""
    if not code or not key:
        return {"stored": {}, "ranked": {}}
    store = RoomStore(url)
    try:
        revealed = {r.number: len(r.standings) for r in store.revealed_rounds(code, secret=key)}
        return {
            "stored": {
                n: len(store.plans(code, secret=key, number=n)) for n in range(1, rounds + 1)
            },
            "ranked": revealed,
        }
    finally:
        store.dispose()
