"""Where the real server's CPU goes per slider move: the whole process against its
event-loop thread (which serialises and sends each rerun's ~150 messages), and the
page faults, read from ``/proc`` (Linux) around many moves of one websocket session.

CPU time moves far less with the machine's other work than a move's wall-clock
latency (``bench.app``), so it separates the server's cost from its waiting. *Warm*
moves step between two settings already seen; *cold* ones go to a new setting each.

Run: ``python -m bench.server_cpu [--moves 60]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _stat(path: str) -> tuple[float, int]:
    """(user + system CPU seconds, minor page faults) of a /proc stat file."""
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[7])


def measure(*, moves: int) -> list[tuple[str, float, float, float, float]]:
    """Per case: (case, median ms, process CPU ms, event-loop thread CPU ms, page faults)
    per move."""
    from tests.support.server import streamlit_server
    from tests.support.session import StreamlitSession
    from ui import controls

    rows = []
    with streamlit_server(APP) as server:
        pid = server.process.pid
        warm_up = StreamlitSession(server)  # the server's first run imports the modules
        warm_up.rerun()
        warm_up.close()
        session = StreamlitSession(server)
        try:
            closing = session.rerun().widgets[controls.W_CLOSING][0]
            for value in (5.0, 6.0):
                session.rerun(moves={closing: [value]})
            cases = (
                ("warm (two settings seen before)", lambda i: 5.0 + i % 2),
                ("cold (a new setting each move)", lambda i: 20.0 + i),
            )
            for case, value_of in cases:
                cpu0, faults0 = _stat(f"/proc/{pid}/stat")
                loop0, _ = _stat(f"/proc/{pid}/task/{pid}/stat")
                times = []
                for i in range(moves):
                    rerun = session.rerun(moves={closing: [value_of(i)]})
                    assert rerun.ok, (rerun.exceptions, rerun.errors)
                    times.append(rerun.seconds * 1000)
                cpu1, faults1 = _stat(f"/proc/{pid}/stat")
                loop1, _ = _stat(f"/proc/{pid}/task/{pid}/stat")
                rows.append(
                    (
                        case,
                        statistics.median(times),
                        (cpu1 - cpu0) / moves * 1000,
                        (loop1 - loop0) / moves * 1000,
                        (faults1 - faults0) / moves,
                    )
                )
        finally:
            session.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.server_cpu", description=__doc__)
    parser.add_argument("--moves", type=int, default=60, help="moves per case (default 60)")
    args = parser.parse_args(argv if argv is not None else [])
    if not Path("/proc/self/stat").exists():
        print("Skipped: needs Linux's /proc.")
        return 0
    print("Slider moves of the 'closing' effort slider, default preset, real server.\n")
    print(
        "| case | median move (ms) | server CPU a move (ms) | of it, event loop (ms) "
        "| page faults a move |"
    )
    print("|---|---:|---:|---:|---:|")
    for case, median, cpu, loop, faults in measure(moves=max(1, args.moves)):
        print(f"| {case} | {median:.0f} | {cpu:.1f} | {loop:.1f} | {faults:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
