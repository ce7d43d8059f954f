"""The room's submission burst (the driver of bench/room_load.py) on the real server,
at a size a test can afford: every team's plan reaches the store and is its own."""

from __future__ import annotations

from tests.support import room_burst as room_load


def test_teams_submitting_at_once_each_store_their_own_plan() -> None:
    with room_load.room_server() as (server, url):
        report = room_load.run_submit(server, url, teams=3)
    assert report.errors == []
    assert report.ready == 3 and len(report.latencies) == 3
    assert report.stored == 3 and report.lost == 0 and report.crossed == []
    assert report.makespan > 0


def test_a_lost_or_crossed_submission_fails_the_target() -> None:
    fine = room_load.SubmitReport(
        teams=2,
        ready=2,
        makespan=1.0,
        latencies=[0.5, 1.0],
        errors=[],
        stored=2,
        crossed=[],
        server_cpu=0.5,
        load_before=0.1,
    )
    assert fine.met
    assert not room_load.SubmitReport(**{**fine.__dict__, "stored": 1}).met
    assert not room_load.SubmitReport(**{**fine.__dict__, "crossed": ["Team 2"]}).met
    assert not room_load.SubmitReport(**{**fine.__dict__, "makespan": 10.5}).met
    assert len({room_load.share(i) for i in range(room_load.TEAMS)}) == room_load.TEAMS
