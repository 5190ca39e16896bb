"""The learner roster in the database (issue 18 on PostgreSQL): replaced per server in one transaction, read by the
web process on either engine, and its change marker moves with each new snapshot."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from db.database import Database
from db.stores.roster import RosterStore
from db.stores.web_reads import WebReadStore

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
GUILD = 444_444_444_444_444_444


async def test_a_snapshot_replaces_the_servers_last_one_and_leaves_other_servers_alone(db: Database) -> None:
    store = RosterStore(db)
    assert await store.get(GUILD) is None  # the bot has not counted yet
    await store.save(GUILD, {2: ("Bob", "frontend"), 1: ("Ada", None), 5: ("Eve", "backend")}, NOW)
    await store.save(GUILD + 1, {3: ("Cy", "backend")}, NOW)
    later = NOW + timedelta(hours=1)
    await store.save(GUILD, {2: ("Bobby", "backend"), 1: ("Ada", None)}, later)  # Eve lost the role
    roster = await store.get(GUILD)
    assert roster is not None and roster.taken_at == later
    assert [(e.user_id, e.name, e.track) for e in roster.learners] == [(1, "Ada", None), (2, "Bobby", "backend")]
    other = await store.get(GUILD + 1)
    assert other is not None and [e.name for e in other.learners] == ["Cy"]


async def test_a_server_counted_with_no_learners_is_counted(db: Database) -> None:
    store = RosterStore(db)
    await store.save(GUILD, {1: ("Ada", "backend")}, NOW)
    await store.save(GUILD, {}, NOW + timedelta(minutes=5))
    roster = await store.get(GUILD)
    assert roster is not None and roster.learners == () and roster.taken_at == NOW + timedelta(minutes=5)


async def test_a_failed_save_keeps_the_last_snapshot_whole(db: Database) -> None:
    store = RosterStore(db)
    await store.save(GUILD, {1: ("Ada", "backend"), 2: ("Bob", "frontend")}, NOW)
    with pytest.raises(sqlite3.IntegrityError):  # a name is required: the insert fails after the delete ran
        await store.save(GUILD, {3: ("Cy", "backend"), 4: (None, "backend")}, NOW + timedelta(hours=1))  # type: ignore[dict-item]
    roster = await store.get(GUILD)
    assert roster is not None and roster.taken_at == NOW and [e.user_id for e in roster.learners] == [1, 2]


async def test_the_change_marker_moves_with_a_commit_from_another_connection(db: Database) -> None:
    reads = WebReadStore(db)
    before = await reads.data_version()
    if db.dialect == "sqlite":  # (on PostgreSQL other tests' writes to the same server move it too)
        assert await reads.data_version() == before  # nothing committed: the web's cache holds
    await RosterStore(db).save(GUILD, {1: ("Ada", "backend")}, NOW)
    assert await reads.data_version() != before
