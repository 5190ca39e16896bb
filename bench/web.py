"""Web benchmark: `python -m bench.web [--learners 5000] [--rate 200] [--seconds 20]`.

`nexus-bot web` as its own process on a seeded database (`learners` learners, two in three announced, pairs,
sessions, the 56 shipped topics):

- API p50/p99 at `rate` requests/s, open loop, over a mix of the public endpoints (one client key; the web runs
  with WEB_RATE_LIMIT raised so the limiter measures its cost, not its refusals);
- dashboard render p99: sequential GETs of `/` with a signed-in session (query, template, inline SVG);
- chart render: the first-week PNG (Pillow) and the dashboard's SVG, in this process, p50/p99;
- the bot's interaction p99 with and without the web serving that load on the same database file (a bot
  subprocess against the sandbox answering /learn topic at `bot_rate`/s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench._web_seed import seed_cohort
from bench.load import SERVER_OPTIONS, drive, percentile, prepare_database
from bot.clock import ManualClock
from bot.services.charts import render_first_week_chart
from bot.services.container import Services
from bot.web import links
from bot.web.svg import first_week_svg
from db.database import Database
from sandbox.nexus import NexusSandbox
from sandbox.web_process import SECRET, WebProcess
from sandbox.world import World

GUILD = 222_222_222_222_222_222
NOW = datetime.now(UTC).replace(microsecond=0)
UNLIMITED = {"WEB_RATE_LIMIT": "100000"}


def api_paths(guild_id: int) -> list[str]:
    g = f"/api/v1/guilds/{guild_id}"
    return [
        f"{g}/catalog",
        f"{g}/progress",
        f"{g}/announcements?limit=50",
        f"{g}/sessions",
        "/api/v1/topics?limit=20",
        "/api/v1/topics/search?q=django%20rest",
        "/api/v1/topics/react",
        "/api/v1/guilds",
    ]


async def api_load(base: str, paths: list[str], rate: float, seconds: float) -> tuple[list[float], int]:
    """Open loop at `rate`/s for `seconds`: latencies (ms) of the answers and how many were not 200."""
    latencies: list[float] = []
    errors = 0
    rng = random.Random(5)
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(base, connector=connector) as session:

        async def one(path: str) -> None:
            nonlocal errors
            start = time.perf_counter()
            async with session.get(path) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - start) * 1000)

        tasks = []
        started = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(rng.choice(paths))))
        await asyncio.gather(*tasks)
    return latencies, errors


async def dashboard_renders(
    base: str, guild_id: int, renders: int, before_each: Callable[[], Awaitable[None]] | None = None
) -> list[float]:
    """Sequential signed-in GETs of `/`; `before_each` (a commit) makes every one a fresh render, not a cached one."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base, cookie_jar=jar) as session:
        link = links.dashboard_link(SECRET, "", guild_id, datetime.now(UTC))[0]
        async with session.get(link) as response:
            assert response.status == 200, response.status
        out = []
        for i in range(renders + 1):
            if before_each is not None:
                await before_each()
            start = time.perf_counter()
            async with session.get("/") as response:
                await response.read()
                assert response.status == 200, response.status
            if i:  # the first one compiles the template
                out.append((time.perf_counter() - start) * 1000)
    return out


async def keep_committing(services: Services, announcement_ids: list[int], per_second: float) -> None:
    """The bot's side of a busy cohort: a commit every 1/per_second s (each one empties the web's answer cache)."""
    looking = False
    while True:
        for announcement_id in announcement_ids:
            looking = not looking
            await services.announcements.store.set_post_looking(announcement_id, looking)
            await asyncio.sleep(1 / per_second)


async def measure_web(learners: int, rate: float, seconds: float, renders: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nexus-web-bench-") as tmp:
        path = Path(tmp) / "nexus.db"
        async with Database(path) as db:
            await db.migrate()
            services = Services.build(db, ManualClock(NOW))
            await services.learning.sync_shipped()
            seeded = await seed_cohort(services, GUILD, learners, NOW)
            progress = (await services.view.progress(GUILD)).chart
            png, svg = [], []
            for _ in range(max(5, renders // 5)):
                start = time.perf_counter()
                render_first_week_chart(progress)
                png.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                first_week_svg(progress)
                svg.append((time.perf_counter() - start) * 1000)
            async with WebProcess(path, extra_env=UNLIMITED) as web:
                await api_load(web.base_url, api_paths(GUILD), rate, 1)  # warm-up
                api, api_errors = await api_load(web.base_url, api_paths(GUILD), rate, seconds)
                writer = asyncio.create_task(keep_committing(services, seeded.announced_ids[:50], 10))
                busy, busy_errors = await api_load(web.base_url, api_paths(GUILD), rate, seconds)
                writer.cancel()
                dash = await dashboard_renders(web.base_url, GUILD, renders)
                flips = iter(range(10**9))

                async def commit() -> None:
                    await services.announcements.store.set_post_looking(seeded.announced_ids[0], next(flips) % 2 == 0)

                fresh = await dashboard_renders(web.base_url, GUILD, renders, commit)
    return {
        "api": api,
        "busy": busy,
        "api_errors": api_errors + busy_errors,
        "dashboard": dash,
        "dashboard_fresh": fresh,
        "png": png,
        "svg": svg,
    }


async def measure_bot_beside_web(learners: int, rate: float, seconds: float, bot_rate: float) -> dict[str, Any]:
    world = World.default()
    world.add_learners(learners)
    with tempfile.TemporaryDirectory(prefix="nexus-web-bot-") as tmp:
        nexus = NexusSandbox(Path(tmp), world=world, log_level="WARNING", server_options=SERVER_OPTIONS)
        await prepare_database(nexus.db_path, world, announced=learners - learners // 3, topics=200)
        async with nexus:
            names = [m.user.username for m in world.guild.members.values() if m.user.username.startswith("learner")]
            rng = random.Random(3)
            slugs = ["django", "redis", "docker", "caching", "graphql", "rest-apis", "postgresql", "nextjs"]

            async def send(i: int) -> Any:
                return await nexus.client.slash(rng.choice(names), "learn topic", name=rng.choice(slugs), timeout=30)

            alone, _ = await drive(nexus.server, bot_rate, seconds, send)
            async with WebProcess(nexus.db_path, clock_file=nexus.clock_file, extra_env=UNLIMITED) as web:
                load = asyncio.create_task(api_load(web.base_url, api_paths(world.guild.id), rate, seconds + 1))
                beside, _ = await drive(nexus.server, bot_rate, seconds, send)
                await load
    return {"alone": [x * 1000 for x in alone], "beside": [x * 1000 for x in beside]}


def rows_for(m: dict[str, Any], b: dict[str, Any], learners: int, rate: float) -> list[dict[str, Any]]:
    api, dash = m["api"], m["dashboard"]
    alone, beside = percentile(b["alone"], 99), percentile(b["beside"], 99)
    return [
        {
            "figure": f"web API at {rate:.0f} req/s, {learners} learners: p50 (ms)",
            "value": percentile(api, 50),
            "target": "info",
            "passed": None,
        },
        {
            "figure": "web API: p99 (ms)",
            "value": percentile(api, 99),
            "target": "≤ 10 ms",
            "passed": percentile(api, 99) <= 10,
        },
        {
            "figure": "web API while the database takes 10 commits/s: p99 (ms)",
            "value": percentile(m["busy"], 99),
            "target": "≤ 10 ms",
            "passed": percentile(m["busy"], 99) <= 10,
        },
        {"figure": "web API: non-200 answers", "value": m["api_errors"], "target": "0", "passed": m["api_errors"] == 0},
        {
            "figure": "dashboard render p99, each after a commit (ms)",
            "value": percentile(m["dashboard_fresh"], 99),
            "target": "≤ 50 ms",
            "passed": percentile(m["dashboard_fresh"], 99) <= 50,
        },
        {
            "figure": "dashboard render p99, nothing changed (ms)",
            "value": percentile(dash, 99),
            "target": "info",
            "passed": None,
        },
        {
            "figure": "first-week PNG render p50 / p99 (ms)",
            "value": f"{statistics.median(m['png']):.1f} / {percentile(m['png'], 99):.1f}",
            "target": "info",
            "passed": None,
        },
        {
            "figure": "dashboard SVG chart render p50 (ms)",
            "value": statistics.median(m["svg"]),
            "target": "info",
            "passed": None,
        },
        {
            "figure": "bot /learn topic ack p99 alone / beside web (ms)",
            "value": f"{alone:.1f} / {beside:.1f}",
            "target": "unchanged",
            "passed": None,
        },
        {
            "figure": "bot ack p99 ratio beside web / alone",
            "value": beside / alone if alone else 0.0,
            "target": "≤ 1.5×",
            "passed": beside <= 1.5 * alone or beside - alone <= 5,
        },
    ]


async def measure(learners: int, rate: float, seconds: float, renders: int, bot_rate: float) -> list[dict[str, Any]]:
    web = await measure_web(learners, rate, seconds, renders)
    bot = await measure_bot_beside_web(min(learners, 1000), rate, seconds, bot_rate)
    return rows_for(web, bot, learners, rate)


def run(quick: bool) -> list[dict[str, Any]]:
    if quick:
        return asyncio.run(measure(500, 50, 3, 20, 10))
    return asyncio.run(measure(5000, 200, 20, 200, 20))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web")
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--bot-rate", type=float, default=20)
    args = parser.parse_args()
    for row in asyncio.run(measure(args.learners, args.rate, args.seconds, args.renders, args.bot_rate)):
        value = f"{row['value']:.2f}" if isinstance(row["value"], float) else str(row["value"])
        verdict = {True: "pass", False: "FAIL", None: "info"}[row["passed"]]
        print(f"{row['figure']:<56} {value:>16}  {row['target']:<10} {verdict}")


if __name__ == "__main__":
    main()
