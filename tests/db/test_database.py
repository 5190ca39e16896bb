import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FileClock, write_clock_file
from bot.scheduler import Scheduler
from db.database import Database, MigrationError, Statement, TransactionScript, discover_migrations, is_storage_full
from db.lock import DatabaseLock, DatabaseLocked
from db.stores.guild_settings import GuildSettingsStore
from db.stores.jobs import Job, JobStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_migrations_apply_once_and_record_user_version(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        applied = await db.migrate()
        assert applied == [m.version for m in discover_migrations()]
        assert await db.user_version() == len(applied)
        assert await db.migrate() == []  # second run is a no-op
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1


async def test_failing_migration_leaves_previous_version_and_names_file(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_ok.sql").write_text("CREATE TABLE a (id INTEGER PRIMARY KEY);")
    (migrations / "0002_broken.sql").write_text(
        "CREATE TABLE b (id INTEGER PRIMARY KEY);\nINSERT INTO nope VALUES (1);"
    )
    async with Database(tmp_path / "n.db", migrations_dir=migrations) as db:
        with pytest.raises(MigrationError, match=r"0002_broken\.sql"):
            await db.migrate()
        assert await db.user_version() == 1
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "a" in tables and "b" not in tables  # the failed file's first statement was rolled back too


def test_migration_numbers_must_be_contiguous(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("")
    (tmp_path / "0003_c.sql").write_text("")
    with pytest.raises(MigrationError, match="without gaps"):
        discover_migrations(tmp_path)


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        await db.migrate()
        store = GuildSettingsStore(db)
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
                raise RuntimeError("boom")
        assert await store.get(1) is None


async def writer_synchronous(db: Database) -> int:
    async with db.writer.execute("PRAGMA synchronous") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_a_counter_write_skips_the_fsync_for_itself_only(tmp_path: Path) -> None:
    """`execute(durable=False)` commits (a reader sees it) with synchronous NORMAL, and the writer is back to FULL
    after it, also when the statement fails: every other write still waits for the disk."""
    full = 2
    async with Database(tmp_path / "n.db") as db:
        await db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        await db.execute("INSERT INTO c VALUES (1, 0)")
        assert await writer_synchronous(db) == full
        statements: list[str] = []
        await db.writer.set_trace_callback(statements.append)
        await db.execute("UPDATE c SET n = n + 1 WHERE id = 1", durable=False)
        await db.writer.set_trace_callback(lambda _statement: None)
        assert statements[0] == "PRAGMA synchronous = NORMAL" and statements[-1] == "PRAGMA synchronous = FULL"
        await db.execute("UPDATE c SET n = n + 1 WHERE id = 1", durable=False)
        assert await db.fetchval("SELECT n FROM c WHERE id = 1") == 2
        assert await writer_synchronous(db) == full
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("UPDATE c SET n = NULL WHERE id = 1", durable=False)
        assert await writer_synchronous(db) == full
        assert await db.fetchval("SELECT n FROM c WHERE id = 1") == 2


@asynccontextmanager
async def writer_trips(db: Database) -> AsyncIterator[tuple[list[object], list[str]]]:
    """The hand-offs to the writer's thread, and the statements it ran, while inside."""
    trips: list[object] = []
    statements: list[str] = []
    queue_call = db.writer._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(fn)
        return await queue_call(fn, *args, **kwargs)

    await db.writer.set_trace_callback(statements.append)
    db.writer._execute = counted  # type: ignore[method-assign]
    try:
        yield trips, statements
    finally:
        db.writer._execute = queue_call  # type: ignore[method-assign]
        await db.writer.set_trace_callback(lambda _statement: None)


async def test_a_single_write_is_one_trip_to_the_writer_and_on_disk_before_it_returns(tmp_path: Path) -> None:
    """`execute`, `insert` and `write_returning` run BEGIN, the statement and COMMIT in one hand-off to the writer's
    thread, with synchronous FULL untouched; a failing statement (a full disk) rolls back and leaves no transaction."""
    full = 2
    async with Database(tmp_path / "n.db") as db:
        await db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, pad TEXT)")
        async with writer_trips(db) as (trips, statements):
            assert await db.insert("INSERT INTO c (n) VALUES (?)", (7,)) == 1
            assert await db.execute("UPDATE c SET n = n + 1") == 1
            assert [tuple(r) for r in await db.write_returning("UPDATE c SET n = n + 1 RETURNING n")] == [(9,)]
        assert len(trips) == 3
        assert statements[:3] == ["BEGIN IMMEDIATE", "INSERT INTO c (n) VALUES (7)", "COMMIT"]
        assert not any("synchronous" in s for s in statements) and await writer_synchronous(db) == full
        assert await db.fetchval("SELECT n FROM c") == 9  # committed: the reader sees it

        pages = await db.fetchval("PRAGMA page_count")
        await db.writer.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(sqlite3.OperationalError) as disk_full:
            await db.insert("INSERT INTO c (n, pad) VALUES (1, ?)", ("x" * 50_000,))
        assert is_storage_full(disk_full.value) and db.storage_full
        assert not db.writer.in_transaction
        await db.writer.execute("PRAGMA max_page_count = 1073741823")
        assert await db.execute("UPDATE c SET n = 0") == 1 and not db.storage_full
        assert await db.fetchval("SELECT COUNT(*) FROM c") == 1


def _take_one(item_id: int, limit: int) -> TransactionScript[int]:
    """A transaction script: count, decide, write, read back (as the RSVP's)."""
    counted = yield Statement("SELECT COUNT(*) FROM taken WHERE item = ?", (item_id,))
    if counted[0][0] >= limit:
        raise LookupError("full")
    yield Statement("INSERT INTO taken (item) VALUES (?)", (item_id,))
    after = yield Statement("SELECT COUNT(*) FROM taken WHERE item = ?", (item_id,))
    return int(after[0][0])


async def test_a_transaction_script_commits_what_it_returns_and_rolls_back_what_it_raises(db: Database) -> None:
    """`run_transaction` on both engines: each statement's rows are sent back to the script, its return value is
    the result and committed; raising in the script rolls the whole transaction back and reaches the caller."""
    await db.execute("CREATE TABLE taken (item INTEGER NOT NULL)")
    assert await db.run_transaction(_take_one(1, 2)) == 1
    assert await db.run_transaction(_take_one(1, 2)) == 2
    with pytest.raises(LookupError, match="full"):
        await db.run_transaction(_take_one(1, 2))
    assert await db.fetchval("SELECT COUNT(*) FROM taken") == 2

    def writes_then_raises() -> TransactionScript[None]:
        yield Statement("INSERT INTO taken (item) VALUES (?)", (9,))
        raise LookupError("changed my mind")

    with pytest.raises(LookupError):
        await db.run_transaction(writes_then_raises())
    assert await db.fetchval("SELECT COUNT(*) FROM taken WHERE item = 9") == 0
    assert await db.run_transaction(_take_one(9, 1)) == 1  # the writer is free again


async def test_a_transaction_script_is_one_trip_to_the_writer(tmp_path: Path) -> None:
    """On SQLite the whole script, BEGIN to COMMIT, runs in one hand-off to the writer's thread: the write lock is
    never held while the event loop gets round to the next statement."""
    async with Database(tmp_path / "t.db") as db:
        await db.execute("CREATE TABLE taken (item INTEGER NOT NULL)")
        async with writer_trips(db) as (trips, statements):
            assert await db.run_transaction(_take_one(4, 5)) == 1
        assert len(trips) == 1
        assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT" and len(statements) == 5


async def test_fetch_known_gives_back_what_it_recognises_and_the_other_rows_in_order(db: Database) -> None:
    """`fetch_known` on both engines: rows `known` recognises come back as its objects (and never as rows), the
    others as rows, in the query's order. On SQLite `known` runs on the reader's thread, off the event loop."""
    await db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    await db.executemany("INSERT INTO c VALUES (?, ?)", [(1, 10), (2, 20), (3, 30)])
    kept = {2: "two"}
    threads: set[int] = set()

    def known(row: Any) -> str | None:
        threads.add(threading.get_ident())
        return kept.get(row["id"])

    read = await db.fetch_known("SELECT id, n FROM c WHERE n > ? ORDER BY id", (5,), known)
    assert [(r.kept, None if r.row is None else tuple(r.row)) for r in read] == [
        (None, (1, 10)),
        ("two", None),
        (None, (3, 30)),
    ]
    if db.dialect == "sqlite":
        assert threads and threading.get_ident() not in threads


@pytest.mark.parametrize("durable", [True, False])
async def test_a_write_returning_gives_its_rows_and_commits(db: Database, durable: bool) -> None:
    """`write_returning` on both engines, synced or not: the rows of the RETURNING clause, committed (the reader
    sees them); a failing statement raises as SQLite's error and writes nothing."""
    await db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    await db.executemany("INSERT INTO c VALUES (?, 0)", [(1,), (2,)])
    rows = await db.write_returning("UPDATE c SET n = n + 5 WHERE id = ? RETURNING id, n", (2,), durable=durable)
    assert [tuple(r) for r in rows] == [(2, 5)]
    assert await db.write_returning("UPDATE c SET n = 1 WHERE id = 9 RETURNING n", durable=durable) == []
    assert await db.fetchval("SELECT n FROM c WHERE id = 2") == 5
    with pytest.raises(sqlite3.IntegrityError):
        await db.write_returning("UPDATE c SET n = NULL RETURNING id", durable=durable)
    assert await db.fetchval("SELECT SUM(n) FROM c") == 5


async def test_guild_settings_upsert_keeps_unspecified_columns(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        await db.migrate()
        store = GuildSettingsStore(db)
        await store.update(5, NOW, channel_id=10, digest_hour=8)
        updated = await store.update(5, NOW, staff_role_id=3)
        assert (updated.channel_id, updated.digest_hour, updated.staff_role_id) == (10, 8, 3)
        with pytest.raises(ValueError):
            await store.update(5, NOW, updated_at="x")


async def test_online_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        await db.migrate()
        await GuildSettingsStore(db).update(7, NOW, channel_id=1)
        target = await db.backup(tmp_path / "backup" / "copy.db")
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT channel_id FROM guild_settings WHERE guild_id = 7").fetchone()[0] == 1


async def test_scheduler_runs_due_jobs_once_following_the_file_clock(tmp_path: Path) -> None:
    clock_file = tmp_path / "clock"
    write_clock_file(clock_file, NOW)
    async with Database(tmp_path / "n.db") as db:
        await db.migrate()
        jobs = JobStore(db)
        scheduler = Scheduler(jobs, FileClock(clock_file))
        ran: list[Job] = []

        async def handler(job: Job) -> None:
            ran.append(job)

        scheduler.register("ping", handler)
        await scheduler.schedule("ping", NOW + timedelta(hours=1), {"n": 1}, dedupe_key="ping:1")
        assert await scheduler.schedule("ping", NOW + timedelta(hours=1), {"n": 2}, dedupe_key="ping:1") is None
        assert await scheduler.run_due() == 0
        write_clock_file(clock_file, NOW + timedelta(hours=2))
        assert await scheduler.run_due() == 1
        assert await scheduler.run_due() == 0  # never repeated
        assert [j.payload for j in ran] == [{"n": 1}]


async def test_failing_job_is_recorded_not_retried(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        await db.migrate()
        jobs = JobStore(db)
        clock_file = tmp_path / "clock"
        write_clock_file(clock_file, NOW)
        scheduler = Scheduler(jobs, FileClock(clock_file))

        async def handler(job: Job) -> None:
            raise OSError("DMs closed")

        scheduler.register("dm", handler)
        job_id = await scheduler.schedule("dm", NOW, {})
        await scheduler.run_due()
        assert job_id is not None
        job = await jobs.get(job_id)
        assert job is not None and job.status == "failed"
        assert await scheduler.run_due() == 0


def test_database_lock_is_exclusive_names_its_holder_and_frees_on_release(tmp_path: Path) -> None:
    first = DatabaseLock(tmp_path / "n.db").acquire()
    with pytest.raises(DatabaseLocked) as refused:
        DatabaseLock(tmp_path / "n.db").acquire()
    assert f"pid {os.getpid()}" in refused.value.holder and "on host" in refused.value.holder
    first.release()
    with DatabaseLock(tmp_path / "n.db") as again:  # the lock file left behind does not block
        assert again.held


async def test_full_disk_rolls_back_counts_one_episode_and_writes_resume_after(tmp_path: Path) -> None:
    async with Database(tmp_path / "n.db") as db:
        await db.migrate()
        pages = await db.fetchval("PRAGMA page_count")
        await db.writer.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: a full disk
        for _ in range(2):
            with pytest.raises(sqlite3.OperationalError) as full:
                async with db.transaction() as conn:
                    await conn.execute(
                        "INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, ?)", ("x" * 50_000,)
                    )
            assert is_storage_full(full.value)
        assert db.storage_full and db.storage_full_episode == 1  # two failures, one episode
        assert not db.writer.in_transaction
        await db.writer.execute("PRAGMA max_page_count = 1073741823")  # space freed
        await GuildSettingsStore(db).update(1, NOW, channel_id=5)
        assert not db.storage_full and db.storage_full_episode == 1
        assert not is_storage_full(RuntimeError("boom"))


async def test_quick_check_finds_damaged_middle_pages(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    async with Database(path) as db:
        await db.migrate()
        assert await db.quick_check() == [] and await db.integrity_check_problems() == []
    damage_middle_pages(path, add_rows=2000)
    async with Database(path) as db:
        try:
            problems = await db.quick_check()
        except sqlite3.DatabaseError:
            problems = ["unreadable"]
        assert problems


def damage_middle_pages(path: Path, *, add_rows: int) -> None:
    """Fill a migrated database with questions, then overwrite a few pages in its middle with noise."""
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO questions (guild_id, asker_id, question, channel_id, thread_id, created_at) "
            "VALUES (1, 2, ?, 3, ?, '2026-12-01T09:00:00+00:00')",
            [(f"question {i} " + "x" * 200, i) for i in range(add_rows)],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    with path.open("r+b") as f:
        for page in range(pages // 2, pages // 2 + 3):
            f.seek(page * page_size)
            f.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))
