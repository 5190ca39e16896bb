"""Mixed-load benchmark: `python -m bench.load [--seconds 60] [--rate 50]`.

A bot subprocess with a database of 5k learners (4k announced and opted in to matching) and 1k
learning topics receives, open-loop at `rate` interactions per second for `seconds` (after
`WARM_UP_SECONDS` of the same load, not counted): topic lookups, autocomplete, new announcements,
match suggestions and session RSVPs. In the same run, a bare discord.py bot that only answers /ping
with "pong" gets the same rate and warm-up: the floor. Acknowledgement latency is measured by the
sandbox (interaction created → first callback received).

The bot also reports its own event loop's health over the run (``NEXUS_LOOP_STATS``, bot/loopwatch.py):
the worst stall (how late a 5 ms ticker woke), how many wake-ups were over 20 ms late, and the time spent
in garbage collection per generation; so the next regression of the tail shows where it comes from.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil

from bench._engines import ENGINES, on_both
from bench._harness import harness_heap_frozen
from bench._loop_figures import latencies_by_kind, loop_rows
from bench.search import Corpus
from bot.loopwatch import SLOW_CALLBACK_ENV
from bot.services.availability import parse_availability, to_json
from bot.services.topic_content import load_topics
from db.database import Database
from db.stores.announcements import AnnouncementStore, NewAnnouncement
from db.stores.guild_settings import GuildSettingsStore
from db.stores.matching import MatchingStore, NewProfile
from db.stores.topics import TopicStore
from sandbox.harness import BotProcess
from sandbox.nexus import DEFAULT_START, NexusSandbox
from sandbox.server import SandboxServer
from sandbox.world import World

log = logging.getLogger(__name__)
PROJECTS = ("ecommerce", "social-feed", "movie-recommendation", "job-board", "online-poll")
ZONES = ("Africa/Lagos", "Africa/Nairobi", "Europe/London", "America/New_York", "Asia/Kolkata")
MIX = (("lookup", 35), ("autocomplete", 25), ("suggest", 20), ("rsvp", 10), ("announce", 10))
SERVER_OPTIONS: dict[str, Any] = {"rate_limits": False, "validate_openapi": False}
# The same load runs this long before the measured phase, for both bots: the bot's first seconds build its
# suggestion pools and caches (p99 40-70 ms then), which is its start, not its steady tail; printed apart.
WARM_UP_SECONDS = 3.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


async def prepare_database(path: Path, world: World, announced: int, topics: int) -> None:
    """Fill the bot's database through the stores, as weeks of real use would have."""
    now = DEFAULT_START
    week_of = date(2026, 12, 7)
    rng = random.Random(7)
    db = await Database(path).connect()
    try:
        await db.migrate()
        guild_id = world.guild.id
        channel_id = world.guild.channel_by_name("prodevprojectnexus").id
        await GuildSettingsStore(db).update(guild_id, now, channel_id=channel_id, cohort_start=now.date())
        topic_store = TopicStore(db)
        await topic_store.seed_shipped(load_topics().topics, now)
        corpus = Corpus()
        await topic_store.bulk_create((corpus.topic(i) for i in range(topics)), now)
        announcements = AnnouncementStore(db)
        matching = MatchingStore(db)
        learners = [m for m in world.guild.members.values() if m.user.username.startswith("learner")]
        windows = {z: to_json(parse_availability("weekdays 18-22, sat 10-14", ZoneInfo(z), week_of)) for z in ZONES}
        for i, member in enumerate(learners[:announced]):
            track = "backend" if i % 2 == 0 else "frontend"
            zone = ZONES[i % len(ZONES)]
            created = await announcements.create(
                NewAnnouncement(
                    guild_id=guild_id,
                    user_id=member.user.id,
                    cohort_start=now.date(),
                    project_key=PROJECTS[0] if rng.random() < 0.5 else rng.choice(PROJECTS[1:]),
                    track=track,
                    title=f"Capstone of {member.user.username}",
                    summary="Building the capstone with a partner on the other track.",
                    stack=("django", "rest") if track == "backend" else ("react", "typescript"),
                    timezone=zone,
                    display_name=member.user.username,
                ),
                now,
            )
            assert created is not None
            # Announced in earlier weeks: their posts exist in the channel's history.
            announcement_id = created.announcement.id
            await announcements.set_message(announcement_id, channel_id, 10**18 + announcement_id)
            await matching.join(
                NewProfile(
                    guild_id=guild_id,
                    user_id=member.user.id,
                    timezone=zone,
                    availability_text="weekdays 18-22, sat 10-14",
                    availability_json=windows[zone],
                    offers=("django",) if track == "backend" else ("react",),
                    wants=("react",) if track == "backend" else ("django",),
                    max_partners=1 if track == "backend" else 2,
                ),
                now,
            )
    finally:
        await db.close()


class Sampler:
    """Peak RSS of a process, sampled twice a second."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            await asyncio.sleep(0.5)

    def __enter__(self) -> Sampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def drive(server: SandboxServer, rate: float, seconds: float, send: Any) -> tuple[list[float], int]:
    """Open loop: start one interaction every 1/rate s whatever the bot does; collect ack latencies."""
    before = set(server.state.interactions)
    tasks = []
    with harness_heap_frozen():
        started = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(i)))
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures[:3]:
        log.warning("interaction failed: %s", str(failure)[:400])
    failed = len(failures)
    latencies = [
        rec.acked_at - rec.created
        for iid, rec in server.state.interactions.items()
        if iid not in before and rec.acked_at is not None and rec.type != 4
    ]
    autocomplete = [
        rec.acked_at - rec.created
        for iid, rec in server.state.interactions.items()
        if iid not in before and rec.acked_at is not None and rec.type == 4
    ]
    return latencies + autocomplete, failed


def window_errors(server: SandboxServer) -> int:
    return sum(1 for r in server.rejections if any(str(c) in str(r.errors) for c in (10062, 40060))) + sum(
        1 for rec in server.state.interactions.values() for e in rec.errors if e.get("code") in (10062, 40060)
    )


async def measure_nexus(
    rate: float, seconds: float, learners: int, topics: int, engine: str = "sqlite"
) -> dict[str, Any]:
    if engine == "postgres":
        from sandbox.postgres import postgres_url

        async with postgres_url(migrated=False) as url:
            return await _measure_nexus(rate, seconds, learners, topics, url)
    return await _measure_nexus(rate, seconds, learners, topics, None)


async def _copy_to(path: Path, url: str) -> None:
    """The same prepared database on PostgreSQL (`nexus-bot db copy`)."""
    from db.copy import copy_database
    from db.engines.postgres import PostgresDatabase

    async with Database(path) as source, PostgresDatabase(url) as target:
        await copy_database(source, target)


async def _measure_nexus(
    rate: float, seconds: float, learners: int, topics: int, database_url: str | None
) -> dict[str, Any]:
    world = World.default()
    world.add_learners(learners)
    with tempfile.TemporaryDirectory(prefix="nexus-load-") as tmp:
        stats_path = Path(tmp) / "loop-stats.json"
        nexus = NexusSandbox(
            Path(tmp),
            world=world,
            log_level="WARNING",
            server_options=SERVER_OPTIONS,
            extra_env={"NEXUS_LOOP_STATS": str(stats_path), **_slow_callback_env()},
            database_url=database_url,
        )
        await prepare_database(nexus.db_path, world, announced=learners - learners // 5, topics=topics)
        if database_url is not None:
            await _copy_to(nexus.db_path, database_url)
        async with nexus:
            client = nexus.client
            # Every kind arrives open-loop on the same 20 ms grid as the floor's pings. The sandbox's reaction time
            # (a press waits 0.1 s after its post last changed) would hold each press on the RSVP post, which every
            # press edits, until the same instant: three at once within a millisecond, an arrival the floor never
            # sees. Its reason (a view registered by the response of the request that showed it) does not apply:
            # the post's buttons are persistent (DynamicItem), and the post is older than the load.
            client.reaction_time = 0.0
            session = await client.slash(
                "erin", "session create", title="Load-test study session", when="2026-12-09 18:00", duration=60
            )
            session_post = nexus.server.messages_in("prodevprojectnexus")[-1]
            names = [m.user.username for m in world.guild.members.values() if m.user.username.startswith("learner")]
            announced, fresh = names[: learners - learners // 5], names[learners - learners // 5 :]
            slugs = ["django", "redis", "docker", "caching", "graphql", "rest-apis", "postgresql", "nextjs"]
            prefixes = ["dj", "red", "dock", "cach", "graph", "rest", "postg", "next", "tes", "asy"]
            kinds = [k for k, w in MIX for _ in range(w)]
            rng = random.Random(11)
            assert session.ephemeral

            async def send(i: int) -> Any:
                kind = rng.choice(kinds)
                if kind == "lookup":
                    return await client.slash(rng.choice(announced), "learn topic", name=rng.choice(slugs), timeout=30)
                if kind == "autocomplete":
                    return await client.autocomplete(
                        rng.choice(announced), "learn topic", focused="name", value=rng.choice(prefixes), timeout=30
                    )
                if kind == "suggest":
                    return await client.slash(rng.choice(announced), "match suggest", timeout=30)
                if kind == "rsvp":
                    return await client.click(rng.choice(announced), session_post["id"], "Going", timeout=30)
                user = fresh.pop() if fresh else rng.choice(announced)
                return await client.slash(
                    user,
                    "project announce",
                    project=rng.choice(PROJECTS),
                    title=f"Capstone of {user}",
                    summary="Joining late; building the capstone.",
                    timeout=30,
                )

            assert nexus.bot is not None and nexus.bot.pid is not None
            with Sampler(nexus.bot.pid) as sampler:
                cold, cold_failed = await drive(nexus.server, rate, WARM_UP_SECONDS, send)
                before = _loop_stats(stats_path)
                earlier = set(nexus.server.state.interactions)
                latencies, failed = await drive(nexus.server, rate, seconds, send)
            by_kind = latencies_by_kind(nexus.server, earlier)
            rss_by_mapping = mapped_rss(nexus.bot.pid)
            await asyncio.sleep(1.2)  # the bot writes its loop figures once a second
            loop_stats = _loop_delta(before, _loop_stats(stats_path))
            return {
                "loop": loop_stats,
                "by_kind": by_kind,
                "latencies": latencies,
                "cold": cold,
                "failed": failed + cold_failed,
                "window_errors": window_errors(nexus.server),
                "error_ids": sum(
                    1
                    for rec in nexus.server.state.interactions.values()
                    for _, body, _ in rec.callbacks
                    if "error id" in str(body).lower()
                ),
                "peak_rss_mb": sampler.peak / 2**20,
                "rss_by_mapping": rss_by_mapping,
            }


def mapped_rss(pid: int, top: int = 10) -> dict[str, float]:
    """Resident MB of a process per mapping (/proc/PID/smaps), largest first: "[heap]" and "[anon]" are the
    Python heap and native allocations, the rest files (the database's mmap, numpy's and rapidfuzz's
    libraries…). Read by the bench from outside, so the bot's loop never pays for it."""
    sizes: dict[str, int] = {}
    name = "[anon]"
    try:
        with open(f"/proc/{pid}/smaps", encoding="ascii", errors="replace") as smaps:
            for line in smaps:
                if line.startswith("Rss:"):
                    sizes[name] = sizes.get(name, 0) + int(line.split()[1])
                elif not line[0].isupper():  # a mapping's header: range, perms, offset, device, inode[, path]
                    fields = line.split(maxsplit=5)
                    name = fields[5].strip() if len(fields) == 6 and fields[5].strip() else "[anon]"
    except (OSError, ValueError, IndexError):
        return {}
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])[:top]
    return {Path(k).name if k.startswith("/") else k: round(kb / 1024, 1) for k, kb in ranked}


async def measure_floor(rate: float, seconds: float, learners: int) -> dict[str, Any]:
    world = World.default()
    world.add_learners(learners)
    async with SandboxServer(world, **SERVER_OPTIONS) as server:
        from sandbox.client import SandboxClient

        bot = BotProcess.for_sandbox(server, args=[_python(), "-m", "sandbox.pong_bot"], log_level="WARNING")
        await bot.start()
        try:
            await bot.wait_ready(server, timeout=60)
            client = SandboxClient(server)
            names = [m.user.username for m in world.guild.members.values()]
            rng = random.Random(5)

            async def send(i: int) -> Any:
                return await client.slash(rng.choice(names), "ping", timeout=30)

            assert bot.pid is not None
            with Sampler(bot.pid) as sampler:
                cold, cold_failed = await drive(server, rate, WARM_UP_SECONDS, send)
                latencies, failed = await drive(server, rate, seconds, send)
        finally:
            await bot.stop()
    return {"latencies": latencies, "cold": cold, "failed": failed + cold_failed, "peak_rss_mb": sampler.peak / 2**20}


def _loop_stats(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _loop_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """GC figures of the run alone (the file counts from the bot's start); the worst stall is since start."""
    out = dict(after)
    for key in ("gc_count", "gc_ms", "gc_cpu_ms", "gc_collected"):
        if key in before and key in after:
            out[key] = [a - b for a, b in zip(after[key], before[key], strict=True)]
    for key in ("gc_total_ms", "stalls_over_20ms", "stall_total_ms", "ticks"):
        if key in before and key in after:
            out[key] = after[key] - before[key]
    return out


def _slow_callback_env() -> dict[str, str]:
    """``NEXUS_LOOP_SLOW_MS=5 python -m bench.load`` names the bot's callbacks that held its loop > 5 ms
    (on asyncio's own loop instead of uvloop, so the figures themselves move: a diagnosis, not the bench)."""
    value = os.environ.get(SLOW_CALLBACK_ENV)
    return {SLOW_CALLBACK_ENV: value} if value else {}


def _python() -> str:
    import sys

    return sys.executable


async def measure(
    rate: float, seconds: float, learners: int = 5000, topics: int = 1000, engine: str = "sqlite"
) -> dict[str, Any]:
    nexus = await measure_nexus(rate, seconds, learners, topics, engine)
    floor = await measure_floor(rate, seconds, learners)
    out: dict[str, Any] = {"rate": rate, "seconds": seconds, "learners": learners, "topics": topics}
    for name, m in (("nexus", nexus), ("floor", floor)):
        lat = m["latencies"]
        out[name] = {
            "count": len(lat),
            "p50_ms": percentile(lat, 50) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
            "max_ms": max(lat) * 1000,
            "mean_ms": statistics.fmean(lat) * 1000,
            "failed": m["failed"],
            "peak_rss_mb": m["peak_rss_mb"],
            "cold_p99_ms": percentile(m["cold"], 99) * 1000,
        }
    out["nexus"]["loop"] = nexus["loop"]
    out["nexus"]["by_kind"] = {
        kind: (len(lat), percentile(lat, 50) * 1000, percentile(lat, 99) * 1000)
        for kind, lat in sorted(nexus["by_kind"].items())
    }
    out["nexus"]["window_errors"] = nexus["window_errors"]
    out["nexus"]["error_ids"] = nexus["error_ids"]
    out["nexus"]["rss_by_mapping"] = nexus["rss_by_mapping"]
    out["p50_ratio"] = out["nexus"]["p50_ms"] / out["floor"]["p50_ms"]
    out["p99_ratio"] = out["nexus"]["p99_ms"] / out["floor"]["p99_ms"]
    return out


def rows_for(m: dict[str, Any]) -> list[dict[str, Any]]:
    n, f = m["nexus"], m["floor"]
    return [
        {
            "figure": f"load {m['rate']:.0f}/s × {m['seconds']:.0f} s: interactions",
            "value": n["count"],
            "target": f"{int(m['rate'] * m['seconds'])}",
            "passed": n["count"] == int(m["rate"] * m["seconds"]),
        },
        {
            "figure": f"load: first {WARM_UP_SECONDS:.0f} s after ready (not counted) p99 / bare bot's (ms)",
            "value": f"{n['cold_p99_ms']:.1f} / {f['cold_p99_ms']:.1f}",
            "target": "info",
            "passed": None,
        },
        {"figure": "load: ack p50 (ms)", "value": n["p50_ms"], "target": "info", "passed": None},
        {"figure": "load: ack p99 (ms)", "value": n["p99_ms"], "target": "≤ 20 ms", "passed": n["p99_ms"] <= 20},
        {"figure": "load: ack max (ms)", "value": n["max_ms"], "target": "< 3000 ms", "passed": n["max_ms"] < 3000},
        {
            "figure": "load: bare bot ack p50 / p99 (ms)",
            "value": f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f}",
            "target": "floor",
            "passed": None,
        },
        {
            "figure": "load: p50 ratio to bare bot",
            "value": m["p50_ratio"],
            "target": "≤ 1.5×",
            "passed": m["p50_ratio"] <= 1.5,
        },
        {
            "figure": "load: p99 ratio to bare bot",
            "value": m["p99_ratio"],
            "target": "≤ 3×",
            "passed": m["p99_ratio"] <= 3,
        },
        *loop_rows(n.get("loop") or {}),
        {
            "figure": "load: 10062/40060 errors",
            "value": n["window_errors"],
            "target": "0",
            "passed": n["window_errors"] == 0,
        },
        {
            "figure": "load: unexpected errors (error id) / client failures",
            "value": f"{n['error_ids']} / {n['failed']}",
            "target": "0 / 0",
            "passed": n["error_ids"] == 0 and n["failed"] == 0,
        },
        {
            "figure": "load: bot peak RSS (MB)",
            "value": n["peak_rss_mb"],
            "target": "≤ 100 MB",
            "passed": n["peak_rss_mb"] <= 100,
        },
        {"figure": "load: bare bot peak RSS (MB)", "value": f["peak_rss_mb"], "target": "floor", "passed": None},
        {
            "figure": "load: bot peak RSS ratio to bare bot",
            "value": n["peak_rss_mb"] / f["peak_rss_mb"] if f["peak_rss_mb"] else float("inf"),
            "target": "info",
            "passed": None,
        },
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    return on_both(lambda engine: rows_for(asyncio.run(measure(50, 10 if quick else 60, engine=engine))))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--topics", type=int, default=1000)
    parser.add_argument("--engine", choices=ENGINES, default="sqlite")
    args = parser.parse_args()
    m = asyncio.run(measure(args.rate, args.seconds, args.learners, args.topics, args.engine))
    print("ack by kind (count / p50 ms / p99 ms):")
    for kind, (count, p50, p99) in m["nexus"]["by_kind"].items():
        print(f"  {kind:<20} {count:>5} {p50:>7.1f} {p99:>7.1f}")
    print("bot RSS by mapping at the end (MB):")
    for mapping, mb in m["nexus"].get("rss_by_mapping", {}).items():
        print(f"  {mb:>7.1f}  {mapping}")
    slow = (m["nexus"].get("loop") or {}).get("slow_callbacks")
    if slow:
        print("callbacks that held the loop (count / total ms / worst ms):")
        for name, (count, total, worst) in slow.items():
            print(f"  {count:>5} {total:>8.1f} {worst:>7.1f}  {name}")
    for row in rows_for(m):
        value = f"{row['value']:.1f}" if isinstance(row["value"], float) else str(row["value"])
        verdict = {True: "pass", False: "FAIL", None: "info"}[row["passed"]]
        print(f"{row['figure']:<52} {value:>14}  {row['target']:<12} {verdict}")


if __name__ == "__main__":
    main()
