"""Partner matching store: profiles."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import aiosqlite

from db.errors import InvalidInput, NotFound
from db.stores._store import Store
from db.stores._values import RowMemo, built_in_slices
from db.stores.matching.models import PROFILE_FIELDS, MatchProfile, MatchRequest, NewProfile

# Every profile of a guild, read for each suggestion pool: unchanged rows give back the same objects.
_profile_of: RowMemo[MatchProfile] = RowMemo(
    MatchProfile.from_row,
    ident=lambda row: row["user_id"],
    shared=("guild_id", "timezone", "availability_text", "availability", "status"),
)
PROFILES_PER_QUERY = 900  # user ids bound per query (SQLite's default limit is 32,766; old builds 999)


class ProfileStore(Store):
    """Match profiles: join, leave, pause."""

    # --- profiles ---------------------------------------------------------------------------

    async def get_profile(self, guild_id: int, user_id: int) -> MatchProfile | None:
        return await self._row(
            MatchProfile, "SELECT * FROM match_profiles WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )

    async def profiles(self, guild_id: int, user_ids: Iterable[int] | None = None) -> list[MatchProfile]:
        if user_ids is None:
            rows = await self.db.fetchall(
                "SELECT * FROM match_profiles WHERE guild_id = ? ORDER BY user_id", (guild_id,)
            )
            return await built_in_slices(rows, MatchProfile.from_row)
        # Only the rows asked for (a suggestion pool's thousand of a cohort's five thousand, in slices within
        # SQLite's limits); the pool keeps them, so unchanged rows come back as the same objects.
        wanted = sorted(set(user_ids))
        out: list[MatchProfile] = []
        for start in range(0, len(wanted), PROFILES_PER_QUERY):
            part = wanted[start : start + PROFILES_PER_QUERY]
            out.extend(
                await self._kept_rows(
                    _profile_of,
                    f"SELECT * FROM match_profiles WHERE guild_id = ? AND user_id IN ({','.join('?' * len(part))}) "
                    "ORDER BY user_id",
                    (guild_id, *part),
                )
            )
        return out

    async def join(self, new: NewProfile, now: datetime, **changes: Any) -> MatchProfile:
        """Opt in (again): create the profile from `new` or update only `changes`; status becomes active."""
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise ValueError(f"not a profile field: {sorted(unknown)}")
        if "max_partners" in changes:
            changes = {**changes, "max_partners_chosen": 1}
        stored = {k: (",".join(v) if k in ("offers", "wants") else v) for k, v in changes.items()}
        sets = "".join(f", {c} = ?" for c in stored)
        try:
            async with self.db.transaction() as conn:
                await self._insert_profile(conn, new, now)
                await conn.execute(
                    f"UPDATE match_profiles SET status = 'active', paused_until = NULL, updated_at = ?{sets} "
                    "WHERE guild_id = ? AND user_id = ?",
                    (now.isoformat(), *stored.values(), new.guild_id, new.user_id),
                )
        except sqlite3.IntegrityError as exc:
            if "CHECK" in str(exc).upper():
                current = await self.get_profile(new.guild_id, new.user_id)
                have = current.active_pairs if current else 0
                raise InvalidInput(
                    f"You have {have} partner(s) right now, so `max_partners` can't go below {have}; "
                    "end a pairing with `/match unpair` first."
                ) from None
            raise
        profile = await self.get_profile(new.guild_id, new.user_id)
        assert profile is not None
        return profile

    @staticmethod
    async def _insert_profile(conn: aiosqlite.Connection, new: NewProfile, now: datetime) -> bool:
        cur = await conn.execute(
            "INSERT INTO match_profiles (guild_id, user_id, timezone, availability_text, availability, offers, "
            "wants, max_partners, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO NOTHING",
            (
                new.guild_id,
                new.user_id,
                new.timezone,
                new.availability_text,
                new.availability_json,
                ",".join(new.offers),
                ",".join(new.wants),
                new.max_partners,
                now.isoformat(),
                now.isoformat(),
            ),
        )
        return cur.rowcount == 1

    async def ensure_profile(self, new: NewProfile, now: datetime) -> MatchProfile:
        """The learner's profile, created with defaults if they never opted in (status untouched otherwise)."""
        async with self.db.transaction() as conn:
            await self._insert_profile(conn, new, now)
        profile = await self.get_profile(new.guild_id, new.user_id)
        assert profile is not None
        return profile

    async def leave(self, guild_id: int, user_id: int, now: datetime) -> list[MatchRequest]:
        """Opt out; pending requests from or to the learner are cancelled (and returned, to update messages)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE match_profiles SET status = 'left', paused_until = NULL, updated_at = ? "
                "WHERE guild_id = ? AND user_id = ? AND status <> 'left'",
                (now.isoformat(), guild_id, user_id),
            )
            if cur.rowcount != 1:
                raise NotFound("You are not opted in to partner matching; `/match join` opts you in.")
            async with conn.execute(
                "SELECT * FROM match_requests WHERE guild_id = ? AND status = 'pending' "
                "AND (requester_id = ? OR addressee_id = ?)",
                (guild_id, user_id, user_id),
            ) as rows:
                cancelled = [MatchRequest.from_row(r) for r in await rows.fetchall()]
            # Leaving withdraws the learner's own requests: asking the same people again waits out the cooldown.
            await conn.execute(
                "UPDATE match_requests SET status = 'cancelled', decided_at = ?, "
                "cancel_reason = CASE WHEN requester_id = ? THEN 'withdrawn' ELSE 'addressee_left' END "
                "WHERE guild_id = ? AND status = 'pending' AND (requester_id = ? OR addressee_id = ?)",
                (now.isoformat(), user_id, guild_id, user_id, user_id),
            )
        return cancelled

    async def pause(self, guild_id: int, user_id: int, until: datetime, now: datetime) -> MatchProfile:
        count = await self.db.execute(
            "UPDATE match_profiles SET status = 'paused', paused_until = ?, updated_at = ? "
            "WHERE guild_id = ? AND user_id = ? AND status <> 'left'",
            (until.isoformat(), now.isoformat(), guild_id, user_id),
        )
        if count != 1:
            raise NotFound("You are not opted in to partner matching; `/match join` opts you in first.")
        profile = await self.get_profile(guild_id, user_id)
        assert profile is not None
        return profile
