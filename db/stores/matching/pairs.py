"""Partner matching store: pairs."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime

import aiosqlite

from db.errors import Conflict
from db.stores.matching.models import Block, CapacityReached, NewPair, Pair, RequestCounts, block_key
from db.stores.matching.profiles import ProfileStore


class PairStore(ProfileStore):
    """Pairs and blocks: capacity-checked pair inserts, ending pairs, blocks and their lifting."""

    async def create_round_pair(
        self, pair: NewPair, round_id: int, now: datetime, names: Mapping[int, str] | None = None
    ) -> Pair:
        """A pair chosen by a staff round, with the same capacity guards as an accepted request."""
        async with self.db.transaction() as conn:
            return await self._insert_pair(conn, pair, now, names or {}, origin="round", round_id=round_id)

    async def _insert_pair(
        self,
        conn: aiosqlite.Connection,
        pair: NewPair,
        now: datetime,
        names: Mapping[int, str],
        *,
        origin: str,
        request_id: int | None = None,
        round_id: int | None = None,
    ) -> Pair:
        async with conn.execute(
            "SELECT 1 FROM match_blocks WHERE guild_id = ? AND user_a = ? AND user_b = ?",
            (pair.guild_id, *block_key(pair.backend_id, pair.frontend_id)),
        ) as cur:
            if await cur.fetchone() is not None:
                raise Conflict(
                    "These two learners can't be paired: one of them blocked the other's requests, or they ended a "
                    "pairing before (staff can lift that with `/match unblock`)."
                )
        for user_id, cap in zip((pair.backend_id, pair.frontend_id), pair.caps, strict=True):
            cur = await conn.execute(
                "UPDATE match_profiles SET active_pairs = active_pairs + 1, updated_at = ?, priority_since = NULL, "
                "max_partners = CASE WHEN active_pairs + 1 > max_partners THEN active_pairs + 1 ELSE max_partners END "
                "WHERE guild_id = ? AND user_id = ? AND (active_pairs < max_partners "
                "OR (max_partners_chosen = 0 AND active_pairs < ?))",
                (now.isoformat(), pair.guild_id, user_id, min(cap, 5)),
            )
            if cur.rowcount != 1:
                name = names.get(user_id, f"<@{user_id}>")
                raise CapacityReached(
                    f"{name} already has as many partners as they asked for, so this pairing can't be made. "
                    "`/match suggest` shows who is still looking.",
                    user_id,
                )
        try:
            cur = await conn.execute(
                "INSERT INTO pairs (guild_id, backend_id, frontend_id, project, score, reasons, origin, round_id, "
                "request_id, created_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pair.guild_id,
                    pair.backend_id,
                    pair.frontend_id,
                    pair.project,
                    pair.score,
                    pair.reasons,
                    origin,
                    round_id,
                    request_id,
                    now.isoformat(),
                    pair.kind,
                ),
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc).upper():
                raise Conflict("You two are already partners; `/match status` shows your pair.") from None
            raise
        async with conn.execute("SELECT * FROM pairs WHERE id = ?", (cur.lastrowid,)) as rows:
            row = await rows.fetchone()
        assert row is not None
        return Pair.from_row(row)

    async def request_counts(self, guild_id: int) -> RequestCounts:
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM match_requests WHERE guild_id = ? GROUP BY status", (guild_id,)
        )
        by = {r["status"]: r["n"] for r in rows}
        return RequestCounts(by.get("pending", 0), by.get("accepted", 0), by.get("declined", 0), by.get("expired", 0))

    # --- pairs ------------------------------------------------------------------------------

    async def get_pair(self, pair_id: int) -> Pair | None:
        return await self._row(Pair, "SELECT * FROM pairs WHERE id = ?", (pair_id,))

    async def active_pairs_of(self, guild_id: int, user_id: int) -> list[Pair]:
        return await self._rows(
            Pair,
            "SELECT * FROM pairs WHERE guild_id = ? AND status = 'active' AND (backend_id = ? OR frontend_id = ?) "
            "ORDER BY created_at, id",
            (guild_id, user_id, user_id),
        )

    async def active_pairs(self, guild_id: int) -> list[Pair]:
        return await self._rows(
            Pair, "SELECT * FROM pairs WHERE guild_id = ? AND status = 'active' ORDER BY id", (guild_id,)
        )

    async def pairs_without_thread(self) -> list[Pair]:
        """Active pairs whose thread was never opened (the bot stopped right after the pair was committed).

        Round pairs whose job is still pending are left out: that job opens their thread."""
        return await self._rows(
            Pair,
            "SELECT * FROM pairs WHERE status = 'active' AND thread_id IS NULL AND NOT EXISTS ("
            "SELECT 1 FROM jobs WHERE jobs.dedupe_key = 'match-round-pair:' || pairs.id AND jobs.status = 'pending'"
            ") ORDER BY id",
        )

    async def active_pairs_in_thread(self, thread_id: int) -> list[Pair]:
        """The active pairs talking in a thread (a team thread holds several)."""
        return await self._rows(
            Pair, "SELECT * FROM pairs WHERE thread_id = ? AND status = 'active' ORDER BY id", (thread_id,)
        )

    async def pairs_with_thread(self) -> list[Pair]:
        return await self._rows(
            Pair, "SELECT * FROM pairs WHERE status = 'active' AND thread_id IS NOT NULL ORDER BY id"
        )

    async def thread_taken(self, thread_id: int) -> bool:
        """Whether some pair already has this thread (so a thread found by name is not adopted twice)."""
        return await self.db.fetchval("SELECT 1 FROM pairs WHERE thread_id = ?", (thread_id,)) is not None

    async def set_thread(self, pair_id: int, thread_id: int) -> None:
        await self.db.execute("UPDATE pairs SET thread_id = ? WHERE id = ?", (thread_id, pair_id))

    async def end_pair(self, pair_id: int, reason: str, now: datetime) -> Pair:
        """End an active pair: both are freed and never suggested to each other again."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE pairs SET status = 'ended', ended_at = ?, end_reason = ? WHERE id = ? AND status = 'active'",
                (now.isoformat(), reason, pair_id),
            )
            async with conn.execute("SELECT * FROM pairs WHERE id = ?", (pair_id,)) as rows:
                row = await rows.fetchone()
            if cur.rowcount != 1 or row is None:
                raise Conflict("That pairing has already ended; `/match status` shows your current partners.")
            pair = Pair.from_row(row)
            for user_id in pair.members:
                await conn.execute(
                    "UPDATE match_profiles SET active_pairs = active_pairs - 1, updated_at = ? "
                    "WHERE guild_id = ? AND user_id = ? AND active_pairs > 0",
                    (now.isoformat(), pair.guild_id, user_id),
                )
            await self._block(conn, pair.guild_id, pair.backend_id, pair.frontend_id, "unpaired", now)
        return pair

    # --- blocks -----------------------------------------------------------------------------

    @staticmethod
    async def _block(conn: aiosqlite.Connection, guild_id: int, a: int, b: int, reason: str, now: datetime) -> None:
        await conn.execute(
            "INSERT INTO match_blocks (guild_id, user_a, user_b, reason, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id, user_a, user_b) DO NOTHING",
            (guild_id, *block_key(a, b), reason, now.isoformat()),
        )

    async def block(self, guild_id: int, a: int, b: int, reason: str, now: datetime) -> None:
        async with self.db.transaction() as conn:
            await self._block(conn, guild_id, a, b, reason, now)

    async def blocked_pairs(self, guild_id: int, declined_since: datetime | None = None) -> set[frozenset[int]]:
        """Pairs never to suggest or match: blocks, and (given `declined_since`) two who declined since then."""
        rows = await self.db.fetchall("SELECT user_a, user_b FROM match_blocks WHERE guild_id = ?", (guild_id,))
        out = {frozenset((r["user_a"], r["user_b"])) for r in rows}
        if declined_since is not None:
            rows = await self.db.fetchall(
                "SELECT requester_id, addressee_id FROM match_requests WHERE guild_id = ? AND status = 'declined' "
                "AND decided_at >= ?",
                (guild_id, declined_since.isoformat()),
            )
            out |= {frozenset((r["requester_id"], r["addressee_id"])) for r in rows}
        return out

    async def blocks(self, guild_id: int, user_id: int | None = None) -> list[Block]:
        """Every block of the guild (or only those involving `user_id`), with who blocked."""
        if user_id is None:
            rows = await self.db.fetchall("SELECT * FROM match_blocks WHERE guild_id = ?", (guild_id,))
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM match_blocks WHERE guild_id = ? AND (user_a = ? OR user_b = ?)",
                (guild_id, user_id, user_id),
            )
        return [Block.from_row(r) for r in rows]

    async def declined_pairs(self, guild_id: int, since: datetime, user_id: int | None = None) -> set[frozenset[int]]:
        """Two learners one of whom declined the other's request since `since` (or only `user_id`'s)."""
        sql = (
            "SELECT requester_id, addressee_id FROM match_requests WHERE guild_id = ? AND status = 'declined' "
            "AND decided_at >= ?"
        )
        params: tuple[object, ...] = (guild_id, since.isoformat())
        if user_id is not None:
            sql += " AND (requester_id = ? OR addressee_id = ?)"
            params += (user_id, user_id)
        rows = await self.db.fetchall(sql, params)
        return {frozenset((r["requester_id"], r["addressee_id"])) for r in rows}

    async def get_block(self, guild_id: int, a: int, b: int) -> Block | None:
        return await self._row(
            Block,
            "SELECT * FROM match_blocks WHERE guild_id = ? AND user_a = ? AND user_b = ?",
            (guild_id, *block_key(a, b)),
        )

    async def block_reason(self, guild_id: int, a: int, b: int) -> str | None:
        block = await self.get_block(guild_id, a, b)
        return None if block is None else block.reason

    async def unblock(self, guild_id: int, a: int, b: int) -> Block | None:
        """Staff lift a block (a Block, or an ended pairing's); the lifted block, or None if there was none."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "DELETE FROM match_blocks WHERE guild_id = ? AND user_a = ? AND user_b = ? RETURNING *",
                (guild_id, *block_key(a, b)),
            ) as cur:
                row = await cur.fetchone()
        return Block.from_row(row) if row else None
