"""A room's teams submitting at once on the real server: the driver behind
``bench/room_load.py`` (``make load``) and its test.

Opens a room and a round through the store on the server's own database, joins the
teams, and gives each its own Room page in its own websocket session
(:mod:`tests.support.session`) where it shapes a plan no other team has; then every
team presses *Submit our plan* at one moment (a barrier). :func:`run_submit` reports
the time to the last receipt, each submission's latency, errors, and, from the store,
whether every plan is there and is the team's own.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import websocket

from rooms import RoomStore, TeamAccess
from simulator import load_preset
from tests.support.server import Server, streamlit_server
from tests.support.session import ProtocolError, Rerun, StreamlitSession
from ui import controls
from ui import room_view as view
from ui.presets import DEFAULT_PRESET
from ui.text import shown_text

PAGE = "Room"
"""The room page's name in the address (``pages/3_Room.py``)."""
TEAMS = 30
TARGET_SECONDS = 10.0
"""Every team's submission in within this many seconds of the first press."""
SLIDER = view.PREFIX + controls.W_NEW_BUSINESS
SUBMIT = "Submit our plan"
SUBMITTED = "Plan submitted."


def share(team: int) -> float:
    """The new-business share team ``team`` picks (%): one of its own for the 40 teams
    a room holds (40% to 79%)."""
    return 40.0 + team % 60


@dataclass
class SubmitReport:
    teams: int
    ready: int
    """Teams whose page showed the submit button after they shaped their plan."""
    makespan: float
    """Seconds from the first press to the last "Plan submitted." page."""
    latencies: list[float]
    errors: list[str]
    stored: int
    """Plans in the store for the round after the burst."""
    crossed: list[str]
    """Teams whose stored plan is not the plan they shaped."""
    server_cpu: float
    load_before: float

    @property
    def lost(self) -> int:
        return self.teams - self.stored

    @property
    def met(self) -> bool:
        return (
            not self.errors
            and not self.lost
            and not self.crossed
            and len(self.latencies) == self.teams
            and self.makespan < TARGET_SECONDS
        )

    def lines(self) -> list[str]:
        p50 = statistics.median(self.latencies) if self.latencies else math.nan
        ordered = sorted(self.latencies)
        p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else math.nan
        return [
            f"teams: {self.ready} of {self.teams} shaped a plan of their own and pressed "
            "Submit at once",
            f"all submitted within: {self.makespan:.2f} s of the first press "
            f"(target < {TARGET_SECONDS:g} s)",
            f"submission latency: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {max(self.latencies, default=math.nan) * 1000:.0f} ms",
            f"errors: {len(self.errors)}",
            f"plans in the store: {self.stored} of {self.teams} (lost: {self.lost}); "
            f"not the team's own: {len(self.crossed)}",
            f"server CPU during the burst: {self.server_cpu:.2f} cores busy on average",
        ]


@dataclass
class _Burst:
    teams: int
    server: psutil.Process
    gate: threading.Barrier = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cpu_start: float = math.nan
    wall_start: float = math.nan
    ready: int = 0
    pressed: list[float] = field(default_factory=list)
    done: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gate = threading.Barrier(self.teams, action=self._call_time)

    def _call_time(self) -> None:
        """Every team is ready: the burst (and the server's CPU count) starts now."""
        self.cpu_start = sum(self.server.cpu_times()[:2])
        self.wall_start = time.monotonic()

    def cpu(self) -> float:
        """The server's CPU, in cores, from the call to now."""
        wall = time.monotonic() - self.wall_start
        return (sum(self.server.cpu_times()[:2]) - self.cpu_start) / wall if wall > 0 else math.nan

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def _shown(rerun: Rerun, text: str) -> bool:
    """True when the page said ``text`` (as a reader sees it: escapes removed)."""
    return any(text in shown_text(t) for t in rerun.texts)


def _team(server: Server, access: TeamAccess, *, number: int, burst: _Burst) -> None:
    """One team: open its page, shape its plan, wait for the call, submit."""
    try:
        session = StreamlitSession(server, page_name=PAGE)
    except (OSError, websocket.WebSocketException) as exc:
        burst.fail(f"team {number}: could not connect: {exc}")
        burst.gate.abort()
        return
    try:
        query = f"room={access.code}&team={access.token}"
        page = session.rerun(query_string=query)
        if SLIDER not in page.widgets:
            raise ProtocolError(f"no plan controls on the team's page: {page.errors}")
        widget_id, _ = page.widgets[SLIDER]
        page = session.rerun(query_string=query, moves={widget_id: [share(number)]})
        button = next((i for i, b in page.buttons.items() if b.label == SUBMIT), None)
        if button is None or not page.ok:
            raise ProtocolError(f"the plan did not update: {page.errors or page.exceptions}")
        with burst.lock:
            burst.ready += 1
        burst.gate.wait(timeout=600)  # the facilitator calls time
        started = session.send_rerun(query_string=query, triggers=[button])
        with burst.lock:
            burst.pressed.append(time.perf_counter())
        answer = session.wait_finished(started)
        with burst.lock:
            burst.done.append(time.perf_counter())
            burst.latencies.append(answer.seconds)
        if not answer.ok or not _shown(answer, SUBMITTED):
            burst.fail(
                f"team {number}: {'; '.join(answer.errors + answer.exceptions) or 'no receipt'}"
            )
    except threading.BrokenBarrierError:
        burst.fail(f"team {number}: the burst was called off (another team failed first)")
    except ProtocolError as exc:
        burst.fail(f"team {number}: {exc}")
        burst.gate.abort()
    finally:
        session.close()


@contextlib.contextmanager
def room_server() -> Iterator[tuple[Server, str]]:
    """The app on a free port with a room store of its own (a temporary SQLite file)."""
    with tempfile.TemporaryDirectory(prefix="whiplash-room-load-") as folder:
        url = f"sqlite:///{Path(folder) / 'rooms.sqlite'}"
        before = os.environ.get("WHIPLASH_DATABASE_URL")
        os.environ["WHIPLASH_DATABASE_URL"] = url
        try:
            with streamlit_server("app.py") as server:
                yield server, url
        finally:
            if before is None:
                os.environ.pop("WHIPLASH_DATABASE_URL", None)
            else:
                os.environ["WHIPLASH_DATABASE_URL"] = before


def run_submit(server: Server, url: str, *, teams: int = TEAMS) -> SubmitReport:
    """Join ``teams`` teams to a new room on ``url``, let each shape its plan on the
    server, then have all submit at once; check the store afterwards."""
    load_before = os.getloadavg()[0]
    store = RoomStore(url)
    try:
        room = store.create_room(creator="bench", title="Submission burst")
        members = [
            store.join(room.code, f"Team {i + 1}", client=f"bench-{i}") for i in range(teams)
        ]
        store.open_round(
            room.code, secret=room.key, scenario=load_preset(DEFAULT_PRESET), label="Round 1"
        )
        burst = _Burst(teams=teams, server=psutil.Process(server.process.pid))
        threads = [
            threading.Thread(
                target=_team, args=(server, m), kwargs={"number": i, "burst": burst}, daemon=True
            )
            for i, m in enumerate(members)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        if any(t.is_alive() for t in threads):
            burst.fail("a team's session did not finish within 10 minutes")
        cpu = burst.cpu()
        stored = store.plans(room.code, secret=room.key, number=1)
        by_name = {s.team: s.plan for s in stored}
        crossed = [
            m.name
            for i, m in enumerate(members)
            if m.name in by_name
            and round(controls.effort_controls(by_name[m.name].effort).new_business) != share(i)
        ]
        makespan = max(burst.done) - min(burst.pressed) if burst.done else math.nan
        return SubmitReport(
            teams=teams,
            ready=burst.ready,
            makespan=makespan,
            latencies=burst.latencies,
            errors=burst.errors,
            stored=len(stored),
            crossed=crossed,
            server_cpu=cpu,
            load_before=load_before,
        )
    finally:
        store.dispose()
