"""The web's answer cache: one computation per version and answer, shared by readers who arrive together."""

from __future__ import annotations

import asyncio

import pytest

from bot.web.cache import VersionedCache


async def test_readers_arriving_together_share_one_computation_and_a_new_version_recomputes() -> None:
    cache, calls = VersionedCache(), []

    async def compute() -> str:
        calls.append(1)
        await asyncio.sleep(0.01)
        return f"answer {len(calls)}"

    first = await asyncio.gather(*(cache.get(1, "/progress", compute) for _ in range(50)))
    assert first == ["answer 1"] * 50 and len(calls) == 1
    assert await cache.get(1, "/progress", compute) == "answer 1"  # served from the cache
    assert await cache.get(2, "/progress", compute) == "answer 2"  # a commit: computed again
    assert len(calls) == 2


async def test_a_failure_reaches_every_waiter_and_is_not_kept() -> None:
    cache, calls = VersionedCache(), []

    async def failing() -> str:
        calls.append(1)
        await asyncio.sleep(0.01)
        raise ValueError("bad query")

    results = await asyncio.gather(*(cache.get(1, "k", failing) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results) and len(calls) == 1

    async def fine() -> str:
        return "ok"

    assert await cache.get(1, "k", fine) == "ok"


async def test_a_reader_who_goes_away_does_not_cancel_the_others() -> None:
    cache = VersionedCache()
    started = asyncio.Event()

    async def slow() -> str:
        started.set()
        await asyncio.sleep(0.05)
        return "done"

    leaver = asyncio.ensure_future(cache.get(1, "k", slow))
    await started.wait()
    stayer = asyncio.ensure_future(cache.get(1, "k", slow))
    leaver.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaver
    assert await stayer == "done"
