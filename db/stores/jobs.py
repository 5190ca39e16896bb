"""Scheduled jobs: restart-safe, idempotent scheduling, at-most-once execution."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from db.stores._store import Store
from db.stores._values import dataclass_from_row


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    dedupe_key: str | None
    status: str
    attempts: int
    started_at: datetime | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return dataclass_from_row(
            cls,
            row,
            payload=json.loads(row["payload"]),
        )


# Where a job's guild is found, for the shard that owns it: its payload's guild_id, or the row it is about.
_GUILD_REFERENCES = (
    ("session_id", "study_sessions"),
    ("post_id", "staff_posts"),
    ("round_id", "match_rounds"),
    ("pair_id", "pairs"),
    ("request_id", "match_requests"),
)


class JobStore(Store):
    async def guild_of(self, job: Job) -> int | None:
        """The guild a job acts in (None: none found, e.g. its row is gone)."""
        if isinstance(job.payload.get("guild_id"), int):
            return int(job.payload["guild_id"])
        for key, table in _GUILD_REFERENCES:
            ref = job.payload.get(key)
            if isinstance(ref, int):
                # Table names come from the constant above, never from input.
                value = await self.db.fetchval(f"SELECT guild_id FROM {table} WHERE id = ?", (ref,))
                return None if value is None else int(value)
        return None

    async def started(self) -> list[Job]:
        """Resumable jobs marked started and still pending (running now, or cut short by a kill)."""
        return await self._rows(Job, "SELECT * FROM jobs WHERE status = 'pending' AND started_at IS NOT NULL")

    async def release(self, job_ids: Iterable[int], max_attempts: int) -> tuple[int, int]:
        """`release_started` for these jobs only (a shard releases its own guilds' jobs, never another's)."""
        ids = list(job_ids)
        if not ids:
            return 0, 0
        marks = ", ".join("?" for _ in ids)
        async with self.db.transaction() as conn:
            failed = await conn.execute(
                "UPDATE jobs SET status = 'failed', last_error = 'interrupted too often' "
                f"WHERE status = 'pending' AND started_at IS NOT NULL AND attempts >= ? AND id IN ({marks})",
                (max_attempts, *ids),
            )
            released = await conn.execute(
                "UPDATE jobs SET started_at = NULL WHERE status = 'pending' AND started_at IS NOT NULL "
                f"AND id IN ({marks})",
                tuple(ids),
            )
            return released.rowcount, failed.rowcount

    async def schedule(
        self, kind: str, due_at: datetime, payload: dict[str, Any], now: datetime, dedupe_key: str | None = None
    ) -> int | None:
        """Schedule a job; with a dedupe_key already used, nothing happens and None is returned."""
        async with self.db.transaction() as conn:
            return await self.insert(conn, kind, due_at, payload, now, dedupe_key)

    @staticmethod
    async def insert(
        conn: aiosqlite.Connection,
        kind: str,
        due_at: datetime,
        payload: dict[str, Any],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Schedule inside another store's transaction, so a job is committed with the rows it is about."""
        cur = await conn.execute(
            "INSERT INTO jobs (kind, due_at, payload, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (dedupe_key) DO NOTHING",
            (kind, due_at.isoformat(), json.dumps(payload), dedupe_key, now.isoformat()),
        )
        return int(cur.lastrowid or 0) if cur.rowcount else None

    async def due(self, now: datetime, limit: int = 50) -> list[Job]:
        return await self._rows(
            Job,
            "SELECT * FROM jobs WHERE status = 'pending' AND started_at IS NULL AND due_at <= ? "
            "ORDER BY due_at, id LIMIT ?",
            (now.isoformat(), limit),
        )

    async def start(self, job_id: int, now: datetime) -> bool:
        """Claim a resumable job: it stays pending (a kill leaves it to run again) until `finish`."""
        claimed = await self.db.execute(
            "UPDATE jobs SET started_at = ?, attempts = attempts + 1 "
            "WHERE id = ? AND status = 'pending' AND started_at IS NULL",
            (now.isoformat(), job_id),
        )
        return claimed == 1

    async def finish(self, job_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE jobs SET status = 'done', finished_at = ? WHERE id = ? AND status = 'pending'",
            (now.isoformat(), job_id),
        )

    async def save_progress(self, job_id: int, payload: dict[str, Any]) -> None:
        """Record what a resumable job has done so far (its payload), so a rerun skips those steps."""
        await self.db.execute("UPDATE jobs SET payload = ? WHERE id = ?", (json.dumps(payload), job_id))

    async def release_started(self, max_attempts: int) -> tuple[int, int]:
        """At start: resumable jobs a kill cut short run again; (released, given up after max_attempts)."""
        async with self.db.transaction() as conn:
            failed = await conn.execute(
                "UPDATE jobs SET status = 'failed', last_error = 'interrupted too often' "
                "WHERE status = 'pending' AND started_at IS NOT NULL AND attempts >= ?",
                (max_attempts,),
            )
            released = await conn.execute(
                "UPDATE jobs SET started_at = NULL WHERE status = 'pending' AND started_at IS NOT NULL"
            )
            return released.rowcount, failed.rowcount

    async def pending_count(self, kinds: Iterable[str]) -> int:
        wanted = list(kinds)
        marks = ", ".join("?" for _ in wanted)
        value = await self.db.fetchval(
            f"SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND kind IN ({marks})", tuple(wanted)
        )
        return int(value or 0)

    async def claim(self, job_id: int, now: datetime) -> bool:
        """Mark a pending job done before running it: a crash mid-run never repeats its side effect."""
        claimed = await self.db.execute(
            "UPDATE jobs SET status = 'done', attempts = attempts + 1, finished_at = ? "
            "WHERE id = ? AND status = 'pending'",
            (now.isoformat(), job_id),
        )
        return claimed == 1

    async def record_failure(self, job_id: int, error: str) -> None:
        await self.db.execute("UPDATE jobs SET status = 'failed', last_error = ? WHERE id = ?", (error[:500], job_id))

    async def cancel(self, job_id: int) -> bool:
        return (
            await self.db.execute("UPDATE jobs SET status = 'cancelled' WHERE id = ? AND status = 'pending'", (job_id,))
            == 1
        )

    async def cancel_by_key_prefix(self, prefix: str) -> int:
        return await self.db.execute(
            "UPDATE jobs SET status = 'cancelled' WHERE status = 'pending' AND dedupe_key LIKE ? ESCAPE '\\'",
            (prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
        )

    async def get(self, job_id: int) -> Job | None:
        return await self._row(Job, "SELECT * FROM jobs WHERE id = ?", (job_id,))

    async def by_kind(self, kind: str, status: str | None = None) -> list[Job]:
        if status is None:
            rows = await self.db.fetchall("SELECT * FROM jobs WHERE kind = ? ORDER BY due_at, id", (kind,))
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM jobs WHERE kind = ? AND status = ? ORDER BY due_at, id", (kind, status)
            )
        return [Job.from_row(r) for r in rows]
