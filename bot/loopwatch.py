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
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STALL_MS = 20.0  # a stall worth counting: the p99 target
SLOW_CALLBACK_ENV = "NEXUS_LOOP_SLOW_MS"  # opt-in: name the callbacks that held the loop longer than this


def _callback_name(handle: asyncio.Handle) -> str:
    """What a handle runs, short enough to group by: for a task, the first of the project's coroutines
    it is awaiting (a command's callback rather than discord.py's wrapper), else the callback's qualname."""
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if not isinstance(owner, asyncio.Task):
        return getattr(callback, "__qualname__", repr(callback))[:120]
    coro: Any = owner.get_coro()
    name = getattr(coro, "__qualname__", repr(coro))
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        if frame is not None and _is_ours(frame.f_code.co_filename):
            return f"task {getattr(coro, '__qualname__', name)} @{frame.f_code.co_filename.rsplit('/', 1)[-1]}"
        coro = getattr(coro, "cr_await", None)
    return f"task {name}"


_PROJECT = str(Path(__file__).resolve().parent.parent)


def _is_ours(filename: str) -> bool:
    return filename.startswith(_PROJECT) and "site-packages" not in filename


class SlowCallbacks:
    """Times every callback the loop runs (the way asyncio's debug mode does, without its other costs) and
    keeps, per callback name, how often it took more than ``threshold_ms`` of the loop thread's CPU and how
    much in all. CPU time, not wall time: on a busy machine a preempted callback is not a slow one."""

    def __init__(self, threshold_ms: float) -> None:
        self.threshold = threshold_ms / 1000
        self.by_name: dict[str, list[float]] = {}  # name -> [count, total ms, worst ms]
        self._original: Any = None

    def install(self) -> None:
        original = self._original = asyncio.Handle._run
        watch = self

        def timed_run(handle: asyncio.Handle) -> None:
            started = time.thread_time()
            original(handle)
            took = time.thread_time() - started
            if took > watch.threshold:
                entry = watch.by_name.setdefault(_callback_name(handle), [0, 0.0, 0.0])
                entry[0] += 1
                entry[1] += took * 1000
                entry[2] = max(entry[2], took * 1000)

        asyncio.Handle._run = timed_run  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            asyncio.Handle._run = self._original  # type: ignore[method-assign]
            self._original = None

    def top(self, n: int = 15) -> dict[str, list[float]]:
        ranked = sorted(self.by_name.items(), key=lambda kv: -kv[1][1])[:n]
        return {name: [int(c), round(total, 1), round(worst, 1)] for name, (c, total, worst) in ranked}


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
    # Imported only when asked for (it brings pickle): the bot started with PYTHONTRACEMALLOC or -X tracemalloc.
    if os.environ.get("PYTHONTRACEMALLOC") or "tracemalloc" in sys._xoptions:
        import tracemalloc

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
        self._gc_cpu_started = 0.0
        self.gc_cpu_ms = [0.0, 0.0, 0.0]  # the collector's own CPU (wall time above includes being preempted)
        self.gc_collected = [0, 0, 0]  # objects found in reference cycles and freed: what only the collector frees
        self._tasks: list[asyncio.Task[None]] = []
        slow_ms = os.environ.get(SLOW_CALLBACK_ENV, "")
        self.slow = SlowCallbacks(float(slow_ms)) if slow_ms else None

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            self._gc_cpu_started = time.thread_time()
        elif self._gc_started is not None:
            ms = (time.perf_counter() - self._gc_started) * 1000
            generation = int(info.get("generation", 0))
            self.gc_count[generation] += 1
            self.gc_ms[generation] += ms
            self.gc_cpu_ms[generation] += (time.thread_time() - self._gc_cpu_started) * 1000
            self.gc_collected[generation] += int(info.get("collected", 0))
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
            "gc_cpu_ms": [round(x, 3) for x in self.gc_cpu_ms],
            "gc_collected": list(self.gc_collected),
            "gc_worst_ms": round(self.gc_worst_ms, 3),
            **({"slow_callbacks": self.slow.top()} if self.slow is not None else {}),
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
        if self.slow is not None:
            self.slow.install()
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
        if self.slow is not None:
            self.slow.uninstall()
        if path is not None:
            self.write(path)
