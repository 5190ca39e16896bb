"""Crash-safety run: `python -m bench.crash [--kills 100] [--engine sqlite|postgres]`.

`--engine postgres`: two shard processes on one PostgreSQL database (sandbox/shards.py), two guilds; the shard of
the first guild is the one killed, while a burst in the second guild keeps the other shard busy (every one of
those interactions must be answered once: a kill of one shard costs the other nothing).

SIGKILLs the bot at random moments of announce/accept bursts and of staff matching rounds with session
RSVPs (alternately, see sandbox/crash.py) and prints how many interactions were acknowledged before each
kill, and how many were lost, half-written or duplicated after restart and retry (all must be 0), plus
integrity_check failures.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from sandbox.client import InteractionResult
from sandbox.crash import CrashDriver, CrashTally
from sandbox.nexus import NexusSandbox


async def measure(kills: int, seed: int = 7) -> tuple[CrashTally, float]:
    with tempfile.TemporaryDirectory(prefix="nexus-crash-") as tmp:
        async with NexusSandbox(Path(tmp), log_level="WARNING", server_options={"rate_limits": False}) as nexus:
            await nexus.setup_guild()
            driver = CrashDriver(nexus, seed=seed, per_round=4)
            started = time.perf_counter()
            for _ in range(kills):
                await driver.run_round()
            return driver.tally, time.perf_counter() - started


async def measure_postgres(kills: int, seed: int = 7) -> tuple[CrashTally, float, tuple[int, int]]:
    """Returns the tally of the killed shard, the wall time and (answered once, sent) for the other shard."""
    from sandbox.postgres import postgres_url
    from sandbox.shards import ShardedNexus, ShardUnderTest

    with tempfile.TemporaryDirectory(prefix="nexus-crash-pg-") as tmp:
        async with postgres_url(migrated=False) as url:
            sharded = ShardedNexus(Path(tmp), url, log_level="WARNING", server_options={"rate_limits": False})
            try:
                await sharded.start()
                world = sharded.world
                for guild in world.guilds:
                    with world.using(guild.id):
                        await sharded.client.slash("erin", "nexus setup", options={"channel": "prodevprojectnexus"})
                target = ShardUnderTest(sharded)
                other = next(g for g in world.guilds if sharded.shard_of(g) != target.shard)
                driver = CrashDriver(target, seed=seed, per_round=4)
                sent: list[InteractionResult] = []

                async def busy_elsewhere(r: int) -> None:
                    with world.using(other.id):
                        names = [f"o{r:03d}x{i}" for i in range(4)]
                        for name in names:
                            sharded.server.add_member(name, roles=["Backend"])
                        done = await asyncio.gather(
                            *(
                                sharded.client.slash(
                                    n, "project announce", project="job-board", title=f"{n}'s board",
                                    summary="Built while the other shard restarts.", timeout=30,
                                )
                                for n in names
                            ),
                            sharded.client.slash("alice", "learn topic", name="django", timeout=30),
                        )  # fmt: skip
                        sent.extend(done)

                started = time.perf_counter()
                for r in range(kills):
                    await asyncio.gather(driver.run_round(), busy_elsewhere(r))
                seconds = time.perf_counter() - started
                answered = sum(1 for s in sent if s.acknowledged and not s.error_id_seen)
                async with sharded.db() as db:
                    with world.using(other.id):
                        dup = await db.fetchval(
                            "SELECT COUNT(*) FROM (SELECT user_id FROM announcements WHERE guild_id = ? "
                            "AND withdrawn_at IS NULL GROUP BY user_id HAVING COUNT(*) > 1) AS d",
                            (other.id,),
                        )
                if dup:
                    driver.tally.duplicates.append(f"{dup} learner(s) of the other guild announced twice")
                return driver.tally, seconds, (answered, len(sent))
            finally:
                await sharded.close()


def rows_for(tally: CrashTally, seconds: float, engine: str = "sqlite") -> list[dict[str, Any]]:
    rows = _rows(tally, seconds)
    if engine != "sqlite":
        for row in rows:
            row["figure"] = row["figure"].replace("crash:", f"crash ({engine}, 2 shards):", 1)
    return rows


def _rows(tally: CrashTally, seconds: float) -> list[dict[str, Any]]:
    return [
        {"figure": "crash: SIGKILLs survived", "value": tally.kills, "target": "all", "passed": tally.ok},
        {
            "figure": "crash: acknowledged announces / accepts before a kill",
            "value": f"{tally.announces_acknowledged} / {tally.accepts_acknowledged}",
            "target": "info",
            "passed": None,
        },
        {
            "figure": "crash: kills in rounds / rounds committed before the kill",
            "value": f"{tally.round_kills} / {tally.rounds_committed_before_kill}",
            "target": "info",
            "passed": None,
        },
        {
            "figure": "crash: acknowledged rounds / RSVPs before a kill",
            "value": f"{tally.rounds_acknowledged} / {tally.rsvps_acknowledged}",
            "target": "info",
            "passed": None,
        },
        {
            "figure": "crash: acknowledged writes lost",
            "value": len(tally.lost),
            "target": "0",
            "passed": not tally.lost,
        },
        {
            "figure": "crash: half-written after recovery",
            "value": len(tally.half_written),
            "target": "0",
            "passed": not tally.half_written,
        },
        {
            "figure": "crash: duplicates after retry",
            "value": len(tally.duplicates),
            "target": "0",
            "passed": not tally.duplicates,
        },
        {
            "figure": "crash: integrity_check failures",
            "value": len(tally.integrity),
            "target": "0",
            "passed": not tally.integrity,
        },
        {
            "figure": "crash: errors on retry",
            "value": len(tally.retry_errors),
            "target": "0",
            "passed": not tally.retry_errors,
        },
        {"figure": "crash: wall time (s)", "value": seconds, "target": "info", "passed": None},
    ]


def postgres_rows(kills: int) -> tuple[list[dict[str, Any]], CrashTally]:
    try:
        tally, seconds, (answered, sent) = asyncio.run(measure_postgres(kills))
    except ImportError as exc:  # no pgserver (not a dev install) and no NEXUS_TEST_POSTGRES_URL
        return [
            {"figure": f"crash (postgres): skipped, no server ({exc})", "value": "-", "target": "info"}
        ], CrashTally()
    return [
        *rows_for(tally, seconds, "postgres"),
        {
            "figure": "crash (postgres, 2 shards): other shard's interactions answered",
            "value": f"{answered} / {sent}",
            "target": "all",
            "passed": answered == sent,
        },
    ], tally


def run(quick: bool) -> list[dict[str, Any]]:
    kills = 20 if quick else 100
    return [*rows_for(*asyncio.run(measure(kills))), *postgres_rows(kills // 2)[0]]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.crash")
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    if args.engine == "postgres":
        rows, tally = postgres_rows(args.kills)
    else:
        tally, seconds = asyncio.run(measure(args.kills))
        rows = rows_for(tally, seconds)
    for row in rows:
        value = f"{row['value']:.1f}" if isinstance(row["value"], float) else str(row["value"])
        print(f"{row['figure']:<56} {value:>10}  {row['target']}")
    for problem in (tally.lost + tally.half_written + tally.duplicates + tally.integrity + tally.retry_errors)[:10]:
        print("  ", problem)


if __name__ == "__main__":
    main()
