"""Partner matching store: requests."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from db.errors import NotFound
from db.stores.jobs import JobStore
from db.stores.matching.models import (
    CLOSED_TEXT,
    MatchRequest,
    MootRequest,
    NewPair,
    NewProfile,
    Pair,
    RequestClosed,
    RequestHistory,
    block_key,
)
from db.stores.matching.pairs import PairStore

# `cancel_reason` of a request whose re-ask cooldown staff lifted (`/match unblock`); a withdrawn one keeps saying so.
COOLDOWN_LIFTED = "cooldown_lifted"
WITHDRAWN_LIFTED = "withdrawn_cooldown_lifted"


class RequestStore(PairStore):
    """Partner requests: created under the limits, answered, expired, withdrawn."""

    # --- requests ---------------------------------------------------------------------------

    async def create_request(
        self,
        guild_id: int,
        requester_id: int,
        addressee_id: int,
        source: str,
        now: datetime,
        expires_at: datetime,
        *,
        check: Callable[[RequestHistory], None] | None = None,
        since: datetime | None = None,
    ) -> MatchRequest | None:
        """A new pending request; None if the same request is already pending.

        `check` reads the requester's history since `since` and raises to refuse; it runs in the insert's
        transaction, so two requests sent at once can't both slip under a limit.
        """
        try:
            async with self.db.transaction() as conn:
                if check is not None:
                    check(await self._history(conn, guild_id, requester_id, addressee_id, now, since or now))
                cur = await conn.execute(
                    "INSERT INTO match_requests (guild_id, requester_id, addressee_id, source, created_at, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (guild_id, requester_id, addressee_id, source, now.isoformat(), expires_at.isoformat()),
                )
                request_id = cur.lastrowid
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc).upper():
                return None
            raise
        assert request_id is not None
        request = await self.get_request(request_id)
        assert request is not None
        return request

    async def request_history(
        self, guild_id: int, requester_id: int, addressee_id: int, now: datetime, since: datetime
    ) -> RequestHistory:
        async with self.db.transaction() as conn:
            return await self._history(conn, guild_id, requester_id, addressee_id, now, since)

    @staticmethod
    async def _history(
        conn: aiosqlite.Connection, guild_id: int, requester_id: int, addressee_id: int, now: datetime, since: datetime
    ) -> RequestHistory:
        async def requests(sql: str, params: tuple[Any, ...]) -> list[MatchRequest]:
            async with conn.execute(sql, params) as cur:
                return [MatchRequest.from_row(r) for r in await cur.fetchall()]

        mine = await requests(
            "SELECT * FROM match_requests WHERE guild_id = ? AND requester_id = ? "
            "AND (created_at >= ? OR status = 'pending') ORDER BY created_at, id",
            (guild_id, requester_id, since.isoformat()),
        )
        between = await requests(
            "SELECT * FROM match_requests WHERE guild_id = ? AND decided_at >= ? AND "
            "((requester_id = ? AND addressee_id = ?) OR (requester_id = ? AND addressee_id = ?)) "
            "AND status IN ('declined', 'expired', 'cancelled') ORDER BY decided_at, id",
            (guild_id, since.isoformat(), requester_id, addressee_id, addressee_id, requester_id),
        )
        live = [r for r in mine if r.status == "pending" and r.expires_at > now]
        # Staff's /match unblock lifts the cooldown (`lift_cooldown` marks the requests `cooldown_lifted`).
        declines = [r for r in between if r.status == "declined" and r.cancel_reason != COOLDOWN_LIFTED]
        lapses = [
            r
            for r in between
            if r.requester_id == requester_id
            and (
                (r.status == "expired" and r.cancel_reason != COOLDOWN_LIFTED)
                or (r.status == "cancelled" and r.cancel_reason == "withdrawn")
            )
        ]
        return RequestHistory(
            pending_to_them=next((r for r in live if r.addressee_id == addressee_id), None),
            pending_expiries=tuple(sorted(r.expires_at for r in live)),
            sent_at=tuple(r.created_at for r in mine if r.created_at >= since and r.cancel_reason != "undelivered"),
            last_decline=declines[-1] if declines else None,
            last_lapse=lapses[-1] if lapses else None,
        )

    async def close_requests(
        self, request_ids: Iterable[int], reason: str, moot_job: str, payload: Mapping[str, Any], now: datetime
    ) -> list[int]:
        """Cancel these pending requests (`cancel_reason` = `reason`), each with a `moot_job` to tell its
        requester, in one transaction; the ids that were still pending."""
        closed: list[int] = []
        async with self.db.transaction() as conn:
            for request_id in request_ids:
                cur = await conn.execute(
                    "UPDATE match_requests SET status = 'cancelled', decided_at = ?, cancel_reason = ? "
                    "WHERE id = ? AND status = 'pending'",
                    (now.isoformat(), reason, request_id),
                )
                if cur.rowcount != 1:
                    continue
                await conn.execute(
                    "UPDATE jobs SET status = 'cancelled' WHERE dedupe_key = ? AND status = 'pending'",
                    (f"match-expire:{request_id}",),
                )
                job = {**payload, "request_id": request_id, "reason": reason}
                await JobStore.insert(conn, moot_job, now, job, now, f"match-request-moot:{request_id}")
                closed.append(request_id)
        return closed

    async def lift_cooldown(self, guild_id: int, a: int, b: int) -> int:
        """Staff lift the re-ask cooldown between two learners: their declined, expired and withdrawn requests
        (either way round) stop counting for it. Returns how many requests were marked."""
        pair = (a, b, b, a)
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE match_requests SET cancel_reason = ? WHERE guild_id = ? "
                "AND ((requester_id = ? AND addressee_id = ?) OR (requester_id = ? AND addressee_id = ?)) "
                "AND (status IN ('declined', 'expired') AND cancel_reason IS NULL)",
                (COOLDOWN_LIFTED, guild_id, *pair),
            )
            lifted = cur.rowcount
            cur = await conn.execute(
                "UPDATE match_requests SET cancel_reason = ? WHERE guild_id = ? "
                "AND ((requester_id = ? AND addressee_id = ?) OR (requester_id = ? AND addressee_id = ?)) "
                "AND status = 'cancelled' AND cancel_reason = 'withdrawn'",
                (WITHDRAWN_LIFTED, guild_id, *pair),
            )
            return int(lifted + cur.rowcount)

    async def get_request(self, request_id: int) -> MatchRequest | None:
        return await self._row(MatchRequest, "SELECT * FROM match_requests WHERE id = ?", (request_id,))

    async def pending_between(self, guild_id: int, requester_id: int, addressee_id: int) -> MatchRequest | None:
        return await self._row(
            MatchRequest,
            "SELECT * FROM match_requests WHERE guild_id = ? AND requester_id = ? AND addressee_id = ? "
            "AND status = 'pending'",
            (guild_id, requester_id, addressee_id),
        )

    async def pending_for(self, guild_id: int, user_id: int) -> list[MatchRequest]:
        """Pending requests the learner sent or received, oldest first."""
        return await self._rows(
            MatchRequest,
            "SELECT * FROM match_requests WHERE guild_id = ? AND status = 'pending' "
            "AND (requester_id = ? OR addressee_id = ?) ORDER BY created_at, id",
            (guild_id, user_id, user_id),
        )

    async def set_request_message(self, request_id: int, channel_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE match_requests SET channel_id = ?, message_id = ? WHERE id = ?",
            (channel_id, message_id, request_id),
        )

    async def cancel_request(self, request_id: int, now: datetime, reason: str = "undelivered") -> bool:
        return (
            await self.db.execute(
                "UPDATE match_requests SET status = 'cancelled', decided_at = ?, cancel_reason = ? "
                "WHERE id = ? AND status = 'pending'",
                (now.isoformat(), reason, request_id),
            )
            == 1
        )

    async def expire_request(self, request_id: int, now: datetime) -> bool:
        """Mark a pending request expired once its time is up; False if it was decided meanwhile."""
        return (
            await self.db.execute(
                "UPDATE match_requests SET status = 'expired', decided_at = ? "
                "WHERE id = ? AND status = 'pending' AND expires_at <= ?",
                (now.isoformat(), request_id, now.isoformat()),
            )
            == 1
        )

    async def decline_request(self, request_id: int, addressee_id: int, now: datetime) -> MatchRequest:
        """Decline (only the addressee). Not a block: either may ask again once the re-ask cooldown is over."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE match_requests SET status = 'declined', decided_at = ? "
                "WHERE id = ? AND addressee_id = ? AND status = 'pending' AND expires_at > ?",
                (now.isoformat(), request_id, addressee_id, now.isoformat()),
            )
            request = await self._request_in(conn, request_id)
            if cur.rowcount != 1:
                raise self._closed(request, now)
        return request

    async def block_requester(self, request_id: int, addressee_id: int, now: datetime) -> tuple[MatchRequest, bool]:
        """The addressee's "don't ask me again": the requester can't ask them (nor be matched with them) until
        staff lift it. A pending request is declined too; returns (request, whether it was pending)."""
        async with self.db.transaction() as conn:
            request = await self._request_in(conn, request_id)
            if request.addressee_id != addressee_id:
                raise NotFound("This request no longer exists.")
            cur = await conn.execute(
                "UPDATE match_requests SET status = 'declined', decided_at = ? WHERE id = ? AND status = 'pending'",
                (now.isoformat(), request_id),
            )
            await conn.execute(
                "INSERT INTO match_blocks (guild_id, user_a, user_b, reason, blocked_by, created_at) "
                "VALUES (?, ?, ?, 'blocked', ?, ?) ON CONFLICT (guild_id, user_a, user_b) "
                "DO UPDATE SET reason = 'blocked', blocked_by = excluded.blocked_by, created_at = excluded.created_at",
                (request.guild_id, *block_key(request.requester_id, addressee_id), addressee_id, now.isoformat()),
            )
            return await self._request_in(conn, request_id), cur.rowcount == 1

    @staticmethod
    async def _request_in(conn: aiosqlite.Connection, request_id: int) -> MatchRequest:
        async with conn.execute("SELECT * FROM match_requests WHERE id = ?", (request_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise NotFound("This request no longer exists.")
        return MatchRequest.from_row(row)

    @staticmethod
    def _closed(request: MatchRequest, now: datetime) -> RequestClosed:
        status = request.status
        if status == "pending" and request.expires_at <= now:
            status = "expired"
        text = CLOSED_TEXT.get(f"{status}:{request.cancel_reason}") or CLOSED_TEXT.get(status)
        return RequestClosed(text or "This request can't be answered any more.", status)

    async def accept_request(
        self,
        request_id: int,
        addressee_id: int,
        pair: NewPair,
        now: datetime,
        *,
        default_profiles: Iterable[NewProfile] = (),
        names: Mapping[int, str] | None = None,
        moot_job: str | None = None,
    ) -> Pair:
        """Accept and create the pair in one transaction; raises RequestClosed / CapacityReached / Conflict.

        Learners who never opted in get `default_profiles` first (accepting is opting in). With `moot_job`, pending
        requests the new pair makes moot are closed in the same transaction, with a job of that kind for each.
        """
        async with self.db.transaction() as conn:
            for profile in default_profiles:
                await self._insert_profile(conn, profile, now)
            cur = await conn.execute(
                "UPDATE match_requests SET status = 'accepted', decided_at = ? "
                "WHERE id = ? AND addressee_id = ? AND status = 'pending' AND expires_at > ?",
                (now.isoformat(), request_id, addressee_id, now.isoformat()),
            )
            if cur.rowcount != 1:
                raise self._closed(await self._request_in(conn, request_id), now)
            made = await self._insert_pair(conn, pair, now, names or {}, origin="request", request_id=request_id)
            if moot_job is not None:
                # As a round does: the learners' other requests this pairing makes moot close, each told by a job.
                for m in await self._close_moot_requests(conn, [made], now):
                    payload = {"request_id": m.request.id, "reason": m.reason, "via": "request"}
                    await JobStore.insert(conn, moot_job, now, payload, now, f"match-request-moot:{m.request.id}")
            return made

    async def _close_moot_requests(
        self, conn: aiosqlite.Connection, made: Sequence[Pair], now: datetime
    ) -> list[MootRequest]:
        """Pending requests between two learners just paired together, or from/to one now at capacity."""
        if not made:
            return []
        guild_id = made[0].guild_id
        touched = sorted({uid for p in made for uid in p.members})
        together = {frozenset(p.members) for p in made}
        marks = ", ".join("?" for _ in touched)
        async with conn.execute(
            f"SELECT user_id FROM match_profiles WHERE guild_id = ? AND user_id IN ({marks}) "
            "AND active_pairs >= max_partners",
            (guild_id, *touched),
        ) as cur:
            full = {r[0] for r in await cur.fetchall()}
        async with conn.execute(
            f"SELECT * FROM match_requests WHERE guild_id = ? AND status = 'pending' "
            f"AND (requester_id IN ({marks}) OR addressee_id IN ({marks})) ORDER BY id",
            (guild_id, *touched, *touched),
        ) as cur:
            pending = [MatchRequest.from_row(r) for r in await cur.fetchall()]
        out: list[MootRequest] = []
        for request in pending:
            if frozenset((request.requester_id, request.addressee_id)) in together:
                reason = "paired_together"
            elif request.addressee_id in full:
                reason = "addressee_full"
            elif request.requester_id in full:
                reason = "requester_full"
            else:
                continue
            await conn.execute(
                "UPDATE match_requests SET status = 'cancelled', decided_at = ?, cancel_reason = ? "
                "WHERE id = ? AND status = 'pending'",
                (now.isoformat(), reason, request.id),
            )
            await conn.execute(
                "UPDATE jobs SET status = 'cancelled' WHERE dedupe_key = ? AND status = 'pending'",
                (f"match-expire:{request.id}",),
            )
            out.append(MootRequest(request, reason))
        return out
