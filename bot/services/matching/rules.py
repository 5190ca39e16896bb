"""May A pair with B? The one rule, for every path that pairs or proposes: request, accept, suggest, round.

Pure and discord-free. :func:`pair_problem` composes three parts, each also what the round's solver is fed
with, so the vectorised solver decides exactly as a request does:

* :func:`project_problem` on the two `Learner`s: other track, same project (the solver buckets with the same
  :func:`~bot.services.matching.scoring.project_key`). An explicit request or accept may join two custom
  ("Other") projects whose titles differ; a suggestion or a round needs the same title.
* :func:`link_problem` on what is stored between the two (:class:`Link`): a block either way, an ended
  pairing, a recent decline, being partners already, a request the other way. A round's exclusions are
  :meth:`Links.excluded`, the pairs this function refuses.
* :func:`side_problem` on each learner's profile: left, paused, no free slot; :func:`free_slots` is the
  capacity a round gives the solver.

Codes come from :class:`~bot.services.matching.reasons.PairCode`; their words from ``reasons.refusal``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.services.matching.reasons import PairCode
from bot.services.matching.scoring import Learner, project_key
from db.stores.matching import Block, MatchProfile

__all__ = [
    "Link",
    "Links",
    "Purpose",
    "allowed_partners",
    "free_slots",
    "link_problem",
    "pair_problem",
    "project_problem",
    "side_problem",
    "tracks_and_project",
]


class Purpose(StrEnum):
    REQUEST = "request"  # /match request, a Pair with me press, a suggestion's Request button
    ACCEPT = "accept"  # the addressee presses Accept
    SUGGEST = "suggest"  # /match suggest proposes
    ROUND = "round"  # a staff round proposes and makes

    @property
    def explicit(self) -> bool:
        """A learner chose this partner themselves (not the bot proposing)."""
        return self in (Purpose.REQUEST, Purpose.ACCEPT)


@dataclass(frozen=True)
class Link:
    """What is stored between two learners."""

    block: Block | None = None
    declined_recently: bool = False  # a decline either way within the re-ask cooldown
    partners: bool = False
    pending_to_me: bool = False  # the other learner's request to me is waiting


@dataclass(frozen=True)
class Links:
    """Every stored link of a guild (or of one learner), for the rule applied cohort-wide."""

    blocks: dict[frozenset[int], Block] = field(default_factory=dict)
    declined: frozenset[frozenset[int]] = frozenset()
    partners: frozenset[frozenset[int]] = frozenset()

    def link(self, me: int, them: int) -> Link:
        key = frozenset((me, them))
        return Link(self.blocks.get(key), key in self.declined, key in self.partners)

    def linked_to(self, user_id: int) -> set[int]:
        """Everyone with something stored between them and `user_id`."""
        keys: Iterable[frozenset[int]] = {*self.blocks, *self.declined, *self.partners}
        return {other for key in keys if user_id in key for other in key if other != user_id}

    def excluded(self, purpose: Purpose) -> set[frozenset[int]]:
        """The pairs :func:`link_problem` refuses for `purpose`: what the solver and suggestions leave out."""
        keys: Iterable[frozenset[int]] = {*self.blocks, *self.declined, *self.partners}
        out: set[frozenset[int]] = set()
        for key in keys:
            if len(key) != 2:
                continue
            a, b = tuple(key)
            if link_problem(self.link(a, b), a, purpose) is not None:
                out.add(key)
        return out


def project_problem(me: Learner, them: Learner, purpose: Purpose) -> PairCode | None:
    """Tracks and project: Backend with Frontend on the same project (custom titles, see the module notes)."""
    return tracks_and_project(me.track, project_key(me), them.track, project_key(them), purpose)


def tracks_and_project(
    my_track: str,
    my_project: tuple[str, str] | None,
    their_track: str,
    their_project: tuple[str, str] | None,
    purpose: Purpose,
) -> PairCode | None:
    """:func:`project_problem` on bucket keys (`scoring.project_key`: ``("other", title)`` for custom projects)."""
    if my_track == their_track:
        return PairCode.SAME_TRACK
    both_custom = my_project is not None and their_project is not None and my_project[0] == their_project[0] == "other"
    if purpose.explicit and both_custom:
        return None
    if my_project is None or my_project != their_project:
        return PairCode.OTHER_PROJECT
    return None


def link_problem(link: Link, me_id: int, purpose: Purpose) -> PairCode | None:
    """What is stored between the two. A recent decline is left to the request limits when a learner asks
    (they word the cooldown with its end); a waiting request the other way only matters to a new request."""
    if link.block is not None:
        if link.block.blocked_by is None:
            return PairCode.ENDED_BEFORE
        return PairCode.BLOCKED_BY_ME if link.block.blocked_by == me_id else PairCode.BLOCKED_BY_THEM
    if link.declined_recently and not purpose.explicit:
        return PairCode.DECLINED_RECENTLY
    if link.partners:
        return PairCode.ALREADY_PARTNERS
    if link.pending_to_me and purpose is Purpose.REQUEST:
        return PairCode.REVERSE_PENDING
    return None


def free_slots(profile: MatchProfile | None) -> int:
    """Partners a learner can still take (no profile yet: the default of one)."""
    return 1 if profile is None else profile.free_slots


def side_problem(profile: MatchProfile | None, now: datetime, purpose: Purpose, *, me: bool) -> PairCode | None:
    """One learner's own state: left, paused (only the one asked or proposed), no free slot."""
    if profile is None:
        return None
    if profile.status == "left":
        return PairCode.ME_LEFT if me else PairCode.THEM_LEFT
    if not me and purpose is not Purpose.ACCEPT and profile.is_paused(now):
        return PairCode.THEM_PAUSED
    if free_slots(profile) <= 0:
        return PairCode.ME_FULL if me else PairCode.THEM_FULL
    return None


def pair_problem(
    me: Learner,
    my_profile: MatchProfile | None,
    them: Learner,
    their_profile: MatchProfile | None,
    link: Link,
    now: datetime,
    purpose: Purpose,
) -> PairCode | None:
    """The one decision whether `me` may pair with `them` for `purpose`; None if they may.

    In this order (the first problem is the one the learner reads): tracks and project, what is stored between
    them, my own state, theirs, a request of theirs waiting for me.
    """
    if me.user_id == them.user_id:
        return PairCode.SAME_TRACK
    problem = project_problem(me, them, purpose)
    if problem is not None:
        return problem
    stored = link_problem(Link(link.block, link.declined_recently, link.partners), me.user_id, purpose)
    if stored is not None:
        return stored
    problem = side_problem(my_profile, now, purpose, me=True) or side_problem(their_profile, now, purpose, me=False)
    if problem is not None:
        return problem
    return link_problem(link, me.user_id, purpose)


class Candidate(Protocol):
    """A learner as the services hold one: their scoring view and their profile (None: not opted in)."""

    @property
    def learner(self) -> Learner: ...

    @property
    def profile(self) -> MatchProfile | None: ...


C = TypeVar("C", bound=Candidate)


def allowed_partners(
    me: Learner, my_profile: MatchProfile | None, candidates: Sequence[C], links: Links, now: datetime, purpose: Purpose
) -> list[C]:
    """The candidates :func:`pair_problem` lets `me` pair with for `purpose`, in their order.

    The same decision, made for a pool of a thousand without a thousand calls (`/match suggest` runs it on
    the event loop): my own state and my project are read once, the rule runs whole only for the few
    candidates something is stored with (`links` holds no waiting requests, as in a round); for the rest
    only their own state is left to read. tests/services/test_pair_rule.py checks it against pair_problem.
    """
    if side_problem(my_profile, now, purpose, me=True) is not None:
        return []
    linked = links.linked_to(me.user_id)
    my_key = project_key(me)
    out: list[C] = []
    for candidate in candidates:
        them = candidate.learner
        if them.user_id in linked or them.user_id == me.user_id or my_key is None or my_key[0] == "other":
            link = links.link(me.user_id, them.user_id)
            if pair_problem(me, my_profile, them, candidate.profile, link, now, purpose) is None:
                out.append(candidate)
        elif (
            them.track != me.track
            and project_key(them) == my_key
            and side_problem(candidate.profile, now, purpose, me=False) is None
        ):
            out.append(candidate)
    return out
