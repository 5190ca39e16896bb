"""Partner matching, suggestions over a large pool: the pool encoded once, one learner scored against it in NumPy.

`/match suggest` scores one learner against the other track of their project (a thousand learners in
a big cohort) on the event loop. Encoding that pool (windows, skills, stacks, zones) is most of the
cost, and the pool is the same for every suggestion until it changes, so :func:`pool_index` keeps the
last few encodings, keyed by the identity of the pool's learner objects (the service caches those
objects). The service passes the whole pool and names the partners the pair rule allows (`suggest(among=)`),
so one encoding serves every learner of the other track, whoever each of them may not be paired with.
:meth:`PoolIndex.scores` is then a handful of array operations: the same arithmetic as
:func:`~bot.services.matching.scoring.score_pair`, which explains only the few picked. No discord here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Generator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import numpy as np

from bot.services.matching.scoring import (
    MIN_OVERLAP_MINUTES,
    OVERLAP_SATURATION_MINUTES,
    SKILL_TAGS_COUNTED,
    TZ_ZERO_AT_MINUTES,
    W_OVERLAP,
    W_SKILL_PER_TAG,
    W_STACK_NEUTRAL,
    W_STACK_SHARED,
    W_TIMEZONE,
    Learner,
    _low_cached,
    _offset_minutes,
    project_key,
)

POOL_CACHE_SIZE = 16  # pools kept encoded: projects × tracks of a guild or two
BUILD_STEP = 64  # learners encoded between two steps of `PoolIndex.building` (≈ 0.5 ms)
T = TypeVar("T")


@dataclass
class PoolIndex:
    learners: tuple[Learner, ...]
    user_ids: np.ndarray  # (n,) int64
    tracks: np.ndarray  # (n,) object: "backend" / "frontend" / other
    project_keys: list[tuple[str, str] | None]
    starts: np.ndarray  # every window range of the pool, flattened: start, end, owner
    ends: np.ndarray
    owners: np.ndarray
    offers: dict[str, np.ndarray]  # tag → int8 mask over the pool (lower-cased, as score_pair compares)
    wants: dict[str, np.ndarray]
    stacks: list[frozenset[str]]  # distinct lower-cased stack preferences
    stack_idx: np.ndarray
    zones: list[str]  # distinct zone names
    zone_idx: np.ndarray
    positions: dict[int, list[int]]  # user id → where that learner is in the pool

    def mask_of(self, user_ids: Collection[int]) -> np.ndarray:
        """True at the learners with these user ids. A lookup per id: `np.isin` sorts both sides for a pool
        this size, and its sort imports `numpy.ma` (1.6 MB resident) the first time, for nothing here."""
        mask = np.zeros(len(self.learners), dtype=bool)
        found = [i for u in user_ids for i in self.positions.get(u, ())]
        if found:
            mask[found] = True
        return mask

    @classmethod
    def build(cls, learners: Sequence[Learner]) -> PoolIndex:
        return run_to_end(cls.building(learners))

    @classmethod
    def building(cls, learners: Sequence[Learner]) -> Generator[None, None, PoolIndex]:
        """The encoding, built step by step: it yields after every `BUILD_STEP` learners (a thousand take 6-8 ms,
        which a caller on the event loop spreads over several turns of it) and returns the index."""
        n = len(learners)
        starts: list[int] = []
        ends: list[int] = []
        owners: list[int] = []
        offers: dict[str, np.ndarray] = {}
        wants: dict[str, np.ndarray] = {}
        stacks: dict[frozenset[str], int] = {}
        zones: dict[str, int] = {}
        stack_idx = np.empty(n, dtype=np.int64)
        zone_idx = np.empty(n, dtype=np.int64)
        positions: dict[int, list[int]] = {}
        for i, lr in enumerate(learners):
            if i and i % BUILD_STEP == 0:
                yield
            positions.setdefault(lr.user_id, []).append(i)
            for s, e in lr.windows.ranges:
                starts.append(s)
                ends.append(e)
                owners.append(i)
            for tag in _low_cached(lr.offers):
                offers.setdefault(tag, np.zeros(n, dtype=np.int8))[i] = 1
            for tag in _low_cached(lr.wants):
                wants.setdefault(tag, np.zeros(n, dtype=np.int8))[i] = 1
            stack_idx[i] = stacks.setdefault(_low_cached(lr.stack), len(stacks))
            zone_idx[i] = zones.setdefault(lr.tz_name, len(zones))
        return cls(
            tuple(learners),
            np.array([lr.user_id for lr in learners], dtype=np.int64),
            np.array([lr.track for lr in learners], dtype=object),
            [project_key(lr) for lr in learners],
            np.array(starts, dtype=np.int64),
            np.array(ends, dtype=np.int64),
            np.array(owners, dtype=np.int64),
            offers,
            wants,
            list(stacks),
            stack_idx,
            list(zones),
            zone_idx,
            positions,
        )

    def compatible(self, me: Learner, blocked: Collection[frozenset[int]]) -> np.ndarray:
        """The hard rules of :func:`~bot.services.matching.scoring.compatible` for `me` against everyone."""
        n = len(self.learners)
        mine = project_key(me)
        if mine is None or me.track not in ("backend", "frontend"):
            return np.zeros(n, dtype=bool)
        other = "frontend" if me.track == "backend" else "backend"
        ok = (self.tracks == other) & (self.user_ids != me.user_id)
        ok &= np.array([key == mine for key in self.project_keys], dtype=bool)
        partners = [u for pair in blocked if me.user_id in pair and len(pair) == 2 for u in pair if u != me.user_id]
        if partners:
            ok &= ~self.mask_of(partners)
        return ok

    def scores(self, me: Learner, now: datetime) -> tuple[np.ndarray, np.ndarray]:
        """(score, overlap minutes) of `me` with everyone in the pool; scores as score_pair computes them."""
        n = len(self.learners)
        overlap = np.zeros(n, dtype=np.int64)
        if len(self.starts):
            for s, e in me.windows.ranges:  # both sides' ranges are merged and sorted: pieces never overlap
                piece = np.minimum(self.ends, e) - np.maximum(self.starts, s)
                overlap += np.bincount(self.owners, weights=np.maximum(piece, 0), minlength=n).astype(np.int64)
        points = W_OVERLAP * np.minimum(overlap, OVERLAP_SATURATION_MINUTES) // OVERLAP_SATURATION_MINUTES
        ab = np.zeros(n, dtype=np.int64)
        ba = np.zeros(n, dtype=np.int64)
        for tag in _low_cached(me.offers):
            if tag in self.wants:
                ab += self.wants[tag]
        for tag in _low_cached(me.wants):
            if tag in self.offers:
                ba += self.offers[tag]
        points += W_SKILL_PER_TAG * (np.minimum(ab, SKILL_TAGS_COUNTED) + np.minimum(ba, SKILL_TAGS_COUNTED))
        my_stack = _low_cached(me.stack)
        stack_pts = np.array(
            [
                W_STACK_SHARED if my_stack & st else W_STACK_NEUTRAL if not (my_stack and st) else 0
                for st in self.stacks
            ],
            dtype=np.int64,
        )
        points += stack_pts[self.stack_idx] if len(self.stacks) else 0
        mine = _offset_minutes(me.tz_name, now)
        zone_pts = []
        for zone in self.zones:
            d = abs(mine - _offset_minutes(zone, now)) % 1440
            d = min(d, 1440 - d)
            zone_pts.append(W_TIMEZONE * (TZ_ZERO_AT_MINUTES - d) // TZ_ZERO_AT_MINUTES)
        points += np.array(zone_pts, dtype=np.int64)[self.zone_idx] if self.zones else 0
        return np.where(overlap >= MIN_OVERLAP_MINUTES, points, 0), overlap


_CACHE: OrderedDict[tuple[int, ...], PoolIndex] = OrderedDict()


def pool_index(learners: Sequence[Learner]) -> PoolIndex:
    """The encoding of this pool, built once per distinct list of learner objects (the last few kept).

    Keyed by object identity: the cached index holds the learners themselves, so no id in a key can
    be reused by another object while its entry exists."""
    return run_to_end(pool_index_steps(learners))


def pool_index_steps(learners: Sequence[Learner]) -> Generator[None, None, PoolIndex]:
    """`pool_index` step by step: nothing to step through when the pool is encoded already, else the build's steps
    (`PoolIndex.building`), then the index is kept."""
    key = tuple(id(lr) for lr in learners)
    found = _CACHE.get(key)
    if found is None:
        found = yield from PoolIndex.building(learners)
        _CACHE[key] = found
        while len(_CACHE) > POOL_CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return found


def run_to_end(steps: Generator[None, None, T]) -> T:
    """A step-by-step computation run at once."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
