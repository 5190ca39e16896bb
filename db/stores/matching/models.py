"""Partner matching rows and the errors its store raises."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.errors import Conflict
from db.stores._values import FromRow, dataclass_from_row

# Columns `save_profile` may set; anything else is rejected before it reaches SQL.
PROFILE_FIELDS = frozenset(
    {"timezone", "availability_text", "availability", "offers", "wants", "max_partners", "max_partners_chosen"}
)


@functools.lru_cache(maxsize=4096)  # few distinct tag lists: kept profiles share one tuple each
def _tags(value: str) -> tuple[str, ...]:
    return tuple(t for t in (value or "").split(",") if t)


@dataclass(frozen=True, slots=True)  # kept by the thousand in the suggestion pools
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
    max_partners_chosen: bool = False  # set by the learner (a balanced round leaves it alone)
    priority_since: datetime | None = None  # their partner went inactive: first in the next round

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MatchProfile:
        return dataclass_from_row(
            cls,
            row,
            availability_json=row["availability"],
            offers=_tags(row["offers"]),
            wants=_tags(row["wants"]),
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
class MatchRequest(FromRow):
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

    def other(self, user_id: int) -> int:
        return self.addressee_id if user_id == self.requester_id else self.requester_id


@dataclass(frozen=True)
class Pair(FromRow):
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
    kind: str = "partner"  # partner | async (no shared hour) | buddy (same track: the other is absent)
    inactive_user_id: int | None = None  # a partner found inactive (pair health)
    inactive_at: datetime | None = None

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
    kind: str = "partner"
    # A balanced round's capacity for each of the two (0: their max_partners). A learner who did not choose
    # max_partners may be given up to this many partners; their max_partners is raised to what they got.
    caps: tuple[int, int] = (0, 0)


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
            summary=json.loads(row["summary"]) if row["summary"] else None,
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
class Block(FromRow):
    guild_id: int
    user_a: int
    user_b: int
    reason: str  # unpaired | blocked
    blocked_by: int | None
    created_at: datetime


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


def block_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


CLOSED_TEXT = {
    "accepted": "This request was already accepted.",
    "declined": "This request was declined.",
    "expired": "This request expired (requests last 72 hours); `/match suggest` shows who is looking now.",
    "cancelled": "This request was withdrawn.",
    # Closed because a pairing made it moot (an accept or a round) or a track change made it impossible.
    "cancelled:addressee_full": "You already have as many partners as you asked for, so this request was closed "
    "(`/match join max_partners:` takes more).",
    "cancelled:requester_full": "They found a partner meanwhile, so this request was closed.",
    "cancelled:paired_together": "You two are partners already.",
    "cancelled:track_changed": "This request was closed: one of you changed track, so you're no longer a pair.",
}
