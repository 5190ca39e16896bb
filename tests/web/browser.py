"""Headless Chromium (Debian's `chromium`) as a person's browser: load a page, dump its DOM or a screenshot.

Started with a fresh profile and everything that would call Google's hosts switched off (the test machine's
network refuses them). `--virtual-time-budget` lets the sign-in page's refresh to `/` happen before the dump.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
)


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium); see README → Web dashboard tests")


async def run_chromium(url: str, *extra: str, timeout: float = 60) -> bytes:
    with tempfile.TemporaryDirectory(prefix="nexus-chromium-") as profile:
        proc = await asyncio.create_subprocess_exec(
            chromium_path(),
            *FLAGS,
            f"--user-data-dir={profile}",
            *extra,
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        assert proc.returncode == 0, f"chromium exited {proc.returncode}"
        return out


async def dump_dom(url: str) -> str:
    return (await run_chromium(url, "--dump-dom")).decode()


async def screenshot(url: str, path: Path, width: int = 1000, height: int = 1400) -> Path:
    await run_chromium(url, f"--screenshot={path}", f"--window-size={width},{height}")
    assert path.exists(), "chromium wrote no screenshot"
    return path
