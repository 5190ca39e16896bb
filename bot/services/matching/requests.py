"""Partner requests and their answers (/match request, Pair with me, Accept/Decline/Block), and pairs once made
(/match status, unpair, staff unblock). Whether two may pair is `check_pair` (the one rule, rules.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.services import pairing, request_limits
from bot.services.directory import MemberDirectory
from bot.services.matching.core import MatchingCore, Someone, esc
from bot.services.matching.rules import Purpose
from bot.services.matching.scoring import ScoreBreakdown, score_pair
from bot.services.matching.teams import Team, team_of
from db.stores.matching import Block, MatchRequest, NewPair, Pair, RequestCounts


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
class Unblocked:
    """What staff's /match unblock lifted: the block (None: there was none) and whether a cooldown was running."""

    block: Block | None
    cooldown: bool


class RequestsFlow(MatchingCore):
    async def check_requestable(self, guild_id: int, me: Someone, them: Someone, now: datetime) -> None:
        """Whether `me` may ask `them` to pair (the rule for a request); raises the user's reason if not.
        (The request limits run in the request's transaction.)"""
        await self.check_pair(guild_id, me, them, now, Purpose.REQUEST)

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
        self,
        directory: MemberDirectory,
        cohort_start: date,
        request: MatchRequest,
        now: datetime,
        moot_job: str | None = None,
    ) -> AcceptedPair:
        """The addressee accepts: the same rule as the request, checked again now; the pair is made (capacity and
        blocks once more inside the transaction, so concurrent accepts cannot overfill anyone). With `moot_job`,
        the learners' other pending requests the pair makes moot are closed with it, each told by such a job."""
        catalog = await self.catalog.by_key()
        them = await self.someone(directory, cohort_start, request.requester_id, now, catalog, me=False)
        me = await self.someone(directory, cohort_start, request.addressee_id, now, catalog, me=True)
        backend, frontend = (me, them) if me.announcement.track == "backend" else (them, me)
        breakdown = score_pair(backend.learner, frontend.learner, now=now)
        guild_id = directory.guild_id
        defaults = [
            pairing.default_profile(guild_id, s.user_id, s.announcement, now) for s in (me, them) if s.profile is None
        ]
        new_pair = NewPair(
            guild_id,
            backend.user_id,
            frontend.user_id,
            backend.announcement.project_key,
            breakdown.score,
            pairing.reasons_text(breakdown),
        )
        names = {s.user_id: esc(s.name) for s in (me, them)}
        try:
            await self.check_pair(guild_id, me, them, now, Purpose.ACCEPT)
        except (Conflict, InvalidInput):
            fresh = await self.store.get_request(request.id)
            if fresh is not None and fresh.status == "pending":
                raise
            # Answered meanwhile (a concurrent Accept): the store says so in its own words.
        self.forget_pools()
        pair = await self.store.accept_request(
            request.id, me.user_id, new_pair, now, default_profiles=defaults, names=names, moot_job=moot_job
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

    async def delivered(self, request_id: int, channel_id: int, message_id: int) -> None:
        """The cog delivered the request: where its Accept/Decline message is."""
        await self.store.set_request_message(request_id, channel_id, message_id)

    async def undeliverable(self, request_id: int) -> None:
        """Neither a DM nor the channel reached the addressee: the request is cancelled."""
        await self.store.cancel_request(request_id, self.clock.now())

    async def get_request(self, request_id: int) -> MatchRequest | None:
        return await self.store.get_request(request_id)

    async def pending_for(self, guild_id: int, user_id: int) -> list[MatchRequest]:
        """Requests waiting, sent or received (/match status)."""
        return await self.store.pending_for(guild_id, user_id)

    async def request_counts(self, guild_id: int) -> RequestCounts:
        return await self.store.request_counts(guild_id)

    # --- pairs ----------------------------------------------------------------------------------------

    async def pairs_of(self, guild_id: int, user_id: int) -> list[Pair]:
        """The learner's current pairs (/match status, unpair)."""
        return await self.store.active_pairs_of(guild_id, user_id)

    async def partners_of(self, guild_id: int, user_id: int) -> list[int]:
        """The learner's current partners' ids (for other features, e.g. contracts posted in the team thread)."""
        return [p.partner_of(user_id) for p in await self.store.active_pairs_of(guild_id, user_id)]

    async def thread_of_pair(self, pair_id: int) -> int | None:
        """The thread a pair talks in (a team's shared thread for every pair of the team), if opened."""
        pair = await self.store.get_pair(pair_id)
        return pair.thread_id if pair is not None else None

    async def get_pair(self, pair_id: int) -> Pair | None:
        return await self.store.get_pair(pair_id)

    async def guild_pairs(self, guild_id: int) -> list[Pair]:
        return await self.store.active_pairs(guild_id)

    async def unpair(self, pair: Pair, why: str, *, by_staff: bool = False) -> Pair:
        """End a pairing (a partner's confirmed /match unpair, or staff); they are not suggested again."""
        self.forget_pools()
        return await self.store.end_pair(
            pair.id, why or ("ended by staff" if by_staff else "no reason given"), self.clock.now()
        )

    async def unblock(self, guild_id: int, a_id: int, b_id: int, names: str) -> Unblocked:
        """Staff lift a Block (or an ended pairing's block) between two learners, and the re-ask cooldown a
        decline, an expiry or a withdrawal left between them: they may ask each other again at once."""
        if a_id == b_id:
            raise InvalidInput("Pick two different learners: `member` and `other` are the same person.")
        self.forget_pools()
        now = self.clock.now()
        history = await self.store.request_history(guild_id, a_id, b_id, now, now - request_limits.LOOKBACK)
        reverse = await self.store.request_history(guild_id, b_id, a_id, now, now - request_limits.LOOKBACK)
        cooling = any(
            r is not None and r.decided_at is not None and r.decided_at + request_limits.REASK_COOLDOWN > now
            for r in (history.last_decline, history.last_lapse, reverse.last_lapse)
        )
        lifted = await self.store.unblock(guild_id, a_id, b_id)
        await self.store.lift_cooldown(guild_id, a_id, b_id)
        if lifted is None and not cooling:
            raise NotFound(
                f"There's no block between {names}, and no recent decline or expired request delays a new "
                "request between them: either may ask the other with `/match request`."
            )
        return Unblocked(lifted, cooling)

    async def team_of(self, pair: Pair) -> Team:
        """The team a pair belongs to (teams.team_of): whose thread it joins, or a thread of its own."""
        backend = await self.store.active_pairs_of(pair.guild_id, pair.backend_id)
        frontend = await self.store.active_pairs_of(pair.guild_id, pair.frontend_id)
        return team_of(pair, backend, frontend)

    async def thread_pairs(self, thread_id: int) -> list[Pair]:
        """The active pairs in a thread: more than one for a team thread (ending one pair keeps it open)."""
        return await self.store.active_pairs_in_thread(thread_id)

    async def pairs_with_thread(self) -> list[Pair]:
        """Every active pair that has its thread (the check-ins each needs are planned at start)."""
        return await self.store.pairs_with_thread()

    async def pairs_without_thread(self) -> list[Pair]:
        return await self.store.pairs_without_thread()

    async def thread_taken(self, thread_id: int) -> bool:
        return await self.store.thread_taken(thread_id)

    async def set_thread(self, pair_id: int, thread_id: int) -> None:
        await self.store.set_thread(pair_id, thread_id)
