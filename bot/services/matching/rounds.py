"""Proposals: /match suggest and staff rounds (/match run). Who may be proposed to whom is the one rule
(rules.py): the pool is whoever `side_problem` lets through, each learner's capacity is `free_slots`, and the
pairs the solver must leave out are the rule's stored refusals (`Links.excluded`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.errors import Conflict
from bot.services import pairing
from bot.services.directory import MemberDirectory
from bot.services.matching.balance import Balance, PairKind, RoundResult, balanced_capacities, solve_round
from bot.services.matching.core import MatchingCore, Someone, esc
from bot.services.matching.reasons import PairCode, Refused, Unmatched, UnmatchedCode, refusal
from bot.services.matching.rules import Purpose, allowed_partners, free_slots, side_problem
from bot.services.matching.scoring import ScoreBreakdown, score_pair, suggest
from bot.services.matching.solving import MatchResult
from db.stores.announcements import Announcement
from db.stores.matching import MatchRound, NewPair, Pair, RoundJobs, RoundOutcome

SUGGESTIONS = 5

# A learner whose round pair could not be made because a request was accepted meanwhile.
SLOT_TAKEN = Unmatched(UnmatchedCode.SLOT_TAKEN)


@dataclass(frozen=True)
class RoundPlan:
    """A solved (not yet committed) round: who was in the pool and the pairs the solver chose (with their kind:
    partner, async, buddy) and each learner's capacity in this round."""

    pool: list[Someone]
    announcements: list[Announcement]
    result: MatchResult
    not_opted_in: int
    kinds: dict[frozenset[int], PairKind] = field(default_factory=dict)
    capacity: dict[int, int] = field(default_factory=dict)
    balance: Balance = Balance.AUTO

    def kind(self, a: int, b: int) -> PairKind:
        return self.kinds.get(frozenset((a, b)), PairKind.PARTNER)


@dataclass(frozen=True)
class Suggestions:
    """/match suggest: the learner, who was looked at, and the best partners with their scores."""

    me: Someone
    others: list[Someone]
    found: list[tuple[Someone, ScoreBreakdown]]


class RoundsFlow(MatchingCore):
    async def suggestions(
        self, directory: MemberDirectory, cohort_start: date, user_id: int, limit: int = SUGGESTIONS
    ) -> Suggestions:
        """Your best partners: the other track of your project, those the rule lets the bot propose, scored."""
        now = self.clock.now()
        me = await self.someone(directory, cohort_start, user_id, now, me=True)
        mine = side_problem(me.profile, now, Purpose.SUGGEST, me=True)
        if mine is PairCode.ME_LEFT:
            raise Conflict("You left partner matching; `/match join` opts you in again.")
        if mine is not None:
            assert me.profile is not None
            raise Conflict(refusal(Refused(mine, capacity=me.profile.max_partners)))
        # Only the other track of your project can partner you: don't build everyone else's profile.
        other_track = "frontend" if me.announcement.track == "backend" else "backend"
        others = await self.candidates(directory, cohort_start, now, me.announcement.project_key, other_track)
        links = await self.links(directory.guild_id, now, me.user_id)
        allowed = allowed_partners(me.learner, me.profile, others, links, now, Purpose.SUGGEST)
        # The rule and the scoring take a millisecond or two each over a pool of a thousand, on the event loop:
        # other interactions are let through between them, and before the caller renders the answer.
        await asyncio.sleep(0)
        by_id = {o.user_id: o for o in allowed}
        # The whole pool with the allowed ones named: its encoding is cached once for every learner who asks.
        found = suggest(me.learner, [o.learner for o in others], (), limit, now=now, among=by_id.keys())
        await asyncio.sleep(0)
        return Suggestions(me, others, [(by_id[lr.user_id], br) for lr, br in found])

    async def plan_round(
        self,
        directory: MemberDirectory,
        cohort_start: date,
        project: str | None,
        now: datetime,
        balance: Balance = Balance.AUTO,
    ) -> RoundPlan:
        """Solve a round over everyone looking (optionally one project), with the balance policy and the last
        resorts (balance.py); learners whose partner went inactive go first. Nothing is written."""
        pool, announcements = await self.pool(directory, cohort_start, now, project)
        pool = [s for s in pool if side_problem(s.profile, now, Purpose.ROUND, me=False) is None]
        blocked = (await self.links(directory.guild_id, now)).excluded(Purpose.ROUND)
        learners = [s.learner for s in pool]
        slots = balanced_capacities(
            learners,
            {s.user_id: free_slots(s.profile) for s in pool},
            {s.user_id for s in pool if s.profile is not None and s.profile.max_partners_chosen},
            {s.user_id: s.profile.active_pairs for s in pool if s.profile is not None},
            balance,
        )
        first = {s.user_id for s in pool if s.profile is not None and s.profile.priority_since is not None}
        # The solver is CPU-bound (scipy); off the event loop the bot keeps answering everyone else.
        solved: RoundResult = await asyncio.to_thread(
            lambda: solve_round(learners, blocked, slots, now=now, first=first)
        )
        # "Haven't opted in" = announced (and still here) without any matching profile; paired, paused or
        # full learners have opted in.
        profiled = {p.user_id for p in await self.store.profiles(directory.guild_id)}
        not_opted = sum(1 for a in announcements if a.left_guild_at is None and a.user_id not in profiled)
        active = {s.user_id: s.profile.active_pairs if s.profile else 0 for s in pool}
        capacity = {uid: active[uid] + n for uid, n in solved.capacity.items()}
        return RoundPlan(pool, announcements, solved.result, not_opted, solved.kinds, capacity, balance)

    async def start_round(self, guild_id: int, project: str | None, staff_id: int, dry_run: bool) -> MatchRound:
        """A round starts (one running per guild)."""
        return await self.store.start_round(guild_id, project, staff_id, dry_run, self.clock.now())

    async def fail_round(self, round_id: int, error: str) -> None:
        """The round stopped before it committed (a no-op once it did: its jobs finish it)."""
        await self.store.finish_round(round_id, "failed", {"error": error}, self.clock.now())

    def _extra(self, plan: RoundPlan, dry_run: bool) -> dict[str, Any]:
        kinds = [k.value for k in plan.kinds.values()]
        return {
            "dry_run": dry_run,
            "method": plan.result.method,
            "not_opted_in": plan.not_opted_in,
            "balance": plan.balance.value,
            "async_pairs": kinds.count("async"),
            "study_buddies": kinds.count("buddy"),
        }

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
            kind = plan.kind(backend_id, frontend_id)
            reasons = pairing.reasons_text(score_pair(b.learner, f.learner, now=now))
            caps = (plan.capacity.get(b.user_id, 0), plan.capacity.get(f.user_id, 0))
            new_pairs.append(
                NewPair(guild_id, b.user_id, f.user_id, b.announcement.project_key, score, reasons, kind.value, caps)
            )
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

    async def get_round(self, round_id: int) -> MatchRound | None:
        return await self.store.get_round(round_id)

    async def fail_stale_rounds(self) -> int:
        """At start: a round cut short by a crash would otherwise block every later round."""
        return await self.store.fail_stale_rounds(self.clock.now())
