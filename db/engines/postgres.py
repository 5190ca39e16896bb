"""PostgreSQL behind the same `Database` API the stores use (asyncpg).

The stores write SQLite-style SQL (`?` / `:name` placeholders, `cursor.lastrowid`, `sqlite3.IntegrityError`); this
engine speaks that vocabulary: placeholders become `$n`, an INSERT into a table with an `id` column gets `RETURNING
id` for `lastrowid`, parameters are coerced to the types PostgreSQL inferred (SQLite is loosely typed, asyncpg is
not), constraint violations are raised as `sqlite3.IntegrityError` with SQLite's wording in front, and rows are
asyncpg Records (`row["col"]`, `row[0]`, `keys()` as with sqlite3.Row).

Writes are serialised across every process on the database by a transaction-level advisory lock, the same
guarantee as SQLite's one writer (BEGIN IMMEDIATE): every rule that checks then writes in one transaction
(one announcement per learner, one pair per request, capacity, request limits) holds under several processes.
Reads run outside transactions on pooled connections and see committed data only, as SQLite's WAL reader does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import asyncpg

from db.database import (
    MIGRATIONS_DIR,
    Database,
    K,
    Known,
    MigrationError,
    Params,
    T,
    TransactionScript,
    Written,
    recognised,
)
from db.engines import redact_url
from db.engines.postgres_ddl import POSTGRES_MIGRATIONS_DIR, postgres_ddl, postgres_migrations
from db.engines.sql import MAX_PARAMETERS, Translated, inline_integers, translate

log = logging.getLogger(__name__)

# The migrations' translation lives in postgres_ddl.py; callers import it from here too.
__all__ = ["POSTGRES_MIGRATIONS_DIR", "PostgresDatabase", "postgres_ddl", "postgres_migrations", "wait_for_server"]

# pg_advisory_xact_lock keys: every write transaction, and migrations (several processes may start at once).
WRITE_LOCK_KEY = 0x4E5842_01
MIGRATE_LOCK_KEY = 0x4E5842_02
# Session-level advisory locks on (SHARD_LOCK_KEY, shard id): one process per shard id.
SHARD_LOCK_KEY = 0x4E5842

_INT_TYPES = frozenset({"int2", "int4", "int8"})
_FLOAT_TYPES = frozenset({"float4", "float8", "numeric"})
_TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "name", "unknown"})
_STATUS_COUNT = re.compile(r"(\d+)$")


def _coerce(value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if type_name in _INT_TYPES:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if type_name in _FLOAT_TYPES:
        return float(value) if isinstance(value, int | str) else value
    if type_name in _TEXT_TYPES:
        if isinstance(value, str):
            return value
        if isinstance(value, datetime | date):
            return value.isoformat()
        return str(value)
    if type_name == "bool":
        return bool(value)
    return value


def _as_sqlite_error(exc: BaseException) -> BaseException:
    """asyncpg's errors in the sqlite3 vocabulary the stores already handle."""
    text = str(exc)
    if isinstance(exc, asyncpg.UniqueViolationError):
        return sqlite3.IntegrityError(f"UNIQUE constraint failed: {text}")
    if isinstance(exc, asyncpg.CheckViolationError):
        return sqlite3.IntegrityError(f"CHECK constraint failed: {text}")
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return sqlite3.IntegrityError(f"FOREIGN KEY constraint failed: {text}")
    if isinstance(exc, asyncpg.NotNullViolationError):
        return sqlite3.IntegrityError(f"NOT NULL constraint failed: {text}")
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return sqlite3.IntegrityError(text)
    if isinstance(exc, asyncpg.UndefinedTableError):
        return sqlite3.OperationalError(f"no such table: {text}")
    if isinstance(exc, asyncpg.UndefinedColumnError):
        return sqlite3.OperationalError(f"no such column: {text}")
    return exc


class PgCursor:
    """What the stores read from `await conn.execute(...)`: rowcount, lastrowid, fetchone, fetchall."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> asyncpg.Record | None:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        return list(self._rows)

    async def close(self) -> None:
        return None

    def __aiter__(self) -> AsyncIterator[asyncpg.Record]:
        async def rows() -> AsyncIterator[asyncpg.Record]:
            for row in self._rows:
                yield row

        return rows()


class _Pending:
    """`await conn.execute(...)` or `async with conn.execute(...) as cursor`, as with aiosqlite."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self._cursor: PgCursor | None = None

    def __await__(self) -> Any:
        return self._run.__await__()

    async def __aenter__(self) -> PgCursor:
        self._cursor = await self._run
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    """One pooled asyncpg connection behind the subset of aiosqlite.Connection the stores use."""

    def __init__(self, db: PostgresDatabase, raw: asyncpg.Connection, *, in_transaction: bool) -> None:
        self._db = db
        self.raw = raw
        self.in_transaction = in_transaction

    def execute(self, sql: str, params: Params = ()) -> _Pending:
        return _Pending(self._execute(sql, params))

    async def _execute(self, sql: str, params: Params) -> PgCursor:
        statement = self._db.statement(sql)
        if statement.positional > MAX_PARAMETERS:
            statement = translate(inline_integers(sql, list(cast(Sequence[Any], params))))
            params = ()
        try:
            args = await self._db.arguments(self.raw, statement, params)
            if statement.returns_rows:
                rows = await self.raw.fetch(statement.sql, *args)
                return PgCursor(rows, len(rows), None)
            if statement.insert_table in await self._db.id_tables(self.raw):
                rows = await self.raw.fetch(statement.sql + " RETURNING id", *args)
                return PgCursor([], len(rows), int(rows[-1]["id"]) if rows else None)
            status = await self.raw.execute(statement.sql, *args)
        except asyncpg.PostgresError as exc:
            raise _as_sqlite_error(exc) from exc
        found = _STATUS_COUNT.search(status or "")
        return PgCursor([], int(found.group(1)) if found else 0, None)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        statement = self._db.statement(sql)
        batch = list(rows)
        if not batch:
            return
        try:
            types = await self._db.parameter_types(self.raw, statement)
            args = [[_coerce(v, t) for v, t in zip(statement.arguments(r), types, strict=True)] for r in batch]
            await self.raw.executemany(statement.sql, args)
        except asyncpg.PostgresError as exc:
            raise _as_sqlite_error(exc) from exc

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        cursor = await self._execute(sql, params)
        return await cursor.fetchall()


async def _keep_session(raw: asyncpg.Connection) -> None:
    """A pooled connection's reset on release: nothing to undo. asyncpg's default sends `pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL` after every use, a second round trip that each read waited for. Here no
    session state outlives its use: transactions end (asyncpg still rolls back one left open before this runs),
    write locks are transaction-level, the migration lock is released in its `finally`, the shard locks live on
    their own unpooled connection, and nothing LISTENs, SETs or keeps a cursor."""


class PostgresDatabase(Database):
    """`Database` on PostgreSQL: same methods, same transactions, rows that read the same way."""

    dialect = "postgres"

    def __init__(
        self,
        url: str,
        *,
        migrations_dir: Path = MIGRATIONS_DIR,
        pool_size: int = 10,
        write_lock_key: int = WRITE_LOCK_KEY,
    ) -> None:
        super().__init__(redact_url(url), migrations_dir=migrations_dir)
        self.url = url
        self.pool_size = pool_size
        self.write_lock_key = write_lock_key
        self._pool: asyncpg.Pool | None = None
        # Connections whose commits don't wait for the WAL flush, for `execute(durable=False)` (opened when needed).
        self._unsynced_pool: asyncpg.Pool | None = None
        self._types: dict[str, tuple[str, ...]] = {}
        self._id_tables: frozenset[str] | None = None
        self._shard_conn: asyncpg.Connection | None = None

    def __repr__(self) -> str:
        return f"PostgresDatabase({redact_url(self.url)!r})"

    @staticmethod
    async def _init_connection(conn: asyncpg.Connection) -> None:
        # SUM/AVG over BIGINT columns are NUMERIC: read them as int or float, as SQLite gives them.
        await conn.set_type_codec(
            "numeric",
            schema="pg_catalog",
            encoder=str,
            decoder=lambda text: float(text) if "." in text or "e" in text.lower() else int(text),
            format="text",
        )

    async def connect(self) -> PostgresDatabase:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=1, max_size=self.pool_size, init=self._init_connection, reset=_keep_session
            )
            self._unsynced_pool = await asyncpg.create_pool(
                self.url,
                min_size=0,
                max_size=2,
                init=self._init_connection,
                reset=_keep_session,
                server_settings={"synchronous_commit": "off"},
            )
        return self

    async def close(self) -> None:
        if self._shard_conn is not None:
            await self._shard_conn.close()
            self._shard_conn = None
        if self._unsynced_pool is not None:
            unsynced, self._unsynced_pool = self._unsynced_pool, None
            await unsynced.close()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def __aenter__(self) -> PostgresDatabase:
        return await self.connect()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("Database is not connected")
        return self._pool

    # --- statements -------------------------------------------------------------------------

    def statement(self, sql: str) -> Translated:
        return translate(sql)

    async def parameter_types(self, raw: asyncpg.Connection, statement: Translated) -> tuple[str, ...]:
        types = self._types.get(statement.sql)
        if types is None:
            prepared = await raw.prepare(statement.sql)
            types = self._types[statement.sql] = tuple(p.name for p in prepared.get_parameters())
        return types

    async def arguments(self, raw: asyncpg.Connection, statement: Translated, params: Params) -> list[Any]:
        values = statement.arguments(cast(Sequence[Any] | Mapping[str, Any], params))
        if not values:
            return values
        types = await self.parameter_types(raw, statement)
        return [_coerce(v, t) for v, t in zip(values, types, strict=True)]

    async def id_tables(self, raw: asyncpg.Connection) -> frozenset[str]:
        if self._id_tables is None:
            rows = await raw.fetch(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'"
            )
            self._id_tables = frozenset(str(r["table_name"]) for r in rows)
        return self._id_tables

    # --- migrations -------------------------------------------------------------------------

    async def user_version(self) -> int:
        async with self.pool.acquire() as raw:
            return await self._version(raw)

    @staticmethod
    async def _version(raw: asyncpg.Connection) -> int:
        await raw.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL)"
        )
        return int(await raw.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    async def migrate(self) -> list[int]:
        migrations = postgres_migrations(self.migrations_dir, self.migrations_dir / "postgres")
        applied: list[int] = []
        async with self.pool.acquire() as raw:
            await raw.execute("SELECT pg_advisory_lock($1)", MIGRATE_LOCK_KEY)
            try:
                current = await self._version(raw)
                for migration, sql in migrations:
                    if migration.version <= current:
                        continue
                    try:
                        async with raw.transaction():
                            await raw.execute(sql)
                            await raw.execute(
                                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                                migration.version,
                                migration.path.name,
                                datetime.now(UTC).isoformat(),
                            )
                    except asyncpg.PostgresError as exc:
                        raise MigrationError(
                            f"migration {migration.path.name} failed on PostgreSQL: {exc}; database left at version "
                            f"{current}"
                        ) from exc
                    current = migration.version
                    applied.append(migration.version)
                    log.info("Applied migration %s on PostgreSQL", migration.path.name)
            finally:
                await raw.execute("SELECT pg_advisory_unlock($1)", MIGRATE_LOCK_KEY)
        self._id_tables = None
        self._types.clear()
        return applied

    # --- queries ----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """One write transaction; committed on success, rolled back on error. Writes are serialised within this
        process (a lock, so waiting writers hold no pooled connection) and across processes (an advisory lock)."""
        # BEGIN and the advisory lock in one round trip (one simple query: the key is this process's own int).
        begin = f"BEGIN; SELECT pg_advisory_xact_lock({int(self.write_lock_key)})"
        async with self._write_lock, self.pool.acquire() as raw:
            with self._write_errors():
                await raw.execute(begin)
                try:
                    yield PgConnection(self, raw, in_transaction=True)
                except BaseException:
                    # A broken connection can't roll back: the pool discards it, and the first error is the one.
                    with contextlib.suppress(Exception):
                        if not raw.is_closed() and raw.is_in_transaction():
                            await raw.execute("ROLLBACK")
                    raise
                await raw.execute("COMMIT")

    @contextmanager
    def _write_errors(self) -> Iterator[None]:
        """A write's outcome: a failure noted (a full disk) and raised as SQLite's error; success clears it."""
        try:
            yield
        except BaseException as exc:
            self._note_write_failure(exc)
            if isinstance(exc, asyncpg.PostgresError):
                raise _as_sqlite_error(exc) from exc
            raise
        self.storage_full = False

    async def run_transaction(self, script: TransactionScript[T]) -> T:
        """A transaction script in `transaction()`: each statement is a round trip to the server in any case."""
        async with self.transaction() as conn:
            try:
                statement = next(script)
                while True:
                    statement = script.send(list(await conn.execute_fetchall(statement.sql, statement.params)))
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            finally:
                script.close()

    async def _write_one(self, sql: str, params: Params, *, durable: bool = True) -> Written:
        """Durable: in `transaction` (serialised with every other writer, committed with the WAL flushed). Not
        durable: the one statement on its own, on a connection whose commits don't wait for the WAL flush: one round
        trip instead of five (begin, write lock, setting, statement, commit). It needs no write lock: a single
        statement is atomic, and a counter reads nothing it decides on."""
        if durable:
            async with self.transaction() as conn:
                cur = await conn.execute(sql, params)
        else:
            if self._unsynced_pool is None:
                raise RuntimeError("Database is not connected")
            with self._write_errors():
                async with self._unsynced_pool.acquire() as raw:
                    cur = await PgConnection(self, raw, in_transaction=False).execute(sql, params)
        return Written(int(cur.rowcount), await cur.fetchall(), int(cur.lastrowid or 0))

    async def fetch_known(self, sql: str, params: Params, known: Callable[[Any], K | None]) -> list[Known[K]]:
        """As on SQLite, but asyncpg hands over every row at once: each is recognised here, on the event loop."""
        return recognised(await self.fetchall(sql, params), known)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        async with self.pool.acquire() as raw:
            return await PgConnection(self, raw, in_transaction=False).execute_fetchall(sql, params)

    async def table_names(self) -> set[str]:
        rows = await self.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {str(r["table_name"]) for r in rows}

    # --- maintenance ------------------------------------------------------------------------

    async def backup(self, target: str | Path) -> Path:
        raise MigrationError(
            "`db backup` copies a SQLite file; back up PostgreSQL with pg_dump (see README, Scaling out)."
        )

    async def integrity_check(self) -> str:
        return "ok"

    async def quick_check(self) -> list[str]:
        """PostgreSQL checks its own pages (and refuses to start on a damaged cluster): nothing to do here."""
        return []

    async def integrity_check_problems(self) -> list[str]:
        return []

    # --- shards -----------------------------------------------------------------------------

    async def claim_shards(self, shard_count: int, shard_ids: Iterable[int]) -> list[int]:
        """Hold a session advisory lock per shard (of `shard_count`) for as long as this process runs (the server
        drops it when the process dies); returns the ids another process already holds (then none is held)."""
        if self._shard_conn is None:
            self._shard_conn = await asyncpg.connect(self.url)
        taken: list[int] = []
        held: list[int] = []
        for shard in shard_ids:
            key = shard_count * 4096 + int(shard)
            ok = await self._shard_conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", SHARD_LOCK_KEY, key)
            (held if ok else taken).append(int(shard))
        if taken:
            for shard in held:
                await self._shard_conn.execute(
                    "SELECT pg_advisory_unlock($1, $2)", SHARD_LOCK_KEY, shard_count * 4096 + shard
                )
        return taken


async def wait_for_server(url: str, timeout: float = 30.0) -> None:
    """Retry connecting until the server accepts (a container that is still starting)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            conn = await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
            continue
        await conn.close()
        return
