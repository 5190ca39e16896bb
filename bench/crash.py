"""Crash-safety run: `python -m bench.crash [--kills 100]`.

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


def rows_for(tally: CrashTally, seconds: float) -> list[dict[str, Any]]:
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


def run(quick: bool) -> list[dict[str, Any]]:
    return rows_for(*asyncio.run(measure(20 if quick else 100)))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.crash")
    parser.add_argument("--kills", type=int, default=100)
    args = parser.parse_args()
    tally, seconds = asyncio.run(measure(args.kills))
    for row in rows_for(tally, seconds):
        value = f"{row['value']:.1f}" if isinstance(row["value"], float) else str(row["value"])
        print(f"{row['figure']:<56} {value:>10}  {row['target']}")
    for problem in (tally.lost + tally.half_written + tally.duplicates + tally.integrity + tally.retry_errors)[:10]:
        print("  ", problem)


if __name__ == "__main__":
    main()
