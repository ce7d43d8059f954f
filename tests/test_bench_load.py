"""``make rehearse`` (``python -m bench.load --pattern room --teams N``), run as a trainer
runs it: a number of teams a room cannot hold is refused at once in one line naming
``--teams`` and what it may be, before any server starts; a number it can hold sizes the
room. Run as a command because nothing outside ``bench/`` imports ``bench``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rooms.store import MAX_TEAMS

ROOT = Path(__file__).resolve().parent.parent


def _load(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.load", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("teams", "said"),
    [
        ("0", f"--teams: a room holds 1 to {MAX_TEAMS} teams, not 0"),
        (str(MAX_TEAMS + 1), f"--teams: a room holds 1 to {MAX_TEAMS} teams, not {MAX_TEAMS + 1}"),
        ("-3", f"--teams: a room holds 1 to {MAX_TEAMS} teams, not -3"),
        ("abc", "argument --teams: invalid int value: 'abc'"),
    ],
)
def test_a_rehearsal_of_a_number_of_teams_a_room_cannot_hold_is_refused(
    teams: str, said: str
) -> None:
    done = _load("--pattern", "room", "--teams", teams, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"python -m bench.load: error: {said}"
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.slow
def test_teams_sizes_the_room_it_plays() -> None:
    done = _load("--pattern", "submit", "--teams", "2", timeout=300)
    assert done.returncode == 0, done.stderr
    assert "teams: 2 of 2 shaped a plan of their own and pressed Submit at once" in done.stdout
    assert "plans in the store: 2 of 2 (lost: 0)" in done.stdout
