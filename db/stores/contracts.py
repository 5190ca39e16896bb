"""API contracts (/api): a Backend learner's OpenAPI document by version, its pinned posts, needs, acknowledgements."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from db.errors import Conflict
from db.stores._store import Store
from db.stores._values import FromRow, dataclass_from_row


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Contract(FromRow):
    id: int
    guild_id: int
    backend_id: int
    project: str
    created_at: datetime
    updated_at: datetime


class StoredChange(NamedTuple):
    """One change a version brought, as its `changes` JSON keeps it (an object per change, by field name)."""

    code: str
    text: str
    breaking: bool


@dataclass(frozen=True)
class NewVersion:
    """A version to publish: the uploaded document and what changed since the last one."""

    title: str
    api_version: str
    openapi: str
    filename: str
    format: str
    size: int
    document: str  # JSON text
    changes: tuple[StoredChange, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ContractVersion(NewVersion):
    """A published version: what was published, with its number in its contract and its count of breaking changes."""

    id: int
    contract_id: int
    number: int
    breaking: int
    published_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ContractVersion:
        return dataclass_from_row(
            cls,
            row,
            changes=tuple(StoredChange(c["code"], c["text"], bool(c["breaking"])) for c in json.loads(row["changes"])),
        )


@dataclass(frozen=True)
class ContractPost:
    contract_id: int
    thread_id: int
    message_id: int
    pinned: bool


@dataclass(frozen=True)
class StoredNeed:
    id: int
    guild_id: int
    frontend_id: int
    method: str
    path: str
    note: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredNeed:
        return dataclass_from_row(cls, row, created_at=datetime.fromisoformat(row["created_at"]))


_VERSION_COLUMNS = (
    "id, contract_id, number, title, api_version, openapi, filename, format, size, document, breaking, changes, "
    "published_at"
)
# The same without the document (lists and status don't need a megabyte each).
_VERSION_HEAD = _VERSION_COLUMNS.replace("document, ", "'' AS document, ")


class ContractStore(Store):
    async def contract_of(self, guild_id: int, backend_id: int) -> Contract | None:
        return await self._row(
            Contract, "SELECT * FROM api_contracts WHERE guild_id = ? AND backend_id = ?", (guild_id, backend_id)
        )

    async def get(self, contract_id: int) -> Contract | None:
        return await self._row(Contract, "SELECT * FROM api_contracts WHERE id = ?", (contract_id,))

    async def add_version(
        self, guild_id: int, backend_id: int, project: str, new: NewVersion, now: datetime, *, expected: int
    ) -> tuple[Contract, ContractVersion]:
        """Store the next version; `expected` is the number the caller diffed against (0: none), so two uploads
        checked at once can't both become the same version (the second is refused with a Conflict)."""
        changes = json.dumps([c._asdict() for c in new.changes])
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO api_contracts (guild_id, backend_id, project, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, backend_id) DO UPDATE SET updated_at = excluded.updated_at",
                (guild_id, backend_id, project, _iso(now), _iso(now)),
            )
            cur = await conn.execute(
                "SELECT * FROM api_contracts WHERE guild_id = ? AND backend_id = ?", (guild_id, backend_id)
            )
            contract = Contract.from_row(await cur.fetchone())  # type: ignore[arg-type]
            cur = await conn.execute(
                "SELECT MAX(number) FROM api_contract_versions WHERE contract_id = ?", (contract.id,)
            )
            latest = (await cur.fetchone())[0] or 0  # type: ignore[index]
            if latest != expected:
                raise Conflict(
                    f"Version {latest} of your contract was published while this one was being checked; "
                    "publish again to compare with it."
                )
            cur = await conn.execute(
                "INSERT INTO api_contract_versions (contract_id, number, title, api_version, openapi, filename, "
                "format, size, document, breaking, changes, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    contract.id,
                    latest + 1,
                    new.title,
                    new.api_version,
                    new.openapi,
                    new.filename,
                    new.format,
                    new.size,
                    new.document,
                    sum(1 for c in new.changes if c.breaking),
                    changes,
                    _iso(now),
                ),
            )
            version_id = cur.lastrowid
            cur = await conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM api_contract_versions WHERE id = ?", (version_id,)
            )
            version = ContractVersion.from_row(await cur.fetchone())  # type: ignore[arg-type]
        return contract, version

    async def latest(self, contract_id: int, *, with_document: bool = True) -> ContractVersion | None:
        columns = _VERSION_COLUMNS if with_document else _VERSION_HEAD
        return await self._row(
            ContractVersion,
            f"SELECT {columns} FROM api_contract_versions WHERE contract_id = ? ORDER BY number DESC LIMIT 1",
            (contract_id,),
        )

    async def versions(self, contract_id: int) -> list[ContractVersion]:
        """Every version, oldest first, without their documents."""
        return await self._rows(
            ContractVersion,
            f"SELECT {_VERSION_HEAD} FROM api_contract_versions WHERE contract_id = ? ORDER BY number",
            (contract_id,),
        )

    async def version_count(self, guild_id: int) -> int:
        value = await self.db.fetchval(
            "SELECT COUNT(*) FROM api_contract_versions v JOIN api_contracts c ON c.id = v.contract_id "
            "WHERE c.guild_id = ?",
            (guild_id,),
        )
        return int(value or 0)

    async def published_in(self, guild_id: int) -> dict[int, int]:
        """Backend learner → how many versions they published, for every contract of the guild with one."""
        rows = await self.db.fetchall(
            "SELECT c.backend_id, COUNT(v.id) AS versions FROM api_contracts c "
            "JOIN api_contract_versions v ON v.contract_id = c.id WHERE c.guild_id = ? GROUP BY c.backend_id",
            (guild_id,),
        )
        return {int(r["backend_id"]): int(r["versions"]) for r in rows}

    # --- pinned posts -----------------------------------------------------------------------------------------

    async def posts(self, contract_id: int) -> dict[int, ContractPost]:
        rows = await self.db.fetchall("SELECT * FROM api_contract_posts WHERE contract_id = ?", (contract_id,))
        return {
            int(r["thread_id"]): ContractPost(r["contract_id"], r["thread_id"], r["message_id"], bool(r["pinned"]))
            for r in rows
        }

    async def set_post(self, contract_id: int, thread_id: int, message_id: int, pinned: bool) -> None:
        await self.db.execute(
            "INSERT INTO api_contract_posts (contract_id, thread_id, message_id, pinned) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (contract_id, thread_id) DO UPDATE SET message_id = excluded.message_id, "
            "pinned = excluded.pinned",
            (contract_id, thread_id, message_id, int(pinned)),
        )

    # --- needs ------------------------------------------------------------------------------------------------

    async def add_need(
        self, guild_id: int, frontend_id: int, method: str, path: str, note: str, now: datetime
    ) -> tuple[StoredNeed, bool]:
        """Record a need (or update its note); the flag says whether it is new."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "SELECT id FROM api_needs WHERE guild_id = ? AND frontend_id = ? AND method = ? AND path = ?",
                (guild_id, frontend_id, method, path),
            )
            existing = await cur.fetchone()
            if existing is None:
                await conn.execute(
                    "INSERT INTO api_needs (guild_id, frontend_id, method, path, note, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (guild_id, frontend_id, method, path, note, _iso(now)),
                )
            elif note:
                await conn.execute("UPDATE api_needs SET note = ? WHERE id = ?", (note, existing["id"]))
            cur = await conn.execute(
                "SELECT * FROM api_needs WHERE guild_id = ? AND frontend_id = ? AND method = ? AND path = ?",
                (guild_id, frontend_id, method, path),
            )
            need = StoredNeed.from_row(await cur.fetchone())  # type: ignore[arg-type]
        return need, existing is None

    async def needs_of(self, guild_id: int, frontend_id: int) -> list[StoredNeed]:
        return await self._rows(
            StoredNeed,
            "SELECT * FROM api_needs WHERE guild_id = ? AND frontend_id = ? ORDER BY id",
            (guild_id, frontend_id),
        )

    async def needs_in(self, guild_id: int) -> list[StoredNeed]:
        """Every need of the guild's Frontend learners (for the counts of /match stats and the digest)."""
        return await self._rows(StoredNeed, "SELECT * FROM api_needs WHERE guild_id = ? ORDER BY id", (guild_id,))

    async def need_count(self, guild_id: int, frontend_id: int) -> int:
        value = await self.db.fetchval(
            "SELECT COUNT(*) FROM api_needs WHERE guild_id = ? AND frontend_id = ?", (guild_id, frontend_id)
        )
        return int(value or 0)

    # --- acknowledgements -------------------------------------------------------------------------------------

    async def acknowledged(self, contract_id: int, frontend_id: int) -> int:
        """The highest version number this Frontend learner acknowledged (0: none)."""
        value = await self.db.fetchval(
            "SELECT number FROM api_acknowledgements WHERE contract_id = ? AND frontend_id = ?",
            (contract_id, frontend_id),
        )
        return int(value or 0)

    async def acknowledge(self, contract_id: int, frontend_id: int, number: int, now: datetime) -> bool:
        """Acknowledge up to version `number`; False if that (or a later one) was already acknowledged."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "SELECT number FROM api_acknowledgements WHERE contract_id = ? AND frontend_id = ?",
                (contract_id, frontend_id),
            )
            row = await cur.fetchone()
            if row is not None and int(row["number"]) >= number:
                return False
            await conn.execute(
                "INSERT INTO api_acknowledgements (contract_id, frontend_id, number, acknowledged_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (contract_id, frontend_id) DO UPDATE SET "
                "number = excluded.number, acknowledged_at = excluded.acknowledged_at",
                (contract_id, frontend_id, number, _iso(now)),
            )
        return True
