"""Pair health (migration 0008): check-in answers, who last posted in a pair thread, inactive partners."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from db.stores._store import Store
from db.stores._values import FromRow
from db.stores.matching import Pair


@dataclass(frozen=True)
class Checkin(FromRow):
    pair_id: int
    day: int
    user_id: int
    asked_at: datetime
    answer: str | None  # met | not_yet | silent
    answered_at: datetime | None


@dataclass(frozen=True)
class HealthCounts:
    """Across a guild's pairs (active and ended): how many were asked, how many said they met, inactive ones."""

    asked: int
    met: int
    inactive: int


class PairHealthStore(Store):
    async def ask(self, pair: Pair, day: int, now: datetime) -> None:
        """The day's check-in was posted: one open question per partner (a repeat changes nothing)."""
        async with self.db.transaction() as conn:
            for user_id in pair.members:
                await conn.execute(
                    "INSERT INTO pair_checkins (pair_id, day, user_id, asked_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (pair_id, day, user_id) DO NOTHING",
                    (pair.id, day, user_id, now.isoformat()),
                )

    async def answer(self, pair_id: int, day: int, user_id: int, answer: str, now: datetime) -> bool:
        """Record a partner's own answer (they may change it); False if they were not asked."""
        return (
            await self.db.execute(
                "UPDATE pair_checkins SET answer = ?, answered_at = ? WHERE pair_id = ? AND day = ? AND user_id = ?",
                (answer, now.isoformat(), pair_id, day, user_id),
            )
            == 1
        )

    async def checkins(self, pair_id: int) -> list[Checkin]:
        return await self._rows(
            Checkin, "SELECT * FROM pair_checkins WHERE pair_id = ? ORDER BY day, user_id", (pair_id,)
        )

    async def checkins_of(self, pair_ids: Sequence[int]) -> list[Checkin]:
        """Every check-in of the given pairs (one query per 500 pairs), by pair, day and member."""
        found: list[Checkin] = []
        for first in range(0, len(pair_ids), 500):
            chunk = pair_ids[first : first + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = await self.db.fetchall(
                f"SELECT * FROM pair_checkins WHERE pair_id IN ({marks}) ORDER BY pair_id, day, user_id", tuple(chunk)
            )
            found += [Checkin.from_row(r) for r in rows]
        return found

    async def record_post(self, thread_id: int, user_id: int, now: datetime) -> bool:
        """A member posted in a thread; kept only for pair threads. True if it was one."""
        return (
            await self.db.execute(
                "INSERT INTO thread_activity (thread_id, user_id, last_posted_at) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM pairs WHERE thread_id = ?) "
                "ON CONFLICT (thread_id, user_id) DO UPDATE SET last_posted_at = excluded.last_posted_at",
                (thread_id, user_id, now.isoformat(), thread_id),
            )
            == 1
        )

    async def last_posted(self, thread_id: int, user_id: int) -> datetime | None:
        value = await self.db.fetchval(
            "SELECT last_posted_at FROM thread_activity WHERE thread_id = ? AND user_id = ?", (thread_id, user_id)
        )
        return datetime.fromisoformat(value) if value else None

    async def mark_inactive(self, pair_id: int, user_id: int, now: datetime) -> bool:
        """Record the inactive partner once; False if the pair already had one recorded or has ended."""
        return (
            await self.db.execute(
                "UPDATE pairs SET inactive_user_id = ?, inactive_at = ? "
                "WHERE id = ? AND status = 'active' AND inactive_user_id IS NULL",
                (user_id, now.isoformat(), pair_id),
            )
            == 1
        )

    async def set_priority(self, guild_id: int, user_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE match_profiles SET priority_since = ?, updated_at = ? WHERE guild_id = ? AND user_id = ?",
            (now.isoformat(), now.isoformat(), guild_id, user_id),
        )

    async def counts(self, guild_id: int) -> HealthCounts:
        asked = await self.db.fetchval(
            "SELECT COUNT(DISTINCT c.pair_id) FROM pair_checkins c JOIN pairs p ON p.id = c.pair_id "
            "WHERE p.guild_id = ?",
            (guild_id,),
        )
        met = await self.db.fetchval(
            "SELECT COUNT(DISTINCT c.pair_id) FROM pair_checkins c JOIN pairs p ON p.id = c.pair_id "
            "WHERE p.guild_id = ? AND c.answer = 'met'",
            (guild_id,),
        )
        inactive = await self.db.fetchval(
            "SELECT COUNT(*) FROM pairs WHERE guild_id = ? AND inactive_user_id IS NOT NULL", (guild_id,)
        )
        return HealthCounts(int(asked or 0), int(met or 0), int(inactive or 0))
