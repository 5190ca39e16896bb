"""Start-up and round-trip benchmark: `python -m bench.startup [--starts 5] [--calls 200]`.

Start-up = from spawning `python -m bot run` to the sandbox having sent GUILD_CREATE with the
guild's commands synced (the bot can answer). Round trip = `/nexus about` dispatched by the sandbox
until its ephemeral reply is stored, sequentially, as Discord would see it.

The bot's bytecode is compiled first, as the Docker image does at build time: with PYTHONDONTWRITEBYTECODE set
(the image sets it, and so may the machine) nothing caches it, and every start would time compiling ~100 modules.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import statistics
import time
from pathlib import Path
from typing import Any

from bench._harness import harness_heap_frozen
from sandbox.nexus import NexusSandbox

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "cogs", "db")  # what `python -m bot` imports from the source tree (the Dockerfile compiles them)


def compile_sources() -> bool:
    """Write the bot's bytecode caches (__pycache__, ignored by git) as the image's `compileall` does."""
    return all(compileall.compile_dir(ROOT / package, quiet=1) for package in PACKAGES)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(starts: int, calls: int) -> dict[str, Any]:
    start_times: list[float] = []
    round_trips: list[float] = []
    compile_sources()
    async with NexusSandbox(log_level="WARNING") as nexus:
        await nexus.stop_bot()
        for _ in range(starts):
            began = time.perf_counter()
            await nexus.start_bot()
            start_times.append(time.perf_counter() - began)
            await nexus.stop_bot()
            nexus.restarts += 1
        await nexus.start_bot()
        with harness_heap_frozen():
            for _ in range(calls):
                began = time.perf_counter()
                result = await nexus.client.slash("alice", "nexus about")
                round_trips.append(time.perf_counter() - began)
                assert result.embed is not None
    return {
        "startup_median_s": statistics.median(start_times),
        "startup_max_s": max(start_times),
        "about_p50_ms": percentile(round_trips, 50) * 1000,
        "about_p99_ms": percentile(round_trips, 99) * 1000,
        "about_max_ms": max(round_trips) * 1000,
        "starts": starts,
        "calls": calls,
    }


def run(quick: bool) -> list[dict[str, Any]]:
    m = asyncio.run(measure(3 if quick else 5, 200))
    return [
        {
            "figure": f"start-up to ready, median of {m['starts']} (s)",
            "value": m["startup_median_s"],
            "target": "info",
            "passed": None,
        },
        {
            "figure": f"/nexus about round trip p50 over {m['calls']} (ms)",
            "value": m["about_p50_ms"],
            "target": "< 3000 ms (Discord's window)",
            "passed": m["about_max_ms"] < 3000,
        },
        {"figure": "/nexus about round trip p99 (ms)", "value": m["about_p99_ms"], "target": "info", "passed": None},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    m = asyncio.run(measure(args.starts, args.calls))
    print(
        f"start-up to ready: median {m['startup_median_s']:.2f} s, "
        f"max {m['startup_max_s']:.2f} s ({args.starts} starts)"
    )
    print(
        f"/nexus about round trip over {args.calls} calls: p50 {m['about_p50_ms']:.1f} ms, "
        f"p99 {m['about_p99_ms']:.1f} ms, max {m['about_max_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
