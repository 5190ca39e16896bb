"""Partner matching, assignment: the cohort-wide optimal matching and its solvers.

See :func:`optimal_matching` for the solvers and the duality check that proves the optimum.
Nothing here imports discord, db or cogs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from bot.services.matching import buckets as buckets_mod
from bot.services.matching.buckets import _Bucket, _bucket_edges, _Edges, _prepare, _reason
from bot.services.matching.flow import PROCESS_MIN_PAIRS, MinCostFlow, _flow_process, _solve_priced
from bot.services.matching.reasons import Unmatched, reason_text
from bot.services.matching.scoring import (
    Learner,
    _encode,
    _pair_scores,
    _score_block,
)

# SciPy (and OR-Tools, flow.py) are imported inside the solvers: scipy.optimize alone adds ~40 MB to the
# process and ~0.3 s to start-up, and only an optimal round needs them (suggestions and scores are NumPy).

# A baseline solver (see baselines.py): the chosen (row, col) slots of a bucket from its edges and capacities.
Solver = Callable[["_Edges", np.ndarray, np.ndarray], list[tuple[int, int]]]


@dataclass(frozen=True)
class MatchResult:
    pairs: tuple[tuple[int, int, int], ...]  # (backend_id, frontend_id, score), sorted
    reasons: dict[int, Unmatched] = field(default_factory=dict)  # user_id → why they got no partner (a code)
    total_score: int = 0
    method: str = ""

    @property
    def unmatched(self) -> dict[int, str]:
        """user_id → the reason in words (rendered from its code)."""
        return {uid: reason_text(r) for uid, r in self.reasons.items()}


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


# ============================================================================================ public solvers


# Buckets are solved on this many threads (NumPy and OR-Tools release the GIL), largest first, when the
# cohort has at least PARALLEL_MIN_PAIRS pairs; each bucket's answer does not depend on the threads.
ROUND_THREADS = 2
PARALLEL_MIN_PAIRS = 4_000_000


def _is_dense(bucket: _Bucket, dense_limit: int) -> bool:
    return int(bucket.bcap.sum()) <= dense_limit and int(bucket.fcap.sum()) <= dense_limit


def _solve_bucket(
    bucket: _Bucket,
    dense_limit: int,
    top_k: int,
    now: datetime,
    baseline: tuple[str, Solver] | None,
    edges: _Edges | None = None,
    threads: bool | None = None,
    mcf: MinCostFlow | None = None,
) -> tuple[list[tuple[int, int]], _Edges | None, list[str]]:
    """One bucket's pairs (row, col), its edges (for scores and reasons; the full matrix dropped) and methods.
    ``edges``: the bucket's :func:`_bucket_edges` if already built; ``threads``: whether that scores on
    threads of its own (None: by size); ``mcf``: where the sparse path solves its flows (flow.py)."""
    if not bucket.backs or not bucket.fronts:
        return [], None, []
    dense = _is_dense(bucket, dense_limit)
    if edges is None:
        edges = _bucket_edges(bucket, dense, top_k, now, threads=threads)
    methods: list[str] = []
    proven = False
    if baseline is not None:
        pairs = baseline[1](edges, bucket.bcap, bucket.fcap)
        methods.append(baseline[0])
    elif dense:
        assert edges.dense is not None
        pairs = _solve_dense(edges.dense, bucket.bcap, bucket.fcap)
        methods.append("dense-lsa")
        if _has_duplicates(pairs):
            pairs = _solve_milp(edges, bucket.bcap, bucket.fcap)
            methods.append("milp")
    else:
        # a bucket with its own flow process is the round's critical path: it prices on threads too
        pairs, edges, proven, _ = _solve_priced(edges, bucket.bcap, bucket.fcap, mcf=mcf, threads=mcf is not None)
        methods.append(f"sparse-top{top_k}{'-proven' if proven else ''}")
    edges.full = None
    if not dense and not proven:
        pairs = _fill(bucket, pairs, now)
        edges = _add_pairs_to_edges(edges, pairs, bucket, now)
    return pairs, edges, methods


def _run(
    learners: Sequence[Learner],
    blocked: Collection[frozenset[int]],
    remaining_capacity: Mapping[int, int] | None,
    dense_limit: int,
    top_k: int,
    now: datetime | None,
    baseline: tuple[str, Solver] | None = None,
) -> MatchResult:
    """Solve every bucket; ``baseline`` = (method name, solver) replaces the optimal solvers (bench only)."""
    at = now or datetime.now(UTC)
    buckets, unmatched = _prepare(learners, blocked, remaining_capacity)
    sizes = [len(b.backs) * len(b.fronts) for b in buckets]
    if len(buckets) > 1 and sum(sizes) >= PARALLEL_MIN_PAIRS:
        # The largest bucket is the critical path: if it scores on threads, its scoring and candidates first,
        # alone (on the threads of buckets.SCORE_THREADS), then its serial solves beside the other buckets,
        # one thread per bucket; a huge one solves its flows in a worker process (OR-Tools holds the GIL).
        order = sorted(range(len(buckets)), key=lambda i: -sizes[i])
        big = buckets[order[0]]
        own = baseline is None and sizes[order[0]] >= PROCESS_MIN_PAIRS and not _is_dense(big, dense_limit)
        with _flow_process(own) as mcf, ThreadPoolExecutor(ROUND_THREADS, thread_name_prefix="matching") as pool:
            ready: dict[int, _Edges] = {}
            if big.backs and big.fronts and sizes[order[0]] >= buckets_mod.PARALLEL_SCORE_MIN_PAIRS:
                ready[order[0]] = _bucket_edges(big, _is_dense(big, dense_limit), top_k, at)

            def job(i: int) -> tuple[list[tuple[int, int]], _Edges | None, list[str]]:
                mine = mcf if i == order[0] else None
                return _solve_bucket(buckets[i], dense_limit, top_k, at, baseline, ready.get(i), False, mine)

            futures = {i: pool.submit(job, i) for i in order}
            solved = [futures[i].result() for i in range(len(buckets))]
    else:
        solved = [_solve_bucket(b, dense_limit, top_k, at, baseline) for b in buckets]
    out_pairs: list[tuple[int, int, int]] = []
    methods: dict[str, int] = defaultdict(int)
    for bucket, (pairs, edges, names) in zip(buckets, solved, strict=True):
        for name in names:
            methods[name] += 1
        scores = _scores_of(pairs, edges, len(bucket.fronts)) if edges is not None else []
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
    * Larger bucket: every pair is scored once into an int8 matrix (score tables over distinct windows
      and tag sets, buckets.py); a candidate graph (about each learner's top-``top_k`` partners from both
      sides, scaled by capacity) is solved exactly as a min-cost flow with capacity-1 arcs (OR-Tools,
      flow.py; two people are never paired twice), then column generation: LP duals read off the residual
      graph price every pair of the bucket, the next graph is the pairs near the duals, and it is
      re-solved until no pair outside the graph violates them and the dual objective equals the total —
      which proves the optimum over ALL pairs (method ``sparse-topK-proven``). A bucket not proven within
      ``flow.PRICING_ROUNDS`` rounds keeps its last matching plus a greedy fill between learners left with
      spare capacity (method without ``-proven``).
    * If the dense assignment paired two people twice (both have capacity ≥ 2), the bucket is re-solved
      exactly with HiGHS (``scipy.optimize.milp``) on the same edges with a 0/1 bound per pair.
    * A cohort of ≥ ``PARALLEL_MIN_PAIRS`` pairs builds its largest bucket's graph first (scoring, cuts and
      candidates on both threads), then solves that bucket beside the others on ``ROUND_THREADS`` threads;
      a largest bucket of ≥ ``flow.PROCESS_MIN_PAIRS`` pairs solves its flows in a worker process
      (OR-Tools holds the GIL) and prices on both threads. The answer does not depend on any of it.

    Scores of 0 (no shared hour) and incompatible/blocked pairs are never chosen. Every learner that
    ends with no partner is in ``unmatched`` with a reason.
    """
    return _run(learners, blocked, remaining_capacity, dense_limit, top_k, now)
