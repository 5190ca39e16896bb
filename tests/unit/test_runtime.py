"""How the bot process runs: event loop and garbage-collector settings."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.app.nexus_bot import GC_YOUNG_THRESHOLD, settle_memory
from bot.cli import run_async


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settle_memory_freezes_startup_objects_and_raises_the_young_threshold(restore_gc: None) -> None:
    older = gc.get_threshold()[1:]
    settle_memory()
    assert gc.get_freeze_count() > 1000  # at least the modules imported so far
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *older)


def test_settling_again_frees_garbage_the_previous_freeze_kept(restore_gc: None) -> None:
    class Node:
        peer: object

    cycle = Node()
    cycle.peer = cycle  # only the cyclic collector can free it
    alive = weakref.ref(cycle)
    settle_memory()
    del cycle
    gc.collect()
    assert alive() is not None  # frozen: collections leave it alone
    settle_memory()  # a new session: unfreeze, collect, freeze again
    assert alive() is None


def test_the_first_settle_collects_only_the_young_generations(restore_gc: None) -> None:
    """The first READY does not walk everything a start built (a ~20 ms stall): young garbage is still freed."""

    class Node:
        peer: object

    gc.collect()
    cycle = Node()
    cycle.peer = cycle
    alive = weakref.ref(cycle)
    del cycle
    full_collections = gc.get_stats()[2]["collections"]
    settle_memory(first=True)
    assert alive() is None
    assert gc.get_stats()[2]["collections"] == full_collections
    assert gc.get_freeze_count() > 1000 and gc.get_threshold()[0] == GC_YOUNG_THRESHOLD


def test_run_async_runs_on_uvloop_where_installed() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def loop_type() -> int:
        return 1 if isinstance(asyncio.get_running_loop(), uvloop.Loop) else 0

    assert run_async(loop_type()) == 1
