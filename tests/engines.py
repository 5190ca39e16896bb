"""Both engines for the store and service suites: `engine_database(engine, tmp_path)` is a migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from db.database import Database

ENGINES = ("sqlite", "postgres")


@asynccontextmanager
async def engine_database(engine: str, tmp_path: Path, *, migrated: bool = True) -> AsyncIterator[Database]:
    """A database of its own: a SQLite file in tmp_path, or a fresh PostgreSQL database on the test server."""
    if engine == "postgres":
        from tests.pg import postgres_database

        async with postgres_database(migrated=migrated) as pg:
            yield pg
        return
    async with Database(tmp_path / "n.db") as database:
        if migrated:
            await database.migrate()
        yield database
