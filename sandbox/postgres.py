"""A real PostgreSQL server for the tests and benches, started by them (the way sandbox/ is a local Discord).

`NEXUS_TEST_POSTGRES_URL` points at a server you run (a URL of a role that may CREATE DATABASE); otherwise the
`pgserver` package (PostgreSQL 16 binaries in a wheel, in the dev install) starts one in a folder under the temp
dir, shared by every xdist worker and left running between them (the last worker stops it). `pgserver` comes
with the dev install (`pip install -e ".[dev]"`). Each test gets a
database of its own, created from a migrated template in a fraction of a second and dropped after the test.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil

from db.engines.postgres import PostgresDatabase, postgres_migrations

_server: Any = None
_admin_url: str | None = None
_TEMPLATE_LOCK = 0x4E5842_7E


def admin_url() -> str:
    """The URL of the server's maintenance database (started on first use)."""
    global _server, _admin_url
    if _admin_url is None:
        configured = os.environ.get("NEXUS_TEST_POSTGRES_URL")
        if configured:
            _admin_url = configured
        else:
            import pgserver

            folder = Path(tempfile.gettempdir()) / f"nexus-pgserver-{os.getuid()}"
            folder.mkdir(parents=True, exist_ok=True)
            _server = pgserver.get_server(folder, cleanup_mode="stop")
            _admin_url = str(_server.get_uri())
            # A throwaway test server: no fsync, so creating a database per test takes milliseconds.
            _server.psql(
                "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off; "
                "ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
            )
    return _admin_url


def url_for(database: str, base: str | None = None) -> str:
    """`base` (default: the server's URL) naming another database."""
    parts = urlsplit(base or admin_url())
    return urlunsplit(parts._replace(path=f"/{database}"))


def _template_name() -> str:
    digest = hashlib.sha256()
    for migration, sql in postgres_migrations():
        digest.update(migration.path.name.encode())
        digest.update(sql.encode())
    return f"nexus_template_{digest.hexdigest()[:12]}"


async def _ensure_template(admin: asyncpg.Connection) -> str:
    name = _template_name()
    await admin.execute("SELECT pg_advisory_lock($1)", _TEMPLATE_LOCK)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            building = f"{name}_building"
            await admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{building}"')
            async with PostgresDatabase(url_for(building)) as db:
                await db.migrate()
            await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    finally:
        await admin.execute("SELECT pg_advisory_unlock($1)", _TEMPLATE_LOCK)
    return name


async def create_database(*, migrated: bool = True) -> str:
    """A new empty (or migrated) database; returns its URL."""
    admin = await asyncpg.connect(await asyncio.to_thread(admin_url))
    try:
        await _drop_orphans(admin)
        name = f"nexus_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        if migrated:
            template = await _ensure_template(admin)
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        else:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return url_for(name)


_orphans_dropped = False


async def _drop_orphans(admin: asyncpg.Connection) -> None:
    """Once per process: drop the databases test processes that have ended kept for reuse."""
    global _orphans_dropped
    if _orphans_dropped:
        return
    _orphans_dropped = True
    for row in await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'nexus_test_%'"):
        pid = str(row["datname"]).split("_")[2]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            await admin.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')


async def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(admin_url())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


# Databases a finished test left, emptied and reused by the next test of this process (TRUNCATE is much faster
# than CREATE DATABASE): the template's own rows (the seeded catalog) are put back, a changed schema is dropped.
_free: list[str] = []
_seed: dict[str, list[asyncpg.Record]] | None = None
_tables: tuple[str, ...] = ()


async def _tables_of(conn: asyncpg.Connection) -> tuple[str, ...]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
        "ORDER BY table_name"
    )
    return tuple(str(r["table_name"]) for r in rows)


async def _insertable_columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position",
        table,
    )
    return [str(r["column_name"]) for r in rows]


async def _learn_template(url: str) -> None:
    global _seed, _tables
    conn = await asyncpg.connect(url)
    try:
        _tables = await _tables_of(conn)
        seed: dict[str, list[asyncpg.Record]] = {}
        for table in _tables:
            columns = await _insertable_columns(conn, table)
            rows = await conn.fetch(f'SELECT {", ".join(columns)} FROM "{table}"')
            if rows:
                seed[table] = rows
        _seed = seed
    finally:
        await conn.close()


async def _reset(url: str) -> bool:
    """Empty a used database back to the migrated template; False if its schema changed (then drop it)."""
    assert _seed is not None
    conn = await asyncpg.connect(url)
    try:
        if await _tables_of(conn) != _tables:
            return False
        async with conn.transaction():
            # DELETE with foreign-key triggers off: TRUNCATE makes new files for every table (~0.3 s).
            await conn.execute("SET LOCAL session_replication_role = replica")
            for table in _tables:
                await conn.execute(f'DELETE FROM "{table}"')
            for row in await conn.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"):
                await conn.execute(f'ALTER SEQUENCE "{row["sequencename"]}" RESTART')
            for table, rows in _seed.items():
                columns = list(rows[0].keys())
                marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
                await conn.executemany(
                    f'INSERT INTO "{table}" ({", ".join(columns)}) OVERRIDING SYSTEM VALUE VALUES ({marks})',
                    [tuple(r) for r in rows],
                )
    finally:
        await conn.close()
    return True


@asynccontextmanager
async def postgres_url(*, migrated: bool = True) -> AsyncIterator[str]:
    """A database of its own for one test: a reused one emptied, or a new one; dropped or kept for reuse after."""
    url: str | None = None
    while migrated and _free and url is None:
        candidate = _free.pop()
        if await _reset(candidate):
            url = candidate
        else:
            await drop_database(candidate)
    if url is None:
        url = await create_database(migrated=migrated)
        if migrated and _seed is None:
            await _learn_template(url)
    try:
        yield url
    except BaseException:
        await drop_database(url)
        raise
    if migrated and len(_free) < 4:
        _free.append(url)
    else:
        await drop_database(url)


@asynccontextmanager
async def postgres_database(*, migrated: bool = True) -> AsyncIterator[PostgresDatabase]:
    async with postgres_url(migrated=migrated) as url, PostgresDatabase(url) as db:
        yield db
