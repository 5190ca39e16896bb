"""Event-loop health for benchmarks: the worst stall of the loop and the time spent in garbage collection.

A ticker task asks to wake every `interval` seconds and records how late it woke (a stall: something
held the loop); `gc.callbacks` time every collection per generation. With `NEXUS_LOOP_STATS=PATH` the
bot starts one at start-up and writes the figures as JSON to PATH once a second (bench/load.py reads
them). No discord here.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STALL_MS = 20.0  # a stall worth counting: the p99 target


def _memory() -> dict[str, Any]:
    """Resident memory split as Linux reports it (anonymous = the heap; file = mapped files such as the
    database's mmap and shared libraries), and with PYTHONTRACEMALLOC set, the files allocating most."""
    out: dict[str, Any] = {}
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[key] = round(int(value.split()[0]) / 1024, 1)  # kB → MB
    except (OSError, ValueError):
        pass
    if tracemalloc.is_tracing():
        stats = tracemalloc.take_snapshot().statistics("filename")[:25]
        out["tracemalloc_mb"] = {str(s.traceback[0].filename): round(s.size / 2**20, 2) for s in stats}
    return out


class LoopWatch:
    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.ticks = 0
        self.worst_stall_ms = 0.0
        self.stalls_over = 0  # wake-ups later than STALL_MS
        self.stall_total_ms = 0.0  # lateness summed over those
        self.gc_count = [0, 0, 0]
        self.gc_ms = [0.0, 0.0, 0.0]
        self.gc_worst_ms = 0.0
        self._gc_started: float | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            ms = (time.perf_counter() - self._gc_started) * 1000
            generation = int(info.get("generation", 0))
            self.gc_count[generation] += 1
            self.gc_ms[generation] += ms
            self.gc_worst_ms = max(self.gc_worst_ms, ms)
            self._gc_started = None

    async def _tick(self) -> None:
        expected = time.perf_counter() + self.interval
        while True:
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            late_ms = max(0.0, (now - expected) * 1000)
            self.ticks += 1
            self.worst_stall_ms = max(self.worst_stall_ms, late_ms)
            if late_ms > STALL_MS:
                self.stalls_over += 1
                self.stall_total_ms += late_ms
            expected = now + self.interval

    def snapshot(self) -> dict[str, Any]:
        return {
            **_memory(),
            "ticks": self.ticks,
            "worst_stall_ms": round(self.worst_stall_ms, 3),
            "stalls_over_20ms": self.stalls_over,
            "stall_total_ms": round(self.stall_total_ms, 3),
            "gc_count": list(self.gc_count),
            "gc_ms": [round(x, 3) for x in self.gc_ms],
            "gc_total_ms": round(sum(self.gc_ms), 3),
            "gc_worst_ms": round(self.gc_worst_ms, 3),
        }

    async def _write(self, path: Path) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.write(path)

    def write(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.snapshot()), encoding="utf-8")
        os.replace(tmp, path)

    def start(self, path: Path | None = None) -> None:
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._tick(), name="nexus-loopwatch"))
        if path is not None:
            self._tasks.append(loop.create_task(self._write(path), name="nexus-loopwatch-file"))

    def stop(self, path: Path | None = None) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if path is not None:
            self.write(path)
