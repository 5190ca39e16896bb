"""Partner matching, the suggestion pools' cache: built briefly once per key, and once at a time.

Under load, many `/match suggest` of one project and track arrive while its pool expires: each would
load and build the same thousand learners (CPU on the event loop, and memory for every copy). Here
the first caller builds it and the others await that build. No discord here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Generator, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

# The longest a stepped computation holds the event loop before it lets other interactions through.
STEP_SLICE_SECONDS = 0.002


class PoolCache(Generic[T]):
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._cache: dict[Hashable, tuple[float, T]] = {}
        self._builds: dict[tuple[Hashable, int], asyncio.Future[T]] = {}
        self._generation = 0  # bumped by clear(): a build started before it is not cached

    async def get(self, key: Hashable, build: Callable[[], Awaitable[T]]) -> T:
        """The cached value while fresh; else the one build under way for it, or a new one."""
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        flight = (key, self._generation)
        future = self._builds.get(flight)
        if future is None:
            future = self._builds[flight] = asyncio.ensure_future(self._build(flight, build))
        # Shielded: one waiter giving up (its interaction cancelled) does not cancel the others' build.
        return await asyncio.shield(future)

    async def _build(self, flight: tuple[Hashable, int], build: Callable[[], Awaitable[T]]) -> T:
        try:
            value = await build()
            if flight[1] == self._generation:
                self._cache[flight[0]] = (time.monotonic(), value)
            return value
        finally:
            self._builds.pop(flight, None)

    def clear(self) -> None:
        self._cache.clear()
        self._generation += 1


class LoopTurns:
    """Gives the event loop a turn whenever `slice_seconds` have passed since the last one: long work on the loop
    (a pool's learners built cold, its encoding) runs in slices, acknowledgements in between."""

    def __init__(self, slice_seconds: float = STEP_SLICE_SECONDS) -> None:
        self.slice_seconds = slice_seconds
        self._slice_ends = time.perf_counter() + slice_seconds

    async def take_if_due(self) -> None:
        if time.perf_counter() > self._slice_ends:
            await asyncio.sleep(0)
            self._slice_ends = time.perf_counter() + self.slice_seconds


async def run_in_slices(steps: Generator[None, None, T], slice_seconds: float = STEP_SLICE_SECONDS) -> T:
    """A step-by-step computation (one that yields between steps) run on the event loop in slices (`LoopTurns`):
    a pool's encoding held it 6-8 ms in one go."""
    turns = LoopTurns(slice_seconds)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        await turns.take_if_due()
