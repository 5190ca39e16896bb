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
