"""Runs stored jobs when they fall due, according to the one clock.

Ticks every `tick` seconds (0.5 s), so a jump of the test clock is noticed within a second.
Handlers are registered per job kind by the cogs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.clock import Clock
from db.stores.jobs import Job, JobStore

log = logging.getLogger(__name__)

JobHandler = Callable[[Job], Awaitable[None]]
Ticker = Callable[[datetime], Awaitable[None]]


class Scheduler:
    def __init__(self, jobs: JobStore, clock: Clock, *, tick: float = 0.5) -> None:
        self.jobs = jobs
        self.clock = clock
        self.tick = tick
        self._handlers: dict[str, JobHandler] = {}
        self._tickers: list[Ticker] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def register(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler

    def add_ticker(self, ticker: Ticker) -> None:
        """Called on every tick with "now"; used to plan recurring jobs (e.g. daily digests)."""
        self._tickers.append(ticker)

    async def schedule(
        self, kind: str, due_at: datetime, payload: dict[str, Any], dedupe_key: str | None = None
    ) -> int | None:
        job_id = await self.jobs.schedule(kind, due_at, payload, self.clock.now(), dedupe_key)
        self._wake.set()
        return job_id

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="nexus-scheduler")

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the current tick finish, then end the loop (cooperatively: no cancellation mid-job)."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            self._task.cancel()
        self._task = None

    async def run_due(self) -> int:
        """Run every due job once; returns how many ran."""
        now = self.clock.now()
        for ticker in self._tickers:
            try:
                await ticker(now)
            except Exception:
                log.exception("Scheduler ticker %r failed", ticker)
        ran = 0
        for job in await self.jobs.due(now):
            handler = self._handlers.get(job.kind)
            if handler is None:
                continue  # its cog is not loaded; leave it pending
            if not await self.jobs.claim(job.id, now):
                continue
            ran += 1
            try:
                await handler(job)
            except Exception as exc:
                log.exception("Job %s (%s) failed", job.id, job.kind)
                await self.jobs.record_failure(job.id, f"{type(exc).__name__}: {exc}")
        return ran

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.run_due()
            except Exception:
                log.exception("Scheduler tick failed")
            if self._stopping:
                break
            self._wake.clear()
            # Sleep until the next tick or an earlier wake-up (new job, stop). Not asyncio.wait_for: on
            # Python 3.11 it can swallow a cancellation that races with its own completion.
            waiter = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({waiter}, timeout=self.tick)
            waiter.cancel()
