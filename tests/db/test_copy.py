"""`nexus-bot db copy --to postgresql://...` against a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from db.copy import CopyRefused, checksum, copy_database
from db.database import Database
from db.engines.postgres import PostgresDatabase
from db.stores.announcements import AnnouncementStore, NewAnnouncement
from db.stores.jobs import JobStore
from db.stores.matching import MatchingStore, NewPair, NewProfile
from db.stores.topics import TopicDraft, TopicStore
from tests.pg import postgres_url
from tests.unit.test_cli import run_bot

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
GUILD = 1_150_000_000_000_000_001  # a real-sized snowflake: BIGINT on PostgreSQL


async def fill(db: Database) -> None:
    announcements, matching = AnnouncementStore(db), MatchingStore(db)
    for uid in range(1, 31):
        made = await announcements.create(
            NewAnnouncement(
                guild_id=GUILD, user_id=GUILD + uid, cohort_start=date(2026, 12, 7), project_key="ecommerce",
                track="backend" if uid % 2 else "frontend", title=f"Shop {uid} — ünïcode ✓", summary="A shop.",
                stack=("Django",), display_name=f"user{uid}",
            ),
            NOW,
        )  # fmt: skip
        assert made is not None
    await matching.join(NewProfile(GUILD, GUILD + 1, "UTC", "", "{}"), NOW)
    await matching.join(NewProfile(GUILD, GUILD + 2, "UTC", "", "{}"), NOW)
    request = await matching.create_request(GUILD, GUILD + 2, GUILD + 1, "command", NOW, NOW + timedelta(days=3))
    assert request is not None
    await matching.accept_request(request.id, GUILD + 1, NewPair(GUILD, GUILD + 1, GUILD + 2, "ecommerce", 70, ""), NOW)
    await TopicStore(db).create(
        "kafka-basics",
        TopicDraft(title="Kafka basics", category="technologies", summary="Topics and partitions.", body="Consumers."),
        NOW,
        status="approved",
        author_id=GUILD + 3,
        guild_id=GUILD,
    )
    await JobStore(db).schedule("digest", NOW, {"guild_id": GUILD}, NOW, "digest:1")


async def test_copy_moves_every_row_verified_and_the_bot_carries_on_there(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as source:
        await source.migrate()
        await fill(source)
        async with postgres_url(migrated=False) as url, PostgresDatabase(url) as target:
            report = await copy_database(source, target)
            counts = {t.table: t.rows for t in report.tables}
            assert counts["announcements"] == 30 and counts["pairs"] == 1 and counts["project_catalog"] == 6
            for table in report.tables:
                assert await target.fetchval(f"SELECT COUNT(*) FROM {table.table}") == table.rows
            # The stores read the same on the copy, full-text search included.
            assert await AnnouncementStore(target).count(GUILD, date(2026, 12, 7)) == 30
            hits = await TopicStore(target).search('"kafka"')
            assert [h.topic_id for h in hits.hits] == [(await TopicStore(source).search('"kafka"')).hits[0].topic_id]
            # New rows get new ids (the sequences moved past the copied ones).
            again = await AnnouncementStore(target).create(
                NewAnnouncement(
                    guild_id=GUILD, user_id=9, cohort_start=date(2026, 12, 7), project_key="ecommerce",
                    track="backend", title="Late", summary="Late.", stack=(), display_name="late",
                ),
                NOW,
            )  # fmt: skip
            assert again is not None and again.announcement.id == 31
            # A target that holds data is refused: nothing is overwritten.
            with pytest.raises(CopyRefused, match="not empty"):
                await copy_database(source, target)


def test_checksums_ignore_row_order_and_see_any_change() -> None:
    rows = [(1, "a", None), (2, "b", 3)]
    assert checksum(rows) == checksum(list(reversed(rows)))
    assert checksum(rows) != checksum([(1, "a", None), (2, "b", 4)])


def test_db_copy_command_prints_the_verified_tables_and_refuses_twice(tmp_path: Path) -> None:
    db_path = tmp_path / "n.db"

    async def make() -> None:
        async with Database(db_path) as source:
            await source.migrate()
            await fill(source)

    asyncio.run(make())

    async def main() -> None:
        async with postgres_url(migrated=False) as url:
            done = await asyncio.to_thread(run_bot, tmp_path, "db", "copy", "--to", url, DATABASE_PATH=str(db_path))
            assert done.returncode == 0, done.stderr
            assert "row counts and checksums match" in done.stdout and "announcements" in done.stdout
            twice = await asyncio.to_thread(run_bot, tmp_path, "db", "copy", "--to", url, DATABASE_PATH=str(db_path))
            assert twice.returncode == 2 and "not empty" in twice.stderr and "Traceback" not in twice.stderr
            bad = await asyncio.to_thread(
                run_bot, tmp_path, "db", "copy", "--to", "mysql://x", DATABASE_PATH=str(db_path)
            )
            assert bad.returncode == 2 and "postgresql://" in bad.stderr

    asyncio.run(main())
