"""A staff matching round's database work on both engines: ``python -m bench.round_store [--learners 50000]``.

The solver is `bench.matching` (no database); this is the rest of a `/match run` at that size: read every
profile of the guild, then commit the round in its one transaction (a pair row, both learners' slot counts and a
job per pair, a job per learner left over, the summary job), on SQLite and on PostgreSQL, each on a database of
its own filled with the same cohort (half Backend, half Frontend, everyone matched).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._engines import ENGINES, on_both
from db.database import Database
from db.stores.matching import MatchingStore, NewPair, Pair, RoundJobs

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
GUILD = 1_150_000_000_000_000_001
JOBS = RoundJobs("match_round_pair", "match_round_unmatched", "match_request_moot", "match_round_summary")


async def fill(db: Database, learners: int) -> None:
    rows = [
        (GUILD, GUILD + i, "UTC", "weekdays 18-22", '{"v":1,"r":[]}', NOW.isoformat(), NOW.isoformat())
        for i in range(learners)
    ]
    await db.executemany(
        "INSERT INTO match_profiles (guild_id, user_id, timezone, availability_text, availability, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def measure_on(db: Database, learners: int) -> dict[str, float]:
    await db.migrate()
    await fill(db, learners)
    store = MatchingStore(db)
    started = time.perf_counter()
    profiles = await store.profiles(GUILD)
    read = time.perf_counter() - started
    half = len(profiles) // 2
    pairs = [NewPair(GUILD, GUILD + i, GUILD + half + i, "ecommerce", 50, "overlap") for i in range(half)]

    def summarize(made: list[Pair], skipped: list[NewPair]) -> tuple[dict[str, Any], dict[int, str]]:
        return {"pairs": len(made)}, {}

    round_ = await store.start_round(GUILD, "ecommerce", 1, False, NOW)
    started = time.perf_counter()
    outcome = await store.commit_round(round_.id, pairs, summarize, JOBS, NOW)
    commit = time.perf_counter() - started
    assert len(outcome.pairs) == half, len(outcome.pairs)
    return {"read_s": read, "commit_s": commit, "pairs": float(half)}


async def measure(learners: int, engine: str) -> dict[str, float]:
    if engine == "postgres":
        from sandbox.postgres import postgres_database

        async with postgres_database(migrated=False) as pg:
            return await measure_on(pg, learners)
    with tempfile.TemporaryDirectory(prefix="nexus-round-") as tmp:
        async with Database(Path(tmp) / "n.db") as db:
            return await measure_on(db, learners)


def rows_for(m: dict[str, float], learners: int) -> list[dict[str, Any]]:
    return [
        {"figure": f"round {learners:,} learners: read profiles (s)", "value": m["read_s"], "target": "info"},
        {
            "figure": f"round {learners:,} learners: commit {int(m['pairs']):,} pairs + jobs (s)",
            "value": m["commit_s"],
            "target": "info",
        },
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    learners = 5000 if quick else 50_000
    return on_both(lambda engine: rows_for(asyncio.run(measure(learners, engine)), learners))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.round_store")
    parser.add_argument("--learners", type=int, default=50_000)
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="both")
    args = parser.parse_args()
    engines = ENGINES if args.engine == "both" else (args.engine,)
    for engine in engines:
        for row in rows_for(asyncio.run(measure(args.learners, engine)), args.learners):
            print(f"{engine:<9} {row['figure']:<58} {row['value']:>8.2f}")


if __name__ == "__main__":
    main()
