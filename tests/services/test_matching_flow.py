"""Matching, the exact sparse solver: min-cost flow on a candidate graph, its duality certificate, the score
tables, and the threads a large round uses. Compared against the dense exact optimum (LSA, HiGHS)."""

from __future__ import annotations

import multiprocessing
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

import bot.services.matching.buckets as buckets
import bot.services.matching.flow as flow
import bot.services.matching.scoring as scoring
import bot.services.matching.solving as solving
from bot.services.matching import Learner, optimal_matching, score_matrix, score_pair
from bot.services.matching.buckets import _bucket_edges, _prepare
from bot.services.matching.flow import _flow_process, _min_cost_flow, _price, _solve_priced
from tests.services.test_matching import NOW, check_valid, random_learner


def _cohort(rng: random.Random, nb: int, nf: int, cap: int) -> tuple[list[Learner], set[frozenset[int]]]:
    """One project, capacities 2..cap on BOTH sides (so slot-based solvers could pair two people twice)."""
    backs = [random_learner(rng, 10_000 + i, "backend", projects=["ecommerce"], max_cap=cap) for i in range(nb)]
    fronts = [random_learner(rng, 20_000 + j, "frontend", projects=["ecommerce"], max_cap=cap) for j in range(nf)]
    learners = [replace(lr, capacity=max(2, lr.capacity)) for lr in backs + fronts]
    blocked = {frozenset((b.user_id, f.user_id)) for b in backs for f in fronts if rng.random() < 0.08}
    return learners, blocked


def _proven_sparse(method: str) -> bool:
    return all(part.startswith("sparse-") and part.split("×")[0].endswith("-proven") for part in method.split(", "))


@pytest.mark.parametrize("seed", range(8))
def test_flow_solver_equals_dense_optimum_with_capacities_on_both_sides(seed: int) -> None:
    rng = random.Random(700 + seed)
    learners, blocked = _cohort(rng, rng.randint(20, 70), rng.randint(10, 50), 3)
    dense = optimal_matching(learners, blocked, dense_limit=10**6, now=NOW)
    flow = optimal_matching(learners, blocked, dense_limit=0, top_k=rng.choice([1, 3, 10]), now=NOW)
    check_valid(dense, learners, blocked)
    check_valid(flow, learners, blocked)  # no pair twice, capacities, no blocked or zero-score pair
    assert flow.total_score == dense.total_score
    # capacity-1 arcs: two people are never paired twice, so no MILP repair is needed on this path
    assert _proven_sparse(flow.method), flow.method


def test_certificate_holds_over_every_pair() -> None:
    """The duals the solver returns are feasible for ALL pairs and their objective equals the total."""
    rng = random.Random(4)
    learners, blocked = _cohort(rng, 120, 70, 3)
    (bucket,), _ = _prepare(learners, blocked, None)
    edges = _bucket_edges(bucket, False, 2, NOW)
    full = edges.full
    assert full is not None
    pairs, _, proven, prices = _solve_priced(edges, bucket.bcap, bucket.fcap)
    assert proven and prices is not None
    p, q = prices
    assert (p >= 0).all() and (q >= 0).all()
    chosen = np.zeros(full.shape, dtype=bool)
    for b, f in pairs:
        chosen[b, f] = True
    reduced = full.astype(np.int64) - p[:, None] - q[None, :]
    assert not (reduced[~chosen] > 0).any()
    total = sum(int(full[b, f]) for b, f in pairs)
    dual = int((bucket.bcap * p).sum() + (bucket.fcap * q).sum() + np.maximum(reduced[chosen], 0).sum())
    assert dual == total  # weak duality: no matching scores more
    assert total == optimal_matching(learners, blocked, dense_limit=10**6, now=NOW).total_score


def _several_projects(
    seed: int, projects: list[str], triples: int, blocked_ids: range
) -> tuple[list[Learner], set[frozenset[int]]]:
    """Backend, frontend, backend, … over `projects` (capacity ≤ 3); each of `blocked_ids` blocked with the next."""
    rng = random.Random(seed)
    learners = [
        random_learner(rng, i, track, projects=projects, max_cap=3)
        for i, track in enumerate(["backend", "frontend", "backend"] * triples)
    ]
    return learners, {frozenset((i, i + 1)) for i in blocked_ids}


def _threaded_equals_alone(
    monkeypatch: pytest.MonkeyPatch,
    learners: list[Learner],
    blocked: set[frozenset[int]],
    dense_limit: int,
    before_threaded: Callable[[], None] = lambda: None,
) -> None:
    """The round solved on threads (every threshold at 0) is exactly the single-threaded answer, proven optimal."""
    alone = optimal_matching(learners, blocked, dense_limit=dense_limit, now=NOW)
    before_threaded()
    monkeypatch.setattr(solving, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(buckets, "PARALLEL_SCORE_MIN_PAIRS", 0)
    threaded = optimal_matching(learners, blocked, dense_limit=dense_limit, now=NOW)
    assert threaded == alone
    assert _proven_sparse(threaded.method)
    check_valid(threaded, learners, blocked)


def test_threaded_round_gives_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    learners, blocked = _several_projects(9, ["ecommerce", "job-board", "other"], 150, range(0, 400, 3))
    _threaded_equals_alone(monkeypatch, learners, blocked, 40)


def test_largest_bucket_first_and_its_flows_in_a_worker_process_give_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The threaded round that builds the largest bucket's graph first and solves its flows in a worker
    process (flow._flow_process) returns exactly the single-threaded, in-process answer."""
    learners, blocked = _several_projects(21, ["ecommerce", "ecommerce", "job-board"], 120, range(0, 300, 4))
    used: list[bool] = []
    real = solving._flow_process

    def watched(use: bool):  # type: ignore[no-untyped-def]
        used.append(use)
        return real(use)

    def in_a_worker_process() -> None:
        monkeypatch.setattr(solving, "_flow_process", watched)
        monkeypatch.setattr(solving, "PROCESS_MIN_PAIRS", 0)

    _threaded_equals_alone(monkeypatch, learners, blocked, 30, in_a_worker_process)
    assert used == [True]


def test_flow_worker_process_solves_the_same_flows() -> None:
    rng = random.Random(5)
    learners, blocked = _cohort(rng, 80, 50, 3)
    (bucket,), _ = _prepare(learners, blocked, None)
    here = _solve_priced(_bucket_edges(bucket, False, 1, NOW), bucket.bcap, bucket.fcap)
    with _flow_process(True) as mcf:
        assert mcf is not None
        assert len(multiprocessing.active_children()) == 1  # the worker (started with the context)
        there = _solve_priced(_bucket_edges(bucket, False, 1, NOW), bucket.bcap, bucket.fcap, mcf=mcf)
    assert here[0] == there[0] and here[2] and there[2]
    assert here[3] is not None and there[3] is not None
    assert (here[3][0] == there[3][0]).all() and (here[3][1] == there[3][1]).all()
    assert not multiprocessing.active_children()  # shut down with the context
    with _flow_process(False) as none:
        assert none is None


def test_one_rebuild_then_the_graph_only_grows_to_the_proven_optimum() -> None:
    """The second graph is rebuilt around the first duals; from the third solve on each graph contains the
    previous one (so rounds cannot cycle), and the answer is the dense optimum with its certificate."""
    rng = random.Random(11)
    learners, blocked = _cohort(rng, 150, 90, 3)
    (bucket,), _ = _prepare(learners, blocked, None)
    graphs: list[set[tuple[int, int]]] = []

    def recording(tail: np.ndarray, head: np.ndarray, *rest: np.ndarray) -> np.ndarray | None:
        graphs.append(set(zip(tail.tolist(), head.tolist(), strict=True)))
        return _min_cost_flow(tail, head, *rest)

    pairs, _, proven, _ = _solve_priced(_bucket_edges(bucket, False, 1, NOW), bucket.bcap, bucket.fcap, mcf=recording)
    assert proven and len(graphs) >= 3
    assert not graphs[0] <= graphs[1]  # rebuilt: the first graph's far pairs are dropped
    assert all(graphs[k] <= graphs[k + 1] for k in range(1, len(graphs) - 1))
    full = _bucket_edges(bucket, False, 1, NOW).full
    assert full is not None
    total = sum(int(full[b, f]) for b, f in pairs)
    assert total == optimal_matching(learners, blocked, dense_limit=10**6, now=NOW).total_score


def test_candidates_in_threaded_blocks_are_the_same_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(17)
    learners, blocked = _cohort(rng, 130, 70, 3)
    (bucket,), _ = _prepare(learners, blocked, None)
    one = _bucket_edges(bucket, False, 3, NOW, threads=False)
    monkeypatch.setattr(buckets, "_CANDIDATE_BLOCK", 200)  # many row and column blocks
    blocks = _bucket_edges(bucket, False, 3, NOW, threads=True)
    for name in ("b", "f", "s", "row_has_pos", "col_has_pos", "full"):
        assert (getattr(one, name) == getattr(blocks, name)).all(), name


def test_pricing_on_threads_finds_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(23)
    learners, blocked = _cohort(rng, 110, 60, 3)
    (bucket,), _ = _prepare(learners, blocked, None)
    edges = _bucket_edges(bucket, False, 1, NOW)
    full = edges.full
    assert full is not None
    _, _, proven, prices = _solve_priced(edges, bucket.bcap, bucket.fcap, max_rounds=1)
    assert prices is not None and not proven  # duals of the first graph: some pairs violate them
    serial = _price(full, *prices, 3)
    monkeypatch.setattr(flow, "_PRICE_BLOCK", 300)  # a block of about 5 rows
    threaded = _price(full, *prices, 3, threads=True)
    assert len(serial[0]) > 0
    assert (serial[0] == threaded[0]).all() and (serial[1] == threaded[1]).all()
    limit = np.maximum(prices[0] - 3, 0)[:, None] + prices[1][None, :]
    assert (np.argwhere((full > 0) & (full > limit)) == np.column_stack(threaded)).all()


def test_score_tables_and_products_agree_with_score_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(13)
    rows = [random_learner(rng, i, "backend", projects=["job-board"], max_cap=1) for i in range(60)]
    cols = [random_learner(rng, 100 + j, "frontend", projects=["job-board"], max_cap=1) for j in range(45)]
    rows += rows[:5]  # learners sharing windows and tag sets point at the same table rows
    expected = np.array([[score_pair(a, b, now=NOW).score for b in cols] for a in rows])
    assert (score_matrix(rows, cols, now=NOW) == expected).all()
    monkeypatch.setattr(scoring, "TABLE_MAX", 0)  # too many distinct features: products per block
    assert (score_matrix(rows, cols, now=NOW) == expected).all()


def test_importing_matching_does_not_load_ortools() -> None:
    code = "import sys, bot.services.matching, bot.services.matching.service; print('ortools' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
