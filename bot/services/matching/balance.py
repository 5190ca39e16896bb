"""Everyone who can have a partner gets one (issue 14): the round's balance policy and its last resorts.

Pure, discord-free, around the unchanged solver (`optimal_matching`): only its inputs and a second pass.

* **Balance** (`/match run balance:`): ``auto`` raises the capacity of the scarcer track on each project to
  ``ceil(larger / smaller)`` (at most 5), so a Frontend learner on a Backend-heavy project partners two
  Backend learners; ``one-to-one`` keeps everyone's own capacity. A learner who set ``max_partners``
  themselves keeps it (it caps what they accept).
* **Last resorts**, in this order, each labelled as what it is: a partner with no shared hour (``async``:
  a second solve with everyone's week open, between a learner left over and someone with a free slot), then,
  where nobody of the other track is looking on a project, a study buddy on the same track and project
  (``buddy``).
* :func:`cross_track_coverage`: the issue's figure (learners with a cross-track partner on their project,
  out of those whose project has someone on the other track).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from bot.services.availability import MINUTES_PER_WEEK, WeeklyWindows
from bot.services.matching.reasons import UnmatchedCode
from bot.services.matching.scoring import Learner, project_key, score_pair
from bot.services.matching.solving import MatchResult, optimal_matching

__all__ = [
    "MAX_CAPACITY",
    "Balance",
    "PairKind",
    "RoundResult",
    "balanced_capacities",
    "cross_track_coverage",
    "solve_round",
]

MAX_CAPACITY = 5  # the most partners anyone can have (the profile's own limit)
BUDDY_SCORED_MAX = 60  # above this many learners alone on a project and track, buddies are not scored
ALWAYS = WeeklyWindows(((0, MINUTES_PER_WEEK),))


class Balance(StrEnum):
    AUTO = "auto"
    ONE_TO_ONE = "one-to-one"


class PairKind(StrEnum):
    PARTNER = "partner"  # other track, shared free time
    ASYNC = "async"  # other track, no shared hour: asynchronous collaboration
    BUDDY = "buddy"  # same track and project: the other track is absent


@dataclass(frozen=True)
class RoundResult:
    """A round's pairs of every kind: `result` holds them all (buddies as (a, b, score) too) and the reasons of
    those still without anyone; `kinds` says which are last resorts; `capacity` is each learner's total
    capacity in this round (active pairs + the slots the solver had)."""

    result: MatchResult
    kinds: dict[frozenset[int], PairKind] = field(default_factory=dict)
    capacity: dict[int, int] = field(default_factory=dict)

    def kind(self, a: int, b: int) -> PairKind:
        return self.kinds.get(frozenset((a, b)), PairKind.PARTNER)


def balanced_capacities(
    learners: Sequence[Learner],
    free: Mapping[int, int],
    chosen: Collection[int],
    active: Mapping[int, int],
    balance: Balance,
) -> dict[int, int]:
    """Free slots per learner for the solver: their own (`free`), or with ``auto`` on the scarcer track of each
    project ``ceil(larger / smaller)`` minus the partners they have, unless they chose `max_partners`."""
    slots = {lr.user_id: max(0, int(free.get(lr.user_id, lr.capacity))) for lr in learners}
    if balance is Balance.ONE_TO_ONE:
        return slots
    groups: dict[tuple[str, str], dict[str, list[Learner]]] = defaultdict(lambda: defaultdict(list))
    for lr in learners:
        key = project_key(lr)
        if key is not None and slots[lr.user_id] > 0:
            groups[key][lr.track].append(lr)
    for tracks in groups.values():
        backs, fronts = tracks.get("backend", []), tracks.get("frontend", [])
        if not backs or not fronts or len(backs) == len(fronts):
            continue
        small, large = (backs, fronts) if len(backs) < len(fronts) else (fronts, backs)
        team = min(MAX_CAPACITY, math.ceil(len(large) / len(small)))
        for lr in small:
            if lr.user_id not in chosen:
                slots[lr.user_id] = max(slots[lr.user_id], team - active.get(lr.user_id, 0))
    return slots


def solve_round(
    learners: Sequence[Learner],
    blocked: Collection[frozenset[int]],
    slots: Mapping[int, int],
    *,
    now: datetime,
    first: Collection[int] = (),
) -> RoundResult:
    """The optimal round, then the last resorts. `first`: learners whose partner went inactive, solved
    before everyone else (their project's other track is offered to them first)."""
    remaining = dict(slots)
    pairs: list[tuple[int, int, int]] = []
    taken: set[frozenset[int]] = set(blocked)
    if first:
        firsts = {lr.user_id for lr in learners if lr.user_id in first and remaining.get(lr.user_id, 0) > 0}
        wanted = {(project_key(lr), lr.track) for lr in learners if lr.user_id in firsts}
        stage = [
            lr
            for lr in learners
            if lr.user_id in firsts or any(project_key(lr) == k and lr.track != t for k, t in wanted)
        ]
        early = optimal_matching(stage, taken, {lr.user_id: remaining.get(lr.user_id, 0) for lr in stage}, now=now)
        _use(early.pairs, pairs, remaining, taken)
    main = optimal_matching(learners, taken, remaining, now=now)
    _use(main.pairs, pairs, remaining, taken)
    reasons = {uid: r for uid, r in main.reasons.items() if not any(uid in (b, f) for b, f, _ in pairs)}
    kinds: dict[frozenset[int], PairKind] = {}
    # Last resort 1: a partner with no shared hour, for whoever is left though the other track is there. One
    # solve per track of those left, against the other track's free slots (so it never adds a second partner
    # to two learners who both have one), with everyone's week open.
    left = {uid for uid, r in reasons.items() if r.code in _ASYNC_CODES}
    by_id = {lr.user_id: lr for lr in learners}
    for track in ("backend", "frontend"):
        mine = [by_id[uid] for uid in sorted(left) if uid in by_id and by_id[uid].track == track]
        keys = {project_key(lr) for lr in mine}
        others = [
            lr for lr in learners if lr.track != track and remaining.get(lr.user_id, 0) > 0 and project_key(lr) in keys
        ]
        if not mine or not others:
            continue
        stage = [replace(lr, windows=ALWAYS) for lr in (*mine, *others)]
        caps = {lr.user_id: max(1, remaining.get(lr.user_id, 0)) for lr in mine}
        caps.update({lr.user_id: remaining[lr.user_id] for lr in others})
        again = optimal_matching(stage, taken, caps, now=now)
        for b, f, _ in again.pairs:
            pairs.append((b, f, score_pair(by_id[b], by_id[f], now=now).score))
            kinds[frozenset((b, f))] = PairKind.ASYNC
            taken.add(frozenset((b, f)))
            for uid in (b, f):
                remaining[uid] = max(0, remaining.get(uid, 0) - 1)
                reasons.pop(uid, None)
                left.discard(uid)
    # Last resort 2: a study buddy on the same track and project where nobody of the other track is looking.
    alone: dict[tuple[tuple[str, str] | None, str], list[Learner]] = defaultdict(list)
    for lr in learners:
        r = reasons.get(lr.user_id)
        if r is not None and r.code is UnmatchedCode.NO_PARTNER_LOOKING:
            alone[(project_key(lr), lr.track)].append(lr)
    for group in alone.values():
        for one, two in _buddies(sorted(group, key=lambda x: x.user_id), taken, now):
            pairs.append((one.user_id, two.user_id, score_pair(one, two, now=now).score))
            kinds[frozenset((one.user_id, two.user_id))] = PairKind.BUDDY
            reasons.pop(one.user_id, None)
            reasons.pop(two.user_id, None)
    pairs.sort()
    result = MatchResult(tuple(pairs), reasons, sum(s for _, _, s in pairs), main.method)
    return RoundResult(result, kinds, dict(slots))


_ASYNC_CODES = {UnmatchedCode.NO_SHARED_TIME, UnmatchedCode.PARTNERS_AT_CAPACITY}


def _use(
    chosen: Iterable[tuple[int, int, int]],
    pairs: list[tuple[int, int, int]],
    remaining: dict[int, int],
    taken: set[frozenset[int]],
) -> None:
    for b, f, s in chosen:
        pairs.append((b, f, s))
        taken.add(frozenset((b, f)))
        remaining[b] = max(0, remaining.get(b, 0) - 1)
        remaining[f] = max(0, remaining.get(f, 0) - 1)


def _buddies(
    group: Sequence[Learner], taken: Collection[frozenset[int]], now: datetime
) -> list[tuple[Learner, Learner]]:
    """Same-track learners paired greedily by score (most shared time first); an odd one out stays alone."""
    free = list(group)
    out: list[tuple[Learner, Learner]] = []
    if len(free) > BUDDY_SCORED_MAX:  # a big group: neighbours by id (scoring every pair would be cubic)
        rest = [lr for lr in free]
        while len(rest) >= 2:
            a = rest.pop(0)
            b = next((x for x in rest if frozenset((a.user_id, x.user_id)) not in taken), None)
            if b is not None:
                rest.remove(b)
                out.append((a, b))
        return out
    while len(free) >= 2:
        best: tuple[int, int, int] | None = None
        for i in range(len(free)):
            for j in range(i + 1, len(free)):
                if frozenset((free[i].user_id, free[j].user_id)) in taken:
                    continue
                s = score_pair(free[i], free[j], now=now).score
                if best is None or s > best[0]:
                    best = (s, i, j)
        if best is None:
            break
        _, i, j = best
        out.append((free[i], free[j]))
        free = [x for k, x in enumerate(free) if k not in (i, j)]
    return out


def cross_track_coverage(learners: Sequence[Learner], pairs: Iterable[tuple[int, int, int]]) -> tuple[int, int]:
    """(learners with a cross-track partner on their project, learners whose project has the other track)."""
    by_id = {lr.user_id: lr for lr in learners}
    tracks: dict[tuple[str, str] | None, set[str]] = defaultdict(set)
    for lr in learners:
        tracks[project_key(lr)].add(lr.track)
    eligible = {lr.user_id for lr in learners if project_key(lr) is not None and len(tracks[project_key(lr)]) == 2}
    covered: set[int] = set()
    for a, b, _ in pairs:
        la, lb = by_id.get(a), by_id.get(b)
        if la is not None and lb is not None and la.track != lb.track and project_key(la) == project_key(lb):
            covered |= {a, b}
    return len(covered & eligible), len(eligible)
