"""What the web serves, computed once per database version: readers arriving together share one computation.

A version (`CohortViewService.version()`) changes with every commit, a new topic index and the clock's minute, so a
cached answer is never stale; while one is being computed for a version, later readers of that version await it
instead of running the same queries again (a burst right after a commit costs one query per distinct answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from aiohttp import web


class VersionedCache:
    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self.version: Hashable | None = None
        self.values: dict[Hashable, Any] = {}
        self.computing: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, version: Hashable, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        if version != self.version:
            self.version, self.values, self.computing = version, {}, {}
        if key in self.values:
            return self.values[key]
        running = self.computing.get(key)
        if running is None:
            running = self.computing[key] = asyncio.ensure_future(compute())
            running.add_done_callback(lambda done: self._settle(version, key, done))
        # Shielded: a reader that disconnects does not cancel the computation the others await.
        return await asyncio.shield(running)

    def _settle(self, version: Hashable, key: Hashable, done: asyncio.Future[Any]) -> None:
        if version != self.version:
            return
        if self.computing.get(key) is done:
            del self.computing[key]
        if not done.cancelled() and done.exception() is None:
            if len(self.values) >= self.max_entries:
                self.values.clear()
            self.values[key] = done.result()


CACHE: web.AppKey[VersionedCache] = web.AppKey("cache", VersionedCache)
