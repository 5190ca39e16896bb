"""Service tests run on the shared database fixture (tests/conftest.py: SQLite and PostgreSQL), on a clock
the test sets: a test module says when "now" is with a module-level `NOW`; the `clock` starts there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services.container import Services
from bot.services.topic_content import load_topics
from db.database import Database
from db.stores.topics import TopicStore

DEFAULT_NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> ManualClock:
    return ManualClock(getattr(request.module, "NOW", DEFAULT_NOW))


@pytest.fixture
async def services(db: Database, clock: ManualClock) -> Services:
    """Every service, as the bot builds them, with the shipped learning topics loaded."""
    services = Services.build(db, clock)
    await services.learning.sync_shipped()
    return services


@pytest.fixture
async def topic_store(tmp_path: Path) -> AsyncIterator[TopicStore]:
    """A migrated SQLite file with the curated topics seeded (FTS5 is what these tests look at)."""
    async with Database(tmp_path / "n.db") as db:
        await db.migrate()
        store = TopicStore(db)
        await store.seed_shipped(load_topics().topics, DEFAULT_NOW)
        yield store
