"""``make rehearse`` (``python -m bench.load --pattern room --teams N``): a number of
teams a room cannot hold is refused at once, naming ``--teams`` and what it may be,
before any server starts."""

from __future__ import annotations

import pytest

from bench import load
from rooms.store import MAX_TEAMS


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
    teams: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        load.main(["--pattern", "room", "--teams", teams])
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == f"python -m bench.load: error: {said}"


def test_teams_sets_the_rooms_size_as_sessions_does(monkeypatch: pytest.MonkeyPatch) -> None:
    played = []

    def play(*, teams: int, workers: int):
        played.append((teams, workers))
        raise load.ServeError("stopped here")  # the rehearsal's set-up, not run

    monkeypatch.setattr(load.room_load, "main_room", play)
    assert load.main(["--pattern", "room", "--teams", "12", "--workers", "2"]) == 2
    assert played == [(12, 2)]
