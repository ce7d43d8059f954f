"""The room store: rooms, teams, rounds, plans and results in a real database.

SQLite by default, a file created on first use (``.data/rooms.sqlite`` under the
working folder, WAL mode so readers never wait for the writer); any SQLAlchemy URL in
``WHIPLASH_DATABASE_URL`` instead, e.g. ``postgresql+psycopg://user@host/db`` when
several app processes serve one room. Every write runs in one transaction that first
locks its room (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT ... FOR UPDATE``), so
limits hold and no submission is lost however many sessions write at once.

Who may do what is decided here, from a secret the caller holds (``secret=``):

- the **facilitator key**, handed out once by :meth:`RoomStore.create_room`, opens,
  closes, reopens and reveals rounds, reads every team's plan and removes a team;
- a **team token**, handed out once by :meth:`RoomStore.join`, submits and reads that
  team's own plan, and reads the room's status and revealed results;
- anything else, or a secret of another room, is :class:`NotFound`: without a valid
  secret nothing tells whether a code exists, except :meth:`RoomStore.join`, which
  counts wrong codes per client and address and refuses after :data:`MAX_FAILED_JOINS`.

Nothing read back is trusted: plans and round scenarios are TOML parsed and validated
by :mod:`simulator.scenario_io`, results by :class:`rooms.scoring.TeamResult`.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from simulator import Scenario, ScenarioError, dump_scenario, parse_scenario

from . import schema
from .codes import (
    MAX_NAME,
    MAX_TITLE,
    clean_text,
    digest,
    name_key,
    new_code,
    new_secret,
    normalise_code,
    same_digest,
    shown_code,
)
from .errors import Conflict, Forbidden, LimitReached, NotFound, RateLimited, RoomError
from .plans import team_plan
from .schema import join_failures, plans, rooms, rounds, teams
from .schema import results as results_table
from .scoring import RevealedRound, Standing, TeamResult, leaderboard, result_from_row

URL_VARIABLE = "WHIPLASH_DATABASE_URL"
DEFAULT_PATH = Path(".data") / "rooms.sqlite"
"""The SQLite file used when :data:`URL_VARIABLE` is not set (under the working folder)."""

ROOM_HOURS = 12
"""A room lives this long after it is opened (a workshop day), then it and everything
in it are deleted."""
MAX_ROOMS = 200
"""Live rooms in one store."""
MAX_ROOMS_PER_CREATOR = 5
"""Live rooms one client may have opened."""
MAX_TEAMS = 40
"""Teams in one room."""
MAX_ROUNDS = 12
"""Rounds in one room."""
MAX_ROUND_MINUTES = 120
"""The longest time limit a round may have, in minutes."""
MAX_REVISIONS = 50
"""Times one team may submit (or resubmit) its plan in one round."""
JOIN_WINDOW = 600
"""Seconds over which wrong join codes are counted."""
MAX_FAILED_JOINS = 5
"""Wrong codes from one client (browser session) within :data:`JOIN_WINDOW`."""
MAX_FAILED_JOINS_PER_ADDRESS = 50
"""Wrong codes from one network address within :data:`JOIN_WINDOW` (a classroom's
devices may share one address; a guesser opening new sessions shares it too)."""
MAX_FAILURE_ROWS = 20_000
"""Wrong-code records kept at most (the oldest go first)."""
_MIGRATION_LOCK = 7_406_281_113
"""PostgreSQL advisory lock held while the schema is migrated."""

RoundState = Literal["open", "closed", "revealed"]


def database_url(env: Mapping[str, str] | None = None) -> str:
    """The store's URL: ``WHIPLASH_DATABASE_URL`` or the default SQLite file."""
    env = os.environ if env is None else env
    return env.get(URL_VARIABLE) or f"sqlite:///{DEFAULT_PATH.resolve()}"


# --- Engine -------------------------------------------------------------------------------


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # transactions begin in _sqlite_begin
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Writers take the write lock at BEGIN, so two never deadlock upgrading a read."""
    conn.exec_driver_sql(
        "BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN"
    )


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file and its folder are created on first use."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if not parsed.database or parsed.database == ":memory:":
        raise RoomError(f"{URL_VARIABLE}: the room store needs a SQLite file, not memory")
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


@contextlib.contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One transaction: committed at the end of the block, rolled back on an error."""
    with engine.connect() as conn:
        conn.execution_options(write=write)
        with conn.begin():
            yield conn


def migrate(engine: Engine, *, to: int = schema.LATEST) -> int:
    """Bring the database's schema up to version ``to`` (one step per transaction)."""
    for step in schema.MIGRATIONS:
        if step.version > to:
            break
        with transaction(engine, write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            current = schema.current_version(conn)
            if current > schema.LATEST:
                raise RoomError(
                    f"{URL_VARIABLE}: the database's schema is version {current}, newer than "
                    f"this app's {schema.LATEST}: update the app"
                )
            if current < step.version:
                step.apply(conn)
                schema.set_version(conn, step.version)
    with transaction(engine, write=False) as conn:
        return schema.current_version(conn)


# --- Records --------------------------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RoomAccess(_Record):
    """What the facilitator's browser keeps: the join code and the facilitator key."""

    code: str
    key: str

    @property
    def shown_code(self) -> str:
        return shown_code(self.code)


class TeamAccess(_Record):
    """What a team's browser keeps: the room's code, the team and its token."""

    code: str
    team_id: int
    name: str
    token: str


class TeamInfo(_Record):
    id: int
    name: str
    submitted_at: int | None = None
    """When the team last submitted a plan for the current round (None: not yet)."""

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class RoundInfo(_Record):
    number: int
    label: str
    state: RoundState
    blind: bool
    """Teams see no simulation of their plan before the reveal."""
    opened_at: int
    closed_at: int | None = None
    revealed_at: int | None = None
    closes_at: int | None = None
    """When the round closes by itself (None: when the facilitator closes it)."""


class RoomStatus(_Record):
    """What a member of a room sees of it; ``team_id`` is the caller (None: facilitator)."""

    code: str
    title: str
    created_at: int
    expires_at: int
    version: int
    """Goes up with every change in the room: a page polls it to know when to redraw."""
    team_id: int | None
    teams: tuple[TeamInfo, ...]
    rounds: tuple[RoundInfo, ...]

    @property
    def facilitator(self) -> bool:
        return self.team_id is None

    @property
    def current(self) -> RoundInfo | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def me(self) -> TeamInfo | None:
        return next((t for t in self.teams if t.id == self.team_id), None)

    @property
    def submitted(self) -> int:
        return sum(t.submitted for t in self.teams)


# --- The store --------------------------------------------------------------------------------


class SubmittedPlan(NamedTuple):
    """A team's plan in a round, as the facilitator's reveal reads it."""

    team_id: int
    team: str
    plan: Scenario
    result: TeamResult | None
    """Its result as simulated when it was submitted; None to simulate it now."""


class RoomStore:
    """Rooms in one database; safe to share between the threads of one app process and
    between processes on one database (every rule is checked inside the transaction)."""

    def __init__(self, url: str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.url = url or database_url()
        self.clock = clock
        self.engine = make_engine(self.url)
        migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def _now(self) -> int:
        return int(self.clock())

    # --- Looking up a room and its caller.
    def _room(self, conn: Connection, code: str, *, lock: bool) -> Row | None:
        query = select(rooms).where(rooms.c.code == code, rooms.c.expires_at > self._now())
        if lock:
            query = query.with_for_update()
        return conn.execute(query).first()

    def _caller(
        self, conn: Connection, code: str, secret: str | None, *, lock: bool = False
    ) -> tuple[Row, Row | None]:
        """(room, team) for ``secret``: team None for the facilitator; NotFound when the
        secret is not one of this live room's."""
        refused = NotFound("this room has ended, or this key is not one of its own")
        try:
            code = normalise_code(code)
        except RoomError:
            raise refused from None
        room = self._room(conn, code, lock=lock)
        if room is None or not secret:
            raise refused
        if lock:  # a write: a round whose time is up is closed first
            self._settle(conn, room)
        if same_digest(secret, room.facilitator_hash):
            return room, None
        team = conn.execute(
            select(teams).where(teams.c.room_id == room.id, teams.c.token_hash == digest(secret))
        ).first()
        if team is None:
            raise refused
        return room, team

    def _facilitator(self, conn: Connection, code: str, secret: str | None, what: str) -> Row:
        room, team = self._caller(conn, code, secret, lock=True)
        if team is not None:
            raise Forbidden(f"only the facilitator can {what}")
        return room

    def _settle(self, conn: Connection, room: Row) -> None:
        """Record as closed, at its time limit, an open round whose time is up (reads
        show it closed already: :func:`_round_info`)."""
        conn.execute(
            update(rounds)
            .where(
                rounds.c.room_id == room.id,
                rounds.c.state == "open",
                rounds.c.closes_at <= self._now(),
            )
            .values(state="closed", closed_at=rounds.c.closes_at)
        )

    def _touch(self, conn: Connection, room: Row) -> None:
        conn.execute(update(rooms).where(rooms.c.id == room.id).values(version=rooms.c.version + 1))

    def _round(self, conn: Connection, room: Row, number: int | None) -> Row:
        query = select(rounds).where(rounds.c.room_id == room.id)
        if number is None:
            query = query.order_by(rounds.c.number.desc()).limit(1)
        else:
            query = query.where(rounds.c.number == int(number))
        found = conn.execute(query).first()
        if found is None:
            raise Conflict(
                "no round has been opened yet" if number is None else f"no round {number}"
            )
        return found

    # --- Rooms.
    def create_room(self, *, creator: str, title: str = "") -> RoomAccess:
        """A new room with a fresh code and key; expired rooms are purged first.

        ``creator`` identifies the facilitator's client (its network address or
        session) for :data:`MAX_ROOMS_PER_CREATOR`; only its hash is kept.
        """
        title = clean_text(title, field="title", limit=MAX_TITLE, required=False)
        self.purge_expired()
        key = new_secret(32)
        now = self._now()
        for _ in range(5):  # a code already taken (1 in 5e9 with a full store): draw again
            code = new_code()
            try:
                with transaction(self.engine, write=True) as conn:
                    if conn.dialect.name == "postgresql":  # one room count at a time
                        conn.execute(select(schema.schema_version.c.id).with_for_update()).first()
                    live = rooms.c.expires_at > now
                    count = conn.execute(select(func.count()).where(live)).scalar_one()
                    if count >= MAX_ROOMS:
                        raise LimitReached(
                            f"the server holds {MAX_ROOMS} rooms already: try again later"
                        )
                    mine = conn.execute(
                        select(func.count()).where(live, rooms.c.creator_hash == digest(creator))
                    ).scalar_one()
                    if mine >= MAX_ROOMS_PER_CREATOR:
                        raise LimitReached(
                            f"you have {MAX_ROOMS_PER_CREATOR} open rooms already: end one first"
                        )
                    conn.execute(
                        insert(rooms).values(
                            code=code,
                            facilitator_hash=digest(key),
                            creator_hash=digest(creator),
                            title=title,
                            created_at=now,
                            expires_at=now + ROOM_HOURS * 3600,
                            version=0,
                        )
                    )
                return RoomAccess(code=code, key=key)
            except IntegrityError:
                continue
        raise RoomError("could not draw a free join code: try again")

    def end_room(self, code: str, *, secret: str) -> None:
        """Delete the room and everything in it (the facilitator only)."""
        with transaction(self.engine, write=True) as conn:
            room = self._facilitator(conn, code, secret, "end the room")
            self._delete_rooms(conn, [room.id])

    def purge_expired(self) -> int:
        """Delete every expired room with its teams, rounds, plans and results."""
        with transaction(self.engine, write=True) as conn:
            ids = list(
                conn.execute(select(rooms.c.id).where(rooms.c.expires_at <= self._now())).scalars()
            )
            if ids:
                self._delete_rooms(conn, ids)
            return len(ids)

    def _delete_rooms(self, conn: Connection, ids: list[int]) -> None:
        round_ids = select(rounds.c.id).where(rounds.c.room_id.in_(ids))
        conn.execute(delete(results_table).where(results_table.c.round_id.in_(round_ids)))
        conn.execute(delete(plans).where(plans.c.round_id.in_(round_ids)))
        conn.execute(delete(rounds).where(rounds.c.room_id.in_(ids)))
        conn.execute(delete(teams).where(teams.c.room_id.in_(ids)))
        conn.execute(delete(rooms).where(rooms.c.id.in_(ids)))

    def status(self, code: str, *, secret: str | None) -> RoomStatus:
        """The room as a member sees it: teams (and who has submitted), rounds, version."""
        with transaction(self.engine, write=False) as conn:
            room, team = self._caller(conn, code, secret)
            round_rows = conn.execute(
                select(rounds).where(rounds.c.room_id == room.id).order_by(rounds.c.number)
            ).all()
            submitted: dict[int, int] = {}
            if round_rows:
                submitted = dict(
                    conn.execute(
                        select(plans.c.team_id, plans.c.submitted_at).where(
                            plans.c.round_id == round_rows[-1].id
                        )
                    ).all()
                )
            team_rows = conn.execute(
                select(teams.c.id, teams.c.name)
                .where(teams.c.room_id == room.id)
                .order_by(teams.c.joined_at, teams.c.id)
            ).all()
        now = self._now()  # one reading: every round seen at the same second
        return RoomStatus(
            code=room.code,
            title=room.title,
            created_at=room.created_at,
            expires_at=room.expires_at,
            version=room.version,
            team_id=None if team is None else team.id,
            teams=tuple(
                TeamInfo(id=t.id, name=t.name, submitted_at=submitted.get(t.id)) for t in team_rows
            ),
            rounds=tuple(_round_info(r, now) for r in round_rows),
        )

    # --- Teams.
    def join(self, code: str, name: str, *, client: str, address: str | None = None) -> TeamAccess:
        """Join a room as a new team; a wrong code is counted against ``client`` (and
        ``address``) and refused, and too many are refused without looking."""
        name = clean_text(name, field="name", limit=MAX_NAME)
        code = normalise_code(code)  # a malformed code cannot hit: not counted
        keys = [(digest(f"client:{client}"), MAX_FAILED_JOINS)]
        if address:
            keys.append((digest(f"address:{address}"), MAX_FAILED_JOINS_PER_ADDRESS))
        error: RoomError | None = None
        with transaction(self.engine, write=True) as conn:
            now = self._now()
            self._forget_failures(conn, now)
            for key_hash, limit in keys:
                count, oldest = conn.execute(
                    select(func.count(), func.min(join_failures.c.at)).where(
                        join_failures.c.key_hash == key_hash
                    )
                ).one()
                if count >= limit:
                    wait = max(int(oldest) + JOIN_WINDOW - now, 1)
                    raise RateLimited(
                        f"code: too many wrong codes from here; try again in "
                        f"{math.ceil(wait / 60)} min",
                        retry_after=wait,
                    )
            room = self._room(conn, code, lock=True)
            if room is None:
                conn.execute(insert(join_failures), [{"key_hash": k, "at": now} for k, _ in keys])
                error = NotFound("code: no open room has this code; check it on the projector")
            else:
                return self._add_team(conn, room, name, now)
        raise error

    def _forget_failures(self, conn: Connection, now: int) -> None:
        conn.execute(delete(join_failures).where(join_failures.c.at <= now - JOIN_WINDOW))
        extra = conn.execute(select(func.count()).select_from(join_failures)).scalar_one()
        if extra >= MAX_FAILURE_ROWS:
            oldest = (
                select(join_failures.c.id)
                .order_by(join_failures.c.at)
                .limit(extra - MAX_FAILURE_ROWS + 1)
            )
            conn.execute(delete(join_failures).where(join_failures.c.id.in_(oldest)))

    def _add_team(self, conn: Connection, room: Row, name: str, now: int) -> TeamAccess:
        existing = conn.execute(
            select(teams.c.name_key).where(teams.c.room_id == room.id)
        ).scalars()
        taken = set(existing)
        if len(taken) >= MAX_TEAMS:
            raise LimitReached(f"the room is full: it holds at most {MAX_TEAMS} teams")
        if name_key(name) in taken:
            raise Conflict("name: another team in this room has this name; choose another")
        token = new_secret(24)
        team_id = conn.execute(
            insert(teams)
            .values(
                room_id=room.id,
                name=name,
                name_key=name_key(name),
                token_hash=digest(token),
                joined_at=now,
            )
            .returning(teams.c.id)
        ).scalar_one()
        self._touch(conn, room)
        return TeamAccess(code=room.code, team_id=team_id, name=name, token=token)

    def remove_team(self, code: str, *, secret: str, team_id: int, name: str) -> None:
        """Take a team out of the room (the facilitator only): a name that should not be
        on the projector, a team that joined twice. Its plans and results go with it, so
        revealed leaderboards rank the others again; its token opens nothing any more,
        and its name is free. ``name`` is the name the facilitator chose: if the team
        with ``team_id`` is not called that (the list changed), nothing is removed."""
        if isinstance(team_id, bool) or not isinstance(team_id, int):
            raise RoomError("team: choose a team from the list")
        with transaction(self.engine, write=True) as conn:
            room = self._facilitator(conn, code, secret, "remove a team")
            row = conn.execute(
                select(teams.c.id, teams.c.name).where(
                    teams.c.room_id == room.id, teams.c.id == team_id
                )
            ).first()
            if row is None or row.name != name:
                raise Conflict("team: that team is not in the room any more; choose again")
            conn.execute(delete(results_table).where(results_table.c.team_id == row.id))
            conn.execute(delete(plans).where(plans.c.team_id == row.id))
            conn.execute(delete(teams).where(teams.c.id == row.id))
            self._touch(conn, room)

    # --- Rounds.
    def open_round(
        self,
        code: str,
        *,
        secret: str,
        scenario: Scenario,
        label: str,
        blind: bool = False,
        minutes: int | None = None,
    ) -> RoundInfo:
        """Open the next round on ``scenario`` (the facilitator only; the round before
        must not be open any more). With ``minutes`` it closes by itself that long
        after it opens; the facilitator may close it sooner."""
        label = clean_text(label, field="label", limit=200)
        if minutes is not None and (
            isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not 1 <= minutes <= MAX_ROUND_MINUTES
        ):
            raise RoomError(f"minutes: a round's time limit is 1 to {MAX_ROUND_MINUTES} minutes")
        toml = dump_scenario(scenario)
        with transaction(self.engine, write=True) as conn:
            room = self._facilitator(conn, code, secret, "open a round")
            last = conn.execute(
                select(rounds.c.number, rounds.c.state)
                .where(rounds.c.room_id == room.id)
                .order_by(rounds.c.number.desc())
                .limit(1)
            ).first()
            if last is not None and last.state == "open":
                raise Conflict(f"round {last.number} is still open: close it first")
            number = 1 if last is None else last.number + 1
            if number > MAX_ROUNDS:
                raise LimitReached(f"a room plays at most {MAX_ROUNDS} rounds")
            now = self._now()
            conn.execute(
                insert(rounds).values(
                    room_id=room.id,
                    number=number,
                    label=label,
                    scenario=toml,
                    blind=bool(blind),
                    state="open",
                    opened_at=now,
                    closes_at=None if minutes is None else now + 60 * minutes,
                )
            )
            self._touch(conn, room)
            return _round_info(self._round(conn, room, number), self._now())

    def close_round(self, code: str, *, secret: str, number: int | None = None) -> RoundInfo:
        """Stop taking plans for the round (the facilitator only); closing twice is fine."""
        with transaction(self.engine, write=True) as conn:
            room = self._facilitator(conn, code, secret, "close a round")
            rnd = self._round(conn, room, number)
            if rnd.state == "open":
                conn.execute(
                    update(rounds)
                    .where(rounds.c.id == rnd.id)
                    .values(state="closed", closed_at=self._now())
                )
                self._touch(conn, room)
            return _round_info(self._round(conn, room, rnd.number), self._now())

    def reopen_round(self, code: str, *, secret: str) -> RoundInfo:
        """Take plans again in the last round, closed too early or out of time (the
        facilitator only; not once it is revealed), until the facilitator closes it.
        Plans already in stay; a team may still resubmit."""
        with transaction(self.engine, write=True) as conn:
            room = self._facilitator(conn, code, secret, "reopen a round")
            rnd = self._round(conn, room, None)
            if rnd.state == "revealed":
                raise Conflict(f"round {rnd.number} has been revealed: open the next round instead")
            if rnd.state == "closed":
                conn.execute(  # without a time limit: the facilitator closes it
                    update(rounds)
                    .where(rounds.c.id == rnd.id)
                    .values(state="open", closed_at=None, closes_at=None)
                )
                self._touch(conn, room)
            return _round_info(self._round(conn, room, rnd.number), self._now())

    def round_scenario(self, code: str, *, secret: str, number: int | None = None) -> Scenario:
        """The scenario the round plays (any member of the room)."""
        with transaction(self.engine, write=False) as conn:
            room, _ = self._caller(conn, code, secret)
            rnd = self._round(conn, room, number)
        return _scenario(rnd.scenario, f"round {rnd.number}")

    def submit(
        self, code: str, *, secret: str, plan: Scenario, result: TeamResult | None = None
    ) -> Scenario:
        """Store the team's plan for the open round (its levers on the round's scenario);
        resubmitting replaces it, up to :data:`MAX_REVISIONS` times.

        ``result`` is the plan's simulated result, kept with it so that the reveal, on
        whichever app process, simulates nothing. It is kept only if ``plan`` is already
        the plan stored (the round's scenario with the team's levers): a result of
        anything else would be the wrong plan's, so the reveal simulates that one."""
        offered = None if result is None else _checked(result).model_dump_json()
        with transaction(self.engine, write=True) as conn:
            room, team = self._caller(conn, code, secret, lock=True)
            if team is None:
                raise Forbidden("only a team submits a plan; the facilitator has none")
            rnd = self._round(conn, room, None)
            if rnd.state != "open":
                raise Conflict(f"round {rnd.number} is closed: plans are no longer taken")
            stored = team_plan(_scenario(rnd.scenario, f"round {rnd.number}"), plan)
            toml = dump_scenario(stored)
            kept = offered if stored == plan else None
            now = self._now()
            mine = (plans.c.round_id == rnd.id) & (plans.c.team_id == team.id)
            revisions = conn.execute(select(plans.c.revisions).where(mine)).scalar()
            if revisions is None:
                conn.execute(
                    insert(plans).values(
                        round_id=rnd.id,
                        team_id=team.id,
                        plan=toml,
                        result=kept,
                        submitted_at=now,
                        revisions=1,
                    )
                )
            elif revisions >= MAX_REVISIONS:
                raise LimitReached(
                    f"plan: a team submits at most {MAX_REVISIONS} times a round; the last "
                    "one stands"
                )
            else:
                conn.execute(
                    update(plans)
                    .where(mine)
                    .values(plan=toml, result=kept, submitted_at=now, revisions=revisions + 1)
                )
            self._touch(conn, room)
            return stored

    def own_plan(self, code: str, *, secret: str, number: int | None = None) -> Scenario | None:
        """The calling team's plan for the round (None before it submits one)."""
        with transaction(self.engine, write=False) as conn:
            room, team = self._caller(conn, code, secret)
            if team is None:
                raise Forbidden("only a team has a plan of its own")
            rnd = self._round(conn, room, number)
            toml = conn.execute(
                select(plans.c.plan).where(plans.c.round_id == rnd.id, plans.c.team_id == team.id)
            ).scalar()
        return None if toml is None else _scenario(toml, f"round {rnd.number}, {team.name}")

    def plans(self, code: str, *, secret: str, number: int | None = None) -> list[SubmittedPlan]:
        """Every submitted plan of the round, with its result if one was kept at
        submission: the facilitator only (a team never sees another team's plan)."""
        with transaction(self.engine, write=False) as conn:
            room, team = self._caller(conn, code, secret)
            if team is not None:
                raise Forbidden("only the facilitator can read the teams' plans")
            rnd = self._round(conn, room, number)
            rows = conn.execute(
                select(teams.c.id, teams.c.name, plans.c.plan, plans.c.result)
                .join(plans, plans.c.team_id == teams.c.id)
                .where(plans.c.round_id == rnd.id, teams.c.room_id == room.id)
                .order_by(teams.c.joined_at, teams.c.id)
            ).all()
        return [
            SubmittedPlan(
                team_id=r.id,
                team=r.name,
                plan=_scenario(r.plan, f"round {rnd.number}, {r.name}"),
                result=_stored_result(r.result),
            )
            for r in rows
        ]

    def reveal_round(
        self, code: str, *, secret: str, number: int, results: Mapping[int, TeamResult]
    ) -> RoundInfo:
        """Record every submitted plan's result and show the round to the room (the
        facilitator only, once the round is closed; one result per plan, no other)."""
        with transaction(self.engine, write=True) as conn:
            room = self._facilitator(conn, code, secret, "reveal a round")
            rnd = self._round(conn, room, number)
            if rnd.state == "open":
                raise Conflict(f"round {rnd.number} is still open: close it before the reveal")
            if rnd.state == "revealed":
                raise Conflict(f"round {rnd.number} has been revealed already")
            submitted = set(
                conn.execute(select(plans.c.team_id).where(plans.c.round_id == rnd.id)).scalars()
            )
            given = {int(t) for t in results}
            if given != submitted:
                odd = sorted(given ^ submitted)[0]
                if odd in given:
                    raise Conflict(f"results: team {odd} has no plan in round {rnd.number}")
                raise Conflict(f"results: team {odd}'s plan in round {rnd.number} has no result")
            if submitted:
                conn.execute(
                    insert(results_table),
                    [
                        {"round_id": rnd.id, "team_id": int(t), **_result_row(r)}
                        for t, r in results.items()
                    ],
                )
            conn.execute(
                update(rounds)
                .where(rounds.c.id == rnd.id)
                .values(state="revealed", revealed_at=self._now())
            )
            self._touch(conn, room)
            return _round_info(self._round(conn, room, rnd.number), self._now())

    def standings(self, code: str, *, secret: str, number: int) -> list[Standing]:
        """A revealed round's leaderboard (any member of the room)."""
        with transaction(self.engine, write=False) as conn:
            room, _ = self._caller(conn, code, secret)
            return self._standings(conn, room, self._round(conn, room, number))

    def _standings(self, conn: Connection, room: Row, rnd: Row) -> list[Standing]:
        if rnd.state != "revealed":
            raise Conflict(f"round {rnd.number} has not been revealed yet")
        rows = conn.execute(
            select(teams.c.name.label("team_name"), results_table)
            .join(results_table, results_table.c.team_id == teams.c.id)
            .where(results_table.c.round_id == rnd.id, teams.c.room_id == room.id)
        ).all()
        return leaderboard([(r.team_id, r.team_name, result_from_row(r._mapping)) for r in rows])

    def revealed_rounds(self, code: str, *, secret: str) -> list[RevealedRound]:
        """Every revealed round's leaderboard, in order (for the comparison and the CSV)."""
        with transaction(self.engine, write=False) as conn:
            room, _ = self._caller(conn, code, secret)
            rows = conn.execute(
                select(rounds)
                .where(rounds.c.room_id == room.id, rounds.c.state == "revealed")
                .order_by(rounds.c.number)
            ).all()
            return [
                RevealedRound(r.number, r.label, tuple(self._standings(conn, room, r)))
                for r in rows
            ]


def _round_info(row: Row, now: int) -> RoundInfo:
    """The round as its members see it at ``now``: an open round whose time is up is
    closed, though no write has recorded it yet (:meth:`RoomStore._settle`)."""
    out_of_time = row.state == "open" and row.closes_at is not None and row.closes_at <= now
    return RoundInfo(
        number=row.number,
        label=row.label,
        state="closed" if out_of_time else row.state,
        blind=bool(row.blind),
        opened_at=row.opened_at,
        closed_at=row.closes_at if out_of_time else row.closed_at,
        revealed_at=row.revealed_at,
        closes_at=row.closes_at,
    )


PARSED_CACHE = 64
"""Stored scenarios kept parsed per process (see :func:`_parsed`)."""
PARSED_MAX_CHARS = 64 * 1024
"""A stored scenario longer than this is parsed every time it is read (a preset's is
about 3,000 characters), so the cache holds a few MB at most."""


@functools.lru_cache(maxsize=PARSED_CACHE)
def _parsed(toml: str) -> Scenario:
    """Speed: a stored scenario's text parsed and validated once per process. A round's
    is read at every submission, inside the room's write lock, and by each team's page
    when a round opens; a TOML parse is about 4 ms, thirty at once. The text is the key
    (the same text is the same scenario), and a Scenario is frozen, so one is shared."""
    return parse_scenario(toml, source="stored")


def _scenario(toml: str, where: str) -> Scenario:
    """A stored scenario, parsed and validated again: the database is not trusted."""
    text = str(toml)
    if len(text) <= PARSED_MAX_CHARS:
        with contextlib.suppress(ScenarioError):  # not cached; parsed below to say where
            return _parsed(text)
    try:
        return parse_scenario(text, source=where)
    except ScenarioError as exc:
        raise RoomError(f"the stored plan is damaged: {exc}") from None


def _checked(result: TeamResult) -> TeamResult:
    """A result validated again before it is written: the store trusts no caller's object."""
    return TeamResult.model_validate(result.model_dump())


def _stored_result(text: str | None) -> TeamResult | None:
    """A result kept with a plan, validated again; a damaged one reads as none, so the
    reveal simulates the plan instead of failing the round."""
    if text is None:
        return None
    try:
        return TeamResult.model_validate_json(str(text))
    except ValueError:  # pydantic's ValidationError, bad JSON too
        return None


def _result_row(result: TeamResult) -> dict:
    checked = _checked(result)
    row = checked.model_dump(exclude={"quarters", "quarter_revenue"})
    return row | {"quarters": checked.quarters_json()}


__all__ = [
    "MAX_FAILED_JOINS",
    "MAX_NAME",
    "MAX_REVISIONS",
    "MAX_ROOMS",
    "MAX_ROUNDS",
    "MAX_TEAMS",
    "ROOM_HOURS",
    "RoomAccess",
    "RoomStatus",
    "RoomStore",
    "RoundInfo",
    "SubmittedPlan",
    "TeamAccess",
    "TeamInfo",
    "database_url",
    "migrate",
]
