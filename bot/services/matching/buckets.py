"""Partner matching, the problem a round solves: learners bucketed by project, and each bucket's candidate edges.

Also why a learner of a bucket got no partner (:func:`_reason`, a code from reasons.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.services.matching.reasons import Unmatched, UnmatchedCode
from bot.services.matching.scoring import (
    MAX_SCORE,
    Learner,
    _Enc,
    _encode,
    _score_block,
    _score_block16,
    project_key,
    project_label,
)


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
