"""Project announcements and partner interest (the first week's reminder and digest log: first_week.py)."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, NamedTuple

from db.stores._store import Store
from db.stores._values import FromRow, RowMemo, dataclass_from_row

# Columns `update` may change; anything else is rejected before it reaches SQL.
EDITABLE = frozenset(
    {"project_key", "track", "title", "summary", "stack", "repo", "timezone", "looking_for_partner", "display_name"}
)


# slots: the suggestion pools keep thousands (an Announcement took ~650 bytes with a __dict__, ~200 without).
@dataclass(frozen=True, slots=True)
class NewAnnouncement:
    """An announcement to write: what the learner announced."""

    guild_id: int
    user_id: int
    cohort_start: date
    project_key: str
    track: str
    title: str
    summary: str
    stack: tuple[str, ...] = ()
    repo: str | None = None
    timezone: str | None = None
    looking_for_partner: bool = True
    display_name: str = ""
    late: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Announcement(NewAnnouncement):
    """A stored announcement: what was announced, with its id, its post and its history."""

    id: int
    channel_id: int | None
    message_id: int | None
    created_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None
    left_guild_at: datetime | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Announcement:
        return dataclass_from_row(
            cls,
            row,
            stack=_stack(row["stack"] or "[]"),
        )

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


@functools.lru_cache(maxsize=4096)  # stacks repeat from learner to learner: one tuple each
def _stack(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


# Pages of announcements are read again and again (suggestion pools, boards): unchanged rows, the same objects.
_announcement_of: RowMemo[Announcement] = RowMemo(
    Announcement.from_row, shared=("guild_id", "cohort_start", "project_key", "track", "timezone", "channel_id")
)


@dataclass(frozen=True)
class PartnerInterest(FromRow):
    announcement_id: int
    user_id: int
    created_at: datetime


@dataclass(frozen=True)
class ListFilter:
    project_key: str | None = None
    track: str | None = None
    looking_for_partner: bool | None = None


# A learner whose pairs fill every partner slot they asked for (match_profiles, migration 0003) is no longer
# looking, whatever their announcement says; without a profile they have their one default slot free.
_SLOTS_FULL = (
    "EXISTS (SELECT 1 FROM match_profiles m WHERE m.guild_id = announcements.guild_id "
    "AND m.user_id = announcements.user_id AND m.active_pairs >= m.max_partners)"
)
# Shown as looking: asked for partners and has a free slot.
_LOOKING = f"(looking_for_partner = 1 AND NOT {_SLOTS_FULL})"


def _encode(column: str, value: Any) -> Any:
    if column == "stack":
        return json.dumps(list(value or ()))
    if column == "looking_for_partner":
        return int(bool(value))
    return value


class Created(NamedTuple):
    """A new announcement, and whether its learner's partner slots were all taken when it was written."""

    announcement: Announcement
    partners_full: bool


class AnnouncementStore(Store):
    # --- announcements ----------------------------------------------------------------------

    async def create(self, new: NewAnnouncement, now: datetime) -> Created | None:
        """Insert an announcement; None if the learner already has an active one this cohort. The same statement
        says whether the learner's partner slots are all taken (what the post shows), so a burst of announcements
        costs one trip to the database each."""
        written = {field.name: getattr(new, field.name) for field in fields(NewAnnouncement)}
        params = {name: _encode(name, value) for name, value in written.items()}
        params |= {"cohort_start": new.cohort_start.isoformat(), "late": int(new.late), "now": now.isoformat()}
        try:
            rows = await self.db.write_returning(
                "INSERT INTO announcements (guild_id, user_id, cohort_start, project_key, track, title, summary, "
                "stack, repo, timezone, looking_for_partner, display_name, late, created_at, updated_at) "
                "VALUES (:guild_id, :user_id, :cohort_start, :project_key, :track, :title, :summary, :stack, :repo, "
                ":timezone, :looking_for_partner, :display_name, :late, :now, :now) RETURNING id, EXISTS (SELECT 1 "
                "FROM match_profiles WHERE guild_id = :guild_id AND user_id = :user_id "
                "AND active_pairs >= max_partners) AS partners_full",
                params,
            )
        except sqlite3.IntegrityError as exc:
            if "announcements" in str(exc) and "UNIQUE" in str(exc).upper():
                return None
            raise
        # Built from what was written (no read-back): cheaper in a burst, and never a stale snapshot.
        announcement = Announcement(
            **(written | {"stack": tuple(new.stack)}),
            id=int(rows[0]["id"]),
            channel_id=None,
            message_id=None,
            created_at=now,
            updated_at=now,
            withdrawn_at=None,
            left_guild_at=None,
        )
        return Created(announcement, bool(rows[0]["partners_full"]))

    @staticmethod
    async def _read_back(conn: Any, announcement_id: int) -> Announcement:
        # Read through the writer, inside the write: the shared reader may still hold an older snapshot.
        cur = await conn.execute("SELECT * FROM announcements WHERE id = ?", (announcement_id,))
        row = await cur.fetchone()
        await cur.close()
        assert row is not None
        return Announcement.from_row(row)

    async def get(self, announcement_id: int) -> Announcement | None:
        return await self._row(Announcement, "SELECT * FROM announcements WHERE id = ?", (announcement_id,))

    async def active_for(self, guild_id: int, cohort_start: date, user_id: int) -> Announcement | None:
        return await self._row(
            Announcement,
            "SELECT * FROM announcements WHERE guild_id = ? AND cohort_start = ? AND user_id = ? "
            "AND withdrawn_at IS NULL",
            (guild_id, cohort_start.isoformat(), user_id),
        )

    async def update(self, announcement_id: int, now: datetime, **values: Any) -> Announcement:
        unknown = set(values) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        async with self.db.transaction() as conn:
            if values:
                sets = ", ".join(f"{column} = ?" for column in values)
                params = [_encode(c, v) for c, v in values.items()]
                await conn.execute(
                    f"UPDATE announcements SET {sets}, updated_at = ? WHERE id = ?",
                    (*params, now.isoformat(), announcement_id),
                )
            return await self._read_back(conn, announcement_id)

    async def set_message(self, announcement_id: int, channel_id: int | None, message_id: int | None) -> None:
        await self.db.execute(
            "UPDATE announcements SET channel_id = ?, message_id = ? WHERE id = ?",
            (channel_id, message_id, announcement_id),
        )

    async def delete(self, announcement_id: int) -> None:
        """Remove a row whose post could not be made (never for a real announcement: those are withdrawn)."""
        await self.db.execute("DELETE FROM announcements WHERE id = ?", (announcement_id,))

    async def withdraw(self, announcement_id: int, now: datetime) -> Announcement | None:
        """Soft-delete; the withdrawn announcement, or None if it was already withdrawn."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE announcements SET withdrawn_at = ?, updated_at = ? WHERE id = ? AND withdrawn_at IS NULL",
                (now.isoformat(), now.isoformat(), announcement_id),
            )
            if cur.rowcount != 1:
                return None
            return await self._read_back(conn, announcement_id)

    @staticmethod
    def _where(guild_id: int, cohort_start: date, flt: ListFilter) -> tuple[str, list[Any]]:
        clauses = ["guild_id = ?", "cohort_start = ?", "withdrawn_at IS NULL"]
        params: list[Any] = [guild_id, cohort_start.isoformat()]
        if flt.project_key is not None:
            clauses.append("project_key = ?")
            params.append(flt.project_key)
        if flt.track is not None:
            clauses.append("track = ?")
            params.append(flt.track)
        if flt.looking_for_partner is not None:
            clauses.append(_LOOKING if flt.looking_for_partner else f"NOT {_LOOKING}")
        return " AND ".join(clauses), params

    async def page(
        self, guild_id: int, cohort_start: date, flt: ListFilter, *, limit: int, offset: int, reuse: bool = False
    ) -> list[Announcement]:
        """`reuse`: unchanged rows come back as the objects built last time (`RowMemo`): for a caller that keeps
        what it reads (the suggestion pools); for a one-off read, hashing every row costs more than it saves."""
        where, params = self._where(guild_id, cohort_start, flt)
        sql = f"SELECT * FROM announcements WHERE {where} ORDER BY created_at, id LIMIT ? OFFSET ?"
        if reuse:
            return await self._kept_rows(_announcement_of, sql, (*params, limit, offset))
        return await self._rows(Announcement, sql, (*params, limit, offset))

    async def count(self, guild_id: int, cohort_start: date, flt: ListFilter | None = None) -> int:
        where, params = self._where(guild_id, cohort_start, flt or ListFilter())
        return int(await self.db.fetchval(f"SELECT COUNT(*) FROM announcements WHERE {where}", params) or 0)

    async def counts(self, guild_id: int, cohort_start: date) -> dict[tuple[str, str], int]:
        """Active announcements per (project key, track)."""
        rows = await self.db.fetchall(
            "SELECT project_key, track, COUNT(*) AS n FROM announcements "
            "WHERE guild_id = ? AND cohort_start = ? AND withdrawn_at IS NULL GROUP BY project_key, track",
            (guild_id, cohort_start.isoformat()),
        )
        return {(r["project_key"], r["track"]): r["n"] for r in rows}

    async def looking_counts(self, guild_id: int, cohort_start: date) -> dict[tuple[str, str], int]:
        """Learners still looking for a partner per (project key, track)."""
        rows = await self.db.fetchall(
            "SELECT project_key, track, COUNT(*) AS n FROM announcements "
            f"WHERE guild_id = ? AND cohort_start = ? AND withdrawn_at IS NULL AND {_LOOKING} "
            "AND left_guild_at IS NULL GROUP BY project_key, track",
            (guild_id, cohort_start.isoformat()),
        )
        return {(r["project_key"], r["track"]): r["n"] for r in rows}

    async def looking(self, guild_id: int, cohort_start: date, *, limit: int) -> list[Announcement]:
        """Learners still looking for a partner, oldest first (they have waited longest)."""
        return await self._rows(
            Announcement,
            "SELECT * FROM announcements WHERE guild_id = ? AND cohort_start = ? AND withdrawn_at IS NULL "
            f"AND {_LOOKING} AND left_guild_at IS NULL ORDER BY created_at, id LIMIT ?",
            (guild_id, cohort_start.isoformat(), limit),
        )

    async def partners_full(self, guild_id: int, user_ids: Iterable[int]) -> set[int]:
        """Those of `user_ids` whose partner slots are all taken: their posts don't show them as looking."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        rows = await self.db.fetchall(
            f"SELECT user_id FROM match_profiles WHERE guild_id = ? AND user_id IN ({marks}) "
            "AND active_pairs >= max_partners",
            (guild_id, *wanted),
        )
        return {r["user_id"] for r in rows}

    async def set_post_looking(self, announcement_id: int, looking: bool) -> None:
        """Record whether the post, as just rendered, shows the learner as looking."""
        await self.db.execute("UPDATE announcements SET post_looking = ? WHERE id = ?", (int(looking), announcement_id))

    async def stale_looking_posts(
        self, guild_id: int | None = None, user_ids: Iterable[int] | None = None
    ) -> list[Announcement]:
        """Active, posted announcements whose post shows looking (or not) where capacity now says otherwise."""
        where = [
            "withdrawn_at IS NULL",
            "message_id IS NOT NULL",
            f"COALESCE(post_looking, looking_for_partner) <> CASE WHEN {_LOOKING} THEN 1 ELSE 0 END",
        ]
        params: list[Any] = []
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        if user_ids is not None:
            wanted = sorted(set(user_ids))
            if not wanted:
                return []
            where.append(f"user_id IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        return await self._rows(
            Announcement, f"SELECT * FROM announcements WHERE {' AND '.join(where)} ORDER BY id", params
        )

    async def created_between(
        self, guild_id: int, cohort_start: date, start: datetime | None, end: datetime
    ) -> list[Announcement]:
        return await self._rows(
            Announcement,
            "SELECT * FROM announcements WHERE guild_id = ? AND cohort_start = ? AND withdrawn_at IS NULL "
            "AND created_at >= ? AND created_at < ? ORDER BY created_at, id",
            (guild_id, cohort_start.isoformat(), start.isoformat() if start else "", end.isoformat()),
        )

    async def announced_user_ids(self, guild_id: int, cohort_start: date) -> set[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM announcements WHERE guild_id = ? AND cohort_start = ? AND withdrawn_at IS NULL",
            (guild_id, cohort_start.isoformat()),
        )
        return {r["user_id"] for r in rows}

    async def unposted(self) -> list[Announcement]:
        """Active announcements whose post was never recorded (the bot stopped between the write and the post)."""
        return await self._rows(
            Announcement, "SELECT * FROM announcements WHERE withdrawn_at IS NULL AND message_id IS NULL ORDER BY id"
        )

    async def all_for_export(self, guild_id: int) -> list[Announcement]:
        return await self._rows(
            Announcement,
            "SELECT * FROM announcements WHERE guild_id = ? ORDER BY cohort_start, created_at, id",
            (guild_id,),
        )

    async def mark_left(self, guild_id: int, user_id: int, now: datetime) -> int:
        return await self.db.execute(
            "UPDATE announcements SET left_guild_at = ? WHERE guild_id = ? AND user_id = ? AND left_guild_at IS NULL",
            (now.isoformat(), guild_id, user_id),
        )

    async def mark_returned(self, guild_id: int, user_id: int) -> int:
        return await self.db.execute(
            "UPDATE announcements SET left_guild_at = NULL WHERE guild_id = ? AND user_id = ? "
            "AND left_guild_at IS NOT NULL",
            (guild_id, user_id),
        )

    async def move_track_unless_paired(self, announcement_id: int, track: str, now: datetime) -> Announcement | None:
        """Put an active announcement on `track`, in one statement that also checks its author has no
        active pair (a pair is one Backend and one Frontend learner); None if it was withdrawn or paired."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE announcements SET track = ?, updated_at = ? WHERE id = ? AND withdrawn_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.guild_id = announcements.guild_id "
                "AND p.status = 'active' AND announcements.user_id IN (p.backend_id, p.frontend_id))",
                (track, now.isoformat(), announcement_id),
            )
            if cur.rowcount != 1:
                return None
            return await self._read_back(conn, announcement_id)

    # --- partner interest -------------------------------------------------------------------

    async def add_interest(self, announcement_id: int, user_id: int, now: datetime) -> bool:
        """Record that `user_id` pressed Pair with me; False if they already had."""
        return (
            await self.db.execute(
                "INSERT INTO partner_interest (announcement_id, user_id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (announcement_id, user_id) DO NOTHING",
                (announcement_id, user_id, now.isoformat()),
            )
            == 1
        )

    async def interest_for(self, announcement_id: int) -> list[PartnerInterest]:
        return await self._rows(
            PartnerInterest,
            "SELECT * FROM partner_interest WHERE announcement_id = ? ORDER BY created_at, id",
            (announcement_id,),
        )

    async def interest_in_guild(self, guild_id: int) -> list[tuple[Announcement, PartnerInterest]]:
        rows = await self.db.fetchall(
            "SELECT a.*, p.user_id AS interested_user_id, p.created_at AS interested_at "
            "FROM partner_interest p JOIN announcements a ON a.id = p.announcement_id "
            "WHERE a.guild_id = ? ORDER BY p.created_at, p.id",
            (guild_id,),
        )
        return [
            (
                Announcement.from_row(r),
                PartnerInterest(r["id"], r["interested_user_id"], datetime.fromisoformat(r["interested_at"])),
            )
            for r in rows
        ]
