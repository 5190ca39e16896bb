from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from sandbox.client import SandboxClient
from sandbox.harness import BotProcess
from sandbox.server import SandboxServer
from sandbox.world import World


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer(World.default(), ack_window=3.0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def http(sandbox: SandboxServer) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {sandbox.token}"}
    async with aiohttp.ClientSession(base_url=sandbox.base_url, headers=headers) as session:
        yield session


@pytest.fixture
async def pong_bot(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    bot = BotProcess.for_sandbox(
        sandbox, [sys.executable, "-m", "sandbox.pong_bot"], log_path=tmp_path / "pong.log", log_level="DEBUG"
    )
    await bot.start()
    try:
        await bot.wait_ready(sandbox, timeout=30)
    except BaseException:
        if bot.running:
            await bot.stop()
        raise
    try:
        yield bot
    finally:
        if bot.running:
            await bot.stop()


@pytest.fixture
def client(sandbox: SandboxServer) -> SandboxClient:
    return SandboxClient(sandbox)
