"""Partner matching: hard rules, a soft score, suggestions and cohort-wide optimal assignment.

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

import heapq
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

# SciPy is imported inside the solvers: scipy.optimize alone adds ~40 MB to the process and ~0.3 s to
# start-up, and only an optimal round needs it (suggestions and scores are NumPy).
from bot.services.availability import MINUTES_PER_WEEK, WeeklyWindows, overlap_minutes

__all__ = [
    "MAX_SCORE",
    "MIN_OVERLAP_MINUTES",
    "PROJECTS",
    "Learner",
    "MatchResult",
    "ScoreBreakdown",
    "compatible",
    "gale_shapley_matching",
    "greedy_matching",
    "optimal_matching",
    "project_key",
    "project_label",
    "score_matrix",
    "score_pair",
    "suggest",
]

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


@dataclass(frozen=True)
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

    @property
    def name(self) -> str:
        return self.display_name or f"learner {self.user_id}"


@dataclass(frozen=True)
class ScoreBreakdown:
    score: int
    overlap_minutes: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    pairs: tuple[tuple[int, int, int], ...]  # (backend_id, frontend_id, score), sorted
    unmatched: dict[int, str] = field(default_factory=dict)  # user_id → reason in words
    total_score: int = 0
    method: str = ""


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
    return PROJECTS.get(key[0], key[0])


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


# Above this many candidates, suggestions are scored with the vectorised matrix first.
SUGGEST_VECTOR_MIN = 64


def suggest(
    me: Learner,
    others: Iterable[Learner],
    blocked: Collection[frozenset[int]] = (),
    limit: int = 5,
    *,
    now: datetime | None = None,
) -> list[tuple[Learner, ScoreBreakdown]]:
    """Best compatible partners for ``me`` with a positive score, best first (ties: more overlap, lower id)."""
    now = now or datetime.now(UTC)
    blocked_set = blocked if isinstance(blocked, (set, frozenset)) else set(blocked)
    candidates = [other for other in others if compatible(me, other, blocked_set)]
    if len(candidates) > SUGGEST_VECTOR_MIN and limit > 0:
        # Score everyone at once, then explain only those who can make the top `limit` (ties included).
        scores = score_matrix([me], candidates, now=now)[0]
        kth = int(np.partition(scores, len(scores) - limit)[len(scores) - limit]) if len(scores) >= limit else 0
        candidates = [c for c, sc in zip(candidates, scores, strict=True) if sc >= max(kth, 1)]
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


# Points for availability by overlap minutes; below the 1 h minimum a large negative value makes the
# whole score ≤ 0, which is then clipped to 0 (same as score_pair's early return).
_AVAIL_LUT = np.array(
    [
        W_OVERLAP * min(x, OVERLAP_SATURATION_MINUTES) // OVERLAP_SATURATION_MINUTES
        if x >= MIN_OVERLAP_MINUTES
        else -1000
        for x in range(MINUTES_PER_WEEK + 1)
    ],
    dtype=np.float32,
)


@dataclass
class _Side:
    win: np.ndarray  # (n, K) float32: 1 if free during elementary interval k
    offers: np.ndarray  # (n, T) float32
    wants: np.ndarray  # (n, T) float32
    cls: np.ndarray  # (n,) int64: index of (stack preference, UTC offset) class


@dataclass
class _Enc:
    """Numeric encoding of a bucket's two sides (rows = backends, columns = frontends).

    Windows become indicator vectors over the elementary intervals between all breakpoints occurring
    in either side, so overlap = (row indicator × interval lengths) · column indicator is exact (float32
    sums of integers < 2**24). Skills are 0/1 tag vectors (counts by matrix product). Stack preference
    and UTC offset only take a few distinct values, so their points come from a small class × class table.
    """

    rows: _Side
    cols: _Side
    lengths: np.ndarray  # (K,) float32
    static: np.ndarray  # (n_classes, n_classes) float32: stack + time-zone points


def _static_points(sa: frozenset[str], sb: frozenset[str], oa: int, ob: int) -> int:
    pts = W_STACK_SHARED if sa & sb else (W_STACK_NEUTRAL if not sa or not sb else 0)
    return pts + W_TIMEZONE * (TZ_ZERO_AT_MINUTES - _tz_distance(oa, ob)) // TZ_ZERO_AT_MINUTES


def _encode(rows: Sequence[Learner], cols: Sequence[Learner], now: datetime) -> _Enc:
    bps = {0, MINUTES_PER_WEEK}
    for lr in (*rows, *cols):
        for s, e in lr.windows.ranges:
            bps.add(s)
            bps.add(e)
    bp = np.array(sorted(bps), dtype=np.int64)
    k = len(bp) - 1
    skills = sorted({t for lr in (*rows, *cols) for t in (*_low_cached(lr.offers), *_low_cached(lr.wants))})
    sk_idx = {t: i for i, t in enumerate(skills)}
    classes: dict[tuple[frozenset[str], int], int] = {}
    offsets: dict[str, int] = {}

    def side(ls: Sequence[Learner]) -> _Side:
        n = len(ls)
        diff = np.zeros((n, k + 1), dtype=np.int16)
        ri: list[int] = []
        bounds: list[int] = []
        offers = np.zeros((n, max(1, len(skills))), dtype=np.float32)
        wants = np.zeros_like(offers)
        cls = np.zeros(n, dtype=np.int64)
        for i, lr in enumerate(ls):
            for s, e in lr.windows.ranges:
                ri.append(i)
                bounds.append(s)
                bounds.append(e)
            for t in _low_cached(lr.offers):
                offers[i, sk_idx[t]] = 1
            for t in _low_cached(lr.wants):
                wants[i, sk_idx[t]] = 1
            off = offsets.get(lr.tz_name)
            if off is None:
                off = offsets[lr.tz_name] = _offset_minutes(lr.tz_name, now)
            cls[i] = classes.setdefault((_low_cached(lr.stack), off), len(classes))
        if ri:
            r = np.array(ri)
            idx = np.searchsorted(bp, np.array(bounds)).reshape(-1, 2)
            np.add.at(diff, (r, idx[:, 0]), 1)
            np.add.at(diff, (r, idx[:, 1]), -1)
        win = (np.cumsum(diff[:, :k], axis=1) > 0).astype(np.float32)
        return _Side(win, offers, wants, cls)

    r, c = side(rows), side(cols)
    keys = list(classes)
    static = np.array(
        [[_static_points(sa, sb, oa, ob) for sb, ob in keys] for sa, oa in keys], dtype=np.float32
    ).reshape(len(keys), len(keys))
    return _Enc(r, c, np.diff(bp).astype(np.float32), static)


_AVAIL_LUT16 = _AVAIL_LUT.astype(np.int16)


def _skill_lut(n_tags: int) -> np.ndarray | None:
    """Points for ``ab + (n_tags + 1) * ba`` (the combined skill product, see :func:`_score_block16`)."""
    m = n_tags + 1
    if m * m > 1 << 20:
        return None
    v = np.arange(m * m)
    return (W_SKILL_PER_TAG * (np.minimum(v % m, SKILL_TAGS_COUNTED) + np.minimum(v // m, SKILL_TAGS_COUNTED))).astype(
        np.int16
    )


def _score_block16(enc: _Enc, sl: slice) -> np.ndarray:
    """int16 scores for rows ``sl`` × all columns; same arithmetic as :func:`score_pair`.

    Overlap minutes come from one float32 matrix product (exact integers) and a lookup table; both
    skill directions come from ONE product ``ab + (T + 1)·ba`` (T = number of tags, so ``ab ≤ T``) and a
    lookup table; stack and time-zone points from the class × class table (a row gather, then columns).
    """
    r, c = enc.rows, enc.cols
    ov = ((r.win[sl] * enc.lengths) @ c.win.T).astype(np.int32)
    score = _AVAIL_LUT16[ov]
    del ov
    n_tags = r.offers.shape[1]
    lut = _skill_lut(n_tags)
    if lut is not None:
        sk = (np.hstack([r.offers[sl], r.wants[sl] * (n_tags + 1)]) @ np.hstack([c.wants, c.offers]).T).astype(np.int32)
        score += lut[sk]
        del sk
    else:  # pragma: no cover - only with > 1,000 distinct skill tags in one bucket
        ab = np.minimum(r.offers[sl] @ c.wants.T, SKILL_TAGS_COUNTED)
        ab += np.minimum(r.wants[sl] @ c.offers.T, SKILL_TAGS_COUNTED)
        score += (W_SKILL_PER_TAG * ab).astype(np.int16)
    score += np.take(enc.static.astype(np.int16)[r.cls[sl]], c.cls, axis=1)
    np.maximum(score, 0, out=score)
    return score


def _score_block(enc: _Enc, sl: slice, cols: np.ndarray | None = None) -> np.ndarray:
    """int32 scores for rows ``sl`` × columns (all, or ``cols``); same arithmetic as :func:`score_pair`."""
    if cols is not None:
        c = enc.cols
        enc = _Enc(enc.rows, _Side(c.win[cols], c.offers[cols], c.wants[cols], c.cls[cols]), enc.lengths, enc.static)
    return _score_block16(enc, sl).astype(np.int32)


def _pair_scores(enc: _Enc, eb: np.ndarray, ef: np.ndarray) -> np.ndarray:
    """Scores of specific (row, column) pairs; same arithmetic as :func:`_score_block`."""
    out = np.zeros(len(eb), dtype=np.int32)
    r, c = enc.rows, enc.cols
    step = 20_000
    for i in range(0, len(eb), step):
        b, f = eb[i : i + step], ef[i : i + step]
        ov = np.einsum("ij,ij->i", r.win[b] * enc.lengths, c.win[f]).astype(np.int32)
        sc = _AVAIL_LUT[ov]
        ab = np.minimum(np.einsum("ij,ij->i", r.offers[b], c.wants[f]), SKILL_TAGS_COUNTED)
        ba = np.minimum(np.einsum("ij,ij->i", r.wants[b], c.offers[f]), SKILL_TAGS_COUNTED)
        sc = sc + W_SKILL_PER_TAG * (ab + ba) + enc.static[r.cls[b], c.cls[f]]
        out[i : i + step] = np.maximum(sc, 0).astype(np.int32)
    return out


def score_matrix(rows: Sequence[Learner], cols: Sequence[Learner], *, now: datetime | None = None) -> np.ndarray:
    """Soft scores for every (row, column) pair as an int32 matrix (hard rules not applied)."""
    if not rows or not cols:
        return np.zeros((len(rows), len(cols)), dtype=np.int32)
    return _score_block(_encode(rows, cols, now or datetime.now(UTC)), slice(0, len(rows)))


# ============================================================================================ buckets


@dataclass
class _Bucket:
    label: str
    backs: list[Learner]  # sorted by user_id, capacity > 0
    fronts: list[Learner]
    bcap: np.ndarray  # int64
    fcap: np.ndarray
    blocked_idx: list[tuple[int, int]]  # (row, col) indices of blocked pairs
    n_back_total: int  # incl. learners at capacity
    n_front_total: int


def _prepare(
    learners: Sequence[Learner],
    blocked: Collection[frozenset[int]],
    remaining_capacity: Mapping[int, int] | None,
) -> tuple[list[_Bucket], dict[int, str]]:
    seen: set[int] = set()
    unmatched: dict[int, str] = {}
    groups: dict[tuple[str, str], list[Learner]] = defaultdict(list)
    labels: dict[tuple[str, str], str] = {}
    for lr in learners:
        if lr.user_id in seen:
            raise ValueError(f"learner {lr.user_id} appears twice")
        seen.add(lr.user_id)
        if lr.track not in ("backend", "frontend"):
            unmatched[lr.user_id] = "no track chosen"
            continue
        key = project_key(lr)
        if key is None:
            unmatched[lr.user_id] = (
                "no custom project title set" if (lr.project or "").strip().lower() == "other" else "no project chosen"
            )
            continue
        groups[key].append(lr)
        labels.setdefault(key, project_label(lr))
    caps = remaining_capacity or {}
    buckets: list[_Bucket] = []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda x: x.user_id)
        backs_all = [m for m in members if m.track == "backend"]
        fronts_all = [m for m in members if m.track == "frontend"]
        backs, fronts = [], []
        for m in members:
            cap = max(0, int(caps.get(m.user_id, m.capacity)))
            if cap == 0:
                unmatched[m.user_id] = "already has as many partners as they asked for"
            elif m.track == "backend":
                backs.append((m, cap))
            else:
                fronts.append((m, cap))
        bidx = {m.user_id: i for i, (m, _) in enumerate(backs)}
        fidx = {m.user_id: i for i, (m, _) in enumerate(fronts)}
        blocked_idx: list[tuple[int, int]] = []
        if blocked and backs and fronts:
            for pair in blocked:
                if len(pair) != 2:
                    continue
                x, y = tuple(pair)
                if x in bidx and y in fidx:
                    blocked_idx.append((bidx[x], fidx[y]))
                elif y in bidx and x in fidx:
                    blocked_idx.append((bidx[y], fidx[x]))
        buckets.append(
            _Bucket(
                labels[key],
                [m for m, _ in backs],
                [m for m, _ in fronts],
                np.array([c for _, c in backs], dtype=np.int64),
                np.array([c for _, c in fronts], dtype=np.int64),
                blocked_idx,
                len(backs_all),
                len(fronts_all),
            )
        )
    return buckets, unmatched


@dataclass
class _Edges:
    """Positive-score edges of a bucket, sorted by key ``b * nf + f``; plus per-node facts for reasons."""

    b: np.ndarray
    f: np.ndarray
    s: np.ndarray
    dense: np.ndarray | None  # full score matrix when computed densely
    row_has_pos: np.ndarray  # any positive-score partner (over ALL columns, not just candidates)
    col_has_pos: np.ndarray
    full: np.ndarray | None = None  # sparse path: every score of the bucket as int8 (blocked pairs = 0)


def _apply_blocked(block: np.ndarray, bucket: _Bucket, sl: slice) -> None:
    for i, j in bucket.blocked_idx:
        if sl.start <= i < sl.stop:
            block[i - sl.start, j] = 0


def _threshold(counts: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From per-line score histograms (lines × (MAX_SCORE+1)), the k-th best score ``t`` of each line
    (at least 1) and how many entries equal to ``t`` still fit after those above it."""
    ge = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]  # ge[:, t] = entries ≥ t
    ok = ge >= k[:, None]
    ok[:, 0] = True
    t = np.maximum(1, (MAX_SCORE - np.argmax(ok[:, ::-1], axis=1)))
    above = np.where(t < MAX_SCORE, ge[np.arange(len(t)), np.minimum(t + 1, MAX_SCORE)], 0)
    above = np.where(t == MAX_SCORE, 0, above)
    return t.astype(np.int16), (k - above).astype(np.int32)


def _bucket_edges(bucket: _Bucket, dense: bool, top_k: int, now: datetime, enc: _Enc | None = None) -> _Edges:
    """Dense: every positive edge (and the matrix). Sparse: the union of each learner's top candidates
    taken from BOTH sides — each backend's ``top_k × capacity`` best frontends and each frontend's
    ``top_k × capacity`` best backends (ties at the cut broken by lower index).

    Sparse scoring keeps the bucket's scores as an int8 matrix (1 byte per pair), computed in row
    blocks; per-line k-th best scores come from score histograms (scores are integers 0–100), which is
    much cheaper than sorting."""
    nb, nf = len(bucket.backs), len(bucket.fronts)
    enc = enc or _encode(bucket.backs, bucket.fronts, now)
    if dense:
        S = _score_block(enc, slice(0, nb))
        _apply_blocked(S, bucket, slice(0, nb))
        bi, fi = np.nonzero(S > 0)
        return _Edges(bi, fi, S[bi, fi], S, np.asarray((S > 0).any(axis=1)), np.asarray((S > 0).any(axis=0)))
    k_row = np.minimum(nf, top_k * bucket.bcap)
    k_col = np.minimum(nb, top_k * bucket.fcap)
    block_rows = max(1, 2_000_000 // max(nf, 1))
    levels = MAX_SCORE + 1
    S_all = np.empty((nb, nf), dtype=np.int8)
    row_t = np.empty(nb, dtype=np.int16)
    row_room = np.empty(nb, dtype=np.int32)
    col_counts = np.zeros(nf * levels, dtype=np.int64)
    col_base = (np.arange(nf, dtype=np.int64) * levels)[None, :]
    for start in range(0, nb, block_rows):
        sl = slice(start, min(nb, start + block_rows))
        S = _score_block16(enc, sl)
        _apply_blocked(S, bucket, sl)
        n = S.shape[0]
        rc = np.bincount((np.arange(n, dtype=np.int64)[:, None] * levels + S).ravel(), minlength=n * levels)
        row_t[sl], row_room[sl] = _threshold(rc.reshape(n, levels), k_row[sl])
        col_counts += np.bincount((col_base + S).ravel(), minlength=nf * levels)
        S_all[sl] = S
        del S
    col_t, col_room = _threshold(col_counts.reshape(nf, levels), k_col)
    col_seen = np.zeros(nf, dtype=np.int32)  # ties at the column cut taken so far
    keys: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for start in range(0, nb, block_rows):
        sl = slice(start, min(nb, start + block_rows))
        S = S_all[sl]
        rt = row_t[sl][:, None]
        eq = S == rt
        take = (S > rt) | (eq & (np.cumsum(eq, axis=1, dtype=np.int32) <= row_room[sl][:, None]))
        ceq = S == col_t[None, :]
        crank = np.cumsum(ceq, axis=0, dtype=np.int32) + col_seen[None, :]
        take |= (S > col_t[None, :]) | (ceq & (crank <= col_room[None, :]))
        col_seen += ceq.sum(axis=0, dtype=np.int32)
        take &= S > 0
        bi, fi = np.nonzero(take)
        keys.append((bi.astype(np.int64) + start) * nf + fi)
        vals.append(S[bi, fi].astype(np.int32))
    key = np.concatenate(keys)
    score = np.concatenate(vals)
    row_has = np.asarray((S_all > 0).any(axis=1))
    col_has = np.asarray((S_all > 0).any(axis=0))
    return _Edges(key // nf, key % nf, score, None, row_has, col_has, S_all)


# ============================================================================================ solvers


def _slot_owner(cap: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(cap)), cap)


def _solve_dense(S: np.ndarray, bcap: np.ndarray, fcap: np.ndarray) -> list[tuple[int, int]]:
    """``linear_sum_assignment`` over capacity slots (rows and columns replicated per slot).

    Letting a slot stay unmatched is the same as giving it a 0-score "unmatched" partner: with every
    real score ≥ 0, a max-weight assignment that may use zero entries has the same optimum as one with
    a dummy column per row, so instead of adding the dummy columns we drop the assignments whose score
    is 0 (incompatible, blocked or no shared time) afterwards.
    """
    from scipy.optimize import linear_sum_assignment

    rows, cols = _slot_owner(bcap), _slot_owner(fcap)
    R = S[rows][:, cols]
    ri, ci = linear_sum_assignment(R, maximize=True)
    keep = R[ri, ci] > 0
    return list(zip(rows[ri[keep]].tolist(), cols[ci[keep]].tolist(), strict=True))


def _solve_sparse(
    edges: _Edges, bcap: np.ndarray, fcap: np.ndarray, *, duals: bool = False
) -> tuple[list[tuple[int, int]], tuple[np.ndarray, np.ndarray] | None]:
    """``min_weight_full_bipartite_matching`` on the candidate graph over capacity slots.

    Every edge (b, f) is replicated to all slot pairs; every row slot also gets its own dummy column,
    so a full matching always exists. Weights are ``MAX_SCORE + 1 - score`` for real edges and
    ``MAX_SCORE + 1`` for dummies (all positive), so a minimum-weight full matching maximises the score.

    With ``duals``, also returns optimal LP duals of the candidate graph's slot problem, per learner:
    prices ``p_b`` (backends) and ``q_f ≥ 0`` (frontends) with ``p_b + q_f ≥ s_bf`` on every candidate
    edge. They come from shortest paths in the residual graph of the optimal matching: for a row slot
    ``i`` matched to column slot ``m(i)``, every edge ``(i, j)`` gives an arc ``j → m(i)`` of length
    ``s(i, m(i)) - s(i, j)`` (no negative cycle, by optimality); ``x`` = distances from the free columns
    (Bellman–Ford, vectorised); then ``q_j = x_j`` and ``p_i = s(i, m(i)) - x_{m(i)}``. A slot problem
    whose duals also cover every pair NOT in the graph is optimal for the whole bucket.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    n_rows, n_cols = int(bcap.sum()), int(fcap.sum())
    if len(edges.b) == 0 or n_rows == 0:
        return [], None
    boff = np.concatenate([[0], np.cumsum(bcap)[:-1]])
    foff = np.concatenate([[0], np.cumsum(fcap)[:-1]])
    cb, cf = bcap[edges.b], fcap[edges.f]
    cnt = cb * cf
    total = int(cnt.sum())
    if total == len(edges.b):  # every edge joins two capacity-1 learners: no replication
        r, c, s = boff[edges.b], foff[edges.f], edges.s.astype(np.int64)
    else:
        e_rep = np.repeat(np.arange(len(edges.b)), cnt)
        t = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        r = boff[edges.b][e_rep] + t // cf[e_rep]
        c = foff[edges.f][e_rep] + t % cf[e_rep]
        s = edges.s[e_rep].astype(np.int64)
    dummy = np.arange(n_rows)
    r_all = np.concatenate([r, dummy])
    c_all = np.concatenate([c, n_cols + dummy])
    s_all = np.concatenate([s, np.zeros(n_rows, dtype=np.int64)])
    G = csr_matrix(((MAX_SCORE + 1 - s_all).astype(np.float64), (r_all, c_all)), shape=(n_rows, n_cols + n_rows))
    ri, ci = min_weight_full_bipartite_matching(G)
    real = ci < n_cols
    rows, cols = _slot_owner(bcap), _slot_owner(fcap)
    pairs = list(zip(rows[ri[real]].tolist(), cols[ci[real]].tolist(), strict=True))
    if not duals:
        return pairs, None
    match = np.empty(n_rows, dtype=np.int64)
    match[ri] = ci
    s_cur = np.zeros(n_rows, dtype=np.int64)
    s_cur[ri] = MAX_SCORE + 1 - np.rint(np.asarray(G[ri, ci]).ravel()).astype(np.int64)
    n_nodes = n_cols + n_rows
    a_to = match[r_all]
    a_from = c_all
    length = s_cur[r_all] - s_all
    keep = a_to != a_from
    order = np.argsort(a_to[keep], kind="stable")
    a_to, a_from, length = a_to[keep][order], a_from[keep][order], length[keep][order]
    big = (MAX_SCORE + 1) * (n_rows + 1)  # "super source" arc length to every matched column
    x = np.full(n_nodes, big, dtype=np.int64)
    x[np.setdiff1d(np.arange(n_nodes), match)] = 0  # free columns
    if len(a_to):
        starts = np.concatenate([[0], np.nonzero(np.diff(a_to))[0] + 1])
        target = a_to[starts]
        for _ in range(n_nodes + 1):
            cand = np.minimum.reduceat(x[a_from] + length, starts)
            better = cand < x[target]
            if not better.any():
                break
            x[target[better]] = cand[better]
        else:  # pragma: no cover - impossible for an optimal matching (no negative cycle)
            return pairs, None
    p_slot = s_cur - x[match]
    p_b = np.minimum.reduceat(p_slot, boff)
    q_f = np.minimum.reduceat(x[:n_cols], foff)
    return pairs, (p_b, q_f)


def _violations(full: np.ndarray, p_b: np.ndarray, q_f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs with a positive score above their prices (``s_bf > p_b + q_f``), i.e. negative reduced cost."""
    nb, nf = full.shape
    step = max(1, 4_000_000 // max(nf, 1))
    bs, fs, ss = [], [], []
    q = q_f[None, :]
    for start in range(0, nb, step):
        blk = full[start : start + step]
        lim = p_b[start : start + step, None] + q
        bi, fi = np.nonzero((blk > 0) & (blk > lim))
        bs.append(bi + start)
        fs.append(fi)
        ss.append(blk[bi, fi].astype(np.int32))
    return np.concatenate(bs), np.concatenate(fs), np.concatenate(ss)


# Pricing rounds for a bucket: enough to prove the optimum on mid-size buckets (typically 3–6 rounds);
# above LARGE_BUCKET_SLOTS slots a side each round costs seconds, so fewer rounds (then a greedy fill).
PRICING_ROUNDS = 10
LARGE_BUCKET_SLOTS = 8_000
PRICING_ROUNDS_LARGE = 2


def _solve_priced(
    edges: _Edges, bcap: np.ndarray, fcap: np.ndarray, max_rounds: int | None = None
) -> tuple[list[tuple[int, int]], _Edges, bool, tuple[np.ndarray, np.ndarray] | None]:
    """Sparse solve with column generation: solve on the candidate graph, price every pair of the bucket
    against the duals (:func:`_solve_sparse`), add the pairs with negative reduced cost, repeat.

    Returns (pairs, the final candidate edges, whether the optimum over ALL pairs is proven, prices).
    When no pair is left to add, the duals are feasible for the full bucket, so by LP duality the
    matching is optimal for the capacity-slot problem (exactly the bucket's optimum unless two people
    were paired twice, which the caller resolves with :func:`_solve_milp`).
    """
    full = edges.full
    assert full is not None
    if max_rounds is None:
        large = max(int(bcap.sum()), int(fcap.sum())) > LARGE_BUCKET_SLOTS
        max_rounds = PRICING_ROUNDS_LARGE if large else PRICING_ROUNDS
    pairs: list[tuple[int, int]] = []
    prices = None
    for rnd in range(max(1, max_rounds)):
        pairs, prices = _solve_sparse(edges, bcap, fcap, duals=True)
        if prices is None:
            return pairs, edges, False, None
        vb, vf, vs = _violations(full, *prices)
        if len(vb) == 0:
            return pairs, edges, True, prices
        if rnd == max_rounds - 1:
            break
        edges = _Edges(
            np.concatenate([edges.b, vb]),
            np.concatenate([edges.f, vf]),
            np.concatenate([edges.s, vs]),
            None,
            edges.row_has_pos,
            edges.col_has_pos,
            edges.full,
        )
    return pairs, edges, False, prices


def _solve_milp(edges: _Edges, bcap: np.ndarray, fcap: np.ndarray) -> list[tuple[int, int]]:
    """Exact b-matching with at most one pairing per two people (HiGHS via ``scipy.optimize.milp``).

    Used only when the slot-replicated assignment paired the same two people twice (possible only when
    both have capacity ≥ 2). The constraint matrix is the incidence matrix of a bipartite graph, which
    is totally unimodular, so the LP relaxation is already integral and this solves fast.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    m = len(edges.b)
    if m == 0:
        return []
    nb, nf = len(bcap), len(fcap)
    e = np.arange(m)
    A = coo_matrix(
        (np.ones(2 * m), (np.concatenate([edges.b, nb + edges.f]), np.concatenate([e, e]))), shape=(nb + nf, m)
    ).tocsr()
    res = milp(
        c=-edges.s.astype(np.float64),
        constraints=LinearConstraint(A, -np.inf, np.concatenate([bcap, fcap]).astype(np.float64)),
        integrality=np.ones(m),
        bounds=Bounds(0, 1),
    )
    if res.x is None:  # pragma: no cover - the problem is always feasible (x = 0)
        raise RuntimeError(f"milp failed: {res.message}")
    chosen = np.nonzero(res.x > 0.5)[0]
    return list(zip(edges.b[chosen].tolist(), edges.f[chosen].tolist(), strict=True))


def _solve_milp_priced(
    edges: _Edges, bcap: np.ndarray, fcap: np.ndarray, max_rounds: int = PRICING_ROUNDS
) -> tuple[list[tuple[int, int]], _Edges, bool]:
    """Sparse-path version of :func:`_solve_milp` with the same column generation as :func:`_solve_priced`:
    the LP (``linprog``/HiGHS, integral because the constraint matrix is totally unimodular) gives
    duals ``y_b, y_f`` per learner; pairs not in the graph with ``s_bf > y_b + y_f`` are added until none
    is left (optimal over ALL pairs). The final integral solution comes from :func:`_solve_milp`."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    assert edges.full is not None
    nb, nf = len(bcap), len(fcap)
    for _ in range(max(1, max_rounds)):
        m = len(edges.b)
        e = np.arange(m)
        A = coo_matrix(
            (np.ones(2 * m), (np.concatenate([edges.b, nb + edges.f]), np.concatenate([e, e]))), shape=(nb + nf, m)
        ).tocsr()
        res = linprog(
            -edges.s.astype(np.float64),
            A_ub=A,
            b_ub=np.concatenate([bcap, fcap]).astype(np.float64),
            bounds=(0, 1),
            method="highs",
        )
        if res.status != 0:  # pragma: no cover - always feasible and bounded
            break
        y = np.maximum(0.0, -np.asarray(res.ineqlin.marginals))
        # integer scores: a pair improves the LP only if s > y_b + y_f by more than rounding noise
        vb, vf, vs = _violations(edges.full, y[:nb] + 1e-6, y[nb:])
        new = ~np.isin(vb.astype(np.int64) * nf + vf, edges.b.astype(np.int64) * nf + edges.f)
        vb, vf, vs = vb[new], vf[new], vs[new]  # graph edges may sit at their x ≤ 1 bound
        if len(vb) == 0:
            return _solve_milp(edges, bcap, fcap), edges, True
        edges = _Edges(
            np.concatenate([edges.b, vb]),
            np.concatenate([edges.f, vf]),
            np.concatenate([edges.s, vs]),
            None,
            edges.row_has_pos,
            edges.col_has_pos,
            edges.full,
        )
    return _solve_milp(edges, bcap, fcap), edges, False


def _has_duplicates(pairs: list[tuple[int, int]]) -> bool:
    return len(set(pairs)) != len(pairs)


def _edge_lookup(edges: _Edges, nf: int) -> tuple[np.ndarray, np.ndarray]:
    key = edges.b.astype(np.int64) * nf + edges.f
    order = np.argsort(key)
    return key[order], edges.s[order]


def _scores_of(pairs: list[tuple[int, int]], edges: _Edges, nf: int) -> list[int]:
    if not pairs:
        return []
    keys, vals = _edge_lookup(edges, nf)
    q = np.array([b * nf + f for b, f in pairs], dtype=np.int64)
    pos = np.searchsorted(keys, q)
    return vals[pos].astype(int).tolist()


def _fill(bucket: _Bucket, pairs: list[tuple[int, int]], now: datetime) -> list[tuple[int, int]]:
    """Greedily add positive pairs between learners that still have spare capacity (sparse path only:
    partners outside the candidate lists). Never lowers the score; keeps all rules."""
    nb, nf = len(bucket.backs), len(bucket.fronts)
    used_b = np.bincount(np.array([p[0] for p in pairs], dtype=np.int64), minlength=nb) if pairs else np.zeros(nb, int)
    used_f = np.bincount(np.array([p[1] for p in pairs], dtype=np.int64), minlength=nf) if pairs else np.zeros(nf, int)
    sb = np.nonzero(used_b < bucket.bcap)[0]
    sf = np.nonzero(used_f < bucket.fcap)[0]
    if len(sb) == 0 or len(sf) == 0:
        return pairs
    enc = _encode([bucket.backs[i] for i in sb], [bucket.fronts[j] for j in sf], now)
    S = _score_block(enc, slice(0, len(sb)))
    blocked = set(bucket.blocked_idx) | set(pairs)
    bi, fj = np.nonzero(S > 0)
    order = np.lexsort((fj, bi, -S[bi, fj]))
    out = list(pairs)
    left_b = {int(b): int(bucket.bcap[b] - used_b[b]) for b in sb}
    left_f = {int(f): int(bucket.fcap[f] - used_f[f]) for f in sf}
    for o in order:
        b, f = int(sb[bi[o]]), int(sf[fj[o]])
        if left_b[b] > 0 and left_f[f] > 0 and (b, f) not in blocked:
            out.append((b, f))
            blocked.add((b, f))
            left_b[b] -= 1
            left_f[f] -= 1
    return out


def _greedy(edges: _Edges, bcap: np.ndarray, fcap: np.ndarray) -> list[tuple[int, int]]:
    order = np.lexsort((edges.f, edges.b, -edges.s))
    lb, lf = bcap.copy(), fcap.copy()
    out: list[tuple[int, int]] = []
    for b, f in zip(edges.b[order].tolist(), edges.f[order].tolist(), strict=True):
        if lb[b] > 0 and lf[f] > 0:
            out.append((b, f))
            lb[b] -= 1
            lf[f] -= 1
    return out


def _gale_shapley(edges: _Edges, bcap: np.ndarray, fcap: np.ndarray) -> list[tuple[int, int]]:
    """Backend-proposing deferred acceptance with capacities on both sides (many-to-many)."""
    nb = len(bcap)
    prefs: list[list[tuple[int, int]]] = [[] for _ in range(nb)]
    order = np.lexsort((edges.f, -edges.s, edges.b))
    for b, f, s in zip(edges.b[order].tolist(), edges.f[order].tolist(), edges.s[order].tolist(), strict=True):
        prefs[b].append((f, s))
    nxt = [0] * nb
    held_count = [0] * nb
    held: dict[int, list[tuple[int, int]]] = defaultdict(list)  # f → min-heap of (score, -b)
    queue = list(range(nb))
    while queue:
        b = queue.pop()
        while held_count[b] < bcap[b] and nxt[b] < len(prefs[b]):
            f, s = prefs[b][nxt[b]]
            nxt[b] += 1
            heap = held[f]
            if len(heap) < fcap[f]:
                heapq.heappush(heap, (s, -b))
                held_count[b] += 1
            elif (s, -b) > heap[0]:
                _, neg = heapq.heapreplace(heap, (s, -b))
                held_count[b] += 1
                held_count[-neg] -= 1
                queue.append(-neg)
    return [(-nb_, f) for f, heap in held.items() for _, nb_ in heap]


# ============================================================================================ public solvers


def _reason(lr: Learner, bucket: _Bucket, idx: int, edges: _Edges | None, is_back: bool) -> str:
    opp = "Frontend" if is_back else "Backend"
    n_opp_total = bucket.n_front_total if is_back else bucket.n_back_total
    n_opp = len(bucket.fronts) if is_back else len(bucket.backs)
    if n_opp_total == 0:
        return f"no {opp} learner on {bucket.label} is looking for a partner yet"
    if n_opp == 0:
        return "all compatible partners are at capacity"
    n_blocked = sum(1 for i, j in bucket.blocked_idx if (i if is_back else j) == idx)
    if n_blocked >= n_opp:
        return f"every {opp} learner on {bucket.label} was declined, unpaired or blocked"
    has_pos = bool(edges is not None and (edges.row_has_pos if is_back else edges.col_has_pos)[idx])
    if not has_pos:
        return f"no {opp} learner on {bucket.label} is free at the same times (≥ 1 h/week)"
    return "all compatible partners are at capacity"


def _run(
    learners: Sequence[Learner],
    blocked: Collection[frozenset[int]],
    remaining_capacity: Mapping[int, int] | None,
    dense_limit: int,
    top_k: int,
    now: datetime | None,
    solver: Literal["optimal", "greedy", "gale-shapley"],
) -> MatchResult:
    now = now or datetime.now(UTC)
    buckets, unmatched = _prepare(learners, blocked, remaining_capacity)
    out_pairs: list[tuple[int, int, int]] = []
    methods: dict[str, int] = defaultdict(int)
    for bucket in buckets:
        nb, nf = len(bucket.backs), len(bucket.fronts)
        edges: _Edges | None = None
        pairs: list[tuple[int, int]] = []
        proven = False
        if nb and nf:
            dense = int(bucket.bcap.sum()) <= dense_limit and int(bucket.fcap.sum()) <= dense_limit
            edges = _bucket_edges(bucket, dense, top_k, now)
            if solver == "greedy":
                pairs = _greedy(edges, bucket.bcap, bucket.fcap)
                methods["greedy"] += 1
            elif solver == "gale-shapley":
                pairs = _gale_shapley(edges, bucket.bcap, bucket.fcap)
                methods["gale-shapley"] += 1
            elif dense:
                assert edges.dense is not None
                pairs = _solve_dense(edges.dense, bucket.bcap, bucket.fcap)
                methods["dense-lsa"] += 1
            else:
                pairs, edges, proven, _ = _solve_priced(edges, bucket.bcap, bucket.fcap)
                methods[f"sparse-top{top_k}{'-proven' if proven else ''}"] += 1
            if solver == "optimal" and _has_duplicates(pairs):
                if edges.full is not None:
                    pairs, edges, proven = _solve_milp_priced(edges, bucket.bcap, bucket.fcap)
                else:
                    pairs = _solve_milp(edges, bucket.bcap, bucket.fcap)
                methods["milp"] += 1
            if not dense and not proven:
                pairs = _fill(bucket, pairs, now)
                edges = _add_pairs_to_edges(edges, pairs, bucket, now)
        scores = _scores_of(pairs, edges, nf) if edges is not None else []
        got_b: set[int] = set()
        got_f: set[int] = set()
        for (b, f), s in zip(pairs, scores, strict=True):
            out_pairs.append((bucket.backs[b].user_id, bucket.fronts[f].user_id, s))
            got_b.add(b)
            got_f.add(f)
        for i, lr in enumerate(bucket.backs):
            if i not in got_b:
                unmatched[lr.user_id] = _reason(lr, bucket, i, edges, True)
        for j, lr in enumerate(bucket.fronts):
            if j not in got_f:
                unmatched[lr.user_id] = _reason(lr, bucket, j, edges, False)
    out_pairs.sort()
    method = ", ".join(f"{k}×{v}" for k, v in sorted(methods.items())) or "none"
    return MatchResult(tuple(out_pairs), unmatched, sum(p[2] for p in out_pairs), method)


def _add_pairs_to_edges(edges: _Edges, pairs: list[tuple[int, int]], bucket: _Bucket, now: datetime) -> _Edges:
    """Make sure every chosen pair (e.g. added by :func:`_fill`) has its score in ``edges``."""
    nf = len(bucket.fronts)
    have = set((edges.b.astype(np.int64) * nf + edges.f).tolist())
    missing = [(b, f) for b, f in pairs if b * nf + f not in have]
    if not missing:
        return edges
    enc = _encode(bucket.backs, bucket.fronts, now)
    mb = np.array([m[0] for m in missing], dtype=np.int64)
    mf = np.array([m[1] for m in missing], dtype=np.int64)
    ms = _pair_scores(enc, mb, mf)
    return _Edges(
        np.concatenate([edges.b, mb]),
        np.concatenate([edges.f, mf]),
        np.concatenate([edges.s, ms]),
        edges.dense,
        edges.row_has_pos,
        edges.col_has_pos,
    )


def optimal_matching(
    learners: Sequence[Learner],
    blocked: Collection[frozenset[int]] = (),
    remaining_capacity: Mapping[int, int] | None = None,
    dense_limit: int = 1000,
    top_k: int = 10,
    *,
    now: datetime | None = None,
) -> MatchResult:
    """Pairs maximising the total score under the hard rules and capacities.

    * Learners are bucketed by project (each custom ``other`` title is its own bucket) and solved per
      bucket; learners are ordered by user id, so the result does not depend on the input order.
    * Capacity: ``remaining_capacity[user_id]`` if given, else ``learner.capacity``; 0 → not matched.
    * Bucket with ≤ ``dense_limit`` slots on both sides: ``scipy.optimize.linear_sum_assignment`` on the
      full score matrix with rows/columns replicated per capacity slot (exact). LSA slows down sharply
      on these tie-heavy integer matrices (measured: ~0.2 s at 1,000 slots, ~3 s at 2,000, ~9 s at
      3,300), so the default limit is 1,000.
    * Larger bucket: a sparse candidate graph (each learner's top-``top_k`` partners from both sides,
      scaled by the learner's capacity) solved exactly with
      ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (dummy edge per slot), then column
      generation: LP duals of that matching price every pair of the bucket, pairs with a negative
      reduced cost join the graph, and it is re-solved until none is left — which proves the optimum
      over ALL pairs (method ``sparse-topK-proven``). Buckets above ``LARGE_BUCKET_SLOTS`` slots stop
      after ``PRICING_ROUNDS_LARGE`` rounds if not yet proven; unproven buckets get a greedy fill
      between learners left with spare capacity.
    * If slot replication paired two people twice (both have capacity ≥ 2), the bucket is re-solved
      exactly with HiGHS (``scipy.optimize.milp``) on the same edges with a 0/1 bound per pair.

    Scores of 0 (no shared hour) and incompatible/blocked pairs are never chosen. Every learner that
    ends with no partner is in ``unmatched`` with a reason.
    """
    return _run(learners, blocked, remaining_capacity, dense_limit, top_k, now, "optimal")


def greedy_matching(
    learners: Sequence[Learner],
    blocked: Collection[frozenset[int]] = (),
    remaining_capacity: Mapping[int, int] | None = None,
    dense_limit: int = 1000,
    top_k: int = 20,
    *,
    now: datetime | None = None,
) -> MatchResult:
    """Baseline: take compatible edges best-first while both sides have capacity.

    Uses every positive edge for buckets within ``dense_limit`` and the same candidate graph as
    :func:`optimal_matching` above it (plus the same spare-capacity fill).
    """
    return _run(learners, blocked, remaining_capacity, dense_limit, top_k, now, "greedy")


def gale_shapley_matching(
    learners: Sequence[Learner],
    blocked: Collection[frozenset[int]] = (),
    remaining_capacity: Mapping[int, int] | None = None,
    dense_limit: int = 1000,
    top_k: int = 20,
    *,
    now: datetime | None = None,
) -> MatchResult:
    """Baseline: backend-proposing deferred acceptance (stable matching) with capacities; preferences
    are scores (ties → lower index). Same edge sets as :func:`greedy_matching`."""
    return _run(learners, blocked, remaining_capacity, dense_limit, top_k, now, "gale-shapley")
