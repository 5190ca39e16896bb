"""Announcement burst: ``python -m bench.announce_burst [--learners 1000] [--engine sqlite|postgres]``.

A sandbox guild with N generated learners (alternating Backend/Frontend) and a real bot subprocess.
Once the bot has finished starting (its presence update) and ``/nexus setup`` ran, every learner
runs ``/project announce`` at the same moment. Reported:

* acknowledgement latency = from the sandbox dispatching INTERACTION_CREATE to the bot's first
  callback arriving (sandbox monotonic clock), p50 / p99 / max, and how many were later than
  Discord's 3 s window;
* rows stored in ``announcements`` once every interaction settled (0 lost = N rows);
* posts made and replies delivered, and the wall time until the last reply.

Beside it, the floor: the bare discord.py bot (``sandbox.pong_bot``) given the same keep-alive pool as
Nexus Bot (``PONG_POOL``, :data:`bot.app.nexus_bot.KEEPALIVE_POOL`) and the same event loop (uvloop)
answers the same 1,000-at-once burst of ``/ping``; what separates the two p99s is our own work, not
discord.py's or the sandbox's.

The sandbox's per-channel message rate limit (Discord: 5 per 5 s) is switched off here: with it,
1,000 posts take ~17 minutes whatever the bot does; the figure of interest is the bot's own throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from typing import Any

from bench._engines import ENGINES, on_both
from bench._harness import harness_heap_frozen
from sandbox.client import InteractionResult, SandboxClient
from sandbox.harness import BotProcess
from sandbox.nexus import NexusSandbox
from sandbox.server import SandboxServer
from sandbox.world import World

log = logging.getLogger(__name__)

PROJECTS = ("ecommerce", "ecommerce", "social-feed", "movie-recommendation", "job-board", "online-poll")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(
    learners: int, settle_timeout: float = 600.0, spread: float = 0.0, engine: str = "sqlite"
) -> dict[str, Any]:
    """All learners announce at once (`spread` 0), or arriving evenly over `spread` seconds."""
    if engine == "postgres":
        from sandbox.postgres import postgres_url

        async with postgres_url(migrated=False) as url:
            return await _measure(learners, settle_timeout, spread, url)
    return await _measure(learners, settle_timeout, spread, None)


async def _measure(learners: int, settle_timeout: float, spread: float, database_url: str | None) -> dict[str, Any]:
    world = World.default()
    members = world.add_learners(learners)
    nexus = NexusSandbox(world=world, log_level="WARNING", server_options=SERVER_OPTIONS, database_url=database_url)
    async with nexus:
        await nexus.wait_settled()
        await nexus.setup_guild()

        async def announce(i: int, username: str) -> InteractionResult:
            if spread:
                await asyncio.sleep(spread * i / learners)
            return await nexus.client.slash(
                username,
                "project announce",
                timeout=settle_timeout,
                project=PROJECTS[i % len(PROJECTS)],
                title=f"Capstone {i:05d}",
                summary=f"Learner {i} builds this capstone; looking for a partner on the other track.",
                stack="Django, PostgreSQL" if i % 2 == 0 else "React, TypeScript",
                repo=f"https://github.com/learner{i:05d}/capstone",
            )

        with harness_heap_frozen():
            started = time.perf_counter()
            results = await asyncio.gather(
                *(announce(i, m.user.username) for i, m in enumerate(members)), return_exceptions=True
            )
            wall = time.perf_counter() - started
        # Every interaction of the burst, answered or not: a late acknowledgement counts with its real lateness.
        latencies = burst_latencies(nexus.server, learners)
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures[:3]:
            log.warning("announce failed: %s", str(failure)[:500])
        replied = sum(1 for r in results if not isinstance(r, BaseException) and "Announced" in r.content)
        async with nexus.db() as db:
            rows = int(await db.fetchval("SELECT COUNT(*) FROM announcements WHERE withdrawn_at IS NULL") or 0)
            posted = int(await db.fetchval("SELECT COUNT(*) FROM announcements WHERE message_id IS NOT NULL") or 0)
        late = sum(1 for x in latencies if x > nexus.server.ack_window)
        rejections = len(nexus.server.rejections)
    return {
        "spread": spread,
        "learners": learners,
        "acked": len(latencies),  # every interaction; `late` says how many missed the window
        "p50_ms": percentile(latencies, 50) * 1000 if latencies else float("nan"),
        "p99_ms": percentile(latencies, 99) * 1000 if latencies else float("nan"),
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "late": late,
        "rows": rows,
        "posted": posted,
        "replied": replied,
        "failures": len(failures),
        "rejections": rejections,
        "wall_s": wall,
    }


SERVER_OPTIONS: dict[str, Any] = {"rate_limits": False, "validate_openapi": False}
FLOOR_TARGET = 1.5  # our p99 ≤ 1.5 × the bare bot's p99 (issue 17)


def burst_latencies(server: SandboxServer, count: int) -> list[float]:
    """Ack latency of the last `count` interactions; a late acknowledgement counts with its real lateness."""
    latencies = []
    for rec in list(server.state.interactions.values())[-count:]:
        late_by = next((e["late_by"] for e in rec.errors if "late_by" in e), None)
        if rec.acked_at is not None and late_by is None:
            latencies.append(rec.acked_at - rec.created)
        elif late_by is not None:
            latencies.append(server.ack_window + float(late_by))
        else:
            latencies.append(float("inf"))
    return latencies


async def measure_floor(learners: int, spread: float = 0.0, settle_timeout: float = 600.0) -> dict[str, Any]:
    """The same burst of `/ping` against the bare discord.py bot with Nexus Bot's keep-alive pool."""
    from bot.app.nexus_bot import KEEPALIVE_POOL

    world = World.default()
    members = world.add_learners(learners)
    async with SandboxServer(world, **SERVER_OPTIONS) as server:
        bot = BotProcess.for_sandbox(
            server,
            args=[sys.executable, "-m", "sandbox.pong_bot"],
            log_level="WARNING",
            extra_env={"PONG_POOL": str(KEEPALIVE_POOL), "PONG_UVLOOP": "1"},
        )
        await bot.start()
        try:
            await bot.wait_ready(server, timeout=60)
            await server.wait_presence(30)
            client = SandboxClient(server)

            async def ping(i: int, username: str) -> InteractionResult:
                if spread:
                    await asyncio.sleep(spread * i / learners)
                return await client.slash(username, "ping", timeout=settle_timeout)

            with harness_heap_frozen():
                results = await asyncio.gather(
                    *(ping(i, m.user.username) for i, m in enumerate(members)), return_exceptions=True
                )
            latencies = burst_latencies(server, learners)
        finally:
            await bot.stop()
    return {
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
        "failures": sum(1 for r in results if isinstance(r, BaseException)),
    }


def floor_rows(m: dict[str, Any], floor: dict[str, Any]) -> list[dict[str, Any]]:
    ratio = m["p99_ms"] / floor["p99_ms"] if floor["p99_ms"] else float("inf")
    return [
        {
            "figure": "bare bot, same pool: ack p50 / p99 / max (ms)",
            "value": f"{floor['p50_ms']:.1f} / {floor['p99_ms']:.1f} / {floor['max_ms']:.1f}",
            "target": "floor",
            "passed": None,
        },
        {
            "figure": "ack p99 ratio to the bare bot's p99",
            "value": ratio,
            "target": f"≤ {FLOOR_TARGET}×",
            "passed": ratio <= FLOOR_TARGET,
        },
    ]


def rows_for(m: dict[str, Any]) -> list[dict[str, Any]]:
    n = m["learners"]
    at_once = m["spread"] == 0
    return [
        {
            "figure": f"acknowledged within 3 s, of {n}",
            "value": m["acked"] - m["late"],
            "target": f"{n}",
            "passed": m["acked"] - m["late"] == n,
        },
        {
            "figure": "arrival",
            "value": "all at once" if at_once else f"over {m['spread']:.0f} s",
            "target": "info",
            "passed": None,
        },
        {"figure": "ack latency p50 (ms)", "value": m["p50_ms"], "target": "info", "passed": None},
        {"figure": "ack latency p99 (ms)", "value": m["p99_ms"], "target": "< 500 ms", "passed": m["p99_ms"] < 500},
        {"figure": "ack latency max (ms)", "value": m["max_ms"], "target": "< 3000 ms", "passed": m["max_ms"] < 3000},
        {"figure": "announcement rows stored", "value": m["rows"], "target": f"{n} (0 lost)", "passed": m["rows"] == n},
        {
            "figure": "posts made / replies delivered",
            "value": f"{m['posted']} / {m['replied']}",
            "target": f"{n}",
            "passed": m["posted"] == n and m["replied"] == n,
        },
        {
            "figure": "interactions that raised in the client",
            "value": m["failures"],
            "target": "0",
            "passed": m["failures"] == 0,
        },
        {"figure": "wall time until every reply (s)", "value": m["wall_s"], "target": "info", "passed": None},
        {
            "figure": "requests rejected by the sandbox",
            "value": m["rejections"],
            "target": "0",
            "passed": m["rejections"] == 0,
        },
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    def both(engine: str) -> list[dict[str, Any]]:
        at_once = asyncio.run(measure(1000, engine=engine))
        rows = rows_for(at_once)
        if engine == "sqlite":  # the bare bot's floor keeps no database: measured once
            rows += floor_rows(at_once, asyncio.run(measure_floor(1000)))
        spread = rows_for(asyncio.run(measure(1000, spread=5.0, engine=engine)))
        return rows + [{**r, "figure": f"{r['figure']} (arriving over 5 s)"} for r in spread]

    return on_both(both)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.announce_burst")
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=0.0, help="seconds over which they arrive (0: at once)")
    parser.add_argument("--engine", choices=ENGINES, default="sqlite")
    parser.add_argument("--no-floor", action="store_true", help="skip the bare-bot floor")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    m = asyncio.run(measure(args.learners, spread=args.spread, engine=args.engine))
    rows = rows_for(m)
    if not args.no_floor:
        rows += floor_rows(m, asyncio.run(measure_floor(args.learners, spread=args.spread)))
    width = max(len(r["figure"]) for r in rows)
    for r in rows:
        value = f"{r['value']:.1f}" if isinstance(r["value"], float) else str(r["value"])
        verdict = {True: "pass", False: "FAIL", None: "info"}[r["passed"]]
        print(f"{r['figure']:<{width}}  {value:>12}  target {r['target']:<12} {verdict}")


if __name__ == "__main__":
    main()
