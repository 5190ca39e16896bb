"""Partner matching, scoring: hard rules, a soft score, suggestions and cohort-wide optimal assignment.

Nothing here imports discord, db or cogs.

Hard rules (:func:`compatible`)
    same project (``other`` projects match only on the same custom title, case-insensitive, trimmed),
    opposite tracks (backend ↔ frontend), and the pair is not in ``blocked`` (declined / unpaired /
    blocked pairs, each a ``frozenset`` of two user ids).

Soft score (:func:`score_pair`), an integer 0–100, symmetric in ``a``/``b``:

    ======================  ======  ====================================================================
    component               points  rule
    ======================  ======  ====================================================================
    availability overlap    0–50    ``50 * min(overlap, 600) // 600`` – saturates at 10 h/week
    skills, a → b           0–12    6 per tag ``a`` offers that ``b`` wants, counted up to 2 tags
    skills, b → a           0–12    same the other way
    stack preference        0–10    10 if they share a preference, 5 if either has none, 0 if different
    time-zone distance      0–16    ``16 * (720 - d) // 720``, d = circular distance in minutes between
                                    current UTC offsets (0 h apart → 16, 6 h → 8, 12 h → 0)
    ======================  ======  ====================================================================

A pair sharing less than ``MIN_OVERLAP_MINUTES`` (1 h) per week scores 0: they cannot meet, and a
zero score is never used as a pair. Every other compatible pair scores ≥ 5. The score depends only on
the two learners and ``now`` (for current UTC offsets), so it is deterministic.

Assignment (:func:`optimal_matching`) maximises the sum of scores subject to the hard rules, each
learner's capacity, and at most one pairing per two people; see its docstring for the solvers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from bot.services.availability import MINUTES_PER_WEEK, WeeklyWindows, overlap_minutes

Track = Literal["backend", "frontend"]

PROJECTS: dict[str, str] = {
    "ecommerce": "E-commerce",
    "social-media-feed": "Social Media Feed",
    "movie-recommendation": "Movie Recommendation",
    "job-board": "Job Board",
    "online-poll-system": "Online Poll System",
    "other": "Other",
}
_STACK_LABELS = {"rest": "REST", "graphql": "GraphQL", "grpc": "gRPC", "websocket": "WebSockets"}

# ---- weights (see the module docstring) -------------------------------------------------------------------
W_OVERLAP = 50
OVERLAP_SATURATION_MINUTES = 600
MIN_OVERLAP_MINUTES = 60
W_SKILL_PER_TAG = 6
SKILL_TAGS_COUNTED = 2
W_STACK_SHARED = 10
W_STACK_NEUTRAL = 5
W_TIMEZONE = 16
TZ_ZERO_AT_MINUTES = 720
MAX_SCORE = W_OVERLAP + 2 * W_SKILL_PER_TAG * SKILL_TAGS_COUNTED + W_STACK_SHARED + W_TIMEZONE  # 100


@dataclass(frozen=True, slots=True)  # kept by the thousand in the suggestion pools
class Learner:
    user_id: int
    track: Track
    project: str
    custom_title: str | None
    tz_name: str
    windows: WeeklyWindows
    offers: frozenset[str]
    wants: frozenset[str]
    stack: frozenset[str]
    capacity: int = 1
    display_name: str = ""
    project_name: str = ""  # the catalog's label ("Social Media Feed"): what reasons name, never the key

    @property
    def name(self) -> str:
        return self.display_name or f"learner {self.user_id}"


@dataclass(frozen=True)
class ScoreBreakdown:
    score: int
    overlap_minutes: int
    reasons: tuple[str, ...]


# ============================================================================================ hard rules


def project_key(learner: Learner) -> tuple[str, str] | None:
    """Bucket key: ``(project, "")`` or ``("other", normalised custom title)``; None if unusable."""
    project = (learner.project or "").strip().lower()
    if project == "other":
        title = " ".join((learner.custom_title or "").split()).casefold()
        return ("other", title) if title else None
    return (project, "") if project else None


def project_label(learner: Learner) -> str:
    key = project_key(learner)
    if key is None:
        return "their project"
    if key[0] == "other":
        return f"“{' '.join((learner.custom_title or '').split())}”"
    return learner.project_name or PROJECTS.get(key[0], key[0])


def _track_label(track: str) -> str:
    return "Backend" if track == "backend" else "Frontend"


def compatible(a: Learner, b: Learner, blocked: Collection[frozenset[int]] = ()) -> bool:
    """Hard rules: same project (custom title for ``other``), opposite tracks, pair not blocked."""
    if a.user_id == b.user_id or a.track == b.track:
        return False
    if {a.track, b.track} != {"backend", "frontend"}:
        return False
    ka = project_key(a)
    if ka is None or ka != project_key(b):
        return False
    return frozenset((a.user_id, b.user_id)) not in blocked


# ============================================================================================ soft score


@lru_cache(maxsize=4096)
def _offset_minutes_cached(tz_name: str, minute_key: datetime) -> int:
    try:
        off = ZoneInfo(tz_name).utcoffset(minute_key)
    except (ZoneInfoNotFoundError, ValueError):
        return 0  # unknown zone (should have been validated on input): treat as UTC
    return int(off.total_seconds() // 60) if off is not None else 0


def _offset_minutes(tz_name: str, now: datetime | None) -> int:
    now = now or datetime.now(UTC)
    return _offset_minutes_cached(tz_name, now.astimezone(UTC).replace(second=0, microsecond=0))


def _tz_distance(oa: int, ob: int) -> int:
    d = abs(oa - ob) % 1440
    return min(d, 1440 - d)


def _low(s: frozenset[str]) -> frozenset[str]:
    return frozenset(x.strip().lower() for x in s)


def _join(words: Iterable[str]) -> str:
    w = sorted(words)
    return w[0] if len(w) == 1 else ", ".join(w[:-1]) + " and " + w[-1]


def _hours(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    h = minutes / 60
    return f"{int(h)} h" if minutes % 60 == 0 else f"{h:.1f} h"


def score_pair(a: Learner, b: Learner, *, viewer: Learner | None = None, now: datetime | None = None) -> ScoreBreakdown:
    """Soft score of a pair (ignores hard rules) with reasons, worded for ``viewer`` if given (``a`` or ``b``).

    ``now`` fixes the instant whose UTC offsets are compared (default: the current time).
    """
    if viewer is not None and viewer.user_id not in (a.user_id, b.user_id):
        raise ValueError("viewer must be one of the two learners")
    ov = overlap_minutes(a.windows, b.windows)
    oa, ob = _offset_minutes(a.tz_name, now), _offset_minutes(b.tz_name, now)
    d = _tz_distance(oa, ob)
    tz_text = "same UTC offset" if d == 0 else f"{_hours(d)} apart"
    if ov < MIN_OVERLAP_MINUTES:
        shared = "no shared free time" if ov == 0 else f"only {_hours(ov)}/week of shared free time"
        return ScoreBreakdown(0, ov, (shared, tz_text))

    a_off, a_want, b_off, b_want = _low(a.offers), _low(a.wants), _low(b.offers), _low(b.wants)
    ab, ba = a_off & b_want, b_off & a_want
    sa, sb = _low(a.stack), _low(b.stack)
    shared_stack = sa & sb
    score = W_OVERLAP * min(ov, OVERLAP_SATURATION_MINUTES) // OVERLAP_SATURATION_MINUTES
    score += W_SKILL_PER_TAG * (min(len(ab), SKILL_TAGS_COUNTED) + min(len(ba), SKILL_TAGS_COUNTED))
    if shared_stack:
        score += W_STACK_SHARED
    elif not sa or not sb:
        score += W_STACK_NEUTRAL
    score += W_TIMEZONE * (TZ_ZERO_AT_MINUTES - d) // TZ_ZERO_AT_MINUTES

    reasons = [f"{_hours(ov)}/week overlap"]
    # order the two skill directions so the viewer reads "X offers …, you want …" first
    first, second = (b, a) if viewer is not None and viewer.user_id == a.user_id else (a, b)
    for giver, taker, tags in ((first, second, ab if first is a else ba), (second, first, ba if first is a else ab)):
        if not tags:
            continue
        t = _join(tags)
        if viewer is None:
            reasons.append(f"{giver.name} offers {t}, {taker.name} wants {t}")
        elif viewer.user_id == taker.user_id:
            reasons.append(f"{giver.name} offers {t}, you want {t}")
        else:
            reasons.append(f"you offer {t}, {taker.name} wants {t}")
    if shared_stack:
        reasons.append(f"both prefer {_join(_STACK_LABELS.get(s, s) for s in shared_stack)}")
    elif sa and sb:
        reasons.append(
            f"different stacks ({_join(_STACK_LABELS.get(s, s) for s in sa)} vs "
            f"{_join(_STACK_LABELS.get(s, s) for s in sb)})"
        )
    reasons.append(tz_text)
    return ScoreBreakdown(int(score), ov, tuple(reasons))


# Above this many candidates, suggestions are scored against the pool's cached encoding first.
SUGGEST_VECTOR_MIN = 64


def suggest(
    me: Learner,
    others: Iterable[Learner],
    blocked: Collection[frozenset[int]] = (),
    limit: int = 5,
    *,
    now: datetime | None = None,
    among: Collection[int] | None = None,
) -> list[tuple[Learner, ScoreBreakdown]]:
    """Best compatible partners for ``me`` with a positive score, best first (ties: more overlap, lower id).

    ``among``: only the learners of ``others`` with these user ids (e.g. those the pair rule allows). Passing the
    whole pool with ``among``, rather than a filtered copy, lets every learner's suggestions share one cached
    encoding of the pool (a filtered list is a new pool to encode for each of them)."""
    now = now or datetime.now(UTC)
    blocked_set = blocked if isinstance(blocked, (set, frozenset)) else set(blocked)
    pool = others if isinstance(others, Sequence) else list(others)
    among_set = among if among is None or isinstance(among, (set, frozenset)) else set(among)
    if len(pool) > SUGGEST_VECTOR_MIN and limit > 0:
        # A big pool: scored at once against its cached encoding (pool_index.py); only the `limit` best are
        # explained. Same order as below: score, then overlap, then lower id.
        from bot.services.matching.pool_index import pool_index

        index = pool_index(pool)
        scores, overlap = index.scores(me, now)
        ok = index.compatible(me, blocked_set)
        if among_set is not None:
            ok &= index.mask_of(among_set)
        scores = np.where(ok, scores, 0)
        positive = np.nonzero(scores > 0)[0]
        order = positive[np.lexsort((index.user_ids[positive], -overlap[positive], -scores[positive]))][:limit]
        candidates = [pool[int(i)] for i in order]
    else:
        candidates = [
            other
            for other in pool
            if (among_set is None or other.user_id in among_set) and compatible(me, other, blocked_set)
        ]
    scored: list[tuple[Learner, ScoreBreakdown]] = []
    for other in candidates:
        br = score_pair(me, other, viewer=me, now=now)
        if br.score > 0:
            scored.append((other, br))
    scored.sort(key=lambda t: (-t[1].score, -t[1].overlap_minutes, t[0].user_id))
    return scored[: max(0, limit)]


# ============================================================================================ vectorised scores

_LOW_CACHE: dict[frozenset[str], frozenset[str]] = {}


def _low_cached(s: frozenset[str]) -> frozenset[str]:
    v = _LOW_CACHE.get(s)
    if v is None:
        if len(_LOW_CACHE) > 100_000:
            _LOW_CACHE.clear()
        v = _LOW_CACHE[s] = _low(s)
    return v


# Points for availability by overlap minutes (int8); below the 1 h minimum -128 makes the whole score negative
# (skills add ≤ 24 and stack + zone ≤ 26), which is then clipped to 0 (same as score_pair's early return).
_AVAIL_POINTS = np.array(
    [
        W_OVERLAP * min(x, OVERLAP_SATURATION_MINUTES) // OVERLAP_SATURATION_MINUTES
        if x >= MIN_OVERLAP_MINUTES
        else -128
        for x in range(MINUTES_PER_WEEK + 1)
    ],
    dtype=np.int8,
)
# A component's table of points for every (distinct row feature, distinct column feature) is built when it
# has at most this many entries (int8); otherwise each block multiplies the learners' own feature vectors.
TABLE_MAX = 256_000_000


@dataclass
class _Points:
    """One score component that depends on one feature of each side (weekly windows; offered vs wanted tags).

    Learners point at their side's DISTINCT feature vectors ``a`` (rows) and ``b`` (columns); the product of
    two vectors is a count (overlap minutes, shared tags) that ``lut`` turns into int8 points. In a cohort
    many learners share a feature, so the points of every distinct pair are computed once (:meth:`prepare`)
    and a block of scores is a gather from that table instead of a matrix product per pair.
    """

    a: np.ndarray  # (Ua, K) float32 (interval lengths folded into the windows)
    b: np.ndarray  # (Ub, K) float32
    lut: np.ndarray  # int8 points by count
    table: np.ndarray | None = None

    def prepare(self) -> None:
        if self.table is not None or len(self.a) * len(self.b) > TABLE_MAX:
            return
        table = np.empty((len(self.a), len(self.b)), dtype=np.int8)
        step = max(1, 4_000_000 // max(len(self.b), 1))
        for i in range(0, len(self.a), step):
            table[i : i + step] = self.lut[(self.a[i : i + step] @ self.b.T).astype(np.int32)]
        self.table = table

    def block(self, ri: np.ndarray, ci: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Points of rows ``ri`` × columns ``ci`` (indices of distinct features), int8 (into ``out`` if given)."""
        self.prepare()
        if self.table is not None:
            return np.take(self.table[ri], ci, axis=1, out=out)
        points = self.lut[(self.a[ri] @ self.b[ci].T).astype(np.int32)]
        if out is None:
            return points
        out[...] = points
        return out

    def pairs(self, ri: np.ndarray, ci: np.ndarray) -> np.ndarray:
        """Points of the pairs (ri[i], ci[i]), int32 (no table is built for a few pairs)."""
        if self.table is not None:
            return self.table[ri, ci].astype(np.int32)
        return self.lut[np.einsum("ij,ij->i", self.a[ri], self.b[ci]).astype(np.int32)].astype(np.int32)


@dataclass
class _Side:
    """One side of a bucket: per learner, the index of its distinct windows, tag sets and (stack, offset) class."""

    pat: np.ndarray  # (n,) int64 into the windows of _Enc.avail
    offers: np.ndarray  # (n,) int64 into the offered tag sets
    wants: np.ndarray  # (n,) int64 into the wanted tag sets
    cls: np.ndarray  # (n,) int64 into _Enc.static


@dataclass
class _Enc:
    """Numeric encoding of a bucket's two sides (rows = backends, columns = frontends).

    Windows become indicator vectors over the elementary intervals between all breakpoints occurring
    in either side, so overlap = (row indicator × interval lengths) · column indicator is exact (float32
    sums of integers < 2**24). Skills are 0/1 tag vectors (shared tags by product). Stack preference and
    UTC offset only take a few distinct values, so their points come from a small class × class table.
    """

    rows: _Side
    cols: _Side
    avail: _Points  # windows × windows
    give: _Points  # row offered × column wanted tags
    take: _Points  # row wanted × column offered tags
    static: np.ndarray  # (n_classes, n_classes) int8: stack + time-zone points

    def prepare(self) -> None:
        """Build the tables (before scoring blocks on several threads)."""
        for part in (self.avail, self.give, self.take):
            part.prepare()


def _static_points(sa: frozenset[str], sb: frozenset[str], oa: int, ob: int) -> int:
    pts = W_STACK_SHARED if sa & sb else (W_STACK_NEUTRAL if not sa or not sb else 0)
    return pts + W_TIMEZONE * (TZ_ZERO_AT_MINUTES - _tz_distance(oa, ob)) // TZ_ZERO_AT_MINUTES


def _tag_vectors(sets: list[frozenset[str]], tags: dict[str, int]) -> np.ndarray:
    out = np.zeros((len(sets), max(1, len(tags))), dtype=np.float32)
    for i, tag_set in enumerate(sets):
        out[i, [tags[t] for t in tag_set]] = 1
    return out


def _window_vectors(patterns: list[tuple[tuple[int, int], ...]], at: dict[int, int]) -> np.ndarray:
    """0/1 per elementary interval (``at``: breakpoint → the interval starting there)."""
    out = np.zeros((len(patterns), max(1, len(at) - 1)), dtype=np.float32)
    for i, ranges in enumerate(patterns):
        for start, end in ranges:
            out[i, at[start] : at[end]] = 1
    return out


def _skill_points(a: list[frozenset[str]], b: list[frozenset[str]]) -> _Points:
    tags = {t: i for i, t in enumerate(sorted(set().union(*a, *b)))}
    lut = (W_SKILL_PER_TAG * np.minimum(np.arange(len(tags) + 1), SKILL_TAGS_COUNTED)).astype(np.int8)
    return _Points(_tag_vectors(a, tags), _tag_vectors(b, tags), lut)


def _encode(rows: Sequence[Learner], cols: Sequence[Learner], now: datetime) -> _Enc:
    classes: dict[tuple[frozenset[str], int], int] = {}
    offsets: dict[str, int] = {}
    windows: tuple[dict[tuple[tuple[int, int], ...], int], ...] = ({}, {})
    tag_sets: tuple[dict[frozenset[str], int], ...] = ({}, {}, {}, {})  # row offers, row wants, col …

    def side(ls: Sequence[Learner], which: int) -> _Side:
        n = len(ls)
        idx = np.empty((4, n), dtype=np.int64)
        pats, offered, wanted = windows[which], tag_sets[2 * which], tag_sets[2 * which + 1]
        for i, lr in enumerate(ls):
            off = offsets.get(lr.tz_name)
            if off is None:
                off = offsets[lr.tz_name] = _offset_minutes(lr.tz_name, now)
            idx[0, i] = pats.setdefault(lr.windows.ranges, len(pats))
            idx[1, i] = offered.setdefault(_low_cached(lr.offers), len(offered))
            idx[2, i] = wanted.setdefault(_low_cached(lr.wants), len(wanted))
            idx[3, i] = classes.setdefault((_low_cached(lr.stack), off), len(classes))
        return _Side(idx[0], idx[1], idx[2], idx[3])

    r, c = side(rows, 0), side(cols, 1)
    bps = sorted({0, MINUTES_PER_WEEK} | {x for pats in windows for rg in pats for se in rg for x in se})
    at = {x: i for i, x in enumerate(bps)}
    lengths = np.diff(np.array(bps, dtype=np.float32))
    row_windows = _window_vectors(list(windows[0]), at) * lengths
    avail = _Points(row_windows, _window_vectors(list(windows[1]), at), _AVAIL_POINTS)
    keys = list(classes)
    static = np.array([[_static_points(sa, sb, oa, ob) for sb, ob in keys] for sa, oa in keys], dtype=np.int8).reshape(
        len(keys), len(keys)
    )
    give = _skill_points(list(tag_sets[0]), list(tag_sets[3]))
    take = _skill_points(list(tag_sets[1]), list(tag_sets[2]))
    return _Enc(r, c, avail, give, take, static)


def _score_block8(enc: _Enc, sl: slice, out: np.ndarray | None = None) -> np.ndarray:
    """int8 scores (0–100) for rows ``sl`` × all columns (into ``out`` if given); same arithmetic as
    :func:`score_pair`: four gathers from the component tables (windows, both skill directions, stack and
    time-zone classes) and a clip."""
    r, c = enc.rows, enc.cols
    score = enc.avail.block(r.pat[sl], c.pat, out)
    score += enc.give.block(r.offers[sl], c.wants)
    score += enc.take.block(r.wants[sl], c.offers)
    score += np.take(enc.static[r.cls[sl]], c.cls, axis=1)
    np.maximum(score, 0, out=score)
    return score


def _score_block(enc: _Enc, sl: slice, cols: np.ndarray | None = None) -> np.ndarray:
    """int32 scores for rows ``sl`` × columns (all, or ``cols``); same arithmetic as :func:`score_pair`."""
    if cols is not None:
        c = enc.cols
        enc = replace(enc, cols=_Side(c.pat[cols], c.offers[cols], c.wants[cols], c.cls[cols]))
    return _score_block8(enc, sl).astype(np.int32)


def _pair_scores(enc: _Enc, eb: np.ndarray, ef: np.ndarray) -> np.ndarray:
    """Scores of specific (row, column) pairs; same arithmetic as :func:`_score_block`."""
    r, c = enc.rows, enc.cols
    sc = enc.avail.pairs(r.pat[eb], c.pat[ef])
    sc += enc.give.pairs(r.offers[eb], c.wants[ef]) + enc.take.pairs(r.wants[eb], c.offers[ef])
    sc += enc.static[r.cls[eb], c.cls[ef]]
    return np.maximum(sc, 0).astype(np.int32)


def score_matrix(rows: Sequence[Learner], cols: Sequence[Learner], *, now: datetime | None = None) -> np.ndarray:
    """Soft scores for every (row, column) pair as an int32 matrix (hard rules not applied)."""
    if not rows or not cols:
        return np.zeros((len(rows), len(cols)), dtype=np.int32)
    return _score_block(_encode(rows, cols, now or datetime.now(UTC)), slice(0, len(rows)))
