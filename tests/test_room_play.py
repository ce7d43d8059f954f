"""A whole room on the real server (the driver of ``bench.load --pattern room``), at a
size a test can afford: teams join through the page, play two rounds, see their ranks
and round 2 compared with round 1; and the report's target judges what it should."""

from __future__ import annotations

from tests.support import room_burst, room_play


def test_a_room_of_teams_plays_two_rounds_through_the_pages() -> None:
    with room_burst.room_server() as (server, url):
        report = room_play.run_room(server, url, teams=3, rounds=2)
    assert report.errors == []
    assert report.complete
    assert report.stored == {1: 3, 2: 3} and report.ranked == {1: 3, 2: 3}
    assert [r.split(":")[0] for r in report.played] == ["Round 1", "Round 2"]
    reveal = next(s for s in report.steps if s.name == room_play._reveal_step(2))
    assert len(reveal.waits) == 3 and all(w > 0 for w in reveal.waits)


def _report(**change) -> room_play.PlayReport:
    steps = [room_play.Step("join", 2, [0.2, 0.3]), room_play.Step("reveal", 2, [0.9, 1.5])]
    values = {
        "teams": 2,
        "rounds": 1,
        "steps": steps,
        "errors": [],
        "stored": {1: 2},
        "ranked": {1: 2},
        "server_cpu": 0.5,
        "load_before": 0.1,
    }
    return room_play.PlayReport(**(values | change))


def test_a_long_wait_a_missing_team_or_a_lost_plan_fails_the_target() -> None:
    assert _report().met and _report().worst == 1.5
    slow = [room_play.Step("reveal", 2, [0.9, 2.0])]
    assert not _report(steps=slow).met  # someone waited 2 s
    missing = [room_play.Step("reveal", 2, [0.9])]
    assert not _report(steps=missing).met  # a team never saw its rank
    assert not _report(stored={1: 1}).met
    assert not _report(ranked={1: 1}).met
    assert not _report(errors=["Team 2: connection lost"]).met
    assert len({room_play.share(i, 1) for i in range(40)}) == 40
    assert all(room_play.share(i, 1) != room_play.share(i, 2) for i in range(40))
