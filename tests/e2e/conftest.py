"""End-to-end fixtures: a real bot subprocess against the local Discord-compatible sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.nexus import NexusSandbox


async def _running(tmp_path: Path, **server_options: Any) -> AsyncIterator[NexusSandbox]:
    harness = NexusSandbox(tmp_path, server_options=server_options or None)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.close()
    # Every request the bot made passed Discord's documented limits and the OpenAPI schemas.
    assert not harness.server.rejections, "\n".join(str(r) for r in harness.server.rejections)


@pytest.fixture
async def nexus(tmp_path: Path) -> AsyncIterator[NexusSandbox]:
    async for harness in _running(tmp_path):
        yield harness


@pytest.fixture
async def unthrottled(tmp_path: Path) -> AsyncIterator[NexusSandbox]:
    """The sandbox without channel rate limits, for bursts (100 DMs to one learner would take 100 s)."""
    async for harness in _running(tmp_path, rate_limits=False):
        yield harness
