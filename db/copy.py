"""`nexus-bot db copy --to postgresql://...`: an existing SQLite database into an empty PostgreSQL one.

The target is migrated to the same version first, then every table is copied in foreign-key order (COPY, with
values typed as PostgreSQL's columns want them), identity sequences are moved past the copied ids, and the copy
is verified table by table: the same row count and the same checksum (an order-independent digest of every
row's values) on both sides. A target holding any data is refused, so nothing is ever overwritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from db.database import Database, MigrationError
from db.engines.postgres import PostgresDatabase

BATCH = 2000
# Rows the migrations themselves write (the seeded catalog): replaced by the source's own rows.
SEEDED_TABLES = frozenset({"project_catalog"})
# Bookkeeping of each engine, not data.
SKIPPED_TABLES = frozenset({"schema_migrations"})


class CopyRefused(Exception):
    """The copy did not start (or did not verify); the message says why and what to do."""


class TableCopy(NamedTuple):
    """One table as verified on both sides: its rows, and the checksum they share."""

    table: str
    rows: int
    checksum: str


@dataclass(frozen=True)
class CopyReport:
    version: int
    tables: tuple[TableCopy, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _normalise(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def checksum(rows: Sequence[Sequence[Any]]) -> str:
    """Order-independent: SQLite and PostgreSQL sort text differently, so rows are hashed one by one."""
    digests = sorted(
        hashlib.sha256(json.dumps([_normalise(v) for v in row], default=str).encode()).digest() for row in rows
    )
    total = hashlib.sha256()
    for digest in digests:
        total.update(digest)
    return total.hexdigest()


def _caster(data_type: str) -> Callable[[Any], Any]:
    if data_type in ("bigint", "integer", "smallint"):
        return lambda v: None if v is None else int(v)
    if data_type in ("double precision", "real", "numeric"):
        return lambda v: None if v is None else float(v)
    if data_type == "boolean":
        return lambda v: None if v is None else bool(v)
    return lambda v: None if v is None else (v if isinstance(v, str) else str(v))


async def _target_columns(target: PostgresDatabase, table: str) -> list[tuple[str, str]]:
    rows = await target.fetchall(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position",
        (table,),
    )
    return [(str(r["column_name"]), str(r["data_type"])) for r in rows]


async def _fk_order(target: PostgresDatabase, tables: set[str]) -> list[str]:
    """Tables with the ones they reference first."""
    rows = await target.fetchall(
        "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
    )
    needs: dict[str, set[str]] = {t: set() for t in tables}
    for row in rows:
        child, parent = str(row["child"]).strip('"'), str(row["parent"]).strip('"')
        if child in needs and parent in tables and parent != child:
            needs[child].add(parent)
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, parents in needs.items() if not parents - set(ordered))
        if not ready:  # a cycle: keep the rest in name order (none today)
            ready = sorted(needs)
        for table in ready:
            ordered.append(table)
            del needs[table]
    return ordered


async def _refuse_unless_empty(target: PostgresDatabase) -> None:
    for table in sorted(await target.table_names() - SKIPPED_TABLES - SEEDED_TABLES):
        if await target.fetchval(f'SELECT 1 FROM "{table}" LIMIT 1'):
            raise CopyRefused(
                f"the target database is not empty (table {table} has rows): copy into a new, empty database "
                "(CREATE DATABASE nexus_new), never over one in use."
            )


async def copy_database(source: Database, target: PostgresDatabase) -> CopyReport:
    """Copy `source` (migrated to the latest version) into the empty `target`, and verify it."""
    if source.dialect != "sqlite":
        raise CopyRefused("the source must be the SQLite database (DATABASE_PATH)")
    await _refuse_unless_empty(target)
    try:
        await target.migrate()
    except MigrationError as exc:
        raise CopyRefused(str(exc)) from None
    version = await source.user_version()
    if await target.user_version() != version:
        raise CopyRefused(f"the source is at schema version {version}, the target at {await target.user_version()}")
    source_tables = await source.table_names()
    tables = (await target.table_names()) & source_tables
    tables -= SKIPPED_TABLES
    order = await _fk_order(target, tables)
    copied: list[str] = []
    async with target.pool.acquire() as raw, raw.transaction():
        for table in reversed(order):
            if table in SEEDED_TABLES:
                await raw.execute(f'DELETE FROM "{table}"')
        for table in order:
            columns = await _target_columns(target, table)
            source_columns = {str(r[1]) for r in await source.fetchall(f'PRAGMA table_info("{table}")')}
            columns = [(c, t) for c, t in columns if c in source_columns]
            names = [c for c, _ in columns]
            casts = [_caster(t) for _, t in columns]
            select = f'SELECT {", ".join(names)} FROM "{table}"'
            offset = 0
            while True:
                batch = await source.fetchall(f"{select} LIMIT ? OFFSET ?", (BATCH, offset))
                if not batch:
                    break
                records = [tuple(cast(v) for cast, v in zip(casts, row, strict=True)) for row in batch]
                await raw.copy_records_to_table(table, records=records, columns=names)
                offset += len(batch)
            if "id" in names:
                await raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false) '
                    f"WHERE pg_get_serial_sequence('\"{table}\"', 'id') IS NOT NULL"
                )
            copied.append(table)
    return await verify(source, target, copied, version)


async def verify(source: Database, target: PostgresDatabase, tables: Sequence[str], version: int) -> CopyReport:
    """Row counts and checksums of each table on both sides; CopyRefused naming the first that differs."""
    report: list[TableCopy] = []
    for table in tables:
        names = [c for c, _ in await _target_columns(target, table)]
        source_columns = {str(r[1]) for r in await source.fetchall(f'PRAGMA table_info("{table}")')}
        names = [c for c in names if c in source_columns]
        select = f'SELECT {", ".join(names)} FROM "{table}"'
        ours = [tuple(r) for r in await source.fetchall(select)]
        theirs = [tuple(r) for r in await target.fetchall(select)]
        if len(ours) != len(theirs):
            raise CopyRefused(f"{table}: {len(ours)} rows in the source, {len(theirs)} in the target")
        digest = checksum(ours)
        if checksum(theirs) != digest:
            raise CopyRefused(f"{table}: the rows differ after the copy (checksums do not match)")
        report.append(TableCopy(table, len(ours), digest))
    return CopyReport(version, tuple(report))
