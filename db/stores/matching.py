"""Partner matching: profiles, requests, pairs, blocks and staff rounds (migration 0003).

Capacity is never checked by reading then writing: every pair creation increments both learners'
`active_pairs` with a conditional UPDATE (`active_pairs < max_partners`, rowcount checked) inside the
same transaction as the pair INSERT, and the unique indexes on `pairs` are the last guard.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from db.database import Database
from db.errors import Conflict, InvalidInput, NotFound
from db.stores._values import dataclass_from_row, optional_datetime
from db.stores.jobs import JobStore

# Columns `save_profile` may set; anything else is rejected before it reaches SQL.
PROFILE_FIELDS = frozenset({"timezone", "availability_text", "availability", "offers", "wants", "max_partners"})


def _tags(value: str) -> tuple[str, ...]:
    return tuple(t for t in (value or "").split(",") if t)


@dataclass(frozen=True)
class MatchProfile:
    guild_id: int
    user_id: int
    timezone: str
    availability_text: str
    availability_json: str
    offers: tuple[str, ...]
    wants: tuple[str, ...]
    max_partners: int
    active_pairs: int
    status: str
    paused_until: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MatchProfile:
        return dataclass_from_row(
            cls,
            row,
            availability_json=row["availability"],
            offers=_tags(row["offers"]),
            wants=_tags(row["wants"]),
            paused_until=optional_datetime(row["paused_until"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    def is_paused(self, now: datetime) -> bool:
        return self.status == "paused" and (self.paused_until is None or self.paused_until > now)

    def is_looking(self, now: datetime) -> bool:
        """Opted in, not paused (a pause ends by itself at `paused_until`), and with a free slot."""
        return self.status != "left" and not self.is_paused(now) and self.active_pairs < self.max_partners

    @property
    def free_slots(self) -> int:
        return max(0, self.max_partners - self.active_pairs)


@dataclass(frozen=True)
class NewProfile:
    """A profile as first created (by /match join, or by default when a learner requests or accepts)."""

    guild_id: int
    user_id: int
    timezone: str
    availability_text: str
    availability_json: str
    offers: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()
    max_partners: int = 1


@dataclass(frozen=True)
class MatchRequest:
    id: int
    guild_id: int
    requester_id: int
    addressee_id: int
    status: str
    source: str
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    channel_id: int | None
    message_id: int | None
    cancel_reason: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MatchRequest:
        return dataclass_from_row(
            cls,
            row,
            created_at=datetime.fromisoformat(row["created_at"]),
            expires_at=datetime.fromisoformat(row["expires_at"]),
            decided_at=optional_datetime(row["decided_at"]),
        )

    def other(self, user_id: int) -> int:
        return self.addressee_id if user_id == self.requester_id else self.requester_id


@dataclass(frozen=True)
class Pair:
    id: int
    guild_id: int
    backend_id: int
    frontend_id: int
    project: str
    score: int | None
    reasons: str
    origin: str
    round_id: int | None
    request_id: int | None
    thread_id: int | None
    status: str
    created_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Pair:
        return dataclass_from_row(
            cls,
            row,
            created_at=datetime.fromisoformat(row["created_at"]),
            ended_at=optional_datetime(row["ended_at"]),
        )

    def partner_of(self, user_id: int) -> int:
        return self.frontend_id if user_id == self.backend_id else self.backend_id

    @property
    def members(self) -> tuple[int, int]:
        return (self.backend_id, self.frontend_id)


@dataclass(frozen=True)
class NewPair:
    guild_id: int
    backend_id: int
    frontend_id: int
    project: str
    score: int | None
    reasons: str


@dataclass(frozen=True)
class MatchRound:
    id: int
    guild_id: int
    project: str | None
    started_by: int
    dry_run: bool
    status: str
    summary: dict[str, Any] | None
    started_at: datetime
    finished_at: datetime | None
    number: int | None = None  # real rounds that committed their pairs only (see migration 0006)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MatchRound:
        return dataclass_from_row(
            cls,
            row,
            dry_run=bool(row["dry_run"]),
            summary=json.loads(row["summary"]) if row["summary"] else None,
            started_at=datetime.fromisoformat(row["started_at"]),
            finished_at=optional_datetime(row["finished_at"]),
        )


@dataclass(frozen=True)
class RequestHistory:
    """What the request limits read about a new request, in the transaction that inserts it.

    Everything is since `since` (the caller's longest look-back), so old history costs nothing.
    """

    pending_to_them: MatchRequest | None  # the same request, still waiting (answered by the unique index)
    pending_expiries: tuple[datetime, ...]  # the requester's requests still waiting, soonest expiry first
    sent_at: tuple[datetime, ...]  # when the requester sent each request since `since`, oldest first
    last_decline: MatchRequest | None  # the latest decline between the two, either way round
    last_lapse: MatchRequest | None  # the requester's latest request to them that expired or was withdrawn


@dataclass(frozen=True)
class Block:
    guild_id: int
    user_a: int
    user_b: int
    reason: str  # unpaired | blocked
    blocked_by: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Block:
        return dataclass_from_row(cls, row, created_at=datetime.fromisoformat(row["created_at"]))


@dataclass(frozen=True)
class RoundJobs:
    """Job kinds a committed round schedules with its pairs (handlers live in the matching cog)."""

    pair: str  # one per pair: thread, intro, both DMs
    unmatched: str  # one per learner left without a partner: their reason by DM
    moot: str  # one per pending request the round made moot: close its message, tell the requester
    summary: str  # one per round: the public summary


@dataclass(frozen=True)
class MootRequest:
    request: MatchRequest
    reason: str  # paired_together | requester_full | addressee_full


@dataclass(frozen=True)
class RoundOutcome:
    round: MatchRound
    pairs: list[Pair]
    skipped: list[NewPair]  # a learner's slot was taken (a request accepted) while the round ran
    unmatched: dict[int, str]
    moot: list[MootRequest]
    job_ids: list[int]


# Builds the stored summary and the final unmatched reasons from the pairs made and those skipped.
RoundSummarizer = Callable[[list[Pair], list[NewPair]], tuple[dict[str, Any], dict[int, str]]]


@dataclass(frozen=True)
class RequestCounts:
    pending: int
    accepted: int
    declined: int
    expired: int


class CapacityReached(Conflict):
    """One of the two learners already has as many partners as they asked for."""

    def __init__(self, message: str, user_id: int) -> None:
        super().__init__(message)
        self.user_id = user_id


class RequestClosed(Conflict):
    """The request is no longer pending (accepted, declined, expired or cancelled)."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


def _block_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


_CLOSED_TEXT = {
    "accepted": "This request was already accepted.",
    "declined": "This request was declined.",
    "expired": "This request expired (requests last 72 hours); `/match suggest` shows who is looking now.",
    "cancelled": "This request was withdrawn.",
}


class MatchingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- profiles ---------------------------------------------------------------------------

    async def get_profile(self, guild_id: int, user_id: int) -> MatchProfile | None:
        row = await self.db.fetchone(
            "SELECT * FROM match_profiles WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return MatchProfile.from_row(row) if row else None

    async def profiles(self, guild_id: int, user_ids: Iterable[int] | None = None) -> list[MatchProfile]:
        rows = await self.db.fetchall("SELECT * FROM match_profiles WHERE guild_id = ? ORDER BY user_id", (guild_id,))
        wanted = None if user_ids is None else set(user_ids)
        return [MatchProfile.from_row(r) for r in rows if wanted is None or r["user_id"] in wanted]

    async def join(self, new: NewProfile, now: datetime, **changes: Any) -> MatchProfile:
        """Opt in (again): create the profile from `new` or update only `changes`; status becomes active."""
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise ValueError(f"not a profile field: {sorted(unknown)}")
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
        declines = [r for r in between if r.status == "declined"]
        lapses = [
            r
            for r in between
            if r.requester_id == requester_id
            and (r.status == "expired" or (r.status == "cancelled" and r.cancel_reason == "withdrawn"))
        ]
        return RequestHistory(
            pending_to_them=next((r for r in live if r.addressee_id == addressee_id), None),
            pending_expiries=tuple(sorted(r.expires_at for r in live)),
            sent_at=tuple(r.created_at for r in mine if r.created_at >= since and r.cancel_reason != "undelivered"),
            last_decline=declines[-1] if declines else None,
            last_lapse=lapses[-1] if lapses else None,
        )

    async def get_request(self, request_id: int) -> MatchRequest | None:
        row = await self.db.fetchone("SELECT * FROM match_requests WHERE id = ?", (request_id,))
        return MatchRequest.from_row(row) if row else None

    async def pending_between(self, guild_id: int, requester_id: int, addressee_id: int) -> MatchRequest | None:
        row = await self.db.fetchone(
            "SELECT * FROM match_requests WHERE guild_id = ? AND requester_id = ? AND addressee_id = ? "
            "AND status = 'pending'",
            (guild_id, requester_id, addressee_id),
        )
        return MatchRequest.from_row(row) if row else None

    async def pending_for(self, guild_id: int, user_id: int) -> list[MatchRequest]:
        """Pending requests the learner sent or received, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM match_requests WHERE guild_id = ? AND status = 'pending' "
            "AND (requester_id = ? OR addressee_id = ?) ORDER BY created_at, id",
            (guild_id, user_id, user_id),
        )
        return [MatchRequest.from_row(r) for r in rows]

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
                (request.guild_id, *_block_key(request.requester_id, addressee_id), addressee_id, now.isoformat()),
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
        return RequestClosed(_CLOSED_TEXT.get(status, "This request can't be answered any more."), status)

    async def accept_request(
        self,
        request_id: int,
        addressee_id: int,
        pair: NewPair,
        now: datetime,
        *,
        default_profiles: Iterable[NewProfile] = (),
        names: Mapping[int, str] | None = None,
    ) -> Pair:
        """Accept and create the pair in one transaction; raises RequestClosed / CapacityReached / Conflict.

        Learners who never opted in get `default_profiles` first (accepting is opting in).
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
            return await self._insert_pair(conn, pair, now, names or {}, origin="request", request_id=request_id)

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
            (pair.guild_id, *_block_key(pair.backend_id, pair.frontend_id)),
        ) as cur:
            if await cur.fetchone() is not None:
                raise Conflict(
                    "These two learners can't be paired: one of them blocked the other's requests, or they ended a "
                    "pairing before (staff can lift that with `/match unblock`)."
                )
        for user_id in (pair.backend_id, pair.frontend_id):
            cur = await conn.execute(
                "UPDATE match_profiles SET active_pairs = active_pairs + 1, updated_at = ? "
                "WHERE guild_id = ? AND user_id = ? AND active_pairs < max_partners",
                (now.isoformat(), pair.guild_id, user_id),
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
                "request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        row = await self.db.fetchone("SELECT * FROM pairs WHERE id = ?", (pair_id,))
        return Pair.from_row(row) if row else None

    async def active_pairs_of(self, guild_id: int, user_id: int) -> list[Pair]:
        rows = await self.db.fetchall(
            "SELECT * FROM pairs WHERE guild_id = ? AND status = 'active' AND (backend_id = ? OR frontend_id = ?) "
            "ORDER BY created_at, id",
            (guild_id, user_id, user_id),
        )
        return [Pair.from_row(r) for r in rows]

    async def active_pairs(self, guild_id: int) -> list[Pair]:
        rows = await self.db.fetchall(
            "SELECT * FROM pairs WHERE guild_id = ? AND status = 'active' ORDER BY id", (guild_id,)
        )
        return [Pair.from_row(r) for r in rows]

    async def pairs_without_thread(self) -> list[Pair]:
        """Active pairs whose thread was never opened (the bot stopped right after the pair was committed).

        Round pairs whose job is still pending are left out: that job opens their thread."""
        rows = await self.db.fetchall(
            "SELECT * FROM pairs WHERE status = 'active' AND thread_id IS NULL AND NOT EXISTS ("
            "SELECT 1 FROM jobs WHERE jobs.dedupe_key = 'match-round-pair:' || pairs.id AND jobs.status = 'pending'"
            ") ORDER BY id"
        )
        return [Pair.from_row(r) for r in rows]

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
            (guild_id, *_block_key(a, b), reason, now.isoformat()),
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

    async def get_block(self, guild_id: int, a: int, b: int) -> Block | None:
        row = await self.db.fetchone(
            "SELECT * FROM match_blocks WHERE guild_id = ? AND user_a = ? AND user_b = ?",
            (guild_id, *_block_key(a, b)),
        )
        return Block.from_row(row) if row else None

    async def block_reason(self, guild_id: int, a: int, b: int) -> str | None:
        block = await self.get_block(guild_id, a, b)
        return None if block is None else block.reason

    async def unblock(self, guild_id: int, a: int, b: int) -> Block | None:
        """Staff lift a block (a Block, or an ended pairing's); the lifted block, or None if there was none."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "DELETE FROM match_blocks WHERE guild_id = ? AND user_a = ? AND user_b = ? RETURNING *",
                (guild_id, *_block_key(a, b)),
            ) as cur:
                row = await cur.fetchone()
        return Block.from_row(row) if row else None

    # --- rounds -----------------------------------------------------------------------------

    async def start_round(
        self, guild_id: int, project: str | None, started_by: int, dry_run: bool, now: datetime
    ) -> MatchRound:
        """Open a round; the partial unique index refuses a second running round in the guild."""
        try:
            round_id = await self.db.insert(
                "INSERT INTO match_rounds (guild_id, project, started_by, dry_run, started_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, project, started_by, int(dry_run), now.isoformat()),
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc).upper():
                raise Conflict(
                    "A matching round is already running in this server; wait for its summary, then try again."
                ) from None
            raise
        found = await self.get_round(round_id)
        assert found is not None
        return found

    async def finish_round(self, round_id: int, status: str, summary: dict[str, Any], now: datetime) -> None:
        await self.db.execute(
            "UPDATE match_rounds SET status = ?, summary = ?, finished_at = ? WHERE id = ? AND status = 'running'",
            (status, json.dumps(summary), now.isoformat(), round_id),
        )

    async def commit_round(
        self,
        round_id: int,
        pairs: Sequence[NewPair],
        summarize: RoundSummarizer,
        jobs: RoundJobs,
        now: datetime,
        names: Mapping[int, str] | None = None,
    ) -> RoundOutcome:
        """A round's pairs, its number, its summary and every side effect (as jobs) in ONE transaction.

        A kill before the commit leaves no pair (the round is marked failed at the next start, a rerun starts
        over); after it, the jobs finish the round. Pending requests the new pairs make moot are closed here too.
        """
        made: list[Pair] = []
        skipped: list[NewPair] = []
        job_ids: list[int] = []
        async with self.db.transaction() as conn:
            for new in pairs:
                await conn.execute("SAVEPOINT round_pair")
                try:
                    pair = await self._insert_pair(conn, new, now, names or {}, origin="round", round_id=round_id)
                except Conflict:
                    # Someone accepted a request while the round ran: their slot is gone, skip this pair.
                    await conn.execute("ROLLBACK TO round_pair")
                    skipped.append(new)
                else:
                    made.append(pair)
                await conn.execute("RELEASE round_pair")
            summary, unmatched = summarize(made, skipped)
            async with conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM match_rounds WHERE guild_id = "
                "(SELECT guild_id FROM match_rounds WHERE id = ?)",
                (round_id,),
            ) as cur:
                row = await cur.fetchone()
            number = int(row[0]) if row else 1
            cur = await conn.execute(
                "UPDATE match_rounds SET status = 'done', number = ?, summary = ?, finished_at = ? "
                "WHERE id = ? AND status = 'running'",
                (number, json.dumps(summary), now.isoformat(), round_id),
            )
            if cur.rowcount != 1:
                raise Conflict("This matching round was interrupted; run `/match run` again.")
            moot = await self._close_moot_requests(conn, made, now)
            for pair in made:
                payload: dict[str, Any] = {"round_id": round_id, "pair_id": pair.id}
                job_ids.append(await self._job(conn, jobs.pair, payload, now, f"match-round-pair:{pair.id}"))
            for user_id, reason in unmatched.items():
                payload = {"round_id": round_id, "user_id": user_id, "reason": reason}
                key = f"match-round-unmatched:{round_id}:{user_id}"
                job_ids.append(await self._job(conn, jobs.unmatched, payload, now, key))
            for m in moot:
                payload = {"request_id": m.request.id, "reason": m.reason}
                job_ids.append(await self._job(conn, jobs.moot, payload, now, f"match-request-moot:{m.request.id}"))
            summary_key = f"match-round-summary:{round_id}"
            job_ids.append(await self._job(conn, jobs.summary, {"round_id": round_id}, now, summary_key))
        found = await self.get_round(round_id)
        assert found is not None
        return RoundOutcome(found, made, skipped, unmatched, moot, job_ids)

    @staticmethod
    async def _job(conn: aiosqlite.Connection, kind: str, payload: dict[str, Any], now: datetime, key: str) -> int:
        job_id = await JobStore.insert(conn, kind, now, payload, now, key)
        assert job_id is not None, key
        return job_id

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
                "UPDATE match_requests SET status = 'cancelled', decided_at = ? WHERE id = ? AND status = 'pending'",
                (now.isoformat(), request.id),
            )
            await conn.execute(
                "UPDATE jobs SET status = 'cancelled' WHERE dedupe_key = ? AND status = 'pending'",
                (f"match-expire:{request.id}",),
            )
            out.append(MootRequest(request, reason))
        return out

    async def round_pairs(self, round_id: int) -> list[Pair]:
        rows = await self.db.fetchall("SELECT * FROM pairs WHERE round_id = ? ORDER BY id", (round_id,))
        return [Pair.from_row(r) for r in rows]

    async def next_round_number(self, guild_id: int) -> int:
        value = await self.db.fetchval(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM match_rounds WHERE guild_id = ?", (guild_id,)
        )
        return int(value or 1)

    async def last_real_round(self, guild_id: int) -> MatchRound | None:
        """The latest real round that committed (the one `/nexus export what:unmatched` reads)."""
        row = await self.db.fetchone(
            "SELECT * FROM match_rounds WHERE guild_id = ? AND number IS NOT NULL ORDER BY number DESC LIMIT 1",
            (guild_id,),
        )
        return MatchRound.from_row(row) if row else None

    async def pairs_for_export(self, guild_id: int) -> list[tuple[Pair, int | None]]:
        """Every pair of the guild (active and ended) with the number of the round that made it, if any."""
        rows = await self.db.fetchall(
            "SELECT pairs.*, match_rounds.number AS round_number FROM pairs "
            "LEFT JOIN match_rounds ON match_rounds.id = pairs.round_id WHERE pairs.guild_id = ? ORDER BY pairs.id",
            (guild_id,),
        )
        return [(Pair.from_row(r), r["round_number"]) for r in rows]

    async def get_round(self, round_id: int) -> MatchRound | None:
        row = await self.db.fetchone("SELECT * FROM match_rounds WHERE id = ?", (round_id,))
        return MatchRound.from_row(row) if row else None

    async def last_round(self, guild_id: int) -> MatchRound | None:
        row = await self.db.fetchone(
            "SELECT * FROM match_rounds WHERE guild_id = ? ORDER BY id DESC LIMIT 1", (guild_id,)
        )
        return MatchRound.from_row(row) if row else None

    async def fail_stale_rounds(self, now: datetime) -> int:
        """Rounds left 'running' by a crash would block every later round; close them on start."""
        return await self.db.execute(
            "UPDATE match_rounds SET status = 'failed', finished_at = ?, summary = ? WHERE status = 'running'",
            (now.isoformat(), json.dumps({"error": "interrupted by a restart"})),
        )
