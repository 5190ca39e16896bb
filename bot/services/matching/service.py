"""The matching feature's application layer: one operation per user action, discord-free.

`MatchingService` owns the matching and announcement stores it reads, the suggestion pool cache and the
rules. "May A pair with B?" is decided in ONE place, :meth:`MatchingService.check_requestable` (tracks,
project, blocks, existing pair, opt-out, pause, capacity, a waiting reverse request); the request limits
(cooldowns, pending and daily caps, `request_limits.check`) run inside the request's insert transaction.
Cohort-wide exclusions (blocks, recent declines, current pairs) for suggestions and rounds come from
:meth:`MatchingService.excluded_pairs`. Names and membership come through a `MemberDirectory`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.clock import Clock
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.services import pairing, request_limits
from bot.services.catalog import CatalogService
from bot.services.directory import MemberDirectory
from bot.services.matching.pools import PoolCache
from bot.services.matching.reasons import Unmatched, UnmatchedCode
from bot.services.matching.scoring import Learner, ScoreBreakdown, score_pair
from bot.services.matching.solving import MatchResult, optimal_matching
from bot.services.text import user_text
from bot.services.tracks import TRACK_NAMES
from db.database import Database
from db.stores.announcements import Announcement, AnnouncementStore, ListFilter
from db.stores.catalog import CatalogProject
from db.stores.guild_settings import GuildSettings
from db.stores.jobs import Job
from db.stores.matching import (
    Block,
    MatchingStore,
    MatchProfile,
    MatchRequest,
    MatchRound,
    NewPair,
    NewProfile,
    Pair,
    RequestCounts,
    RoundJobs,
    RoundOutcome,
)

# Store types the cog renders are re-exported here: cogs never import db.stores.
__all__ = [
    "ANNOUNCEMENTS_MAX",
    "POOL_TTL",
    "AcceptedPair",
    "Announcement",
    "Block",
    "CatalogProject",
    "GuildSettings",
    "Job",
    "Left",
    "MatchProfile",
    "MatchRequest",
    "MatchRound",
    "MatchingService",
    "MatchingStore",
    "NewPair",
    "NewProfile",
    "Pair",
    "RequestDraft",
    "RoundJobs",
    "RoundPlan",
    "Someone",
]

# Seconds a suggestion pool is reused. Blocks and your own pairs are re-read on every call; a candidate who
# filled up meanwhile is refused clearly when asked, and matching writes clear the pools at once.
POOL_TTL = 15.0
POOL_BUILD_SLICE = 100  # learners built per turn of the event loop (pool)
ANNOUNCEMENTS_MAX = 10_000


def esc(text: str) -> str:
    """Member-typed text as shown in content and embeds: markdown and mentions inert."""
    return user_text(text)


@dataclass(frozen=True)
class Someone:
    """A learner as matching sees them: announcement, profile (if opted in) and their Learner."""

    user_id: int
    name: str
    announcement: Announcement
    project: CatalogProject | None
    profile: MatchProfile | None
    learner: Learner

    @property
    def is_custom(self) -> bool:
        return bool(self.project and self.project.is_custom)

    @property
    def project_label(self) -> str:
        return pairing.project_label(self.announcement, self.project.name if self.project else None, self.is_custom)

    @property
    def track(self) -> str:
        return TRACK_NAMES.get(self.announcement.track, self.announcement.track)

    def context(self) -> pairing.PairContext:
        return pairing.PairContext(self.learner, self.project_label, self.announcement.title, f"<@{self.user_id}>")


@dataclass(frozen=True)
class RequestDraft:
    """A stored pending request the cog must deliver (DM, else the channel), then report back."""

    request: MatchRequest
    me: Someone
    them: Someone


@dataclass(frozen=True)
class AcceptedPair:
    """An accepted request: the new pair (its thread still to open) and both learners."""

    pair: Pair
    me: Someone  # the addressee, who accepted
    them: Someone
    backend: Someone
    frontend: Someone
    breakdown: ScoreBreakdown


@dataclass(frozen=True)
class Left:
    """/match leave: the requests it withdrew (their messages to close) and the pairs that stay."""

    cancelled: list[MatchRequest]
    pairs_kept: int


@dataclass(frozen=True)
class RoundPlan:
    """A solved (not yet committed) round: who was in the pool and the pairs the solver chose."""

    pool: list[Someone]
    announcements: list[Announcement]
    result: MatchResult
    not_opted_in: int


# A learner whose round pair could not be made because a request was accepted meanwhile.
SLOT_TAKEN = Unmatched(UnmatchedCode.SLOT_TAKEN)


def name_in(directory: MemberDirectory, user_id: int, fallback: str = "") -> str:
    """The member's display name; else the stored name; else a mention (rendered, never pings)."""
    return directory.display_name(user_id) or fallback or f"<@{user_id}>"


class MatchingService:
    def __init__(self, db: Database, clock: Clock, catalog: CatalogService) -> None:
        self.clock = clock
        self.store = MatchingStore(db)
        self.announcements = AnnouncementStore(db)
        self.catalog = catalog
        # (guild, project, track) → candidates, built once at a time (pools.py)
        self._pools: PoolCache[list[Someone]] = PoolCache(POOL_TTL)

    # --- opting in and out ---------------------------------------------------------------------------

    async def leave(self, guild_id: int, user_id: int) -> Left:
        """Opt out: not suggested nor matched; pending requests either way are withdrawn, pairs stay."""
        self.forget_pools()
        cancelled = await self.store.leave(guild_id, user_id, self.clock.now())
        kept = len(await self.store.active_pairs_of(guild_id, user_id))
        return Left(cancelled, kept)

    async def pause(self, guild_id: int, user_id: int, until: str) -> datetime:
        """Pause until a day (`YYYY-MM-DD`, in the learner's zone); returns when it ends (UTC)."""
        now = self.clock.now()
        profile = await self.store.get_profile(guild_id, user_id)
        if profile is None or profile.status == "left":
            raise NotFound("You are not opted in to partner matching; `/match join` opts you in.")
        resume = pairing.parse_pause_until(until.split(" ")[0], profile.timezone, now)
        self.forget_pools()
        await self.store.pause(guild_id, user_id, resume, now)
        return resume

    # --- who is who ------------------------------------------------------------------------------

    async def someone(
        self,
        directory: MemberDirectory,
        cohort_start: date,
        user_id: int,
        now: datetime,
        catalog: dict[str, CatalogProject] | None = None,
        *,
        me: bool,
    ) -> Someone:
        """The learner's announcement and profile; without an announcement, a clear error."""
        announcement = await self.announcements.active_for(directory.guild_id, cohort_start, user_id)
        name = name_in(directory, user_id, announcement.display_name if announcement else "")
        if announcement is None:
            if me:
                raise NotFound(
                    "Matching uses your project and track from your announcement, and you haven't announced yet: "
                    "run `/project announce` first, then try again."
                )
            raise NotFound(
                f"{esc(name)} hasn't announced a project yet, so I can't tell what they build; "
                "ask them to run `/project announce`."
            )
        catalog = catalog if catalog is not None else await self.catalog.by_key()
        project = catalog.get(announcement.project_key)
        profile = await self.store.get_profile(directory.guild_id, user_id)
        basis: MatchProfile | NewProfile = profile or pairing.default_profile(
            directory.guild_id, user_id, announcement, now
        )
        learner = pairing.build_learner(basis, announcement, bool(project and project.is_custom), now, name)
        return Someone(user_id, name, announcement, project, profile, learner)

    async def pool(
        self,
        directory: MemberDirectory,
        cohort_start: date,
        now: datetime,
        project_key: str | None = None,
        track: str | None = None,
        *,
        include_paused: bool = False,
    ) -> tuple[list[Someone], list[Announcement]]:
        """Opted-in learners looking for a partner (with an announcement, still in the server), plus every
        active announcement of the cohort (for counts)."""
        announcements = await self.announcements.page(
            directory.guild_id,
            cohort_start,
            ListFilter(project_key=project_key, track=track),
            limit=ANNOUNCEMENTS_MAX,
            offset=0,
        )
        by_user = {a.user_id: a for a in announcements if a.left_guild_at is None}
        catalog = await self.catalog.by_key()
        out: list[Someone] = []
        for n, profile in enumerate(await self.store.profiles(directory.guild_id, by_user), 1):
            if n % POOL_BUILD_SLICE == 0:
                await asyncio.sleep(0)  # a thousand learners take ~20 ms: let acknowledgements through between slices
            announcement = by_user[profile.user_id]
            if not (include_paused or profile.is_looking(now)) or not directory.is_member(profile.user_id):
                continue
            project = catalog.get(announcement.project_key)
            is_custom = bool(project and project.is_custom)
            name = name_in(directory, profile.user_id, announcement.display_name)
            learner = pairing.build_learner(profile, announcement, is_custom, now, name)
            out.append(Someone(profile.user_id, name, announcement, project, profile, learner))
        return out, announcements

    async def candidates(
        self, directory: MemberDirectory, cohort_start: date, now: datetime, project_key: str, track: str
    ) -> list[Someone]:
        """The pool for suggestions: one project and track, cached briefly (see `POOL_TTL`)."""
        found = await self._pools.get(
            (directory.guild_id, project_key, track),
            lambda: self._looking_pool(directory, cohort_start, now, project_key, track),
        )
        # Pauses end with the clock, not with the cache: decide who is looking now.
        return [s for s in found if s.profile is not None and s.profile.is_looking(now)]

    async def _looking_pool(
        self, directory: MemberDirectory, cohort_start: date, now: datetime, project_key: str, track: str
    ) -> list[Someone]:
        found, _ = await self.pool(directory, cohort_start, now, project_key, track, include_paused=True)
        return found

    async def announced(self, guild_id: int, cohort_start: date) -> list[Announcement]:
        """Every active announcement of the cohort (for /match stats)."""
        return await self.announcements.page(guild_id, cohort_start, ListFilter(), limit=ANNOUNCEMENTS_MAX, offset=0)

    def forget_pools(self) -> None:
        self._pools.clear()

    # --- may A pair with B? ----------------------------------------------------------------------

    async def excluded_pairs(self, guild_id: int, now: datetime, user_id: int | None = None) -> set[frozenset[int]]:
        """Pairs a suggestion or a round must not propose: blocks, declines within the cooldown, and current
        pairs (all of the guild's, or only `user_id`'s)."""
        blocked = await self.store.blocked_pairs(guild_id, declined_since=now - request_limits.REASK_COOLDOWN)
        pairs = (
            await self.store.active_pairs(guild_id)
            if user_id is None
            else await self.store.active_pairs_of(guild_id, user_id)
        )
        return blocked | {frozenset(p.members) for p in pairs}

    async def check_requestable(self, guild_id: int, me: Someone, them: Someone, now: datetime) -> None:
        """The one decision whether `me` may ask `them` to pair: raises the user's reason if not.

        Tracks and project, blocks, an existing pair, opt-out, pause, capacity on both sides, and a request
        the other way already waiting. (The request limits run in the request's transaction.)
        """
        problem = pairing.request_problem(
            me.announcement, them.announcement, me.is_custom, them.is_custom, esc(them.name)
        )
        if problem:
            raise InvalidInput(problem)
        block = await self.store.get_block(guild_id, me.user_id, them.user_id)
        if block is not None:
            if block.blocked_by == them.user_id:
                raise Conflict(
                    f"{esc(them.name)} asked not to get partner requests from you. "
                    "`/match suggest` shows other good partners."
                )
            if block.blocked_by == me.user_id:
                raise Conflict(
                    f"You blocked partner requests from {esc(them.name)}. If you've changed your mind, ask staff "
                    "to lift it (`/match unblock`)."
                )
            raise Conflict(
                f"You and {esc(them.name)} ended a pairing before, so you can't be paired again unless staff lift "
                "it (`/match unblock`). `/match suggest` shows other learners."
            )
        if any(
            p.partner_of(me.user_id) == them.user_id for p in await self.store.active_pairs_of(guild_id, me.user_id)
        ):
            raise Conflict(f"You and {esc(them.name)} are already partners; `/match status` shows your pair.")
        if me.profile is not None and me.profile.status == "left":
            raise Conflict("You left partner matching; `/match join` opts you in again first.")
        pairing.ensure_capacity(me.profile, "You")
        if them.profile is not None:
            if them.profile.status == "left":
                raise Conflict(f"{esc(them.name)} left partner matching; `/match suggest` shows who is looking.")
            if them.profile.is_paused(now) and them.profile.paused_until is not None:
                back = f"<t:{int(them.profile.paused_until.timestamp())}:D>"
                raise Conflict(f"{esc(them.name)} paused matching until {back}; ask them then, or try someone else.")
            pairing.ensure_capacity(them.profile, esc(them.name))
        reverse = await self.store.pending_between(guild_id, them.user_id, me.user_id)
        if reverse is not None:
            raise Conflict(
                f"{esc(them.name)} already asked you! Answer their request (in your DMs, or in the project channel) "
                "with **Accept**."
            )

    # --- requests ----------------------------------------------------------------------------------

    async def request(
        self, directory: MemberDirectory, cohort_start: date, requester_id: int, target_id: int, source: str
    ) -> RequestDraft:
        """A partner request from `requester_id` to `target_id` (/match request or a Pair with me press):
        checked, limited and stored pending; the cog delivers it and reports back."""
        now = self.clock.now()
        catalog = await self.catalog.by_key()
        me = await self.someone(directory, cohort_start, requester_id, now, catalog, me=True)
        them = await self.someone(directory, cohort_start, target_id, now, catalog, me=False)
        await self.check_requestable(directory.guild_id, me, them, now)
        guild_id = directory.guild_id
        await self.store.ensure_profile(pairing.default_profile(guild_id, me.user_id, me.announcement, now), now)
        request = await self.store.create_request(
            guild_id,
            me.user_id,
            target_id,
            source,
            now,
            now + pairing.REQUEST_TTL,
            check=lambda history: request_limits.check(history, now, esc(them.name), me.user_id),
            since=now - request_limits.LOOKBACK,
        )
        if request is None:
            existing = await self.store.pending_between(guild_id, me.user_id, target_id)
            when = f" It expires <t:{int(existing.expires_at.timestamp())}:R>." if existing else ""
            raise Conflict(f"You already asked {esc(them.name)}; give them time to answer.{when}")
        return RequestDraft(request, me, them)

    async def pair_target(self, announcement_id: int, presser_id: int) -> int:
        """Whom a Pair with me press on announcement `announcement_id` asks (its announcer), or why not."""
        announcement = await self.announcements.get(announcement_id)
        if announcement is None or not announcement.active:
            raise NotFound("This announcement was withdrawn; browse current ones with `/project list`.")
        if announcement.user_id == presser_id:
            raise InvalidInput("That's your own announcement: others press this button to pair with you.")
        if not announcement.looking_for_partner:
            raise Conflict(
                "They are no longer looking for a partner; `/project list looking_for_partner:True` shows who is."
            )
        return announcement.user_id

    async def answerable(self, request_id: int, user_id: int, *, blocking: bool = False) -> MatchRequest:
        """The request `user_id` answers (Accept/Decline/Block); only its addressee may."""
        request = await self.store.get_request(request_id)
        if request is None:
            raise NotFound("This request no longer exists.")
        if user_id != request.addressee_id:
            what = "block their requests" if blocking else "answer this request"
            raise Forbidden(f"Only the learner who was asked can {what}.")
        return request

    def overdue(self, request: MatchRequest, now: datetime) -> bool:
        """Pending past its expiry: the cog closes it (`expire`) before answering."""
        return request.status == "pending" and request.expires_at <= now

    async def accept(
        self, directory: MemberDirectory, cohort_start: date, request: MatchRequest, now: datetime
    ) -> AcceptedPair:
        """The addressee accepts: both still build the same project on opposite tracks; the pair is made."""
        catalog = await self.catalog.by_key()
        them = await self.someone(directory, cohort_start, request.requester_id, now, catalog, me=False)
        me = await self.someone(directory, cohort_start, request.addressee_id, now, catalog, me=True)
        problem = pairing.request_problem(
            me.announcement, them.announcement, me.is_custom, them.is_custom, esc(them.name)
        )
        if problem:
            raise InvalidInput(problem)
        backend, frontend = (me, them) if me.announcement.track == "backend" else (them, me)
        breakdown = score_pair(backend.learner, frontend.learner, now=now)
        guild_id = directory.guild_id
        defaults = [
            pairing.default_profile(guild_id, s.user_id, s.announcement, now) for s in (me, them) if s.profile is None
        ]
        self.forget_pools()
        pair = await self.store.accept_request(
            request.id,
            me.user_id,
            NewPair(
                guild_id,
                backend.user_id,
                frontend.user_id,
                backend.announcement.project_key,
                breakdown.score,
                pairing.reasons_text(breakdown),
            ),
            now,
            default_profiles=defaults,
            names={s.user_id: esc(s.name) for s in (me, them)},
        )
        return AcceptedPair(pair, me, them, backend, frontend, breakdown)

    async def decline(self, request: MatchRequest, now: datetime) -> MatchRequest:
        """The addressee declines: either may ask again after the re-ask cooldown."""
        self.forget_pools()
        return await self.store.decline_request(request.id, request.addressee_id, now)

    async def block(self, request: MatchRequest, now: datetime) -> tuple[MatchRequest, bool]:
        """The addressee blocks the requester (declining a pending request); (request, whether it was pending)."""
        self.forget_pools()
        return await self.store.block_requester(request.id, request.addressee_id, now)

    async def expire(self, request_id: int, now: datetime) -> bool:
        """Close a request whose time is up; False if it was already closed (tell the requester only once)."""
        return await self.store.expire_request(request_id, now)

    async def pending_request(self, request_id: int) -> MatchRequest | None:
        """The request if it is still pending (the expiry job's check)."""
        request = await self.store.get_request(request_id)
        return request if request is not None and request.status == "pending" else None

    # --- pairs ----------------------------------------------------------------------------------------

    async def pairs_of(self, guild_id: int, user_id: int) -> list[Pair]:
        """The learner's current pairs (/match status, unpair)."""
        return await self.store.active_pairs_of(guild_id, user_id)

    async def pending_for(self, guild_id: int, user_id: int) -> list[MatchRequest]:
        """Requests waiting, sent or received (/match status)."""
        return await self.store.pending_for(guild_id, user_id)

    async def get_pair(self, pair_id: int) -> Pair | None:
        return await self.store.get_pair(pair_id)

    async def unpair(self, pair: Pair, why: str, *, by_staff: bool = False) -> Pair:
        """End a pairing (a partner's confirmed /match unpair, or staff); they are not suggested again."""
        self.forget_pools()
        return await self.store.end_pair(
            pair.id, why or ("ended by staff" if by_staff else "no reason given"), self.clock.now()
        )

    async def unblock(self, guild_id: int, a_id: int, b_id: int, names: str) -> Block:
        """Staff lift a Block (or an ended pairing's block) between two learners."""
        if a_id == b_id:
            raise InvalidInput("Pick two different learners: `member` and `other` are the same person.")
        self.forget_pools()
        lifted = await self.store.unblock(guild_id, a_id, b_id)
        if lifted is None:
            raise NotFound(
                f"There's no block between {names}. A recent decline only delays a new request "
                f"({request_limits.REASK_COOLDOWN.days} days) and then lifts by itself."
            )
        return lifted

    async def delivered(self, request_id: int, channel_id: int, message_id: int) -> None:
        """The cog delivered the request: where its Accept/Decline message is."""
        await self.store.set_request_message(request_id, channel_id, message_id)

    async def undeliverable(self, request_id: int) -> None:
        """Neither a DM nor the channel reached the addressee: the request is cancelled."""
        await self.store.cancel_request(request_id, self.clock.now())

    # --- rounds ------------------------------------------------------------------------------------

    async def plan_round(
        self, directory: MemberDirectory, cohort_start: date, project: str | None, now: datetime
    ) -> RoundPlan:
        """Solve a round over everyone looking (optionally one project); nothing is written."""
        pool, announcements = await self.pool(directory, cohort_start, now, project)
        blocked = await self.excluded_pairs(directory.guild_id, now)
        remaining = {s.user_id: s.profile.free_slots if s.profile else 1 for s in pool}
        learners = [s.learner for s in pool]
        # The solver is CPU-bound (scipy); off the event loop the bot keeps answering everyone else.
        result: MatchResult = await asyncio.to_thread(optimal_matching, learners, blocked, remaining, now=now)
        # "Haven't opted in" = announced (and still here) without any matching profile; paired, paused or
        # full learners have opted in.
        profiled = {p.user_id for p in await self.store.profiles(directory.guild_id)}
        not_opted = sum(1 for a in announcements if a.left_guild_at is None and a.user_id not in profiled)
        return RoundPlan(pool, announcements, result, not_opted)

    async def start_round(self, guild_id: int, project: str | None, staff_id: int, dry_run: bool) -> MatchRound:
        """A round starts (one running per guild)."""
        return await self.store.start_round(guild_id, project, staff_id, dry_run, self.clock.now())

    async def fail_round(self, round_id: int, error: str) -> None:
        """The round stopped before it committed (a no-op once it did: its jobs finish it)."""
        await self.store.finish_round(round_id, "failed", {"error": error}, self.clock.now())

    def _extra(self, plan: RoundPlan, dry_run: bool) -> dict[str, Any]:
        return {"dry_run": dry_run, "method": plan.result.method, "not_opted_in": plan.not_opted_in}

    async def preview_round(self, guild_id: int, round_id: int, plan: RoundPlan) -> tuple[pairing.RoundSummary, int]:
        """A dry run: the summary is stored, nothing else changes; returns it and the next real round's number."""
        project_of = {s.user_id: s.project_label for s in plan.pool}
        summary = pairing.round_summary(plan.result, project_of, len(plan.pool))
        await self.store.finish_round(round_id, "done", summary.to_json() | self._extra(plan, True), self.clock.now())
        return summary, await self.store.next_round_number(guild_id)

    async def commit_round(
        self, guild_id: int, round_id: int, plan: RoundPlan, jobs: RoundJobs, now: datetime
    ) -> tuple[RoundOutcome, pairing.RoundSummary | None]:
        """A real round: its pairs and their jobs (threads, DMs, summary) commit at once (`store.commit_round`)."""
        by_id = {s.user_id: s for s in plan.pool}
        project_of = {s.user_id: s.project_label for s in plan.pool}
        extra = self._extra(plan, False)
        new_pairs = []
        for backend_id, frontend_id, score in plan.result.pairs:
            b, f = by_id[backend_id], by_id[frontend_id]
            reasons = pairing.reasons_text(score_pair(b.learner, f.learner, now=now))
            new_pairs.append(NewPair(guild_id, b.user_id, f.user_id, b.announcement.project_key, score, reasons))
        made_summary: list[pairing.RoundSummary] = []

        def summarize(made: list[Pair], skipped: list[NewPair]) -> tuple[dict[str, Any], dict[int, str]]:
            failed = [(p.backend_id, p.frontend_id, p.score or 0) for p in skipped]
            taken = {uid: SLOT_TAKEN for p in skipped for uid in (p.backend_id, p.frontend_id)}
            summary = pairing.round_summary(plan.result, project_of, len(plan.pool), taken, failed)
            made_summary.append(summary)
            return summary.to_json() | extra, summary.unmatched

        self.forget_pools()
        names = {s.user_id: esc(s.name) for s in plan.pool}
        outcome = await self.store.commit_round(round_id, new_pairs, summarize, jobs, now, names)
        self.forget_pools()
        return outcome, (made_summary[-1] if made_summary else None)

    # --- reads and small writes the cog's handlers need (jobs, autocomplete, threads, stats) ----------------

    async def join(self, new: NewProfile, now: datetime, **changes: Any) -> MatchProfile:
        """/match join: opt in (again) with the given fields changed; suggestion pools follow at once."""
        self.forget_pools()
        return await self.store.join(new, now, **changes)

    async def profile(self, guild_id: int, user_id: int) -> MatchProfile | None:
        return await self.store.get_profile(guild_id, user_id)

    async def profiles(self, guild_id: int) -> list[MatchProfile]:
        return await self.store.profiles(guild_id)

    async def guild_pairs(self, guild_id: int) -> list[Pair]:
        return await self.store.active_pairs(guild_id)

    async def get_request(self, request_id: int) -> MatchRequest | None:
        return await self.store.get_request(request_id)

    async def get_round(self, round_id: int) -> MatchRound | None:
        return await self.store.get_round(round_id)

    async def request_counts(self, guild_id: int) -> RequestCounts:
        return await self.store.request_counts(guild_id)

    async def fail_stale_rounds(self) -> int:
        """At start: a round cut short by a crash would otherwise block every later round."""
        return await self.store.fail_stale_rounds(self.clock.now())

    async def pairs_without_thread(self) -> list[Pair]:
        return await self.store.pairs_without_thread()

    async def thread_taken(self, thread_id: int) -> bool:
        return await self.store.thread_taken(thread_id)

    async def set_thread(self, pair_id: int, thread_id: int) -> None:
        await self.store.set_thread(pair_id, thread_id)
