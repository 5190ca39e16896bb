"""bot/memory.py: the allocator setting the bot makes before it starts any thread."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

CALL = "from bot.memory import limit_malloc_arenas; print(limit_malloc_arenas())"


def run(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", CALL], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's heap arenas")
def test_the_bot_caps_glibc_arenas_unless_the_operator_chose() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert run(env) == "True"
    assert run({**env, "MALLOC_ARENA_MAX": "4"}) == "False"  # glibc reads the operator's own value


# What the bot imports only when a rare path needs it (staff CSV exports, a changed topic file, a round summary's
# median, a tracemalloc run): about 0.7 MB of every process's memory otherwise (issue 17's RSS target).
LOADED_ON_USE = ("csv", "statistics", "decimal", "fractions", "tomllib", "tracemalloc")


def test_a_started_bot_leaves_the_rarely_used_modules_unimported() -> None:
    """A fresh interpreter that imports the bot, its CLI and every cog (what `nexus-bot run` loads before the
    gateway) has none of them; each path that needs one still works (their tests import nothing beforehand)."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import bot.app, bot.cli, cogs\n"
        "for found in pkgutil.walk_packages(cogs.__path__, 'cogs.'):\n"
        "    importlib.import_module(found.name)\n"
        f"print(sorted(m for m in {LOADED_ON_USE!r} if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONTRACEMALLOC"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
