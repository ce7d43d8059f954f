"""The room store on a real database: rooms, teams, rounds, limits, expiry, migrations.

Every test runs against a SQLite file in a temporary folder, and against PostgreSQL too
when WHIPLASH_TEST_POSTGRES_URL is set (``make test-postgres``).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, insert, select, text, update

import rooms.codes as codes
import rooms.store as store_module
from rooms import (
    ROOM_HOURS,
    Conflict,
    Forbidden,
    LimitReached,
    NotFound,
    RateLimited,
    RoomError,
    RoomStore,
    TeamResult,
    database_url,
    migrate,
    schema,
    shown_code,
)
from rooms.codes import ALPHABET, CODE_BITS, CODE_LENGTH, new_code, normalise_code
from rooms.store import (
    JOIN_WINDOW,
    MAX_FAILED_JOINS,
    MAX_FAILED_JOINS_PER_ADDRESS,
    MAX_REVISIONS,
    MAX_ROOMS_PER_CREATOR,
    MAX_ROUNDS,
    MAX_TEAMS,
    make_engine,
    transaction,
)
from simulator import levers, load_preset
from tests.support.rooms import BACKENDS, POSTGRES_URL, POSTGRES_VARIABLE, Clock, database

PRESET = load_preset("team_a_team_b")


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path: Path) -> str:
    return database(request.param, tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(url: str, clock: Clock):
    s = RoomStore(url, clock=clock)
    yield s
    s.dispose()


def result(score: float = 1.0, **change) -> TeamResult:
    values = {
        "score": score,
        "median_revenue": 2 * score,
        "probability": 0.5,
        "severe_probability": 0.25,
        "max_drawdown": 0.2,
        "verdict": "mild",
        "sentence": "Mild whiplash in 50% of runs",
        "quarters": ("2012Q1", "2012Q2"),
        "quarter_revenue": (1.0, 2.0),
    }
    return TeamResult(**(values | change))


def open_room(store: RoomStore, teams: int = 2):
    room = store.create_room(creator="facilitator", title="Tuesday workshop")
    members = [store.join(room.code, f"Team {i + 1}", client=f"c{i}") for i in range(teams)]
    store.open_round(room.code, secret=room.key, scenario=PRESET, label="Round 1")
    return room, members


def test_postgresql_is_tested_when_a_server_is_given():
    if not POSTGRES_URL:
        pytest.skip(f"no PostgreSQL: set {POSTGRES_VARIABLE} (make test-postgres starts one)")
    assert "postgresql" in BACKENDS


# --- The database.
def test_the_sqlite_file_is_created_on_first_use_in_wal_mode(tmp_path: Path):
    path = tmp_path / "deep" / "folder" / "rooms.sqlite"
    store = RoomStore(f"sqlite:///{path}")
    assert path.is_file()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.dispose()


def test_the_url_comes_from_the_environment_or_is_a_file_under_dot_data():
    assert database_url({}).endswith(str(Path(".data") / "rooms.sqlite"))
    assert database_url({"WHIPLASH_DATABASE_URL": "postgresql+psycopg://x/y"}).startswith(
        "postgresql"
    )
    with pytest.raises(RoomError, match=r"WHIPLASH_DATABASE_URL: .*SQLite file"):
        make_engine("sqlite://")


def test_a_room_plays_a_round_from_join_to_ranks(store: RoomStore):
    room, (a, b) = open_room(store)
    plan = levers.lever("effort").write(PRESET, (0.2, 0.2, 0.2, 0.2, 0.2))
    store.submit(room.code, secret=a.token, plan=plan)
    seen = store.status(room.code, secret=room.key)
    assert [(t.name, t.submitted) for t in seen.teams] == [("Team 1", True), ("Team 2", False)]
    assert seen.facilitator and seen.current.state == "open"
    store.submit(room.code, secret=b.token, plan=PRESET)
    assert store.close_round(room.code, secret=room.key).state == "closed"
    plans = store.plans(room.code, secret=room.key)
    assert [(s.team, s.plan.effort.attract) for s in plans] == [
        ("Team 1", 0.2),
        ("Team 2", PRESET.effort.attract),
    ]
    store.reveal_round(
        room.code, secret=room.key, number=1, results={a.team_id: result(3), b.team_id: result(5)}
    )
    board = store.standings(room.code, secret=a.token, number=1)
    assert [(s.rank, s.team) for s in board] == [(1, "Team 2"), (2, "Team 1")]
    status = store.status(room.code, secret=a.token)
    assert status.me.name == "Team 1" and not status.facilitator
    assert status.current.state == "revealed"


def test_two_connections_see_each_others_writes(url: str, clock: Clock):
    first, second = RoomStore(url, clock=clock), RoomStore(url, clock=clock)
    room = first.create_room(creator="f")
    team = second.join(room.code, "Over the other connection", client="c")
    assert [t.name for t in first.status(room.code, secret=room.key).teams] == [team.name]
    first.open_round(room.code, secret=room.key, scenario=PRESET, label="R1")
    second.submit(room.code, secret=team.token, plan=PRESET)
    assert first.status(room.code, secret=room.key).submitted == 1
    first.dispose()
    second.dispose()


def test_a_full_room_of_teams_joining_and_submitting_at_once_loses_nothing(url, clock):
    stores = [RoomStore(url, clock=clock) for _ in range(2)]
    room = stores[0].create_room(creator="f")
    stores[0].open_round(room.code, secret=room.key, scenario=PRESET, label="R1")
    start = threading.Barrier(MAX_TEAMS + 5)

    def play(i: int) -> str:
        s = stores[i % 2]
        start.wait()
        try:
            team = s.join(room.code, f"Team {i}", client=f"c{i}")
        except LimitReached:
            return "full"
        s.submit(room.code, secret=team.token, plan=PRESET)
        return "submitted"

    with ThreadPoolExecutor(MAX_TEAMS + 5) as pool:
        outcomes = list(pool.map(play, range(MAX_TEAMS + 5)))
    assert outcomes.count("submitted") == MAX_TEAMS and outcomes.count("full") == 5
    status = stores[1].status(room.code, secret=room.key)
    assert len(status.teams) == MAX_TEAMS and status.submitted == MAX_TEAMS
    assert len(stores[0].plans(room.code, secret=room.key)) == MAX_TEAMS
    for s in stores:
        s.dispose()


# --- Expiry and limits.
def test_a_room_expires_after_the_documented_time_and_is_purged(store: RoomStore, clock: Clock):
    room, (team, _) = open_room(store)
    clock.advance(ROOM_HOURS * 3600 - 1)
    assert store.status(room.code, secret=team.token).code == room.code
    clock.advance(1)
    for secret in (room.key, team.token):
        with pytest.raises(NotFound):
            store.status(room.code, secret=secret)
    with pytest.raises(NotFound):
        store.join(room.code, "Latecomer", client="late")
    assert store.purge_expired() == 1
    with transaction(store.engine, write=False) as conn:
        for table in (schema.rooms, schema.teams, schema.rounds):
            assert conn.execute(select(func.count()).select_from(table)).scalar() == 0


def test_rooms_teams_rounds_and_revisions_are_bounded(store: RoomStore):
    for _ in range(MAX_ROOMS_PER_CREATOR):
        store.create_room(creator="busy")
    with pytest.raises(LimitReached, match=f"{MAX_ROOMS_PER_CREATOR} open rooms"):
        store.create_room(creator="busy")
    room = store.create_room(creator="other")
    for i in range(MAX_TEAMS):
        store.join(room.code, f"T{i}", client="c")
    with pytest.raises(LimitReached, match=f"at most {MAX_TEAMS} teams"):
        store.join(room.code, "One too many", client="c")
    for _ in range(MAX_ROUNDS):
        store.open_round(room.code, secret=room.key, scenario=PRESET, label="R")
        store.close_round(room.code, secret=room.key)
    with pytest.raises(LimitReached, match=f"at most {MAX_ROUNDS} rounds"):
        store.open_round(room.code, secret=room.key, scenario=PRESET, label="R")

    room, (team, _) = open_room(store)
    for _ in range(MAX_REVISIONS):
        store.submit(room.code, secret=team.token, plan=PRESET)
    with pytest.raises(LimitReached, match=f"at most {MAX_REVISIONS} times"):
        store.submit(room.code, secret=team.token, plan=PRESET)


def test_the_store_holds_at_most_max_rooms(store: RoomStore, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_ROOMS", 3)
    for i in range(3):
        store.create_room(creator=f"c{i}")
    with pytest.raises(LimitReached, match="3 rooms already"):
        store.create_room(creator="c9")


def test_a_plan_keeps_the_result_it_was_submitted_with_until_it_is_resubmitted(store):
    """The reveal reads each plan's result from the store instead of simulating it, so
    with several app processes no process simulates the room's plans again."""
    room, (a, b) = open_room(store)
    shifted = levers.lever("effort").write(PRESET, (0.2, 0.2, 0.2, 0.2, 0.2))
    store.submit(room.code, secret=a.token, plan=PRESET, result=result(3))
    store.submit(room.code, secret=b.token, plan=shifted)  # no result: simulated at the reveal
    kept = {s.team: s.result for s in store.plans(room.code, secret=room.key)}
    assert kept == {"Team 1": result(3), "Team 2": None}
    store.submit(room.code, secret=a.token, plan=shifted)  # a new plan: the old result goes
    store.submit(room.code, secret=b.token, plan=PRESET, result=result(5))
    kept = {s.team: (s.plan, s.result) for s in store.plans(room.code, secret=room.key)}
    assert kept == {"Team 1": (shifted, None), "Team 2": (PRESET, result(5))}


def test_a_result_is_not_kept_for_a_plan_the_store_changes(store):
    """A submitted scenario with the round's fields changed (more runs, another seed) is
    stored as the round's scenario with the team's levers: its result would be another
    plan's, so it is dropped and the reveal simulates the plan that is stored."""
    room, (a, _) = open_room(store)
    other = PRESET.model_copy(
        update={"simulation": PRESET.simulation.model_copy(update={"seed": 7})}
    )
    stored = store.submit(room.code, secret=a.token, plan=other, result=result(3))
    assert stored.simulation.seed == PRESET.simulation.seed
    (plan,) = store.plans(room.code, secret=room.key)
    assert plan.plan == PRESET and plan.result is None


@pytest.mark.parametrize("damage", ["{not json", '{"score": -1}', '"a string"', ""])
def test_a_damaged_kept_result_reads_as_none_so_the_reveal_simulates(store, damage):
    room, (a, _) = open_room(store)
    store.submit(room.code, secret=a.token, plan=PRESET, result=result(3))
    with transaction(store.engine, write=True) as conn:
        conn.execute(update(schema.plans).values(result=damage))
    (plan,) = store.plans(room.code, secret=room.key)
    assert plan.plan == PRESET and plan.result is None


# --- Migrations.
def test_a_version_1_database_migrates_and_keeps_its_rooms(url: str, clock: Clock):
    engine = make_engine(url)
    assert migrate(engine, to=1) == 1
    store = RoomStore(url, clock=clock)  # opens at version 1 and migrates
    room, (a, b) = open_room(store)
    store.submit(room.code, secret=a.token, plan=PRESET)
    store.close_round(room.code, secret=room.key)
    store.reveal_round(room.code, secret=room.key, number=1, results={a.team_id: result()})
    assert store.status(room.code, secret=b.token).current.revealed_at == int(clock())
    with transaction(store.engine, write=False) as conn:
        assert schema.current_version(conn) == schema.LATEST
    store.dispose()
    engine.dispose()


def test_migrating_from_version_1_keeps_data_and_ends_at_the_declared_schema(url, clock):
    engine = make_engine(url)
    migrate(engine, to=1)
    v1 = MetaData()
    v1.reflect(engine)
    assert "results" not in v1.tables and "revealed_at" not in v1.tables["rounds"].c
    with transaction(engine, write=True) as conn:  # a room written by the version-1 app
        conn.execute(
            insert(v1.tables["rooms"]).values(
                id=1,
                code="7K3M9QXR",
                facilitator_hash="0" * 64,
                creator_hash="0" * 64,
                title="Old room",
                created_at=int(clock()),
                expires_at=int(clock()) + 3600,
                version=3,
            )
        )
    assert migrate(engine) == schema.LATEST
    migrated = MetaData()
    migrated.reflect(engine)
    assert set(migrated.tables) == set(schema.metadata.tables)
    for name, table in schema.metadata.tables.items():
        assert set(migrated.tables[name].c.keys()) == set(table.c.keys()), name
    with transaction(engine, write=False) as conn:
        old = conn.execute(select(schema.rooms.c.title, schema.rooms.c.version)).one()
    assert tuple(old) == ("Old room", 3)
    assert migrate(engine) == schema.LATEST  # a second start changes nothing
    engine.dispose()


def test_plans_submitted_before_version_3_are_kept_and_simulated_at_the_reveal(url, clock):
    store = RoomStore(url, clock=clock)
    room, (a, _) = open_room(store)
    store.submit(room.code, secret=a.token, plan=PRESET)
    store.dispose()
    with transaction(make_engine(url), write=True) as conn:  # back to a version-2 database
        conn.execute(text("ALTER TABLE plans DROP COLUMN result"))
        conn.execute(text("ALTER TABLE rounds DROP COLUMN closes_at"))
        schema.set_version(conn, 2)
    store = RoomStore(url, clock=clock)  # opens at version 2 and migrates
    (plan,) = store.plans(room.code, secret=room.key)
    assert plan.plan == PRESET and plan.result is None
    store.submit(room.code, secret=a.token, plan=PRESET, result=result(4))
    assert store.plans(room.code, secret=room.key)[0].result == result(4)
    store.dispose()


def test_a_round_open_before_version_4_stays_open_without_a_time_limit(url, clock):
    store = RoomStore(url, clock=clock)
    room, (a, _) = open_room(store)
    store.dispose()
    with transaction(make_engine(url), write=True) as conn:  # back to a version-3 database
        conn.execute(text("ALTER TABLE rounds DROP COLUMN closes_at"))
        schema.set_version(conn, 3)
    store = RoomStore(url, clock=clock)  # opens at version 3 and migrates
    clock.advance(3 * 3600)
    now = store.status(room.code, secret=room.key).current
    assert (now.state, now.closes_at) == ("open", None)
    store.submit(room.code, secret=a.token, plan=PRESET)
    store.dispose()


def test_a_database_newer_than_the_app_is_refused(url: str):
    engine = make_engine(url)
    migrate(engine)
    with transaction(engine, write=True) as conn:
        conn.execute(update(schema.schema_version).values(version=99))
    with pytest.raises(RoomError, match="version 99, newer than this app"):
        RoomStore(url)
    engine.dispose()


# --- Who may do what.
def test_a_team_cannot_open_close_reveal_or_read_the_plans(store: RoomStore):
    room, (team, _) = open_room(store)
    with pytest.raises(Forbidden, match="only the facilitator can close"):
        store.close_round(room.code, secret=team.token)
    with pytest.raises(Forbidden, match="only the facilitator can open"):
        store.open_round(room.code, secret=team.token, scenario=PRESET, label="Mine")
    with pytest.raises(Forbidden, match="only the facilitator can read"):
        store.plans(room.code, secret=team.token)
    store.close_round(room.code, secret=room.key)
    with pytest.raises(Forbidden, match="only the facilitator can reveal"):
        store.reveal_round(room.code, secret=team.token, number=1, results={})
    with pytest.raises(Forbidden, match="only the facilitator can end"):
        store.end_room(room.code, secret=team.token)
    assert store.status(room.code, secret=room.key).current.state == "closed"


def test_a_round_with_a_time_limit_closes_by_itself(store: RoomStore, clock: Clock):
    room = store.create_room(creator="f")
    a, b = (store.join(room.code, n, client=n) for n in ("Team 1", "Team 2"))
    opened = store.open_round(room.code, secret=room.key, scenario=PRESET, label="R1", minutes=5)
    assert opened.state == "open" and opened.closes_at == int(clock()) + 300
    clock.advance(299)
    store.submit(room.code, secret=a.token, plan=PRESET)  # in with a second to spare
    clock.advance(1)
    for secret in (room.key, a.token, b.token):  # every member reads it closed at once
        now = store.status(room.code, secret=secret).current
        assert (now.state, now.closed_at) == ("closed", opened.closes_at)
    with pytest.raises(Conflict, match="round 1 is closed: plans are no longer taken"):
        store.submit(room.code, secret=b.token, plan=PRESET)
    clock.advance(600)  # recorded as closed at its limit, not when someone next wrote
    assert store.close_round(room.code, secret=room.key).closed_at == opened.closes_at
    reopened = store.reopen_round(room.code, secret=room.key)
    assert reopened.state == "open" and reopened.closes_at is None  # the facilitator's now
    store.submit(room.code, secret=b.token, plan=PRESET)
    assert store.status(room.code, secret=room.key).submitted == 2


@pytest.mark.parametrize("minutes", [0, -5, 121, 2.5, True, "5", 10**100])
def test_a_time_limit_out_of_range_is_refused_by_name(store: RoomStore, minutes):
    room = store.create_room(creator="f")
    with pytest.raises(RoomError, match=r"^minutes: a round's time limit is 1 to 120 minutes"):
        store.open_round(room.code, secret=room.key, scenario=PRESET, label="R", minutes=minutes)
    assert store.status(room.code, secret=room.key).rounds == ()


def test_a_round_closed_too_early_is_reopened_with_its_plans(store: RoomStore):
    room, (a, b) = open_room(store)
    store.submit(room.code, secret=a.token, plan=PRESET)
    store.close_round(room.code, secret=room.key)
    with pytest.raises(Forbidden, match="only the facilitator can reopen"):
        store.reopen_round(room.code, secret=a.token)
    before = store.status(room.code, secret=room.key).version
    reopened = store.reopen_round(room.code, secret=room.key)
    assert reopened.state == "open" and reopened.closed_at is None
    status = store.status(room.code, secret=room.key)
    assert status.version > before and status.submitted == 1  # the plan in stays
    store.submit(room.code, secret=b.token, plan=PRESET)  # a latecomer gets in
    assert store.reopen_round(room.code, secret=room.key).state == "open"  # twice is fine
    store.close_round(room.code, secret=room.key)
    store.reveal_round(
        room.code, secret=room.key, number=1, results={a.team_id: result(), b.team_id: result()}
    )
    with pytest.raises(Conflict, match="revealed: open the next round instead"):
        store.reopen_round(room.code, secret=room.key)


def test_the_facilitator_removes_a_team_with_its_plans_and_results(store: RoomStore):
    room, (a, b, _) = open_room(store, teams=3)
    for member in (a, b):
        store.submit(room.code, secret=member.token, plan=PRESET)
    store.close_round(room.code, secret=room.key)
    store.reveal_round(
        room.code, secret=room.key, number=1, results={a.team_id: result(3), b.team_id: result(5)}
    )
    store.open_round(room.code, secret=room.key, scenario=PRESET, label="Round 2")
    store.submit(room.code, secret=b.token, plan=PRESET)
    before = store.status(room.code, secret=room.key).version

    store.remove_team(room.code, secret=room.key, team_id=b.team_id, name="Team 2")

    status = store.status(room.code, secret=room.key)
    assert [t.name for t in status.teams] == ["Team 1", "Team 3"]
    assert status.version > before  # every page redraws
    assert status.submitted == 0 and store.plans(room.code, secret=room.key) == []
    board = store.standings(room.code, secret=a.token, number=1)  # ranked again without it
    assert [(s.rank, s.team) for s in board] == [(1, "Team 1")]
    for read in (store.status, store.own_plan):
        with pytest.raises(NotFound):
            read(room.code, secret=b.token)
    with pytest.raises(NotFound):
        store.submit(room.code, secret=b.token, plan=PRESET)
    again = store.join(room.code, "team 2", client="c9")  # the name is free
    assert again.team_id != b.team_id
    assert [t.name for t in store.status(room.code, secret=a.token).teams] == [
        "Team 1",
        "Team 3",
        "team 2",
    ]


def test_only_the_facilitator_removes_a_team_and_only_the_one_it_chose(store: RoomStore):
    room, (a, b) = open_room(store)
    other, (stranger, _) = open_room(store)
    with pytest.raises(Forbidden, match="only the facilitator can remove a team"):
        store.remove_team(room.code, secret=a.token, team_id=b.team_id, name="Team 2")
    with pytest.raises(Forbidden):
        store.remove_team(room.code, secret=a.token, team_id=a.team_id, name="Team 1")
    with pytest.raises(NotFound):  # another room's key
        store.remove_team(room.code, secret=other.key, team_id=b.team_id, name="Team 2")
    with pytest.raises(Conflict, match="not in the room any more"):  # another room's team
        store.remove_team(room.code, secret=room.key, team_id=stranger.team_id, name="Team 1")
    with pytest.raises(Conflict, match="not in the room any more"):  # the list changed
        store.remove_team(room.code, secret=room.key, team_id=b.team_id, name="Team 1")
    for forged in (True, "2", 2.0, None):
        with pytest.raises(RoomError, match=r"^team: "):
            store.remove_team(room.code, secret=room.key, team_id=forged, name="Team 2")
    assert [t.name for t in store.status(room.code, secret=room.key).teams] == [
        "Team 1",
        "Team 2",
    ]
    assert [t.name for t in store.status(other.code, secret=other.key).teams] == [
        "Team 1",
        "Team 2",
    ]


def test_a_team_changes_only_its_own_plan(store: RoomStore):
    room, (a, b) = open_room(store)
    mine = levers.lever("effort").write(PRESET, (0.3, 0.3, 0.1, 0.2, 0.1))
    store.submit(room.code, secret=a.token, plan=mine)
    store.submit(room.code, secret=b.token, plan=PRESET)
    assert store.own_plan(room.code, secret=a.token).effort == mine.effort
    assert store.own_plan(room.code, secret=b.token).effort == PRESET.effort
    with pytest.raises(Forbidden, match="only a team submits"):
        store.submit(room.code, secret=room.key, plan=mine)


def test_a_plan_keeps_the_rounds_market_and_settings(store: RoomStore):
    room, (team, _) = open_room(store)
    richer = PRESET.model_copy(
        update={"simulation": PRESET.simulation.model_copy(update={"runs": 20, "seed": 9})}
    )
    stored = store.submit(room.code, secret=team.token, plan=richer)
    assert stored.simulation == PRESET.simulation
    other = load_preset("balanced")
    with pytest.raises(RoomError, match=r"^plan\.(product_lines|contracts): "):
        store.submit(room.code, secret=team.token, plan=other)


def test_plans_are_taken_only_while_the_round_is_open(store: RoomStore):
    room, (a, b) = open_room(store)
    store.submit(room.code, secret=a.token, plan=PRESET)
    with pytest.raises(Conflict, match="close it before the reveal"):
        store.reveal_round(room.code, secret=room.key, number=1, results={a.team_id: result()})
    with pytest.raises(Conflict, match="still open"):
        store.open_round(room.code, secret=room.key, scenario=PRESET, label="R2")
    store.close_round(room.code, secret=room.key)
    with pytest.raises(Conflict, match="round 1 is closed"):
        store.submit(room.code, secret=b.token, plan=PRESET)
    with pytest.raises(Conflict, match=f"team {b.team_id} has no plan"):
        store.reveal_round(
            room.code, secret=room.key, number=1, results={a.team_id: result(), b.team_id: result()}
        )
    with pytest.raises(Conflict, match="not been revealed"):
        store.standings(room.code, secret=a.token, number=1)


def test_nothing_of_one_room_is_visible_from_another(store: RoomStore):
    first, (team_1, _) = open_room(store)
    second, (team_2, _) = open_room(store)
    store.submit(first.code, secret=team_1.token, plan=PRESET)
    for code, secret in (
        (second.code, team_1.token),
        (second.code, first.key),
        (first.code, team_2.token),
        (first.code, second.key),
    ):
        with pytest.raises(NotFound):
            store.status(code, secret=secret)
        with pytest.raises(NotFound):
            store.plans(code, secret=secret)
        with pytest.raises(NotFound):
            store.close_round(code, secret=secret)
    assert store.plans(second.code, secret=second.key) == []
    assert [t.name for t in store.status(second.code, secret=second.key).teams] == [
        "Team 1",
        "Team 2",
    ]


def test_without_a_valid_secret_an_unknown_code_reads_like_a_known_one(store: RoomStore):
    room = store.create_room(creator="f")
    unknown = next(c for c in iter(new_code, None) if c != room.code)
    messages = set()
    for code, secret in ((room.code, "guess"), (unknown, "guess"), (room.code, ""), ("?", "x")):
        with pytest.raises(NotFound) as refused:
            store.status(code, secret=secret)
        messages.add(str(refused.value))
    assert len(messages) == 1


def test_a_wrong_code_is_refused_and_repeated_guesses_are_rate_limited(store, clock):
    room = store.create_room(creator="f")
    wrong = next(c for c in iter(new_code, None) if c != room.code)
    for _ in range(MAX_FAILED_JOINS):
        with pytest.raises(NotFound, match=r"^code: no open room has this code"):
            store.join(wrong, "Guesser", client="guesser")
    with pytest.raises(RateLimited, match="too many wrong codes") as limited:
        store.join(room.code, "Guesser", client="guesser")  # even the right code
    assert 0 < limited.value.retry_after <= JOIN_WINDOW
    assert store.join(room.code, "Someone else", client="honest").name == "Someone else"
    with pytest.raises(RoomError, match=r"^code: a join code is 8"):
        store.join("12", "Typo", client="typo")  # malformed: cannot hit, not counted
    clock.advance(JOIN_WINDOW)
    assert store.join(room.code, "Guesser", client="guesser").name == "Guesser"


def test_guesses_from_many_sessions_of_one_address_are_limited_too(store: RoomStore):
    room = store.create_room(creator="f")
    wrong = next(c for c in iter(new_code, None) if c != room.code)
    for i in range(MAX_FAILED_JOINS_PER_ADDRESS):
        with pytest.raises(NotFound):
            store.join(wrong, "G", client=f"fresh session {i}", address="203.0.113.9")
    with pytest.raises(RateLimited):
        store.join(room.code, "G", client="yet another session", address="203.0.113.9")
    assert store.join(room.code, "G", client="s", address="198.51.100.1").name == "G"


def test_join_codes_have_enough_entropy_and_forgive_typing():
    assert len(ALPHABET) ** CODE_LENGTH == 2**CODE_BITS and CODE_BITS >= 40
    assert not set("ILOU") & set(ALPHABET)
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(len(c) == CODE_LENGTH for c in codes)
    assert normalise_code(" 7k3m-9qxr ") == "7K3M9QXR"
    assert normalise_code("OIL0 ABCD") == "0110ABCD"
    assert shown_code("7K3M9QXR") == "7K3M-9QXR"


# --- Team names are plain text.
HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "**bold** _it_ `code`",
    ":material/warning: :red[alarm]",
    "https://evil.example/x",
    '=HYPERLINK("http://x")',
    "Robert'); DROP TABLE teams;--",
    "Zoë & Søren 🚀",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_team_names_are_kept_as_plain_text(store: RoomStore, name: str):
    room = store.create_room(creator="f")
    team = store.join(room.code, f"  {name}  ", client="c")
    assert team.name == name
    assert [t.name for t in store.status(room.code, secret=room.key).teams] == [name]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("\u200b", "cannot be empty"),  # a zero-width space: no name on the projector
        ("\u200b\u00ad \ufeff", "cannot be empty"),
        ("x" * 41, "at most 40 characters"),
        ("evil\u202etxt.exe", "U\\+202E is not allowed"),
        ("bell\x07", "U\\+0007 is not allowed"),
    ],
)
def test_unusable_team_names_are_refused_by_name(store: RoomStore, name: str, why: str):
    room = store.create_room(creator="f")
    with pytest.raises(RoomError, match=f"^name: {why}"):
        store.join(room.code, name, client="c")


@pytest.mark.parametrize(
    "same",
    ["team a", "TEAM A", "Team \u200bA", "Team\u00ad A", "\ufeffTeam A\u2060", "Ｔｅａｍ Ａ"],
)
def test_two_teams_cannot_share_a_name(store: RoomStore, same: str):
    """A name that looks the same on the leaderboard (case, spacing, invisible characters,
    full-width letters) is the same name: nobody can pass for another team."""
    room = store.create_room(creator="f")
    store.join(room.code, "Team  A", client="c")
    with pytest.raises(Conflict, match=r"^name: another team"):
        store.join(room.code, same, client="d")


def test_an_oversized_name_is_refused_before_any_work_on_its_characters(
    store: RoomStore, monkeypatch: pytest.MonkeyPatch
):
    """A client of its own can send megabytes where the browser's box stops at 40: each
    character would cost a Unicode lookup in the interpreter every session shares."""
    room = store.create_room(creator="f")
    seen: list[int] = []
    normalize = codes.unicodedata.normalize
    monkeypatch.setattr(
        codes.unicodedata,
        "normalize",
        lambda form, text: seen.append(len(text)) or normalize(form, text),
    )
    with pytest.raises(RoomError, match=r"^name: at most 40 characters \(this one has 5,000,000\)"):
        store.join(room.code, "x" * 5_000_000, client="c")
    assert all(n < 5_000_000 for n in seen), seen
    assert store.status(room.code, secret=room.key).teams == ()


def test_a_room_title_of_invisible_characters_is_no_title(store: RoomStore):
    """The projector then shows the default title, not a blank heading."""
    room = store.create_room(creator="f", title="\u200b \u2060")
    assert store.status(room.code, secret=room.key).title == ""


def test_a_name_with_an_emoji_sequence_is_kept_whole(store: RoomStore):
    """Joiners inside an emoji (a family, a flag) are part of a name, not stripped."""
    room = store.create_room(creator="f")
    family = "Team \U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert store.join(room.code, family, client="c").name == family


# --- Nothing read back is trusted.
def test_a_damaged_plan_or_result_in_the_database_is_refused_in_one_line(store: RoomStore):
    room, (a, b) = open_room(store)
    store.submit(room.code, secret=a.token, plan=PRESET)
    store.submit(room.code, secret=b.token, plan=PRESET)
    assert store.own_plan(room.code, secret=a.token) == PRESET  # read (and kept parsed) once
    with transaction(store.engine, write=True) as conn:
        conn.execute(
            update(schema.plans)
            .where(schema.plans.c.team_id == a.team_id)
            .values(plan="[effort]\nattract = 7\n")
        )
    with pytest.raises(RoomError, match=r"stored plan is damaged: .*effort"):
        store.own_plan(room.code, secret=a.token)
    store.close_round(room.code, secret=room.key)
    store.reveal_round(
        room.code, secret=room.key, number=1, results={a.team_id: result(), b.team_id: result()}
    )
    with transaction(store.engine, write=True) as conn:
        conn.execute(text("UPDATE results SET probability = 7"))
    with pytest.raises(RoomError, match="a stored result is damaged"):
        store.standings(room.code, secret=room.key, number=1)
