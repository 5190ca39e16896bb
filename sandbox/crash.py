"""Crash-safety driver: bursts of interactions, the bot SIGKILLed at a random moment.

Kill points alternate between two bursts: announces + request accepts, and a staff matching round
(`/match run`) + session RSVPs. After each kill the bot restarts on the same database and the driver
checks that every interaction that got a success answer is stored, that nothing is half-written
(announcements without their post, pairs without their thread, a committed round without every pair's
thread, intro and DMs, every unmatched learner's DM and its public summary), that the database is intact,
and that retrying every interaction of the burst duplicates nothing (no second pair, thread, DM, summary
or RSVP). A round cut short before it committed must leave nothing, and rerunning it must pair everyone.
Used by tests/e2e/test_crash.py (20 kill points) and bench/crash.py (100).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from db.database import Database
from sandbox.client import InteractionResult, SandboxClient
from sandbox.harness import BotProcess
from sandbox.server import SandboxServer

ANNOUNCED = "Announced"
PAIRED = "partners now"
ROUND_PROJECT = "ecommerce"
ROUND_DONE = "Matching round #"
PARTNER_DM = "your partner for"
UNMATCHED_DM = "no partner for you"
ROUND_JOB_KINDS = ("match_round_pair", "match_round_unmatched", "match_request_moot", "match_round_summary")


class CrashTarget(Protocol):
    """What the driver kills and restarts: sandbox.nexus.NexusSandbox, or one shard of sandbox.shards.ShardedNexus."""

    client: SandboxClient
    server: SandboxServer
    restarts: int

    @property
    def bot(self) -> BotProcess | None: ...

    @property
    def sqlite_path(self) -> Path | None: ...

    async def start_bot(self) -> None: ...

    async def wait_bot_gone(self) -> None: ...

    def db(self) -> AbstractAsyncContextManager[Database]: ...


@dataclass
class CrashTally:
    kills: int = 0
    announces_acknowledged: int = 0
    accepts_acknowledged: int = 0
    round_kills: int = 0
    rounds_committed_before_kill: int = 0
    rounds_acknowledged: int = 0
    rsvps_acknowledged: int = 0
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
    def __init__(
        self,
        nexus: CrashTarget,
        *,
        seed: int = 1,
        per_round: int = 4,
        max_kill_delay: float = 0.35,
        max_round_kill_delay: float = 3.0,
    ) -> None:
        self.nexus = nexus
        self.rng = random.Random(seed)
        self.per_round = per_round
        self.max_kill_delay = max_kill_delay
        # A staff round (solver import, threads, DMs) takes about 2.5 s in the sandbox: kills spread over it all.
        self.max_round_kill_delay = max_round_kill_delay
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
        """One kill point: odd ones in an announce/accept burst, even ones in a matching round + RSVPs."""
        self.round += 1
        if self.round % 2 == 0:
            await self._run_matching_round()
            return
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

        await self.nexus.wait_bot_gone()
        self.nexus.restarts += 1
        await self.nexus.start_bot()
        await self._check_integrity()
        await self._check_acknowledged(announced, accepted)
        await self._check_recovered()
        await self._retry(newcomers, pending)

    async def _run_matching_round(self) -> None:
        """Kill point inside a staff round and a burst of RSVPs; then recovery, checks and retries."""
        crash = RoundCrash(self, self.round, self.per_round)
        tally = self.tally
        await crash.prepare()
        if not any(
            "nexus:session:going" in str(m["components"]) for m in self.nexus.server.messages_in("prodevprojectnexus")
        ):
            await self.nexus.client.slash(
                "erin",
                "session create",
                title="Crash-test pairing session",
                when="2027-01-20 18:00",
                duration=60,
                timezone="Africa/Lagos",
                timeout=20,
            )
        post = _session_post(self)
        rsvpers = crash.backends + crash.frontends
        previous = await crash.round_row()
        assert self.nexus.bot is not None
        # One-to-one: the loner stays unmatched (balance:auto would give them an asynchronous partner).
        run = asyncio.create_task(
            self.nexus.client.slash("erin", "match run", project=ROUND_PROJECT, balance="one-to-one", timeout=60)
        )
        clicks = [asyncio.create_task(_click_going(self, u, post)) for u in rsvpers]
        # The kill falls anywhere from the round's start to its last DM.
        await asyncio.sleep(self.rng.uniform(0.0, self.max_round_kill_delay))
        self.nexus.bot.kill()
        await self.nexus.bot.wait()
        tally.kills += 1
        tally.round_kills += 1
        for task in [run, *clicks]:
            if not task.done():
                task.cancel()
        outcome, *rsvp_outcomes = await asyncio.gather(run, *clicks, return_exceptions=True)
        acknowledged = isinstance(outcome, InteractionResult) and ROUND_DONE in str(outcome.embed or "")
        tally.rounds_acknowledged += acknowledged
        rsvped = {
            u
            for u, o in zip(rsvpers, rsvp_outcomes, strict=True)
            if isinstance(o, InteractionResult) and o.record.response_type == 7
        }
        tally.rsvps_acknowledged += len(rsvped)

        await self.nexus.wait_bot_gone()
        self.nexus.restarts += 1
        await self.nexus.start_bot()
        await self._check_integrity()

        going = await _rsvps_going(self, rsvpers)
        for user in rsvped:
            if going[user] != 1:
                crash.problem(tally.lost, f"{user}'s acknowledged RSVP ({going[user]} rows)")
        row = await crash.round_row()
        committed = row is not None and (previous is None or row["id"] != previous["id"]) and row["number"] is not None
        if acknowledged and not committed:
            crash.problem(tally.lost, "staff were told the round ran, but it is not stored")
        if committed:
            tally.rounds_committed_before_kill += 1
            await crash.check_finished(int(row["number"]))  # type: ignore[index]
        else:
            async with self.nexus.db() as db:
                stranded = await db.fetchval(
                    "SELECT COUNT(*) FROM pairs JOIN match_rounds ON match_rounds.id = pairs.round_id "
                    "WHERE match_rounds.status <> 'done'"
                )
            if stranded:
                crash.problem(tally.half_written, f"{stranded} pair(s) of an uncommitted round")
            number = await crash.rerun(expect_pairs=len(crash.backends))
            if number is not None:
                await crash.check_finished(number)

        # Retries: staff run it again (nobody is left to pair; the loner leaves first), learners press Going again.
        await self.nexus.client.slash(crash.loner, "match leave", timeout=20)
        number = await crash.rerun(expect_pairs=0)
        retries = await asyncio.gather(*(_click_going(self, u, post) for u in rsvpers), return_exceptions=True)
        for outcome in retries:
            if isinstance(outcome, BaseException):
                crash.problem(tally.retry_errors, str(outcome)[:200])
            elif outcome.error_id_seen:
                crash.problem(tally.retry_errors, f"error id in {outcome.text[:200]}")
        going = await _rsvps_going(self, rsvpers)
        for user, n in going.items():
            if n != 1:
                crash.problem(tally.duplicates, f"{user} has {n} going RSVPs after retry")
        async with self.nexus.db() as db:
            for b in crash.backends:
                n = int(await db.fetchval("SELECT COUNT(*) FROM pairs WHERE backend_id = ?", (crash.uid(b),)) or 0)
                if n != 1:
                    crash.problem(tally.duplicates, f"{b} has {n} pairs after the rerun")
            going_total = int(
                await db.fetchval(
                    "SELECT COUNT(*) FROM session_rsvps JOIN study_sessions "
                    "ON study_sessions.id = session_rsvps.session_id "
                    "WHERE study_sessions.message_id = ? AND session_rsvps.status = 'going'",
                    (int(post["id"]),),
                )
                or 0
            )
        shown = self.nexus.server.state.message_index[int(post["id"])].payload
        if not any(
            str(f.get("name", "")).startswith(f"Going ({going_total})") for e in shown["embeds"] for f in e["fields"]
        ):
            crash.problem(tally.half_written, f"session post does not show {going_total} going")
        for name in crash.backends + crash.frontends:
            n = sum(1 for m in self.nexus.server.dms_to(name) if PARTNER_DM in m["content"])
            if n != 1:
                crash.problem(tally.duplicates, f"{name} got {n} partner DMs after the rerun")
        del number

    async def _check_integrity(self) -> None:
        if self.nexus.sqlite_path is None:  # PostgreSQL checks its own pages
            return
        with contextlib.closing(sqlite3.connect(self.nexus.sqlite_path)) as conn:
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


class RoundCrash:
    """The matching-round burst of one kill point: its learners, and the checks after the restart."""

    def __init__(self, driver: CrashDriver, r: int, per_round: int) -> None:
        self.driver = driver
        self.nexus = driver.nexus
        self.r = r
        self.backends = [f"r{r:03d}b{i}" for i in range(per_round)]
        self.frontends = [f"r{r:03d}f{i}" for i in range(per_round)]
        self.loner = f"r{r:03d}solo"  # shares no hour with anyone: left unmatched, told why by DM
        self.tally = driver.tally

    def uid(self, name: str) -> int:
        return int(self.nexus.server.world.user(name).id)

    def problem(self, kind: list[str], text: str) -> None:
        kind.append(f"round {self.r}: {text}")

    async def prepare(self) -> None:
        server, client = self.nexus.server, self.nexus.client
        for name in [*self.backends, self.loner]:
            server.add_member(name, roles=["Backend"])
        for name in self.frontends:
            server.add_member(name, roles=["Frontend"])
        everyone = self.backends + self.frontends + [self.loner]
        await asyncio.gather(*(self.driver._announce(u, ROUND_PROJECT) for u in everyone))
        for name in everyone:
            hours = "sun 3-4" if name == self.loner else "weekdays 18-22"
            await client.slash(name, "match join", availability=hours, timeout=20)

    async def round_row(self) -> Any:
        async with self.nexus.db() as db:
            return await db.fetchone("SELECT * FROM match_rounds WHERE dry_run = 0 ORDER BY id DESC LIMIT 1")

    async def wait_jobs_done(self) -> int:
        for _ in range(200):
            async with self.nexus.db() as db:
                left = int(
                    await db.fetchval(
                        "SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND kind IN (?, ?, ?, ?)", ROUND_JOB_KINDS
                    )
                )
            if left == 0:
                return 0
            await asyncio.sleep(0.1)
        return left

    async def check_finished(self, number: int) -> None:
        """A committed round: every pair has one thread with one intro, each learner one DM, one summary."""
        left = await self.wait_jobs_done()
        if left:
            self.problem(self.tally.half_written, f"{left} round job(s) still pending after recovery")
        server = self.nexus.server
        async with self.nexus.db() as db:
            for b in self.backends:
                rows = await db.fetchall(
                    "SELECT * FROM pairs WHERE backend_id = ? AND status = 'active'", (self.uid(b),)
                )
                if len(rows) != 1:
                    self.problem(self.tally.lost, f"{b} has {len(rows)} active pairs after round #{number}")
                    continue
                if rows[0]["thread_id"] is None:
                    self.problem(self.tally.half_written, f"{b}'s pair has no thread")
        names = self.backends + self.frontends
        threads = [t for t in server.threads("prodevprojectnexus") if f"r{self.r:03d}b" in t["name"].lower()]
        if len(threads) != len(self.backends):
            kind = self.tally.duplicates if len(threads) > len(self.backends) else self.tally.half_written
            self.problem(kind, f"{len(threads)} pair threads for {len(self.backends)} pairs")
        for thread in threads:
            intros = [m for m in server.messages_in(int(thread["id"])) if m.get("embeds")]
            if len(intros) != 1:
                kind = self.tally.duplicates if intros else self.tally.half_written
                self.problem(kind, f"{len(intros)} intros in {thread['name']}")
        for name in [*names, self.loner]:
            marker = UNMATCHED_DM if name == self.loner else PARTNER_DM
            n = sum(1 for m in server.dms_to(name) if marker in m["content"])
            if n != 1:
                kind = self.tally.duplicates if n > 1 else self.tally.half_written
                self.problem(kind, f"{name} got {n} round DMs")
        title = f"{ROUND_DONE}{number}"
        posts = [
            m
            for m in server.messages_in("prodevprojectnexus")
            if any(e.get("title") == title for e in m.get("embeds") or [])
        ]
        if len(posts) != 1:
            kind = self.tally.duplicates if posts else self.tally.half_written
            self.problem(kind, f"{len(posts)} public summaries of round #{number}")

    async def rerun(self, *, expect_pairs: int) -> int | None:
        """Staff run the round again; returns its number (None if it failed)."""
        result = await self.nexus.client.slash(
            "erin", "match run", project=ROUND_PROJECT, balance="one-to-one", timeout=60
        )
        if result.error_id_seen or not result.embed or ROUND_DONE not in str(result.embed.get("title")):
            self.problem(self.tally.retry_errors, f"rerun of the round: {result.text[:200]}")
            return None
        made = f"{expect_pairs} pair(s)"
        if not str(result.embed.get("description", "")).startswith(made):
            self.problem(self.tally.retry_errors, f"rerun made {result.embed.get('description')!r}, want {made}")
        row = await self.round_row()
        return int(row["number"]) if row is not None and row["number"] is not None else None


async def _click_going(driver: CrashDriver, user: str, post: dict[str, Any]) -> InteractionResult:
    return await driver.nexus.client.click(user, post, "Going", timeout=20)


def _session_post(driver: CrashDriver) -> dict[str, Any]:
    return next(
        m
        for m in driver.nexus.server.messages_in("prodevprojectnexus")
        if "nexus:session:going" in str(m["components"])
    )


async def _rsvps_going(driver: CrashDriver, users: list[str]) -> dict[str, int]:
    world = driver.nexus.server.world
    async with driver.nexus.db() as db:
        out = {}
        for user in users:
            out[user] = int(
                await db.fetchval(
                    "SELECT COUNT(*) FROM session_rsvps WHERE user_id = ? AND status = 'going'", (world.user(user).id,)
                )
                or 0
            )
    return out
