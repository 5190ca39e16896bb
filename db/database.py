"""The one Database object: aiosqlite connections, pragmas, migrations, transactions, backup.

Two connections: one writer, used only inside `transaction()` (serialised by a lock, BEGIN IMMEDIATE),
and one reader. In WAL mode the reader never blocks on the writer and only sees committed data.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# FULL: a commit is on disk before we acknowledge it to the user, even across a power cut.
SYNCHRONOUS = "FULL"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
K = TypeVar("K")


class MigrationError(Exception):
    """A migration file failed; the database stays at the previous version."""


SQLITE_FULL = 13


def is_storage_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from or while handling, is SQLite's SQLITE_FULL
    (the disk, or the file system's quota for the database, is full)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if getattr(error, "sqlstate", None) == "53100":  # PostgreSQL's disk_full
            return True
        if isinstance(error, sqlite3.Error):
            code = getattr(error, "sqlite_errorcode", None)
            if (code is not None and code & 0xFF == SQLITE_FULL) or "database or disk is full" in str(error):
                return True
        error = error.__cause__ or error.__context__
    return False


@dataclass(frozen=True)
class Migration:
    version: int
    path: Path


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        migrations.append(Migration(int(match.group(1)), path))
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migration numbers must run 1, 2, 3... without gaps; found {versions}")
    return migrations


class Written(NamedTuple):
    """What one write statement did: rows changed, the rows its RETURNING clause gave, the new rowid (inserts)."""

    rowcount: int
    rows: list[Any]
    lastrowid: int


class Known(NamedTuple, Generic[K]):
    """A row read by `Database.fetch_known`: the object the caller recognised it as, or else the row itself."""

    kept: K | None
    row: Any


class Statement(NamedTuple):
    """One statement of a transaction script (see `Database.run_transaction`)."""

    sql: str
    params: Params = ()


def recognised(rows: Iterable[Any], known: Callable[[Any], K | None]) -> list[Known[K]]:
    """Each row as `known` recognises it, or as itself; rows are taken one at a time from `rows`."""
    return [Known(None, row) if (kept := known(row)) is None else Known(kept, None) for row in rows]


# A transaction written as a generator: it yields each Statement, is sent back that statement's rows, decides in
# plain Python between statements (raising rolls everything back) and returns the transaction's result.
TransactionScript = Generator[Statement, list[Any], T]


def drive(script: TransactionScript[T], run: Callable[[Statement], list[Any]]) -> T:
    """Run a transaction script's statements with `run`, in order, to its result."""
    try:
        statement = next(script)
        while True:
            statement = script.send(run(statement))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        script.close()


class Database:
    # Which SQL dialect the stores speak to: "sqlite" here, "postgres" for db.engines.postgres.PostgresDatabase.
    dialect = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000, migrations_dir: Path = MIGRATIONS_DIR) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.migrations_dir = migrations_dir
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        # Counts the times writes started failing for a full disk; stays put while they keep failing.
        self.storage_full_episode = 0
        self.storage_full = False

    async def _open(self) -> aiosqlite.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
            # Reads come from memory-mapped pages and a larger page cache: full-text search over a big
            # topic store touches many index pages per query.
            await conn.execute("PRAGMA mmap_size = 268435456")
            await conn.execute("PRAGMA cache_size = -32768")
        except BaseException:
            # aiosqlite's worker thread would otherwise keep the process alive.
            await conn.close()
            raise
        return conn

    async def connect(self) -> Database:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._open()
        try:
            self._reader = await self._open()
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def __aenter__(self) -> Database:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("Database is not connected")
        return self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("Database is not connected")
        return self._reader

    # --- migrations -------------------------------------------------------------------------

    async def user_version(self) -> int:
        async with self.writer.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction. Returns the versions applied."""
        applied: list[int] = []
        async with self._write_lock:
            current = await self.user_version()
            for migration in discover_migrations(self.migrations_dir):
                if migration.version <= current:
                    continue
                sql = migration.path.read_text(encoding="utf-8")
                script = f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
                try:
                    await self.writer.executescript(script)
                except sqlite3.Error as exc:
                    if self.writer.in_transaction:
                        await self.writer.execute("ROLLBACK")
                    raise MigrationError(
                        f"migration {migration.path.name} failed: {exc}; database left at version {current}"
                    ) from exc
                current = migration.version
                applied.append(migration.version)
                log.info("Applied migration %s", migration.path.name)
        return applied

    # --- queries ----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction (BEGIN IMMEDIATE); committed on success, rolled back on error; on disk before
        it returns (synchronous FULL)."""
        async with self._write_lock:
            conn = self.writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException as exc:
                # SQLite may already have rolled back (a full disk can do that), and a failed COMMIT
                # leaves the transaction open: either way the writer must end up outside one.
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                self._note_write_failure(exc)
                raise
            self.storage_full = False

    def _note_write_failure(self, exc: BaseException) -> None:
        if is_storage_full(exc):
            if not self.storage_full:
                self.storage_full_episode += 1
                log.error("Database writes fail: the disk holding %s is full", self.path)
            self.storage_full = True

    async def execute(self, sql: str, params: Params = (), *, durable: bool = True) -> int:
        """Run one write statement in its own transaction; returns the row count.

        `durable=False` is for counters nobody is told were saved (a topic's lookups): the commit skips the
        fsync (WAL keeps it through a crashed or killed process, a power cut may take the last ones). Every
        other write is on disk before it is acknowledged."""
        return (await self._write_one(sql, params, durable=durable)).rowcount

    async def write_returning(self, sql: str, params: Params = (), *, durable: bool = True) -> list[Any]:
        """Run one write statement with a RETURNING clause in its own transaction; returns its rows. The write and
        the read it answers are one trip (on PostgreSQL one round trip instead of a read and a write side by side,
        each waking a server process). `durable` as for `execute`."""
        return (await self._write_one(sql, params, durable=durable)).rows

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT in its own transaction; returns the new rowid."""
        return (await self._write_one(sql, params)).lastrowid

    async def run_transaction(self, script: TransactionScript[T]) -> T:
        """Run a transaction script (`TransactionScript`) as one write transaction, committed when it returns and
        rolled back when it raises. Here the whole of it is one trip to the writer's thread: BEGIN IMMEDIATE, every
        statement, the decisions between them and the COMMIT (synchronous FULL), with no wait on the event loop in
        between, where `transaction()` hands off each statement and the write lock is held while the busy loop gets
        round to sending the next one. On disk before it returns, as `transaction`."""
        return await self._on_writer(lambda conn: drive(script, lambda st: conn.execute(st.sql, st.params).fetchall()))

    async def _write_one(self, sql: str, params: Params, *, durable: bool = True) -> Written:
        """One statement in its own transaction, in one trip to the writer's thread instead of three (BEGIN, the
        statement, COMMIT, each a hand-off the caller waits for). Durable: committed with synchronous FULL, on disk
        before it returns, as `transaction`; not durable: synchronous NORMAL for this one commit."""

        def statement(conn: sqlite3.Connection) -> Written:
            cur = conn.execute(sql, params)
            # RETURNING rows come as the statement steps: read them all before the count is final.
            rows = cur.fetchall()
            return Written(cur.rowcount, rows, int(cur.lastrowid or 0))

        return await self._on_writer(statement, durable=durable)

    async def _on_writer(self, body: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """`body(connection)` in one write transaction, run whole on the writer's thread under the write lock."""

        def run(conn: sqlite3.Connection) -> T:
            if not durable:
                conn.execute("PRAGMA synchronous = NORMAL")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    outcome = body(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    # SQLite may already have rolled back (a full disk can do that), and a failed COMMIT leaves
                    # the transaction open: either way the writer must end up outside one.
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return outcome
            finally:
                if not durable:
                    conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")

        async with self._write_lock:
            writer = self.writer
            try:
                # aiosqlite (pinned) queues any callable on the connection's thread; `_conn` is only touched there.
                outcome: T = await writer._execute(lambda: run(writer._conn))
            except BaseException as exc:
                self._note_write_failure(exc)
                raise
            self.storage_full = False
            return outcome

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        # One hop to aiosqlite's worker thread instead of three (execute, fetch, close).
        return list(await self.reader.execute_fetchall(sql, params))

    async def on_reader(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on the reader's own thread: several statements for one hand-off instead of
        one each (every await on aiosqlite is a trip to its worker thread and back). Reads only; SQLite only."""
        reader = self.reader
        # aiosqlite (pinned) queues any callable on the connection's thread; `_conn` is only touched there.
        return await reader._execute(lambda: work(reader._conn))  # type: ignore[no-any-return]

    async def fetch_known(self, sql: str, params: Params, known: Callable[[Any], K | None]) -> list[Known[K]]:
        """The query's rows, each given to `known` as it comes off the cursor on the reader's thread: a row it
        recognises comes back as its object, any other as the row. Only unrecognised rows are kept, so a long list
        read again and again (a suggestion pool) holds one row at a time instead of all of them; `known` must only
        read (it runs beside the event loop)."""
        return await self.on_reader(lambda conn: recognised(conn.execute(sql, params), known))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def table_names(self) -> set[str]:
        """The tables this database has (features check for each other's tables)."""
        rows = await self.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(r["name"]) for r in rows}

    # --- maintenance ------------------------------------------------------------------------

    async def backup(self, target: str | Path) -> Path:
        """Online backup (SQLite's backup API) into `target`; safe while the bot is writing."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(target) as dest:
            await self.reader.backup(dest)
        return target

    async def integrity_check(self) -> str:
        return str(await self.fetchval("PRAGMA integrity_check"))

    async def quick_check(self) -> list[str]:
        """SQLite's quick_check (every page and b-tree, without matching indexes to tables): the
        problems it found, [] when the file is sound. Raises sqlite3.DatabaseError on a file SQLite
        cannot read at all."""
        return _problems(await self.reader.execute_fetchall("PRAGMA quick_check"))

    async def integrity_check_problems(self) -> list[str]:
        """SQLite's full integrity_check (indexes against tables too): the problems, [] when sound."""
        return _problems(await self.reader.execute_fetchall("PRAGMA integrity_check"))


def _problems(rows: Iterable[sqlite3.Row]) -> list[str]:
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found
