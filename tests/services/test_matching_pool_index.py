"""Suggestions over a large pool use its cached encoding (bot/services/matching/pool_index.py): the same
answers as scoring everyone one by one, and the pool encoded once, not on every `/match suggest`."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Collection, Generator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.services.matching import Learner, ScoreBreakdown, compatible, score_pair, suggest
from bot.services.matching import pool_index as pool_module
from bot.services.matching.pool_index import pool_index
from tests.services.test_matching import NOW, random_learner

ROOT = Path(__file__).resolve().parents[2]


def _one_by_one(
    me: Learner, others: list[Learner], blocked: Collection[frozenset[int]], limit: int
) -> list[tuple[Learner, ScoreBreakdown]]:
    scored = [(o, score_pair(me, o, viewer=me, now=NOW)) for o in others if compatible(me, o, blocked)]
    scored = [t for t in scored if t[1].score > 0]
    scored.sort(key=lambda t: (-t[1].score, -t[1].overlap_minutes, t[0].user_id))
    return scored[:limit]


def test_pool_scores_equal_score_pair_for_everyone() -> None:
    rng = random.Random(17)
    pool = [
        random_learner(rng, 1000 + i, rng.choice(["backend", "frontend"]), projects=["ecommerce", "other"], max_cap=2)
        for i in range(300)
    ]
    pool = [replace(p, offers=frozenset(t.upper() for t in p.offers)) if i % 7 == 0 else p for i, p in enumerate(pool)]
    index = pool_index(pool)
    for me in pool[:25]:
        scores, overlap = index.scores(me, NOW)
        expected = [score_pair(me, o, now=NOW) for o in pool]
        assert scores.tolist() == [b.score for b in expected]
        assert overlap.tolist() == [b.overlap_minutes for b in expected]


def test_suggest_on_a_large_mixed_pool_with_blocks_equals_one_by_one() -> None:
    rng = random.Random(5)
    pool = [
        random_learner(rng, 2000 + i, rng.choice(["backend", "frontend"]), projects=["job-board", "other"], max_cap=3)
        for i in range(400)
    ]
    for me in pool[:30]:
        blocked = {frozenset((me.user_id, o.user_id)) for o in rng.sample(pool, 40)}
        blocked.add(frozenset((pool[0].user_id, pool[1].user_id)))
        for limit in (1, 5, 12):
            fast = suggest(me, pool, blocked, limit, now=NOW)
            assert [(o.user_id, b) for o, b in fast] == [
                (o.user_id, b) for o, b in _one_by_one(me, pool, blocked, limit)
            ]


def _counted_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """An empty encoding cache, and the size of every pool encoded from now on."""
    pool_module._CACHE.clear()
    builds: list[int] = []
    real_building = pool_module.PoolIndex.building

    def counting_building(learners: list[Learner]) -> Generator[None, None, pool_module.PoolIndex]:
        builds.append(len(learners))
        return real_building(learners)

    monkeypatch.setattr(pool_module.PoolIndex, "building", counting_building)
    return builds


def test_the_pool_is_encoded_once_for_many_suggestions(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(9)
    pool = [random_learner(rng, 3000 + i, "frontend", projects=["ecommerce"], max_cap=2) for i in range(200)]
    me = random_learner(rng, 1, "backend", projects=["ecommerce"], max_cap=1)
    builds = _counted_builds(monkeypatch)
    for _ in range(10):
        assert suggest(me, list(pool), now=NOW)  # a new list each time, as the service hands it out
    assert len(builds) == 1
    # Another pool (a learner joined) is a new encoding; the old one stays cached for its own key.
    suggest(me, [*pool, random_learner(rng, 9999, "frontend", projects=["ecommerce"], max_cap=1)], now=NOW)
    assert len(builds) == 2 and np.array_equal(pool_index(pool).user_ids, [lr.user_id for lr in pool])


def test_suggestions_among_allowed_partners_share_the_whole_pools_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """`among` (the pair rule's answer, different for each learner) narrows a suggestion without a new pool: the
    same answers as suggesting from the narrowed list, and the whole pool encoded once for all of them."""
    rng = random.Random(21)
    pool = [random_learner(rng, 4000 + i, "frontend", projects=["ecommerce"], max_cap=2) for i in range(300)]
    asking = [random_learner(rng, 10 + i, "backend", projects=["ecommerce"], max_cap=1) for i in range(12)]
    builds = _counted_builds(monkeypatch)
    for me in asking:
        allowed = [o for o in pool if rng.random() < 0.8]  # each learner's own refusals left out
        among = {o.user_id for o in allowed}
        for limit in (1, 5):
            shared = suggest(me, list(pool), limit=limit, now=NOW, among=among)
            expected = _one_by_one(me, allowed, (), limit)
            assert [(o.user_id, b) for o, b in shared] == [(o.user_id, b) for o, b in expected]
            # The small-pool path (no encoding) reads `among` the same way.
            small = suggest(me, pool[:40], limit=limit, now=NOW, among=among)
            assert [(o.user_id, b) for o, b in small] == [
                (o.user_id, b) for o, b in _one_by_one(me, [o for o in pool[:40] if o.user_id in among], (), limit)
            ]
    assert builds == [len(pool)]


def test_suggestions_leave_numpy_ma_unimported() -> None:
    """`np.isin` over a pool of a thousand Discord ids (too far apart for its lookup table) sorts, and its sort
    imports `numpy.ma` (1.6 MB of the bot's memory); the pool's own id lookup does not. Checked in a fresh
    interpreter: this one may have imported it already."""
    code = (
        "import random, sys\n"
        "from dataclasses import replace\n"
        "from tests.services.test_matching import NOW, random_learner\n"
        "from bot.services.matching import suggest\n"
        "rng, SNOWFLAKE = random.Random(3), 1_577_484_595_237_093_377\n"
        "ids = [SNOWFLAKE + i * 4_194_304_007 for i in range(1200)]  # Discord's: too far apart for a table\n"
        "pool = [random_learner(rng, uid, 'frontend', projects=['ecommerce'], max_cap=2) for uid in ids]\n"
        "me = replace(random_learner(rng, 1, 'backend', projects=['ecommerce'], max_cap=1), windows=pool[0].windows)\n"
        "blocked = {frozenset((1, o.user_id)) for o in pool[:30]}\n"
        "among = {o.user_id for o in pool[::2]}\n"
        "assert suggest(me, pool, blocked, 5, now=NOW, among=among)\n"
        "print('numpy.ma' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_a_pool_encoded_in_slices_lets_the_loop_run_and_is_the_one_suggest_uses() -> None:
    """`/match suggest`'s pool is encoded in slices before the scoring (a thousand learners held the event loop
    6-8 ms in one go): another task runs in between, the index is kept, and it scores as one built at once."""
    import asyncio
    import time

    from bot.services.matching.pool_index import PoolIndex, pool_index_steps
    from bot.services.matching.pools import run_in_slices

    rng = random.Random(5)
    pool = [random_learner(rng, 5000 + i, "frontend", projects=["ecommerce"], max_cap=2) for i in range(1000)]
    me = replace(random_learner(rng, 1, "backend", projects=["ecommerce"], max_cap=1), windows=pool[0].windows)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before, started = ticks, time.perf_counter()
    index = await run_in_slices(pool_index_steps(pool), slice_seconds=0.0005)
    took = time.perf_counter() - started
    task.cancel()
    assert ticks - before >= 2 or took < 0.001  # (a machine fast enough to encode it in one slice yields nothing)
    assert pool_index(pool) is index  # kept: the scoring finds it ready
    at_once = PoolIndex.build(pool)
    for mine, theirs in zip(index.scores(me, NOW), at_once.scores(me, NOW), strict=True):
        assert np.array_equal(mine, theirs)
    assert index.offers.keys() == at_once.offers.keys() and np.array_equal(index.owners, at_once.owners)
