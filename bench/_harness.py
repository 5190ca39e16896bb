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
    bare bot's). Discord does not pause for the bot; frozen, those objects are no longer walked."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
