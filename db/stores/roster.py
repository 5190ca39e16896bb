"""The learner roster the bot last saw, in the database for the web process (issue 18, on either engine).

Who holds a learner role is known only to the bot (from Discord's member list); the dashboard runs in another
process, maybe on another host. The bot replaces a server's snapshot in one transaction whenever it counts learners
for staff (`/nexus dashboard`, the daily digest); the web reads it like any other table, so its cache (keyed on the
database's change marker, `WebReadStore.data_version`) follows each new snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.stores._store import Store
from db.stores._values import iso

TRACKS = ("backend", "frontend")


@dataclass(frozen=True)
class RosterEntry:
    user_id: int
    name: str
    track: str | None


@dataclass(frozen=True)
class Roster:
    guild_id: int
    taken_at: datetime
    learners: tuple[RosterEntry, ...]

    def ids(self) -> set[int]:
        return {e.user_id for e in self.learners}


class RosterStore(Store):
    async def save(self, guild_id: int, learners: Mapping[int, tuple[str, str | None]], now: datetime) -> None:
        """Replace the server's snapshot: {user_id: (display name, track or None)}. `taken_at` only moves forward,
        so it names one snapshot (readers cache by it), even for two saves within one clock tick."""
        async with self.db.transaction() as conn:
            cur = await conn.execute("SELECT taken_at FROM roster_snapshots WHERE guild_id = ?", (guild_id,))
            previous = await cur.fetchone()
            moment = now
            if previous is not None and datetime.fromisoformat(str(previous[0])) >= now:
                moment = datetime.fromisoformat(str(previous[0])) + timedelta(microseconds=1)
            at = iso(moment)
            rows = [
                (guild_id, uid, name, track if track in TRACKS else None, at) for uid, (name, track) in learners.items()
            ]
            await conn.execute(
                "INSERT INTO roster_snapshots (guild_id, taken_at) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET taken_at = excluded.taken_at",
                (guild_id, at),
            )
            await conn.execute("DELETE FROM roster_learners WHERE guild_id = ?", (guild_id,))
            if rows:
                await conn.executemany(
                    "INSERT INTO roster_learners (guild_id, user_id, display_name, track, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )

    async def taken_at(self, guild_id: int) -> str | None:
        """When the server's snapshot was taken (stored text), None before the first: a cheap change check."""
        return await self.db.fetchval("SELECT taken_at FROM roster_snapshots WHERE guild_id = ?", (guild_id,))

    async def get(self, guild_id: int) -> Roster | None:
        """The server's last snapshot (learners by user id), None before the bot first counted them."""
        # One statement, so the time and the learners come from the same snapshot even while the bot replaces it.
        rows = await self.db.fetchall(
            "SELECT s.taken_at, l.user_id, l.display_name, l.track FROM roster_snapshots s "
            "LEFT JOIN roster_learners l ON l.guild_id = s.guild_id WHERE s.guild_id = ? ORDER BY l.user_id",
            (guild_id,),
        )
        if not rows:
            return None
        learners = tuple(
            RosterEntry(int(r["user_id"]), str(r["display_name"]), r["track"]) for r in rows if r["user_id"] is not None
        )
        return Roster(guild_id, datetime.fromisoformat(str(rows[0]["taken_at"])), learners)
