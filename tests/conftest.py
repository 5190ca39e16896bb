"""Fixtures every suite shares: a real, migrated database of the test's own, once on SQLite and once on
PostgreSQL (a real server the tests start themselves, tests/engines.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db.database import Database
from tests.engines import ENGINES, engine_database


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with engine_database(request.param, tmp_path) as database:
        yield database
