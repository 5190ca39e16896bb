"""The process's memory allocator: fewer glibc heap arenas, set before the bot starts any thread.

glibc gives a thread that allocates while another holds the main heap an arena of its own (up to eight
per core), and memory freed in one arena is not reused for another: the bot's database threads
(aiosqlite's reader and writer), matching's solver threads and the default executor each end up holding
megabytes nobody uses. Two arenas (what `MALLOC_ARENA_MAX=2` does, the usual setting for threaded Python
services) took about 2.5 MB off the bot's peak RSS under the mixed load (python -m bench.load).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ARENA_ENV = "MALLOC_ARENA_MAX"  # set by the operator: glibc reads it itself and this module leaves it alone
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's heap arenas at `arenas`; True if done. Call before any thread is started. A no-op (False)
    when the operator set MALLOC_ARENA_MAX, and off glibc (musl, macOS, Windows have no such arenas)."""
    if os.environ.get(ARENA_ENV):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))
