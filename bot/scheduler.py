"""Runs stored jobs when they fall due, according to the one clock.

Ticks every `tick` seconds (0.5 s), so a jump of the test clock is noticed within a second.
Handlers are registered per job kind by the cogs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock
from db.stores.jobs import Job, JobStore

log = logging.getLogger(__name__)

JobHandler = Callable[[Job], Awaitable[None]]
Ticker = Callable[[datetime], Awaitable[None]]
# A resumable job interrupted this many times (each a kill mid-run) is given up, so it cannot loop forever.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class PlannedJob:
    """A job a service decided on, for the runtime to schedule (`Scheduler.plan`); its key makes it one job."""

    kind: str
    due_at: datetime
    payload: dict[str, Any]
    dedupe_key: str


class JobSteps:
    """The steps of one resumable job: each runs once, and is recorded in the job's payload when done.

    A kill between a step's side effect and its record repeats that step after the restart; steps that send
    messages pass a nonce (`nonce_for`) so Discord returns the first message instead of sending a second.
    """

    def __init__(self, jobs: JobStore, job: Job) -> None:
        self.jobs = jobs
        self.job = job
        self.payload = dict(job.payload)
        self.done: set[str] = set(self.payload.get("done") or ())

    def __contains__(self, step: str) -> bool:
        return step in self.done

    async def mark(self, step: str) -> None:
        self.done.add(step)
        self.payload["done"] = sorted(self.done)
        await self.jobs.save_progress(self.job.id, self.payload)

    async def run(self, step: str, work: Callable[[], Awaitable[object]]) -> bool:
        """Run `work` unless `step` is recorded as done; True if it ran."""
        if step in self.done:
            return False
        await work()
        await self.mark(step)
        return True


def nonce_for(*parts: object) -> str:
    """A message nonce (≤ 25 characters) unique to what it sends: a repeated send returns the first message."""
    key = ":".join(str(p) for p in parts)
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


class Scheduler:
    def __init__(self, jobs: JobStore, clock: Clock, *, tick: float = 0.5) -> None:
        self.jobs = jobs
        self.clock = clock
        self.tick = tick
        self._handlers: dict[str, JobHandler] = {}
        self._resumable: set[str] = set()
        self._released = False
        self._release_lock = asyncio.Lock()
        self._tickers: list[Ticker] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        # Sharded: whether this process runs the shard of a guild. Jobs of other shards' guilds are left to them.
        self.owns_guild: Callable[[int], bool] | None = None
        self._job_guilds: dict[int, int | None] = {}

    async def owns(self, job: Job) -> bool:
        """Whether this process runs `job`: always, unsharded; else when its guild is on one of our shards (a job
        with no guild found runs on whichever process claims it first)."""
        if self.owns_guild is None:
            return True
        if job.id not in self._job_guilds:
            if len(self._job_guilds) > 10_000:
                self._job_guilds.clear()
            self._job_guilds[job.id] = await self.jobs.guild_of(job)
        guild_id = self._job_guilds[job.id]
        return guild_id is None or self.owns_guild(guild_id)

    def register(self, kind: str, handler: JobHandler, *, resumable: bool = False) -> None:
        """`resumable` jobs stay pending while they run: one a kill cut short runs again after the restart, so
        its handler must skip what is already done (see `JobSteps`). Others are marked done before they run."""
        self._handlers[kind] = handler
        if resumable:
            self._resumable.add(kind)

    def add_ticker(self, ticker: Ticker) -> None:
        """Called on every tick with "now"; used to plan recurring jobs (e.g. daily digests)."""
        self._tickers.append(ticker)

    async def schedule(
        self, kind: str, due_at: datetime, payload: dict[str, Any], dedupe_key: str | None = None
    ) -> int | None:
        job_id = await self.jobs.schedule(kind, due_at, payload, self.clock.now(), dedupe_key)
        self._wake.set()
        return job_id

    async def plan(self, job: PlannedJob) -> int | None:
        """Schedule what a service planned; None when a job with its key exists already."""
        return await self.schedule(job.kind, job.due_at, job.payload, job.dedupe_key)

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
        await self.release_interrupted()
        ran = 0
        for job in await self.jobs.due(now, limit=50 if self.owns_guild is None else 500):
            if await self.owns(job):
                ran += await self._run_one(job, now)
        return ran

    async def release_interrupted(self) -> None:
        """Once per process: resumable jobs left started by a killed process become due again."""
        async with self._release_lock:  # nothing of this process may start a job before the release is done
            if self._released:
                return
            if self.owns_guild is None:
                released, failed = await self.jobs.release_started(MAX_ATTEMPTS)
            else:  # other shards' jobs may be running right now in their processes
                mine = [job.id for job in await self.jobs.started() if await self.owns(job)]
                released, failed = await self.jobs.release(mine, MAX_ATTEMPTS)
            self._released = True
        if released or failed:
            log.warning(
                "Resuming %d job(s) cut short by a stop (%d given up after %d tries)", released, failed, MAX_ATTEMPTS
            )

    async def run_now(self, job_ids: Iterable[int], *, concurrency: int = 1) -> None:
        """Run these jobs at once (a few at a time) instead of waiting for their tick; each still runs once."""
        await self.release_interrupted()
        gate = asyncio.Semaphore(concurrency)

        async def one(job_id: int) -> None:
            async with gate:
                job = await self.jobs.get(job_id)
                if job is not None and job.status == "pending" and job.started_at is None:
                    await self._run_one(job, self.clock.now())

        await asyncio.gather(*(one(j) for j in job_ids))

    async def _run_one(self, job: Job, now: datetime) -> int:
        handler = self._handlers.get(job.kind)
        if handler is None:
            return 0  # its cog is not loaded; leave it pending
        resumable = job.kind in self._resumable
        claimed = await (self.jobs.start(job.id, now) if resumable else self.jobs.claim(job.id, now))
        if not claimed:
            return 0
        try:
            await handler(job)
        except Exception as exc:
            log.exception("Job %s (%s) failed", job.id, job.kind)
            await self.jobs.record_failure(job.id, f"{type(exc).__name__}: {exc}")
            return 1
        if resumable:
            await self.jobs.finish(job.id, self.clock.now())
        return 1

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
