"""Crash-safety driver: bursts of announce and accept interactions, the bot SIGKILLed at a random moment.

After each kill the bot restarts on the same database and the driver checks that every interaction
that got a success answer is stored, that nothing is half-written (announcements without their post,
pairs without their thread, once the bot's start-up recovery ran), that the database is intact, and
that retrying every interaction of the burst duplicates nothing. Used by tests/e2e/test_crash.py
(20 kill points) and bench/crash.py (100).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from db.database import Database
from sandbox.client import InteractionResult
from sandbox.nexus import NexusSandbox

ANNOUNCED = "Announced"
PAIRED = "partners now"


@dataclass
class CrashTally:
    kills: int = 0
    announces_acknowledged: int = 0
    accepts_acknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    half_written: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    retry_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.half_written or self.duplicates or self.integrity or self.retry_errors)


def _accept_dm(message: dict[str, Any]) -> bool:
    return "nexus:match:accept" in str(message.get("components"))


class CrashDriver:
    def __init__(self, nexus: NexusSandbox, *, seed: int = 1, per_round: int = 4, max_kill_delay: float = 0.35) -> None:
        self.nexus = nexus
        self.rng = random.Random(seed)
        self.per_round = per_round
        self.max_kill_delay = max_kill_delay
        self.tally = CrashTally()
        self.round = 0

    def _announce(self, user: str, project: str = "job-board") -> Any:
        return self.nexus.client.slash(
            user,
            "project announce",
            project=project,
            title=f"{user}'s board",
            summary="A capstone built with a partner.",
            timezone="Africa/Lagos",
            timeout=20,
        )

    async def _prepare(self) -> tuple[list[str], list[tuple[str, str, dict[str, Any]]]]:
        """New learners for this round: requesters with pending requests, and late announcers."""
        server = self.nexus.server
        r = self.round
        backends = [f"b{r:03d}x{i}" for i in range(self.per_round)]
        frontends = [f"f{r:03d}x{i}" for i in range(self.per_round)]
        newcomers = [f"n{r:03d}x{i}" for i in range(self.per_round)]
        for name in backends + newcomers:
            server.add_member(name, roles=["Backend"])
        for name in frontends:
            server.add_member(name, roles=["Frontend"])
        await asyncio.gather(*(self._announce(u) for u in backends + frontends))
        await asyncio.gather(
            *(
                self.nexus.client.slash(b, "match request", member=f, timeout=20)
                for b, f in zip(backends, frontends, strict=True)
            )
        )
        pending = []
        for b, f in zip(backends, frontends, strict=True):
            dm = await server.wait_for_message(f"@{f}", _accept_dm, timeout=20)
            pending.append((b, f, dm))
        return newcomers, pending

    async def run_round(self) -> None:
        self.round += 1
        newcomers, pending = await self._prepare()
        assert self.nexus.bot is not None
        burst: list[asyncio.Task[InteractionResult]] = []
        burst += [asyncio.create_task(self._announce(u)) for u in newcomers]
        burst += [asyncio.create_task(self.nexus.client.click(f, dm, "Accept", timeout=20)) for _, f, dm in pending]
        # The kill point: a random moment inside the burst (this delay is the experiment, not a wait).
        await asyncio.sleep(self.rng.uniform(0.0, self.max_kill_delay))
        self.nexus.bot.kill()
        await self.nexus.bot.wait()
        self.tally.kills += 1
        for task in burst:
            if not task.done():
                task.cancel()
        outcomes = await asyncio.gather(*burst, return_exceptions=True)
        announced = {u for u, o in zip(newcomers, outcomes, strict=False) if _succeeded(o, ANNOUNCED)}
        accepted = {
            (b, f) for (b, f, _), o in zip(pending, outcomes[len(newcomers) :], strict=True) if _succeeded(o, PAIRED)
        }
        self.tally.announces_acknowledged += len(announced)
        self.tally.accepts_acknowledged += len(accepted)

        await self.nexus.server.wait_disconnected()
        self.nexus.restarts += 1
        await self.nexus.start_bot()
        await self._check_integrity()
        await self._check_acknowledged(announced, accepted)
        await self._check_recovered()
        await self._retry(newcomers, pending)

    async def _check_integrity(self) -> None:
        with contextlib.closing(sqlite3.connect(self.nexus.db_path)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            self.tally.integrity.append(f"round {self.round}: {result}")

    async def _announcements_of(self, db: Database, user: str) -> int:
        """Active announcements of `user`, read straight from the bot's database."""
        uid = self.nexus.server.world.user(user).id
        sql = "SELECT COUNT(*) FROM announcements WHERE user_id = ? AND withdrawn_at IS NULL"
        return int(await db.fetchval(sql, (uid,)) or 0)

    async def _pairs_of(self, db: Database, backend: str, frontend: str, *, active_only: bool) -> int:
        """Pairs of these two learners (only active ones with `active_only`)."""
        world = self.nexus.server.world
        sql = "SELECT COUNT(*) FROM pairs WHERE backend_id = ? AND frontend_id = ?"
        if active_only:
            sql += " AND status = 'active'"
        return int(await db.fetchval(sql, (world.user(backend).id, world.user(frontend).id)) or 0)

    async def _check_acknowledged(self, announced: set[str], accepted: set[tuple[str, str]]) -> None:
        async with self.nexus.db() as db:
            for user in announced:
                n = await self._announcements_of(db, user)
                if n != 1:
                    self.tally.lost.append(f"round {self.round}: {user}'s acknowledged announcement ({n} rows)")
            for b, f in accepted:
                n = await self._pairs_of(db, b, f, active_only=True)
                if n != 1:
                    self.tally.lost.append(f"round {self.round}: acknowledged pair {b}+{f} ({n} rows)")

    async def _check_recovered(self) -> None:
        """Start-up recovery completes what a kill cut short: posts of announcements, threads of pairs."""

        async def unfinished() -> tuple[int, int]:
            async with self.nexus.db() as db:
                posts = await db.fetchval(
                    "SELECT COUNT(*) FROM announcements WHERE withdrawn_at IS NULL AND message_id IS NULL"
                )
                threads = await db.fetchval("SELECT COUNT(*) FROM pairs WHERE status = 'active' AND thread_id IS NULL")
            return int(posts), int(threads)

        for _ in range(100):
            if await unfinished() == (0, 0):
                return
            await asyncio.sleep(0.1)
        posts, threads = await unfinished()
        self.tally.half_written.append(
            f"round {self.round}: {posts} announcement(s) without post, {threads} pair(s) without thread"
        )

    async def _retry(self, newcomers: list[str], pending: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Learners press again after the outage: nothing may be stored twice."""
        # Accept can only be pressed again where the request message still shows it (an answered one doesn't).
        still_open = [
            (f, dm)
            for _, f, dm in pending
            if any(_accept_dm(m) and m["id"] == dm["id"] for m in self.nexus.server.dms_to(f))
        ]
        retries = await asyncio.gather(
            *(self._announce(u) for u in newcomers),
            *(self.nexus.client.click(f, dm, "Accept", timeout=20) for f, dm in still_open),
            return_exceptions=True,
        )
        for outcome in retries:
            if isinstance(outcome, BaseException):
                self.tally.retry_errors.append(f"round {self.round}: {str(outcome)[:200]}")
            elif outcome.error_id_seen:
                self.tally.retry_errors.append(f"round {self.round}: error id in {outcome.text[:200]}")
        async with self.nexus.db() as db:
            for user in newcomers:
                n = await self._announcements_of(db, user)
                if n != 1:
                    self.tally.duplicates.append(f"round {self.round}: {user} has {n} announcements after retry")
            for b, f, _ in pending:
                n = await self._pairs_of(db, b, f, active_only=False)
                if n != 1:
                    self.tally.duplicates.append(f"round {self.round}: {b}+{f} have {n} pairs after retry")


def _succeeded(outcome: Any, marker: str) -> bool:
    return isinstance(outcome, InteractionResult) and marker in outcome.text
