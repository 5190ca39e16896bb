"""Pair health (issue 14, part 2): check-ins after pairing, inactive partners, a new partner for the active one.

Discord-free. Every pair with a thread gets a check-in on day 3 and day 10 after pairing (stored jobs, so a
restart neither skips nor repeats one); each partner answers for themselves (We've met / Not yet / My partner
hasn't answered). Seven days after a check-in, a partner who has posted nothing in the thread for 7 days and
left that check-in unanswered is inactive (the bot sees who posts, never what: no Message Content intent);
the other partner, if active, is offered a new partner: the pairing ends with reason ``inactive`` and they go
first in the next round. Counts (met rate, inactive pairs, and the API contracts' counts) are for /match stats and
the daily digest (`figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.scheduler import PlannedJob
from bot.services.contracts.service import ContractCounts, ContractService
from bot.services.matching.service import MatchingService, Pair
from db.database import Database
from db.stores.pair_health import Checkin, HealthCounts, PairHealthStore

__all__ = [
    "ANSWERS",
    "CHECKIN_DAYS",
    "CHECKIN_JOB",
    "END_REASON",
    "INACTIVE_AFTER",
    "INACTIVITY_JOB",
    "HealthCounts",
    "Inactive",
    "PairHealthService",
    "PairStatus",
    "PartnerFigures",
    "PlannedJob",
    "inactive_members",
    "met_rate_text",
]

CHECKIN_DAYS = (3, 10)
INACTIVE_AFTER = timedelta(days=7)
CHECKIN_JOB = "pair_checkin"
INACTIVITY_JOB = "pair_inactivity"
END_REASON = "inactive"
ANSWERS = {"met": "We've met", "not_yet": "Not yet", "silent": "My partner hasn't answered"}
_REPLIES = {
    "met": "Great — noted that you've met. Keep the thread going: it's where your partner finds you.",
    "not_yet": "Noted: not yet. Book a first session in your shared time (`/session create`), or say hi here.",
    "silent": "Noted, thank you. If your partner stays silent for a week, I'll offer you a new partner.",
}


@dataclass(frozen=True)
class PartnerFigures:
    """What /match stats and the digest show about partners: pair health and, from issue 15, API contracts."""

    health: HealthCounts
    contracts: ContractCounts


@dataclass(frozen=True)
class PairStatus:
    """How a pair is doing, for staff: its kind, each partner's latest check-in answer, and one state."""

    pair_id: int
    kind: str  # partner | async | buddy
    state: str  # one of STATES
    day: int | None  # the latest check-in's day (None: none asked yet)
    answers: dict[int, str | None]  # member → their answer to that check-in (a code of ANSWERS; None: no answer)
    inactive_id: int | None

    @property
    def needs_attention(self) -> bool:
        return self.state in ("inactive partner", "no thread yet")


# The states a pair can be in, in the order a staff member should look at them.
STATES = ("inactive partner", "no thread yet", "not met yet", "no check-in yet", "met")


def pair_status(pair: Pair, checkins: Sequence[Checkin]) -> PairStatus:
    """A pair's state from its check-ins: an inactive partner first; "met" once either partner said so."""
    mine = [c for c in checkins if c.pair_id == pair.id]
    day = max((c.day for c in mine), default=None)
    answers = {c.user_id: c.answer for c in mine if c.day == day}
    if pair.inactive_user_id is not None:
        state = "inactive partner"
    elif any(c.answer == "met" for c in mine):
        state = "met"
    elif pair.thread_id is None:
        state = "no thread yet"
    elif day is None:
        state = "no check-in yet"
    else:
        state = "not met yet"
    return PairStatus(pair.id, pair.kind, state, day, answers, pair.inactive_user_id)


@dataclass(frozen=True)
class Inactive:
    """A pair with an inactive partner: who went silent, and who is offered a new partner (None: both did)."""

    pair: Pair
    inactive_id: int
    active_id: int | None


def inactive_members(
    pair: Pair, checkins: Sequence[Checkin], last_posts: dict[int, datetime | None], day: int, now: datetime
) -> list[int]:
    """Members who posted nothing in the thread for `INACTIVE_AFTER` and left the day's check-in unanswered."""
    out = []
    for uid in pair.members:
        unanswered = any(c.user_id == uid and c.day == day and c.answer is None for c in checkins)
        last = last_posts.get(uid)
        quiet = last is None or last <= now - INACTIVE_AFTER
        if unanswered and quiet:
            out.append(uid)
    return out


# How fresh "last posted in the thread" is kept; inactivity needs 7 days of silence.
POST_RESOLUTION = timedelta(hours=1)


class PairHealthService:
    def __init__(self, db: Database, clock: Clock, matching: MatchingService, contracts: ContractService) -> None:
        self.clock = clock
        self.store = PairHealthStore(db)
        self.matching = matching
        self.contracts = contracts
        # (thread, member) → when their post was last written: a chatty thread costs one write an hour, not one
        # per message (inactivity is judged in days).
        self._posts_written: dict[tuple[int, int], datetime] = {}

    def checkin_jobs(self, pair: Pair) -> list[PlannedJob]:
        """The pair's check-ins (day 3 and day 10 after pairing), to schedule (idempotent by dedupe key)."""
        return [
            PlannedJob(
                CHECKIN_JOB,
                pair.created_at + timedelta(days=day),
                {"pair_id": pair.id, "day": day},
                f"pair-checkin:{pair.id}:{day}",
            )
            for day in CHECKIN_DAYS
        ]

    async def checkin_due(self, pair_id: int) -> Pair | None:
        """The pair if its check-in should still be posted (active, with a thread)."""
        pair = await self.matching.get_pair(pair_id)
        return pair if pair is not None and pair.status == "active" and pair.thread_id else None

    async def asked(self, pair: Pair, day: int, at: datetime) -> PlannedJob:
        """The day's check-in was posted `at`: the open questions are stored; the inactivity check to schedule."""
        now = at
        await self.store.ask(pair, day, now)
        return PlannedJob(
            INACTIVITY_JOB,
            now + INACTIVE_AFTER,
            {"pair_id": pair.id, "day": day},
            f"pair-inactivity:{pair.id}:{day}",
        )

    async def answer(self, pair_id: int, day: int, user_id: int, answer: str) -> str:
        """A partner's own answer to a check-in; the text of the (ephemeral) reply."""
        if answer not in ANSWERS:
            raise InvalidInput(f"Pick one of: {', '.join(ANSWERS.values())}.")
        pair = await self.matching.get_pair(pair_id)
        if pair is None:
            raise NotFound("This pairing no longer exists.")
        if user_id not in pair.members:
            raise Forbidden("This check-in is for the two partners named in it: each answers for themselves.")
        if pair.status != "active":
            raise Conflict("This pairing has ended, so there is nothing to check in on; `/match status` shows yours.")
        if not await self.store.answer(pair.id, day, user_id, answer, self.clock.now()):
            raise NotFound(
                "I have no check-in for you on that day; the latest one in this thread is the one to answer."
            )
        return _REPLIES[answer]

    async def inactivity(self, pair_id: int, day: int) -> Inactive | None:
        """Seven days after a check-in: the pair's inactive partner (recorded once), or None if all is well."""
        pair = await self.matching.get_pair(pair_id)
        if pair is None or pair.status != "active" or not pair.thread_id:
            return None
        now = self.clock.now()
        checkins = await self.store.checkins(pair.id)
        posts = {uid: await self.store.last_posted(pair.thread_id, uid) for uid in pair.members}
        quiet = inactive_members(pair, checkins, posts, day, now)
        if not quiet:
            return None
        inactive = quiet[0]
        active = pair.partner_of(inactive) if len(quiet) == 1 else None
        if not await self.store.mark_inactive(pair.id, inactive, now):
            return None
        return Inactive(pair, inactive, active)

    async def rematch(self, pair_id: int, user_id: int) -> Pair:
        """ "Find me a new partner": the active partner ends the pairing (reason `inactive`) and goes first in the
        next round."""
        pair = await self.matching.get_pair(pair_id)
        if pair is None or pair.status != "active":
            raise Conflict("This pairing has already ended; `/match status` shows where you stand.")
        if user_id not in pair.members or pair.inactive_user_id in (None, user_id):
            raise Forbidden("Only the partner who kept going can ask for a new partner here.")
        ended = await self.matching.unpair(pair, END_REASON)
        await self.store.set_priority(pair.guild_id, user_id, self.clock.now())
        return ended

    async def record_post(self, thread_id: int, user_id: int) -> None:
        """Someone posted in a thread (author only); kept for pair threads, at most once per `POST_RESOLUTION`."""
        now, key = self.clock.now(), (thread_id, user_id)
        last = self._posts_written.get(key)
        if last is not None and timedelta(0) <= now - last < POST_RESOLUTION:
            return
        if len(self._posts_written) > 100_000:
            self._posts_written.clear()
        await self.store.record_post(thread_id, user_id, now)
        self._posts_written[key] = now

    async def statuses(self, pairs: Sequence[Pair]) -> dict[int, PairStatus]:
        """{pair id: status} of the given pairs, read in one pass (the staff dashboard's pair table)."""
        checkins = await self.store.checkins_of([p.id for p in pairs])
        by_pair: dict[int, list[Checkin]] = {}
        for c in checkins:
            by_pair.setdefault(c.pair_id, []).append(c)
        return {p.id: pair_status(p, by_pair.get(p.id, [])) for p in pairs}

    async def counts(self, guild_id: int) -> HealthCounts:
        return await self.store.counts(guild_id)

    async def figures(self, guild_id: int) -> PartnerFigures:
        """One read for /match stats and the digest: met rate, inactive pairs, contracts published, needs met."""
        return PartnerFigures(await self.store.counts(guild_id), await self.contracts.counts(guild_id))


def met_rate_text(counts: HealthCounts) -> str:
    """`3 of 4 pairs (75%)` for /match stats and the digest; a dash before any check-in."""
    if counts.asked == 0:
        return "— (no check-in yet)"
    return f"{counts.met} of {counts.asked} pairs ({100 * counts.met / counts.asked:.0f}%)"
