"""Shared by the room tests: a clock the tests move, and the databases to test on.

The room store is tested against a real SQLite file always, and against PostgreSQL too
when ``WHIPLASH_TEST_POSTGRES_URL`` names a server to use (``make test-postgres``
starts a throwaway one); every test then starts from an empty database, so the URL
must name a database the tests may wipe (every table in it is dropped).
"""

from __future__ import annotations

import os

from sqlalchemy import MetaData, create_engine

POSTGRES_VARIABLE = "WHIPLASH_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_VARIABLE, "")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


class Clock:
    """Time as the store sees it: starts at a fixed instant, moves only when told."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def empty_postgres() -> str:
    """The test server's URL, with every table dropped."""
    engine = create_engine(POSTGRES_URL)
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()
    return POSTGRES_URL


def database(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'rooms.sqlite'}"
    return empty_postgres()
