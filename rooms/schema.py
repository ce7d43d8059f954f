"""The room store's tables and the migrations that build them, oldest first.

A database records its schema version in ``schema_version`` (one row). Opening the
store applies every step of :data:`MIGRATIONS` above that version, in order, each in
its own transaction under a lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
lock), so two app processes starting at once migrate once. A step is never edited
after release: a change to the schema is a new step at the end, and the tables below
(the schema the queries use) are changed with it; tests/test_room_store.py checks that
a database migrated from version 1 has exactly these tables and columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    text,
    update,
)

from .codes import MAX_NAME, MAX_TITLE

HASH = 64
"""Characters of a SHA-256 in hex."""

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("facilitator_hash", String(HASH), nullable=False),
    Column("creator_hash", String(HASH), nullable=False, index=True),
    Column("title", String(MAX_TITLE), nullable=False),
    Column("created_at", Integer, nullable=False),
    Column("expires_at", Integer, nullable=False, index=True),
    Column("version", Integer, nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(MAX_NAME), nullable=False),
    Column("name_key", String(4 * MAX_NAME), nullable=False),
    Column("token_hash", String(HASH), nullable=False, unique=True),
    Column("joined_at", Integer, nullable=False),
    UniqueConstraint("room_id", "name_key"),
)

rounds = Table(
    "rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("label", String(200), nullable=False),
    Column("scenario", Text, nullable=False),
    Column("blind", Boolean, nullable=False),
    Column("state", String(10), nullable=False),
    Column("opened_at", Integer, nullable=False),
    Column("closed_at", Integer),
    Column("revealed_at", Integer),  # version 2
    Column("closes_at", Integer),  # version 4: the round's time limit, or NULL for none
    UniqueConstraint("room_id", "number"),
)

plans = Table(
    "plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("plan", Text, nullable=False),
    Column("submitted_at", Integer, nullable=False),
    Column("revisions", Integer, nullable=False),
    Column("result", Text),  # version 3: TeamResult as JSON, or NULL to simulate at the reveal
    UniqueConstraint("round_id", "team_id"),
)

join_failures = Table(
    "join_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key_hash", String(HASH), nullable=False, index=True),
    Column("at", Integer, nullable=False, index=True),
)

results = Table(  # version 2
    "results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("median_revenue", Float, nullable=False),
    Column("probability", Float, nullable=False),
    Column("severe_probability", Float, nullable=False),
    Column("max_drawdown", Float, nullable=False),
    Column("verdict", String(10), nullable=False),
    Column("sentence", String(400), nullable=False),
    Column("quarters", Text, nullable=False),
    UniqueConstraint("round_id", "team_id"),
)


# --- Migrations -------------------------------------------------------------------------


def _v1(conn: Connection) -> None:
    """Rooms, teams, rounds, plans and wrong join codes, as first released (frozen: the
    tables above may change in later steps, this step's never do)."""
    v1 = MetaData()
    Table(
        "rooms",
        v1,
        Column("id", Integer, primary_key=True),
        Column("code", String(16), nullable=False, unique=True),
        Column("facilitator_hash", String(HASH), nullable=False),
        Column("creator_hash", String(HASH), nullable=False, index=True),
        Column("title", String(80), nullable=False),
        Column("created_at", Integer, nullable=False),
        Column("expires_at", Integer, nullable=False, index=True),
        Column("version", Integer, nullable=False),
    )
    Table(
        "teams",
        v1,
        Column("id", Integer, primary_key=True),
        Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("name", String(40), nullable=False),
        Column("name_key", String(160), nullable=False),
        Column("token_hash", String(HASH), nullable=False, unique=True),
        Column("joined_at", Integer, nullable=False),
        UniqueConstraint("room_id", "name_key"),
    )
    Table(
        "rounds",
        v1,
        Column("id", Integer, primary_key=True),
        Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("number", Integer, nullable=False),
        Column("label", String(200), nullable=False),
        Column("scenario", Text, nullable=False),
        Column("blind", Boolean, nullable=False),
        Column("state", String(10), nullable=False),
        Column("opened_at", Integer, nullable=False),
        Column("closed_at", Integer),
        UniqueConstraint("room_id", "number"),
    )
    Table(
        "plans",
        v1,
        Column("id", Integer, primary_key=True),
        Column("round_id", ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("plan", Text, nullable=False),
        Column("submitted_at", Integer, nullable=False),
        Column("revisions", Integer, nullable=False),
        UniqueConstraint("round_id", "team_id"),
    )
    Table(
        "join_failures",
        v1,
        Column("id", Integer, primary_key=True),
        Column("key_hash", String(HASH), nullable=False, index=True),
        Column("at", Integer, nullable=False, index=True),
    )
    v1.create_all(conn)


def _v2(conn: Connection) -> None:
    """Revealed results: one row per team and round, and when each round was revealed."""
    conn.execute(text("ALTER TABLE rounds ADD COLUMN revealed_at INTEGER"))
    results.create(conn)


def _v3(conn: Connection) -> None:
    """Each plan's result, simulated when it is submitted: a reveal then simulates
    nothing, whichever app process serves it (plans stored before stay NULL)."""
    conn.execute(text("ALTER TABLE plans ADD COLUMN result TEXT"))


def _v4(conn: Connection) -> None:
    """A round's time limit: when it closes by itself (rounds before have none)."""
    conn.execute(text("ALTER TABLE rounds ADD COLUMN closes_at INTEGER"))


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    apply: Callable[[Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "rooms, teams, rounds, plans, wrong join codes", _v1),
    Migration(2, "results of revealed rounds; rounds.revealed_at", _v2),
    Migration(3, "each submitted plan's result, simulated when submitted", _v3),
    Migration(4, "a round's time limit; rounds.closes_at", _v4),
)
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """The database's schema version (0 for an empty database)."""
    schema_version.create(conn, checkfirst=True)
    return conn.execute(select(schema_version.c.version)).scalar() or 0


def set_version(conn: Connection, version: int) -> None:
    if conn.execute(select(schema_version.c.id)).first() is None:
        conn.execute(insert(schema_version).values(id=1, version=version))
    else:
        conn.execute(update(schema_version).values(version=version))
