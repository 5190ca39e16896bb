"""Read-only queries the web process adds to the ones the bot already has (keyset pages, counts)."""

from __future__ import annotations

from datetime import date

from db.stores._store import Store
from db.stores.announcements import Announcement
from db.stores.topic_models import TOPIC_COLUMNS, Topic


class WebReadStore(Store):
    async def data_version(self) -> object:
        """A marker that changes whenever anything is committed, so an unchanged value means nothing read before can
        have changed. SQLite: PRAGMA data_version on the reading connection (it changes whenever another connection,
        the bot or this process's writer, commits). PostgreSQL has no such counter: the WAL insert position, which
        every commit moves forward before it becomes visible (on a standby, the position replayed); other writes to
        the server move it too, which costs only a cache miss."""
        if self.db.dialect == "postgres":
            return str(
                await self.db.fetchval(
                    "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                    "ELSE pg_current_wal_insert_lsn() END::text"
                )
            )
        return int(await self.db.fetchval("PRAGMA data_version") or 0)

    async def posted_announcements(
        self, guild_id: int, cohort_start: date, after_id: int, limit: int
    ) -> list[Announcement]:
        """Active announcements the bot posted in the channel, by id after `after_id` (a keyset page)."""
        return await self._rows(
            Announcement,
            "SELECT * FROM announcements WHERE guild_id = ? AND cohort_start = ? AND withdrawn_at IS NULL "
            "AND left_guild_at IS NULL AND message_id IS NOT NULL AND id > ? ORDER BY id LIMIT ?",
            (guild_id, cohort_start.isoformat(), after_id, limit),
        )

    async def cohort_members(self, guild_id: int, cohort_start: date) -> dict[int, tuple[str, bool]]:
        """{user_id: (display name, has an active announcement)} of everyone who announced this cohort."""
        rows = await self.db.fetchall(
            "SELECT user_id, display_name, MAX(CASE WHEN withdrawn_at IS NULL THEN 1 ELSE 0 END) AS active "
            "FROM announcements WHERE guild_id = ? AND cohort_start = ? GROUP BY user_id, display_name",
            (guild_id, cohort_start.isoformat()),
        )
        out: dict[int, tuple[str, bool]] = {}
        for r in rows:
            uid, active = int(r["user_id"]), bool(r["active"])
            if uid not in out or active:
                out[uid] = (r["display_name"] or "", active or out.get(uid, ("", False))[1])
        return out

    async def pair_counts(self, guild_id: int) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM pairs WHERE guild_id = ? GROUP BY status", (guild_id,)
        )
        counts = {"active": 0, "ended": 0}
        counts.update({r["status"]: int(r["n"]) for r in rows})
        return counts

    async def pending_topics(self, guild_id: int, limit: int = 50) -> list[Topic]:
        return await self._rows(
            Topic,
            f"SELECT {TOPIC_COLUMNS} FROM topics WHERE status = 'pending' AND guild_id = ? ORDER BY id LIMIT ?",
            (guild_id, limit),
        )

    async def topics_after(self, after_slug: str, limit: int, category: str | None = None) -> list[Topic]:
        """Approved topics by slug after `after_slug` (a keyset page), of one category if given."""
        where = "status = 'approved' AND slug > ?"
        params: list[object] = [after_slug]
        if category is not None:
            where += " AND category = ?"
            params.append(category)
        return await self._rows(
            Topic, f"SELECT {TOPIC_COLUMNS} FROM topics WHERE {where} ORDER BY slug LIMIT ?", (*params, limit)
        )
