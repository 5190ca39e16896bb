"""Fixtures every suite shares: a real, migrated SQLite file of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db.database import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "n.db") as database:
        await database.migrate()
        yield database
