"""Partner matching, the exact sparse solver: min-cost flow on a candidate graph, its LP duals, and pricing.

A bucket is the b-matching LP ``max Σ s_bf x_bf`` subject to ``Σ_f x_bf ≤ cap_b``, ``Σ_b x_bf ≤ cap_f`` and
``0 ≤ x_bf ≤ 1``. Its dual has a price ``p_b ≥ 0`` per backend, ``q_f ≥ 0`` per frontend and ``r_bf ≥ 0`` per
pair, with ``p_b + q_f + r_bf ≥ s_bf``. :func:`_solve_priced` solves the LP on a candidate graph as a min-cost
flow (OR-Tools' cost-scaling push-relabel, arcs of capacity 1, so two people are never paired twice), reads
optimal duals off the residual graph, then checks EVERY pair of the bucket against them (column generation).
When no pair outside the graph has ``s_bf > p_b + q_f`` and the dual objective equals the total, the matching
is optimal over all pairs by weak duality: that is the certificate behind the method name ``…-proven``.

Nothing here imports discord, db or cogs; OR-Tools is imported inside the solver (only a round needs it).
OR-Tools' solve holds the GIL (measured: a Python thread beside it stalls), so a round on threads solves its
largest bucket's flows in a worker process (:func:`_flow_process`); the flows are the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from bot.services.matching.buckets import _blocks, _Edges, _nonzero
from bot.services.matching.scoring import MAX_SCORE

# Pricing rounds before giving up on a proof (the 25k-learner bucket of the 50k bench cohort needs 3–4).
PRICING_ROUNDS = 12
# After the first solve, the graph is the pairs within this many points of violating the duals (and the
# chosen pairs): the next duals move a little, and those pairs are where the optimum moves to.
NEAR_VIOLATION_MARGIN = 3
# The graphs of the first GUIDED_ROUNDS solves are the first graph and rebuilds around the last duals; after
# them each graph keeps its pairs and adds the next near ones (only grows: terminates). One rebuild: the first
# graph's duals give the second graph, then it grows; a second rebuild would follow duals that still move
# (100k bench bucket: 3 solves instead of 5, the third graph ≈ 0.43M arcs).
GUIDED_ROUNDS = 2
_PRICE_BLOCK = 4_000_000  # pairs per block of the pricing pass (uint8 temporaries: 4 MB)
# A bucket of at least this many pairs, in a round solved on threads, solves its flows in a worker process
# (started with the round: ≈ 0.4 s to import OR-Tools while the bucket is scored; its peak: 0.18 GB at 50k,
# 0.26 GB at 100k).
PROCESS_MIN_PAIRS = 50_000_000

log = logging.getLogger(__name__)

# (tail, head, capacity, unit cost, node supplies) → the flow on every arc of an optimal flow, or None.
MinCostFlow = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], "np.ndarray | None"]


def _min_cost_flow(
    tail: np.ndarray, head: np.ndarray, cap: np.ndarray, cost: np.ndarray, supplies: np.ndarray
) -> np.ndarray | None:
    """OR-Tools' min-cost flow (here or in the worker process: module level, so it pickles by name)."""
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(tail, head, cap, cost)
    mcf.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
    if mcf.solve() != mcf.OPTIMAL:  # pragma: no cover - always feasible (S→T) and bounded
        return None
    return np.asarray(mcf.flows(arcs), dtype=np.int64)


def _warm() -> None:
    from ortools.graph.python import min_cost_flow  # noqa: F401


@contextmanager
def _flow_process(use: bool) -> Iterator[MinCostFlow | None]:
    """A :data:`MinCostFlow` that runs in one worker process (spawned, OR-Tools imported at once), or None
    if not ``use``. If the process cannot start or dies, the flow is solved here instead."""
    if not use:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        pool.submit(_warm)
    except Exception:  # pragma: no cover - e.g. no processes allowed here (OSError, a daemon): solve in this one
        log.warning("matching: no worker process for the flows, solving them here", exc_info=True)
        pool.shutdown(wait=False)
        yield None
        return

    def solve(*arrays: np.ndarray) -> np.ndarray | None:
        try:
            return pool.submit(_min_cost_flow, *arrays).result()
        except Exception:  # pragma: no cover - e.g. BrokenProcessPool: the process died
            log.warning("matching: the flow worker process failed, solving here", exc_info=True)
            return _min_cost_flow(*arrays)

    try:
        yield solve
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _potentials(n_nodes: int, tail: np.ndarray, head: np.ndarray, cost: np.ndarray) -> np.ndarray | None:
    """Shortest distances from a virtual root (0 to every node) in a graph without negative cycles:
    Bellman–Ford that only relaxes the arcs leaving nodes whose distance changed in the last pass.
    None if it does not settle (a negative cycle: the flow was not optimal)."""
    order = np.argsort(tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    indptr = np.searchsorted(tail, np.arange(n_nodes + 1))
    x = np.zeros(n_nodes, dtype=np.int64)
    active = np.arange(n_nodes)
    for _ in range(n_nodes + 1):
        starts = indptr[active]
        counts = indptr[active + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return x
        idx = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
        cand = x[tail[idx]] + cost[idx]
        h = head[idx]
        better = cand < x[h]
        if not better.any():
            return x
        h = h[better]
        np.minimum.at(x, h, cand[better])
        mark = np.zeros(n_nodes, dtype=bool)
        mark[h] = True
        active = np.flatnonzero(mark)
    return None  # pragma: no cover - an optimal flow has no negative cycle


def _solve_flow(
    edges: _Edges, bcap: np.ndarray, fcap: np.ndarray, mcf: MinCostFlow | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Max-weight b-matching on ``edges`` as a min-cost flow; returns (chosen edge mask, p_b, q_f) or None.

    Nodes: backends, frontends, source S, sink T. Arcs S→b (cap_b), b→f (1, cost -s), f→T (cap_f) and
    S→T (cost 0) for the slots left unmatched; S sends Σ cap_b + 1, so S→T always carries flow and S and T
    get the same distance below. Distances ``d`` from a virtual root in the residual graph satisfy
    ``d(v) ≤ d(u) + cost`` on every residual arc; then ``p_b = max(0, d(b) - d(S))``,
    ``q_f = max(0, d(T) - d(f))`` are optimal LP duals (complementary slackness; checked by the caller).
    ``mcf``: where the flow is solved (default :func:`_min_cost_flow` in this thread).
    """
    nb, nf, m = len(bcap), len(fcap), len(edges.b)
    src, snk = nb + nf, nb + nf + 1
    supply = int(bcap.sum()) + 1
    tail = np.concatenate([np.full(nb, src), edges.b, nb + np.arange(nf), [src]]).astype(np.int32)
    head = np.concatenate([np.arange(nb), nb + edges.f, np.full(nf, snk), [snk]]).astype(np.int32)
    cap = np.concatenate([bcap, np.ones(m, dtype=np.int64), fcap, [supply]]).astype(np.int64)
    cost = np.concatenate([np.zeros(nb), -edges.s.astype(np.int64), np.zeros(nf), [0]]).astype(np.int64)
    supplies = np.zeros(nb + nf + 2, dtype=np.int64)
    supplies[src], supplies[snk] = supply, -supply
    flow = (mcf or _min_cost_flow)(tail, head, cap, cost, supplies)
    if flow is None:  # pragma: no cover - always feasible (S→T) and bounded
        return None
    fwd, bwd = flow < cap, flow > 0
    d = _potentials(
        nb + nf + 2,
        np.concatenate([tail[fwd], head[bwd]]).astype(np.int64),
        np.concatenate([head[fwd], tail[bwd]]).astype(np.int64),
        np.concatenate([cost[fwd], -cost[bwd]]),
    )
    if d is None:  # pragma: no cover
        return None
    p = np.maximum(0, d[:nb] - d[src])
    q = np.maximum(0, d[snk] - d[nb : nb + nf])
    return flow[nb : nb + m] > 0, p, q


def _price(
    full: np.ndarray, p: np.ndarray, q: np.ndarray, margin: int, threads: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair with a positive score above ``max(0, p_b - margin) + q_f`` (row-major, i.e. sorted by key):
    every violation (``s_bf > p_b + q_f``) and the near ones. In uint8: scores are 0–100 and a limit of 100
    or more is never exceeded, so both terms are clipped to 100 and their sum fits. Row blocks, on
    buckets.SCORE_THREADS threads if ``threads`` (the same pairs)."""
    nb, nf = full.shape
    step = max(1, _PRICE_BLOCK // max(nf, 1))
    pu = np.clip(p - margin, 0, MAX_SCORE).astype(np.uint8)[:, None]
    qu = np.minimum(q, MAX_SCORE).astype(np.uint8)[None, :]
    scores = full.view(np.uint8)  # int8 scores are ≥ 0

    def block(start: int) -> tuple[np.ndarray, np.ndarray]:
        bi, fi = _nonzero(scores[start : start + step] > pu[start : start + step] + qu)
        return bi + start, fi

    found = _blocks(block, range(0, nb, step), threads)
    return np.concatenate([b for b, _ in found]), np.concatenate([f for _, f in found])


def _dual_value(
    edges: _Edges, chosen: np.ndarray, bcap: np.ndarray, fcap: np.ndarray, p: np.ndarray, q: np.ndarray
) -> int:
    """The LP dual objective: Σ cap_b p_b + Σ cap_f q_f + Σ over chosen pairs of (s_bf - p_b - q_f)⁺."""
    slack = edges.s[chosen].astype(np.int64) - p[edges.b[chosen]] - q[edges.f[chosen]]
    return int((bcap * p).sum() + (fcap * q).sum() + np.maximum(slack, 0).sum())


def _solve_priced(
    edges: _Edges,
    bcap: np.ndarray,
    fcap: np.ndarray,
    max_rounds: int = PRICING_ROUNDS,
    mcf: MinCostFlow | None = None,
    threads: bool = False,
) -> tuple[list[tuple[int, int]], _Edges, bool, tuple[np.ndarray, np.ndarray] | None]:
    """Column generation to the proof: solve on the candidate graph, price every pair of the bucket against
    the duals, re-solve on the pairs near them, repeat.

    The first graph (each line's top candidates) only has to give good duals; after it, the graph is the
    pairs within ``NEAR_VIOLATION_MARGIN`` of the duals plus the chosen pairs, a fraction of the first graph
    and several times cheaper to solve (the 50k bench bucket: ≈ 0.1M arcs instead of ≈ 0.6M). From round
    ``GUIDED_ROUNDS`` on the graph only grows, so the rounds cannot cycle.

    ``mcf`` solves the flows (:func:`_solve_flow`); ``threads``: price on threads (:func:`_price`).

    Returns (pairs, the final candidate edges, whether the optimum over ALL pairs is proven, (p_b, q_f)).
    Proven = no pair outside the graph has ``s_bf > p_b + q_f`` and the dual objective equals the total.
    """
    full = edges.full
    assert full is not None
    nf = full.shape[1]
    pairs: list[tuple[int, int]] = []
    prices: tuple[np.ndarray, np.ndarray] | None = None
    for rnd in range(max(1, max_rounds)):
        solved = _solve_flow(edges, bcap, fcap, mcf)
        if solved is None:  # pragma: no cover
            return pairs, edges, False, None
        chosen, p, q = solved
        pairs = list(zip(edges.b[chosen].tolist(), edges.f[chosen].tolist(), strict=True))
        prices = (p, q)
        vb, vf = _price(full, p, q, NEAR_VIOLATION_MARGIN, threads)
        key = edges.b.astype(np.int64) * nf + edges.f  # sorted (see _Edges)
        vkey = vb.astype(np.int64) * nf + vf  # sorted too
        outside = ~np.isin(vkey, key, assume_unique=True)
        vs = full[vb, vf].astype(np.int64)
        if not (outside & (vs > p[vb] + q[vf])).any():
            proven = _dual_value(edges, chosen, bcap, fcap, p, q) == int(edges.s[chosen].sum())
            return pairs, edges, proven, prices
        if rnd == max_rounds - 1:
            break
        grow = key if rnd >= GUIDED_ROUNDS - 1 else key[chosen]
        merged = np.union1d(grow, vkey)
        b, f = merged // nf, merged % nf
        edges = _Edges(b, f, full[b, f].astype(np.int32), None, edges.row_has_pos, edges.col_has_pos, full)
    return pairs, edges, False, prices
