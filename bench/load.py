"""Load test: a workshop room of concurrent sessions on the real server (``make load``).

Starts ``streamlit run app.py`` on a free loopback port and drives N sessions (default
30) through Streamlit's own websocket protocol (``tests/support/session.py``), the one
the browser speaks: ``/_stcore/stream`` carrying protobuf ``BackMsg`` (client to server) and
``ForwardMsg`` (server to client). Each session opens the page, then for a fixed time
moves a slider the way the browser reports it (a ``rerun_script`` BackMsg with the
slider's new widget state), waits for ``script_finished`` and pauses to read the page.

With ``--workers N`` (N > 1) it loads ``make serve``'s set-up instead: N app processes
behind HAProxy (``serve``), the sessions connecting to the proxy, which spreads their
websockets over the workers (fewest open connections first); server CPU and memory
are then the sum over the workers and the proxy.

Reported: sessions, reruns, errors (a script exception, an error panel, a rerun that
did not finish, a lost connection), p50/p95/max rerun latency (send to
``script_finished``) and the server's peak resident memory (psutil, sampled every
100 ms). Loopback only; every loop ends by itself (a deadline and per-message timeouts).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import websocket

from bench import room_load
from rooms.store import MAX_TEAMS
from serve import ServeError, cluster, free_port
from simulator.models import MAX_MONTHS, MAX_RUNS
from tests.support.server import Server, cpu_seconds, streamlit_server
from tests.support.session import ProtocolError, Rerun, StreamlitSession
from ui import controls

THINK = 5.0
"""Mean pause between a participant's moves: move a slider, read the verdict and charts."""
PATTERNS = {
    "together": "everyone makes the moves the trainer calls out, each at their own pace",
    "explore": "each participant makes their own moves",
    "largest": "each participant asks once for the largest allowed run (memory check)",
}
SLIDERS = (controls.W_CLOSING, controls.W_NEW_BUSINESS, controls.W_TURNOVER, controls.W_FOCUS_SPLIT)
"""The sliders a participant moves: effort, turnover and focus (each re-simulates)."""


# --- The load run.
@dataclass
class Outcome:
    opens: list[float] = field(default_factory=list)
    """Latency of each session's first page (all sessions open at once)."""
    moves: list[float] = field(default_factory=list)
    """Latency of each slider move."""
    errors: list[str] = field(default_factory=list)
    sessions_opened: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rerun: Rerun, *, first: bool = False) -> None:
        with self.lock:
            (self.opens if first else self.moves).append(rerun.seconds)
            if not rerun.ok:
                self.errors.append(
                    "; ".join(rerun.exceptions + rerun.errors) or f"status {rerun.status}"
                )

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def participant(
    server: Server,
    *,
    number: int,
    deadline: float,
    think: float,
    pattern: str,
    outcome: Outcome,
    start_gate: threading.Barrier,
) -> None:
    """One workshop participant: open the page, then move sliders until the deadline.

    ``pattern``: see :data:`PATTERNS`.
    """
    pace = random.Random(number)
    moves = random.Random(0 if pattern == "together" else number)
    try:
        start_gate.wait(timeout=120)
        session = StreamlitSession(server)
    except (threading.BrokenBarrierError, OSError, websocket.WebSocketException) as exc:
        outcome.fail(f"session {number}: could not connect: {exc}")
        return
    try:
        first = session.rerun()
        outcome.add(first, first=True)
        with outcome.lock:
            outcome.sessions_opened += 1
        widgets = first.widgets
        if pattern == "largest":  # the largest allowed run, a different one per session
            largest = {
                widgets[controls.W_RUNS][0]: float(MAX_RUNS),
                widgets[controls.W_MONTHS][0]: float(MAX_MONTHS),
                widgets[controls.W_SEED][0]: float(number),
            }
            outcome.add(session.rerun(moves=largest))
            return
        while time.monotonic() < deadline:
            time.sleep(pace.uniform(0.5, 1.5) * think)  # reading the page, then the next move
            if time.monotonic() >= deadline:
                break
            key = moves.choice([k for k in SLIDERS if k in widgets])
            widget_id, proto = widgets[key]
            rerun = session.rerun(moves={widget_id: [_new_value(proto, moves)]})
            outcome.add(rerun)
            widgets = rerun.widgets or widgets
    except ProtocolError as exc:
        outcome.fail(f"session {number}: {exc}")
    finally:
        session.close()


def _new_value(proto, rng: random.Random) -> float:
    """A slider position a person would pick: on the slider's step, not its current value."""
    steps = round((proto.max - proto.min) / proto.step)
    current = proto.value[0] if proto.value else proto.default[0]
    while True:
        value = proto.min + rng.randint(0, steps) * proto.step
        if value != current:
            return round(value, 6)


class MemoryWatch:
    """Peak resident memory of the server processes (and any children), sampled."""

    def __init__(self, pids: int | list[int], *, every: float = 0.1) -> None:
        self.processes = [psutil.Process(p) for p in ([pids] if isinstance(pids, int) else pids)]
        self.every = every
        self.peak = 0
        self.start = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        try:
            procs = [p for top in self.processes for p in (top, *top.children(recursive=True))]
            return sum(p.memory_info().rss for p in procs)
        except psutil.Error:
            return 0

    def pss(self) -> int:
        """Proportional set size of the same processes: pages they share (the app's
        simulation processes and the server they fork from) counted once, not in each."""
        try:
            procs = [p for top in self.processes for p in (top, *top.children(recursive=True))]
            return sum(p.memory_full_info().pss for p in procs)
        except psutil.Error:
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self._stop.wait(self.every)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class LoadReport:
    sessions: int
    sessions_opened: int
    seconds: float
    think: float
    pattern: str
    reruns: int
    errors: list[str]
    open_p50: float
    open_worst: float
    p50: float
    p95: float
    worst: float
    server_cpu: float
    """Server CPU seconds per wall-clock second during the run (2.0 = both cores busy)."""
    cpu_split: tuple[float, ...]
    """The same per process (behind a proxy: the proxy, then each worker)."""
    rss_start_mb: float
    rss_peak_mb: float
    rss_end_mb: float
    pss_end_mb: float = math.nan

    @property
    def met(self) -> bool:
        return not self.errors and self.p95 < TARGET_P95

    def lines(self) -> list[str]:
        if self.pattern == "largest":
            how = "one move each to the largest allowed run"
        else:
            how = f"{PATTERNS[self.pattern]} for {self.seconds:.0f} s, pause between moves "
            how += f"{self.think / 2:g}-{self.think * 1.5:g} s"
        return [
            f"sessions: {self.sessions_opened} of {self.sessions} opened; {how}",
            f"reruns: {self.reruns} slider moves"
            + ("" if self.pattern == "largest" else f" ({self.reruns / self.seconds:.1f} a second)")
            + f" and {self.sessions_opened} page opens",
            f"errors: {len(self.errors)}",
            f"slider move latency: p50 {self.p50 * 1000:.0f} ms, p95 {self.p95 * 1000:.0f} ms, "
            f"max {self.worst * 1000:.0f} ms",
            f"page open latency (all at once): p50 {self.open_p50 * 1000:.0f} ms, "
            f"max {self.open_worst * 1000:.0f} ms",
            f"server CPU: {self.server_cpu:.2f} cores busy on average"
            + (
                f" (proxy {self.cpu_split[0]:.2f}; workers "
                + " + ".join(f"{c:.2f}" for c in self.cpu_split[1:])
                + ")"
                if len(self.cpu_split) > 1
                else ""
            ),
            f"server memory (RSS): {self.rss_start_mb:.0f} MB after the first page, "
            f"peak {self.rss_peak_mb:.0f} MB, {self.rss_end_mb:.0f} MB at the end "
            f"(proportional set size, shared pages once: {self.pss_end_mb:.0f} MB)",
        ]


TARGET_P95 = 2.0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


@contextlib.contextmanager
def target(workers: int) -> Iterator[tuple[Server, list[Server]]]:
    """(the server the sessions connect to, every process serving them): one
    ``streamlit run``, or with ``workers`` > 1 the proxy and its workers (``serve``)."""
    if workers <= 1:
        with streamlit_server("app.py") as server:
            yield server, [server]
        return
    with (
        tempfile.TemporaryDirectory(prefix="whiplash-load-") as folder,
        cluster(workers=workers, port=free_port(), run_dir=Path(folder)) as running,
    ):
        proxy, *workers = (
            Server(url=p.url, port=p.port, process=p.popen, log_path=p.log_path)
            for p in running.processes
        )
        yield proxy, [proxy, *workers]


def run_load(
    server: Server,
    *,
    sessions: int,
    seconds: float,
    think: float,
    pattern: str,
    serving: list[Server] | None = None,
) -> LoadReport:
    """Drive ``sessions`` participants for ``seconds`` against a running server;
    ``serving``: the processes whose CPU and memory count (default: ``server``)."""
    serving = serving or [server]
    apps = serving[1:] or serving  # behind a proxy: each worker directly
    for app in apps:  # each app process's first page: imports and the preset's cache
        warm = StreamlitSession(app)
        warm.rerun()
        warm.close()
    outcome = Outcome()
    gate = threading.Barrier(sessions)
    processes = [psutil.Process(s.process.pid) for s in serving]
    with MemoryWatch([s.process.pid for s in serving]) as memory:
        cpu_start, wall_start = [cpu_seconds([p]) for p in processes], time.monotonic()
        deadline = wall_start + seconds
        threads = [
            threading.Thread(
                target=participant,
                kwargs={
                    "server": server,
                    "number": i,
                    "deadline": deadline,
                    "think": think,
                    "pattern": pattern,
                    "outcome": outcome,
                    "start_gate": gate,
                },
                daemon=True,
            )
            for i in range(sessions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 180 + (20 * sessions if pattern == "largest" else 0))
        if any(t.is_alive() for t in threads):
            outcome.fail("a session did not finish within its time")
        wall = time.monotonic() - wall_start
        split = tuple(
            (cpu_seconds([p]) - c) / wall for p, c in zip(processes, cpu_start, strict=True)
        )
        rss_end = memory.rss()
        pss_end = memory.pss()
    mb = 1024 * 1024
    return LoadReport(
        sessions=sessions,
        sessions_opened=outcome.sessions_opened,
        seconds=seconds,
        think=think,
        pattern=pattern,
        reruns=len(outcome.moves),
        errors=outcome.errors,
        open_p50=statistics.median(outcome.opens) if outcome.opens else math.nan,
        open_worst=max(outcome.opens, default=math.nan),
        p50=statistics.median(outcome.moves) if outcome.moves else math.nan,
        p95=percentile(outcome.moves, 0.95),
        worst=max(outcome.moves, default=math.nan),
        server_cpu=sum(split),
        cpu_split=split,
        rss_start_mb=memory.start / mb,
        rss_peak_mb=memory.peak / mb,
        rss_end_mb=rss_end / mb,
        pss_end_mb=pss_end / mb,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--sessions", type=int, default=30, help="concurrent sessions")
    parser.add_argument(
        "--teams",
        type=int,
        help="the room's teams, for --pattern submit and room (as --sessions; `make rehearse`)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="time each moves sliders")
    parser.add_argument(
        "--think",
        type=float,
        default=THINK,
        help="mean pause between a participant's moves, seconds (drawn from 0.5x-1.5x)",
    )
    parser.add_argument(
        "--pattern",
        choices=(*PATTERNS, "submit", "room", "both", "all"),
        default="all",
        help="; ".join(f"{k}: {v}" for k, v in PATTERNS.items())
        + "; submit: that many teams of a room submit their plans at once (bench/room_load.py)"
        + "; room: that many teams join a room and play two rounds with its facilitator"
        + "; both: together, then explore; all: both, then submit and room (default)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="app processes; more than 1: behind HAProxy as `make serve` runs them",
    )
    args = parser.parse_args(argv)
    if args.teams is not None:
        if not 1 <= args.teams <= MAX_TEAMS:
            parser.error(f"--teams: a room holds 1 to {MAX_TEAMS} teams, not {args.teams}")
        args.sessions = args.teams
    if not (1 <= args.sessions <= 200 and 1 <= args.seconds <= 3600 and args.think >= 0):
        parser.error("--sessions 1..200, --seconds 1..3600, --think >= 0")
    if not 1 <= args.workers <= 16:
        parser.error("--workers 1..16")
    patterns = {
        "both": ["together", "explore"],
        "all": ["together", "explore", "submit", "room"],
    }.get(args.pattern, [args.pattern])
    if {"submit", "room"} & set(patterns) and args.sessions > MAX_TEAMS:
        parser.error(f"--sessions: a room holds at most {MAX_TEAMS} teams (--pattern submit, room)")
    failed = False
    for pattern in patterns:
        if pattern == "submit":  # one room, its teams submitting at once (no proxy)
            burst = room_load.main(teams=args.sessions)
            failed |= bool(burst.errors or burst.lost or burst.crossed)
            continue
        if pattern == "room":  # one room played through, two rounds (--workers: the proxy)
            try:
                played = room_load.main_room(teams=args.sessions, workers=args.workers)
            except ServeError as error:  # no HAProxy, or the set-up stopped: say so, briefly
                print(f"error: {error}", file=sys.stderr)
                return 2
            failed |= bool(played.errors or not played.complete)
            continue
        print(
            f"\nLoad ({pattern}): {args.sessions} sessions on the default preset for "
            f"{args.seconds:g} s through Streamlit's websocket protocol (loopback"
            + (f", {args.workers} workers behind HAProxy" if args.workers > 1 else "")
            + f"); load average before: {os.getloadavg()[0]:.1f}"
        )
        sys.stdout.flush()
        try:
            with target(args.workers) as (server, serving):
                report = run_load(
                    server,
                    sessions=args.sessions,
                    seconds=args.seconds,
                    think=args.think,
                    pattern=pattern,
                    serving=serving,
                )
        except ServeError as error:  # no HAProxy, or the set-up stopped: say so, briefly
            print(f"error: {error}", file=sys.stderr)
            return 2
        print("\n".join(report.lines()))
        for error in report.errors[:10]:
            print(f"  error: {error}")
        verdict = "met" if report.met else "NOT met"
        print(f"target (zero errors, slider-move p95 < {TARGET_P95:g} s): {verdict}")
        failed |= bool(report.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
