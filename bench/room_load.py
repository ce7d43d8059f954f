"""Load test: a room of teams submitting their plans at once (``make load``'s last part).

The issue's target: 30 teams submitting within 10 s, with no submission lost. Starts
``streamlit run app.py`` on a free loopback port with a fresh SQLite room store (a
temporary ``WHIPLASH_DATABASE_URL``), opens a room and a round of the default preset
through the store, as the facilitator's dashboard does, and joins N teams (default 30).
Each team then opens its own Room page in its own session through Streamlit's websocket
protocol (``tests/support/session.py``; the team's link ``?room=…&team=…``) and
shapes a plan of its own: it moves the *Time on new business* slider to a value no
other team picks (each one a plan nobody has simulated yet: its preview is a cold
simulation). Untimed so far: that is the round being played.

Timed: every team presses **Submit our plan** at the same moment (a barrier), as a
room does when the facilitator calls time. Reported: the time from the first press to
the last team's page back with "Plan submitted." (the target: under 10 s), each
submission's latency (p50, p95, max), errors (an exception or error panel, a run that
does not finish, a lost connection) and then, from the store, whether every team's
plan is there and is the plan that team shaped (no submission lost or crossed). The
server's CPU is sampled as in ``bench.load``. The driver is
``tests/support/room_burst.py``, which tests/test_room_submit_burst.py runs too.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support import room_play
from tests.support.room_burst import (
    DEFAULT_PRESET,
    TARGET_SECONDS,
    TEAMS,
    SubmitReport,
    room_server,
    run_submit,
)


def main(teams: int = TEAMS) -> SubmitReport:
    """Run the burst and print the report."""
    print(
        f"\nRoom submissions: {teams} teams on the {DEFAULT_PRESET} preset submit at once "
        f"(loopback, SQLite room store); load average before: {os.getloadavg()[0]:.1f}"
    )
    with room_server() as (server, url):
        report = run_submit(server, url, teams=teams)
    print("\n".join(report.lines()))
    for error in report.errors[:10]:
        print(f"  error: {error}")
    verdict = "met" if report.met else "NOT met"
    print(
        f"target ({teams} teams submitted within {TARGET_SECONDS:g} s, none lost, "
        f"zero errors): {verdict}"
    )
    return report


def main_room(teams: int = TEAMS, *, workers: int = 1) -> room_play.PlayReport:
    """Play a whole room (``tests/support/room_play.py``) and print every step's waits;
    with ``workers`` > 1 through ``make serve``'s proxy, every worker on one store."""
    from bench.load import target

    print(
        f"\nA whole room: {teams} teams join and play {room_play.ROUNDS} rounds with the "
        "facilitator, each of the dashboard's first scenario (loopback, SQLite room store, "
        "every page live as in a browser"
        + (f", {workers} workers behind HAProxy" if workers > 1 else "")
        + f"); load average before: {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="whiplash-room-play-") as folder:
        url = f"sqlite:///{Path(folder) / 'rooms.sqlite'}"
        with _database(url), target(workers) as (server, serving):
            report = room_play.run_room(server, url, teams=teams, serving=serving)
    print("\n".join(report.lines()))
    for error in report.errors[:10]:
        print(f"  error: {error}")
    verdict = "met" if report.met else "NOT met"
    print(
        f"target (everyone through both rounds, nobody waiting "
        f"{room_play.TARGET_SECONDS:g} s or more, zero errors): {verdict}"
    )
    return report


@contextlib.contextmanager
def _database(url: str) -> Iterator[None]:
    """``WHIPLASH_DATABASE_URL`` set to ``url`` for the servers started inside."""
    before = os.environ.get("WHIPLASH_DATABASE_URL")
    os.environ["WHIPLASH_DATABASE_URL"] = url
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("WHIPLASH_DATABASE_URL", None)
        else:
            os.environ["WHIPLASH_DATABASE_URL"] = before
