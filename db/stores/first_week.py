"""The first week's bookkeeping: reminder preferences, the reminder DM log and the digest log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from db.stores._store import Store
from db.stores._values import optional_datetime


@dataclass(frozen=True)
class ReminderRecord:
    guild_id: int
    user_id: int
    cohort_start: date
    kind: str
    status: str
    detail: str | None
    at: datetime


class FirstWeekStore(Store):
    """Reminder preferences, the reminder DM log and the digest log."""

    async def set_reminders(self, guild_id: int, user_id: int, enabled: bool, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO reminder_prefs (guild_id, user_id, enabled, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) "
            "DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
            (guild_id, user_id, int(enabled), now.isoformat()),
        )

    async def reminders_enabled(self, guild_id: int, user_id: int) -> bool:
        value = await self.db.fetchval(
            "SELECT enabled FROM reminder_prefs WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return value is None or bool(value)

    async def opted_out(self, guild_id: int) -> set[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM reminder_prefs WHERE guild_id = ? AND enabled = 0", (guild_id,)
        )
        return {r["user_id"] for r in rows}

    async def claim_reminder(self, guild_id: int, user_id: int, cohort_start: date, kind: str, now: datetime) -> bool:
        """Reserve the one attempt at this reminder; False if it was already attempted."""
        return (
            await self.db.execute(
                "INSERT INTO reminder_log (guild_id, user_id, cohort_start, kind, status, at) "
                "VALUES (?, ?, ?, ?, 'sending', ?) ON CONFLICT DO NOTHING",
                (guild_id, user_id, cohort_start.isoformat(), kind, now.isoformat()),
            )
            == 1
        )

    async def finish_reminder(
        self,
        guild_id: int,
        user_id: int,
        cohort_start: date,
        kind: str,
        status: str,
        now: datetime,
        detail: str | None = None,
    ) -> None:
        await self.db.execute(
            "UPDATE reminder_log SET status = ?, detail = ?, at = ? "
            "WHERE guild_id = ? AND user_id = ? AND cohort_start = ? AND kind = ?",
            (
                status,
                detail[:300] if detail else None,
                now.isoformat(),
                guild_id,
                user_id,
                cohort_start.isoformat(),
                kind,
            ),
        )

    async def failed_dm_users(self, guild_id: int, cohort_start: date) -> set[int]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT user_id FROM reminder_log WHERE guild_id = ? AND cohort_start = ? AND status = 'failed'",
            (guild_id, cohort_start.isoformat()),
        )
        return {r["user_id"] for r in rows}

    async def reminders(self, guild_id: int, cohort_start: date | None = None) -> list[ReminderRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM reminder_log WHERE guild_id = ? AND (CAST(? AS TEXT) IS NULL OR cohort_start = ?) "
            "ORDER BY at, user_id",
            (guild_id, *(2 * [cohort_start.isoformat() if cohort_start else None])),
        )
        return [
            ReminderRecord(
                r["guild_id"],
                r["user_id"],
                date.fromisoformat(r["cohort_start"]),
                r["kind"],
                r["status"],
                r["detail"],
                datetime.fromisoformat(r["at"]),
            )
            for r in rows
        ]

    async def claim_digest(self, guild_id: int, day: date, cohort_start: date, now: datetime) -> bool:
        """Reserve the one digest of `day`; False if it was already posted (or being posted)."""
        return (
            await self.db.execute(
                "INSERT INTO digest_log (guild_id, day, cohort_start, posted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (guild_id, day.isoformat(), cohort_start.isoformat(), now.isoformat()),
            )
            == 1
        )

    async def set_digest_message(self, guild_id: int, day: date, message_id: int) -> None:
        await self.db.execute(
            "UPDATE digest_log SET message_id = ? WHERE guild_id = ? AND day = ?",
            (message_id, guild_id, day.isoformat()),
        )

    async def previous_digest_at(self, guild_id: int, cohort_start: date, before_day: date) -> datetime | None:
        value = await self.db.fetchval(
            "SELECT MAX(posted_at) FROM digest_log WHERE guild_id = ? AND cohort_start = ? AND day < ?",
            (guild_id, cohort_start.isoformat(), before_day.isoformat()),
        )
        return optional_datetime(value)

    async def digest_days(self, guild_id: int) -> list[date]:
        rows = await self.db.fetchall("SELECT day FROM digest_log WHERE guild_id = ? ORDER BY day", (guild_id,))
        return [date.fromisoformat(r["day"]) for r in rows]
