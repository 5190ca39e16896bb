"""The suggestion pools' cache (bot/services/matching/pools.py): concurrent suggestions share one build."""

from __future__ import annotations

import asyncio

from bot.services.matching.pools import PoolCache


async def test_callers_arriving_during_a_build_wait_for_that_one_build() -> None:
    cache: PoolCache[list[int]] = PoolCache(ttl=60)
    builds: list[int] = []
    release = asyncio.Event()

    async def build() -> list[int]:
        builds.append(1)
        await release.wait()
        return [len(builds)]

    waiting = [asyncio.ensure_future(cache.get("ecommerce/frontend", build)) for _ in range(20)]
    await asyncio.sleep(0)
    release.set()
    assert [await w for w in waiting] == [[1]] * 20
    assert len(builds) == 1
    assert await cache.get("ecommerce/frontend", build) == [1]  # fresh: no new build
    assert len(builds) == 1


async def test_a_build_started_before_clear_is_not_cached_and_a_caller_after_it_builds_afresh() -> None:
    cache: PoolCache[str] = PoolCache(ttl=60)
    release = asyncio.Event()
    versions = iter(["before the change", "after the change"])

    async def build() -> str:
        value = next(versions)
        await release.wait()
        return value

    early = asyncio.ensure_future(cache.get("k", build))
    await asyncio.sleep(0)
    cache.clear()  # e.g. a learner joined: the pool under construction may miss them
    late = asyncio.ensure_future(cache.get("k", build))
    await asyncio.sleep(0)
    release.set()
    assert await early == "before the change"
    assert await late == "after the change"
    assert await cache.get("k", build) == "after the change"


async def test_one_waiter_cancelled_does_not_cancel_the_build_for_the_others() -> None:
    cache: PoolCache[int] = PoolCache(ttl=60)
    release = asyncio.Event()

    async def build() -> int:
        await release.wait()
        return 7

    first = asyncio.ensure_future(cache.get("k", build))
    second = asyncio.ensure_future(cache.get("k", build))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == 7


async def test_expired_values_are_rebuilt() -> None:
    cache: PoolCache[int] = PoolCache(ttl=0)
    calls: list[int] = []

    async def build() -> int:
        calls.append(1)
        return len(calls)

    assert await cache.get("k", build) == 1
    assert await cache.get("k", build) == 2
