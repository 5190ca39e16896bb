"""End-to-end fixtures: a real bot subprocess against the local Discord-compatible sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.nexus import NexusSandbox


@pytest.fixture
async def nexus(tmp_path: Path) -> AsyncIterator[NexusSandbox]:
    harness = NexusSandbox(tmp_path)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.close()
    # Every request the bot made passed Discord's documented limits and the OpenAPI schemas.
    assert not harness.server.rejections, "\n".join(str(r) for r in harness.server.rejections)


@pytest.fixture
async def unthrottled(tmp_path: Path) -> AsyncIterator[NexusSandbox]:
    """The sandbox without channel rate limits, for bursts (100 DMs to one learner would take 100 s)."""
    harness = NexusSandbox(tmp_path, server_options={"rate_limits": False})
    await harness.start()
    try:
        yield harness
    finally:
        await harness.close()
    assert not harness.server.rejections, "\n".join(str(r) for r in harness.server.rejections)
