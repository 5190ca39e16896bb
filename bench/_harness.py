"""What the benchmarks do to this process (the fake Discord and the load driver), never to the bot's."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def harness_heap_frozen() -> Iterator[None]:
    """For a measured phase: this process's heap collected and frozen. The sandbox runs here, and its full
    collections walked everything the bench had built (seeded worlds, the OpenAPI schema, every recorded request):
    4 in a 30 s load run, up to 250 ms each, landing in whichever acknowledgement was in flight (the bot's or the
    bare bot's). Discord does not pause for the bot; frozen, those objects are no longer walked. Frozen was not
    enough: what the phase itself recorded (≈ 1,500 interactions with their requests in 30 s) still came up for full
    collections, 25–46 ms each at the load's 0, 14 and 29 s. So the collector is also off for the phase (a few
    hundred MB at most for the longest run; collected when it ends)."""
    gc.collect()
    gc.freeze()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.unfreeze()
        gc.collect()
