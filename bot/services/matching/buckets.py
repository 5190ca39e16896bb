"""Partner matching, the problem a round solves: learners bucketed by project, and each bucket's candidate edges.

Also why a learner of a bucket got no partner (:func:`_reason`, a code from reasons.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import numpy as np

from bot.services.matching.reasons import Unmatched, UnmatchedCode
from bot.services.matching.scoring import (
    Learner,
    _Enc,
    _encode,
    _score_block,
    _score_block8,
    project_key,
    project_label,
)

_T = TypeVar("_T")


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
) -> tuple[list[_Bucket], dict[int, Unmatched]]:
    seen: set[int] = set()
    unmatched: dict[int, Unmatched] = {}
    groups: dict[tuple[str, str], list[Learner]] = defaultdict(list)
    labels: dict[tuple[str, str], str] = {}
    for lr in learners:
        if lr.user_id in seen:
            raise ValueError(f"learner {lr.user_id} appears twice")
        seen.add(lr.user_id)
        if lr.track not in ("backend", "frontend"):
            unmatched[lr.user_id] = Unmatched(UnmatchedCode.NO_TRACK)
            continue
        key = project_key(lr)
        if key is None:
            unmatched[lr.user_id] = Unmatched(
                UnmatchedCode.NO_CUSTOM_TITLE
                if (lr.project or "").strip().lower() == "other"
                else UnmatchedCode.NO_PROJECT
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
                unmatched[m.user_id] = Unmatched(UnmatchedCode.OWN_CAPACITY)
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


def _nonzero(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a C-contiguous 2-D bool array that is mostly False: 8 entries are tested at once."""
    flat = mask.reshape(-1)
    n8 = flat.size - flat.size % 8
    words = np.flatnonzero(flat[:n8].view(np.uint64))
    wi, bit = np.nonzero(flat[:n8].reshape(-1, 8)[words])
    idx = np.concatenate([words[wi] * 8 + bit, n8 + np.flatnonzero(flat[n8:])])
    return idx // mask.shape[1], idx % mask.shape[1]


def _kth_best(lines: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per line (row) of ``lines``, its ``k``-th largest value (1 ≤ ``k`` ≤ the row length); if at least half
    of those ``k`` are above it, one more (ties at the cut are all taken, and scores tie a lot)."""
    n = lines.shape[1]
    kmax = int(k.max())
    top = np.sort(np.partition(lines, n - kmax, axis=1)[:, n - kmax :], axis=1)  # the kmax largest, ascending
    cut = top[np.arange(len(k)), kmax - k]
    above = (top > cut[:, None]).sum(axis=1)
    return np.where(2 * above >= k, cut + 1, cut)


# The candidate cut of each line is its k-th best score estimated on every STRIDE-th entry of the line
# (a sample; the k-th best of the whole line would cost a partition of every pair). Any cut is correct,
# pricing adds what the graph misses; a good cut only saves rounds.
_SAMPLE_STRIDE = 8
_SAMPLE_MIN = 256  # entries a sampled line keeps at least


def _stride(n: int) -> int:
    return max(1, min(_SAMPLE_STRIDE, n // _SAMPLE_MIN))


def _cuts(sample: np.ndarray, k: np.ndarray, stride: int) -> np.ndarray:
    """Candidate cut per row of ``sample`` (every ``stride``-th entry of the line) for about ``k`` candidates
    per line (+1 in the sample for its noise); ≥ 1, so zero scores never count."""
    ks = np.clip(-(-k // stride) + (stride > 1), 1, sample.shape[1])
    return np.maximum(_kth_best(sample, ks), 1).astype(np.int8)


# A bucket of at least this many pairs is scored on SCORE_THREADS threads (row blocks; NumPy releases the GIL).
SCORE_THREADS = 2
PARALLEL_SCORE_MIN_PAIRS = 8_000_000


# Pairs per block of the candidate pass (the cuts' samples: half of it).
_CANDIDATE_BLOCK = 8_000_000


def _blocks(fn: Callable[[int], _T], starts: range, threads: bool) -> list[_T]:
    """``fn`` of every block start, in order; on SCORE_THREADS threads if ``threads`` (blocks are independent,
    so the result is the same)."""
    if not threads:
        return [fn(start) for start in starts]
    with ThreadPoolExecutor(SCORE_THREADS, thread_name_prefix="matching-score") as pool:
        return list(pool.map(fn, starts))


def _score_all(enc: _Enc, bucket: _Bucket, threads: bool | None = None) -> np.ndarray:
    """Every score of the bucket as int8 (blocked pairs = 0), scored once in row blocks; on SCORE_THREADS
    threads if ``threads`` (None: if the bucket has at least PARALLEL_SCORE_MIN_PAIRS pairs)."""
    nb, nf = len(bucket.backs), len(bucket.fronts)
    block_rows = max(1, 2_000_000 // max(nf, 1))
    S_all = np.empty((nb, nf), dtype=np.int8)

    def score(start: int) -> None:
        sl = slice(start, min(nb, start + block_rows))
        _apply_blocked(_score_block8(enc, sl, S_all[sl]), bucket, sl)

    enc.prepare()
    _blocks(score, range(0, nb, block_rows), _threads(threads, nb * nf))
    return S_all


def _threads(threads: bool | None, pairs: int) -> bool:
    return pairs >= PARALLEL_SCORE_MIN_PAIRS if threads is None else threads


def _bucket_edges(
    bucket: _Bucket, dense: bool, top_k: int, now: datetime, enc: _Enc | None = None, threads: bool | None = None
) -> _Edges:
    """Dense: every positive edge (and the matrix). Sparse: the pairs at or above either side's cut — about
    each backend's ``top_k × capacity`` best frontends and each frontend's ``top_k × capacity`` best backends
    (the cuts come from a sample of each line, :func:`_cuts`; ties at a cut are all taken).

    Sparse scoring keeps the bucket's scores as an int8 matrix (1 byte per pair, every pair scored once,
    in row blocks): the solver prices every pair against it. A large bucket also takes its cuts and
    candidates in blocks on SCORE_THREADS threads (same edges; ``threads`` as in :func:`_score_all`)."""
    nb, nf = len(bucket.backs), len(bucket.fronts)
    enc = enc or _encode(bucket.backs, bucket.fronts, now)
    if dense:
        S = _score_block(enc, slice(0, nb))
        _apply_blocked(S, bucket, slice(0, nb))
        bi, fi = np.nonzero(S > 0)
        return _Edges(bi, fi, S[bi, fi], S, np.asarray((S > 0).any(axis=1)), np.asarray((S > 0).any(axis=0)))
    threads = _threads(threads, nb * nf)
    S_all = _score_all(enc, bucket, threads)
    rs, cs = _stride(nf), _stride(nb)
    row_k, col_k = np.minimum(nf, top_k * bucket.bcap), np.minimum(nb, top_k * bucket.fcap)
    rstep = max(1, _CANDIDATE_BLOCK // 2 // max(nf // rs, 1))
    cstep = max(1, _CANDIDATE_BLOCK // 2 // max(nb // cs, 1))

    def row_cuts(start: int) -> np.ndarray:
        sl = slice(start, start + rstep)
        return _cuts(np.ascontiguousarray(S_all[sl, ::rs]), row_k[sl], rs)

    def col_cuts(start: int) -> np.ndarray:
        sl = slice(start, start + cstep)
        return _cuts(np.ascontiguousarray(S_all[::cs, sl].T), col_k[sl], cs)

    row_cut = np.concatenate(_blocks(row_cuts, range(0, nb, rstep), threads))
    col_cut = np.concatenate(_blocks(col_cuts, range(0, nf, cstep), threads))
    step = max(1, _CANDIDATE_BLOCK // max(nf, 1))

    def candidates(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        S = S_all[start : start + step]
        bi, fi = _nonzero((S >= row_cut[start : start + step, None]) | (S >= col_cut[None, :]))
        return S.max(axis=1), S.max(axis=0), (bi.astype(np.int64) + start) * nf + fi

    found = _blocks(candidates, range(0, nb, step), threads)
    row_max = np.concatenate([r for r, _, _ in found])
    col_max = np.max(np.stack([c for _, c, _ in found]), axis=0)
    key = np.concatenate([k for _, _, k in found])
    b, f = key // nf, key % nf
    return _Edges(b, f, S_all[b, f].astype(np.int32), None, row_max > 0, col_max > 0, S_all)


def _reason(lr: Learner, bucket: _Bucket, idx: int, edges: _Edges | None, is_back: bool) -> Unmatched:
    opp = "Frontend" if is_back else "Backend"
    n_opp_total = bucket.n_front_total if is_back else bucket.n_back_total
    n_opp = len(bucket.fronts) if is_back else len(bucket.backs)
    if n_opp_total == 0:
        return Unmatched(UnmatchedCode.NO_PARTNER_LOOKING, opp, bucket.label)
    if n_opp == 0:
        return Unmatched(UnmatchedCode.PARTNERS_AT_CAPACITY)
    n_blocked = sum(1 for i, j in bucket.blocked_idx if (i if is_back else j) == idx)
    if n_blocked >= n_opp:
        return Unmatched(UnmatchedCode.ALL_BLOCKED, opp, bucket.label)
    has_pos = bool(edges is not None and (edges.row_has_pos if is_back else edges.col_has_pos)[idx])
    if not has_pos:
        return Unmatched(UnmatchedCode.NO_SHARED_TIME, opp, bucket.label)
    return Unmatched(UnmatchedCode.PARTNERS_AT_CAPACITY)
