"""Partner matching, assignment: the cohort-wide optimal matching and its solvers.

See :func:`optimal_matching` for the solvers and the duality check that proves the optimum.
Nothing here imports discord, db or cogs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from bot.services.matching.buckets import _Bucket, _bucket_edges, _Edges, _prepare, _reason
from bot.services.matching.reasons import Unmatched, reason_text
from bot.services.matching.scoring import (
    MAX_SCORE,
    Learner,
    _encode,
    _pair_scores,
    _score_block,
)

# SciPy is imported inside the solvers: scipy.optimize alone adds ~40 MB to the process and ~0.3 s to
# start-up, and only an optimal round needs it (suggestions and scores are NumPy).

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


# Pricing rounds for a bucket: enough to prove the optimum (typically 3–6 rounds; a bucket of 25k learners
# at 50k, measured: 6 rounds, 4 when the first round also adds the near-violations below). Above
# LARGE_BUCKET_SLOTS slots a side each round costs seconds, yet an unproven bucket is only ~99.4 % of
# its optimum, so large buckets run to the proof too (the cap only guards against a pathological case).
PRICING_ROUNDS = 10
LARGE_BUCKET_SLOTS = 8_000
PRICING_ROUNDS_LARGE = 10
# The first pricing round also adds pairs within this many points of violating the duals: the
# candidate graph misses those too, and each later round re-solves the whole bucket (bench.matching).
NEAR_VIOLATION_MARGIN = 3


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
        if rnd == 0 and NEAR_VIOLATION_MARGIN:
            nf = full.shape[1]
            vb, vf, vs = _violations(full, prices[0] - NEAR_VIOLATION_MARGIN, prices[1])
            new = ~np.isin(vb.astype(np.int64) * nf + vf, edges.b.astype(np.int64) * nf + edges.f)
            vb, vf, vs = vb[new], vf[new], vs[new]
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


# ============================================================================================ public solvers


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
            if baseline is not None:
                pairs = baseline[1](edges, bucket.bcap, bucket.fcap)
                methods[baseline[0]] += 1
            elif dense:
                assert edges.dense is not None
                pairs = _solve_dense(edges.dense, bucket.bcap, bucket.fcap)
                methods["dense-lsa"] += 1
            else:
                pairs, edges, proven, _ = _solve_priced(edges, bucket.bcap, bucket.fcap)
                methods[f"sparse-top{top_k}{'-proven' if proven else ''}"] += 1
            if baseline is None and _has_duplicates(pairs):
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
    return _run(learners, blocked, remaining_capacity, dense_limit, top_k, now)
