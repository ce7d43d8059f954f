"""Hostile load: attackers and careless users among a room of ordinary sessions.

``python -m bench.hostile`` (part of ``make load``) starts the real app on a free
loopback port and runs, for a fixed time and all at once:

- 30 ordinary participants exploring their own plans (``bench.load``'s ``explore``);
- bomb links: ``?scenario=`` payloads built to exhaust the TOML parser (a long dotted
  key, deep nesting, thousands of invalid contracts) opened again and again;
- the heaviest valid link: the largest scenario the limits accept, opened by several
  clients at once;
- suggest-a-fix: sessions that switch the diagnosis on and submit "Suggest a fix";
- dropped connections: sessions that ask for a rerun and hang up before it ends;
- garbage: websocket messages that are not Streamlit's protocol at all.

Meanwhile a probe opens a fresh session every second and times how long the server
takes to answer it (the health endpoint, and the websocket's first message: the
server has accepted the session and started its page). Reported: probe latency
(p95, max; target: max under 2 s), the server's peak resident memory (target: under
:data:`TARGET_RSS_MB`), errors of the ordinary sessions, whether the server is still
alive and answering at the end. Loopback only; every loop ends by its deadline.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil
import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.load import MemoryWatch, Outcome, participant, percentile
from simulator import ScenarioError, load_preset, scenario_from_dict, scenario_to_dict
from simulator.models import MAX_CONTRACTS, MAX_RUNS
from tests.support.server import Server, streamlit_server
from tests.support.session import ProtocolError, StreamlitSession
from ui import state

TARGET_PROBE_SECONDS = 2.0
"""A fresh session must be answered within this, whatever the attackers do."""
TARGET_RSS_MB = 3072
"""The server's resident memory must stay below this (SECURITY.md)."""


def _link(text: str) -> str:
    """A ``?scenario=`` value as the app writes it (zlib-compressed TOML, base64)."""
    packed = zlib.compress(text.encode("utf-8"), 9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def bomb_links() -> dict[str, str]:
    """Query strings that attack the link decoder and the parser behind it."""
    invalid_contracts = "".join(
        f'[[contracts]]\nname = "c{i}"\nproduct_line = "nope"\nannual_value = -1\n'
        f'ends = "1800-13"\n'
        for i in range(3_700)
    )
    return {
        "dotted key": "scenario=" + _link("a" + ".a" * 130_999 + " = 1"),
        "deep nesting": "scenario=" + _link("x = " + "[" * 50_000 + "]" * 50_000),
        "many keys": "scenario=" + _link("".join(f"k{i} = {i}\n" for i in range(30_000))),
        "invalid contracts": "scenario=" + _link(invalid_contracts),
        "garbage": "scenario=" + "A" * 20_000,
        "many parameters": "&".join(f"p{i}={i}" for i in range(5_000)),
    }


def heaviest_valid_scenario() -> str:
    """The largest scenario the limits accept: every contract renews monthly, the
    longest look-ahead and horizon, and as many runs as validation allows."""
    data = scenario_to_dict(load_preset("team_a_team_b"))
    line = next(iter(data["product_lines"]))
    data["contracts"] = [
        {
            "name": f"Contract {i}",
            "product_line": line,
            "annual_value": 100_000 + i,
            "ends": "2012-02",
            "renewal_term_months": 1,
        }
        for i in range(MAX_CONTRACTS)
    ]
    data["thresholds"]["coverage_lookahead_months"] = 24
    data["simulation"]["months"] = 120
    low, high = 1, MAX_RUNS  # the most runs validation accepts (limits may depend on cost)
    while low < high:
        mid = (low + high + 1) // 2
        data["simulation"]["runs"] = mid
        try:
            scenario_from_dict(data)
            low = mid
        except ScenarioError:
            high = mid - 1
    data["simulation"]["runs"] = low
    return "scenario=" + state.encode_scenario(scenario_from_dict(data))


@dataclass
class Attacks:
    """What the attackers did and saw."""

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def _open(server: Server, query: str, attacks: Attacks, kind: str) -> None:
    """Open the page with ``query`` and read it to the end; it must not show a traceback."""
    session = StreamlitSession(server, timeout=120)
    try:
        rerun = session.rerun(query_string=query)
        if rerun.exceptions:
            attacks.problem(f"{kind}: the page raised {rerun.exceptions[0][:120]}")
        attacks.count(kind)
    finally:
        session.close()


def _suggest(server: Server, attacks: Attacks) -> None:
    """Switch the diagnosis on, then press "Suggest a fix" with the default limits."""
    session = StreamlitSession(server, timeout=180)
    try:
        first = session.rerun()
        toggle = first.widgets.get("dx_w_on")
        if toggle is None:
            attacks.problem("suggest: no diagnosis toggle on the page")
            return
        session.values[toggle[0]] = ("bool_value", True)
        shown = session.rerun()
        submit = next(
            (wid for wid, proto in shown.buttons.items() if proto.label == "Suggest a fix"),
            None,
        )
        if submit is None:
            attacks.problem("suggest: no 'Suggest a fix' button after the toggle")
            return
        result = session.wait_finished(session.send_rerun(triggers=[submit]))
        if result.exceptions:
            attacks.problem(f"suggest: the page raised {result.exceptions[0][:120]}")
        attacks.count("suggest a fix")
    finally:
        session.close()


def _drop(server: Server, attacks: Attacks, query: str) -> None:
    """Ask for a (heavy) page and hang up at once, before it is drawn."""
    session = StreamlitSession(server)
    session.send_rerun(query_string=query)
    session.close()
    attacks.count("dropped connection")


def _garbage(server: Server, attacks: Attacks, rng: random.Random) -> None:
    """Bytes that are not a BackMsg, then a BackMsg naming widgets that do not exist."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/_stcore/stream", subprotocols=["streamlit"], timeout=10
    )
    try:
        ws.send_binary(rng.randbytes(rng.randint(1, 65_536)))
        msg = BackMsg()
        for i in range(2_000):
            widget = msg.rerun_script.widget_states.widgets.add()
            widget.id = f"$$ID-{i:032x}-w_closing"
            widget.double_array_value.data.extend([1e308, -1e308])
        ws.send_binary(msg.SerializeToString())
        ws.send("not even binary")
    except (websocket.WebSocketException, OSError):
        pass  # the server may close a connection that speaks nonsense: that is fine
    finally:
        ws.close()
    attacks.count("garbage")


def attacker(
    action: Callable[[], None], *, deadline: float, pause: float, attacks: Attacks, name: str
) -> None:
    """Repeat ``action`` until the deadline, pausing ``pause`` seconds between attempts."""
    stop = threading.Event()
    while time.monotonic() < deadline:
        try:
            action()
        except (ProtocolError, OSError, websocket.WebSocketException) as exc:
            attacks.problem(f"{name}: {exc}"[:200])
        stop.wait(pause)


@dataclass
class Probe:
    """How quickly the server answers a newcomer, sampled once a second."""

    health: list[float] = field(default_factory=list)
    first_message: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def run(self, server: Server, deadline: float) -> None:
        tick = threading.Event()
        while time.monotonic() < deadline:
            try:
                started = time.perf_counter()
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=30) as r:
                    r.read()
                self.health.append(time.perf_counter() - started)
                started = time.perf_counter()
                ws = websocket.create_connection(
                    f"ws://127.0.0.1:{server.port}/_stcore/stream",
                    subprotocols=["streamlit"],
                    timeout=30,
                )
                try:
                    msg = BackMsg()
                    msg.rerun_script.query_string = ""
                    ws.send_binary(msg.SerializeToString())
                    reply = ForwardMsg()
                    reply.ParseFromString(ws.recv())
                    self.first_message.append(time.perf_counter() - started)
                finally:
                    ws.close()
            except (OSError, websocket.WebSocketException) as exc:
                self.failures.append(str(exc)[:200])
            tick.wait(1.0)


def run_hostile(server: Server, *, sessions: int, seconds: float) -> int:
    """Ordinary sessions, attackers and the probe together; prints the report."""
    warm = StreamlitSession(server)
    warm.rerun()
    warm.close()
    heavy = heaviest_valid_scenario()
    bombs = bomb_links()
    outcome, attacks, probe = Outcome(), Attacks(), Probe()
    rng = random.Random(8)
    deadline = time.monotonic() + seconds
    gate = threading.Barrier(sessions)
    threads = [
        threading.Thread(
            target=participant,
            kwargs={
                "server": server,
                "number": i,
                "deadline": deadline,
                "think": 5.0,
                "pattern": "explore",
                "outcome": outcome,
                "start_gate": gate,
            },
            daemon=True,
        )
        for i in range(sessions)
    ]
    jobs: list[tuple[str, Callable[[], None], float]] = [
        *(
            (f"bomb: {name}", (lambda q=q, n=name: _open(server, q, attacks, f"bomb: {n}")), 2.0)
            for name, q in bombs.items()
        ),
        *(
            ("heaviest valid link", lambda: _open(server, heavy, attacks, "heaviest link"), 1.0)
            for _ in range(2)
        ),
        ("suggest a fix", lambda: _suggest(server, attacks), 1.0),
        ("dropped connection", lambda: _drop(server, attacks, heavy), 3.0),
        ("garbage", lambda: _garbage(server, attacks, rng), 0.5),
    ]
    threads += [
        threading.Thread(
            target=attacker,
            kwargs={
                "action": action,
                "deadline": deadline,
                "pause": pause,
                "attacks": attacks,
                "name": name,
            },
            daemon=True,
        )
        for name, action, pause in jobs
    ]
    threads.append(threading.Thread(target=probe.run, args=(server, deadline), daemon=True))
    process = psutil.Process(server.process.pid)
    with MemoryWatch(server.process.pid) as memory:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 300)
        stuck = sum(t.is_alive() for t in threads)
    alive = server.process.poll() is None
    try:
        cpu = sum(process.cpu_times()[:2])
    except psutil.Error:  # the server died
        cpu = float("nan")
    try:
        after = StreamlitSession(server, timeout=60)
        answered = after.rerun().ok
        after.close()
    except (ProtocolError, OSError, websocket.WebSocketException):
        answered = False
    mb = 1024 * 1024
    worst_probe = max(probe.first_message + probe.health, default=float("nan"))
    lines = [
        f"ordinary sessions: {outcome.sessions_opened} of {sessions} opened, "
        f"{len(outcome.moves)} slider moves, {len(outcome.errors)} errors, "
        f"move p50 {statistics.median(outcome.moves or [float('nan')]):.1f} s, "
        f"p95 {percentile(outcome.moves, 0.95):.1f} s",
        "attacks: " + ", ".join(f"{k} x{v}" for k, v in sorted(attacks.counts.items())),
        f"attack problems: {len(attacks.problems)}",
        f"probe (fresh session, every second): {len(probe.first_message)} answered, "
        f"{len(probe.failures)} failed; first message p95 "
        f"{percentile(probe.first_message, 0.95) * 1000:.0f} ms, max "
        f"{max(probe.first_message, default=float('nan')) * 1000:.0f} ms; health max "
        f"{max(probe.health, default=float('nan')) * 1000:.0f} ms",
        f"server memory (RSS): start {memory.start / mb:.0f} MB, peak {memory.peak / mb:.0f} MB",
        f"server CPU time: {cpu:.0f} s; "
        f"alive at the end: {alive}; a new page after the attack: "
        f"{'drawn without errors' if answered else 'FAILED'}",
    ]
    print("\n".join(lines))
    for problem in (attacks.problems + outcome.errors + probe.failures)[:10]:
        print(f"  problem: {problem}")
    met = (
        alive
        and answered
        and not stuck
        and not probe.failures
        and not outcome.errors
        and not attacks.problems
        and worst_probe < TARGET_PROBE_SECONDS
        and memory.peak / mb < TARGET_RSS_MB
    )
    print(
        f"target (fresh session answered within {TARGET_PROBE_SECONDS:g} s throughout, "
        f"peak RSS < {TARGET_RSS_MB:,} MB, no errors, server alive): "
        + ("met" if met else "NOT met")
    )
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__)
    parser.add_argument("--sessions", type=int, default=30, help="ordinary sessions")
    parser.add_argument("--seconds", type=float, default=90.0, help="length of the attack")
    args = parser.parse_args(argv)
    if not (1 <= args.sessions <= 200 and 10 <= args.seconds <= 3600):
        parser.error("--sessions 1..200, --seconds 10..3600")
    print(
        f"\nHostile load: {args.sessions} ordinary sessions plus attackers for "
        f"{args.seconds:g} s (loopback); load average before: {os.getloadavg()[0]:.1f}"
    )
    sys.stdout.flush()
    with streamlit_server("app.py") as server:
        return run_hostile(server, sessions=args.sessions, seconds=args.seconds)


if __name__ == "__main__":
    sys.exit(main())
