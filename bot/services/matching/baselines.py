"""Partner matching, bench baselines: greedy and Gale–Shapley on the same edges as the optimal solver.

They exist to measure :func:`~bot.services.matching.solving.optimal_matching` against (bench/matching.py).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from bot.services.matching.buckets import _Edges
from bot.services.matching.scoring import Learner
from bot.services.matching.solving import MatchResult, Solver, _run


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


def _baseline(
    name: str,
    solver: Solver,
    learners: Sequence[Learner],
    blocked: Collection[frozenset[int]],
    options: Mapping[str, Any],
) -> MatchResult:
    """Run ``solver`` on every bucket; ``options`` as :func:`optimal_matching` takes them (``top_k`` default 20)."""
    return _run(
        learners,
        blocked,
        options.get("remaining_capacity"),
        options.get("dense_limit", 1000),
        options.get("top_k", 20),
        options.get("now"),
        (name, solver),
    )


def greedy_matching(
    learners: Sequence[Learner], blocked: Collection[frozenset[int]] = (), **options: Any
) -> MatchResult:
    """Baseline: take compatible edges best-first while both sides have capacity.

    Uses every positive edge for buckets within ``dense_limit`` and the same candidate graph as
    :func:`optimal_matching` above it (plus the same spare-capacity fill). Options as :func:`_baseline`.
    """
    return _baseline("greedy", _greedy, learners, blocked, options)


def gale_shapley_matching(
    learners: Sequence[Learner], blocked: Collection[frozenset[int]] = (), **options: Any
) -> MatchResult:
    """Baseline: backend-proposing deferred acceptance (stable matching) with capacities; preferences
    are scores (ties → lower index). Same edge sets as :func:`greedy_matching`."""
    return _baseline("gale-shapley", _gale_shapley, learners, blocked, options)
