"""Crash safety: SIGKILL at 20 random moments of announce/accept bursts and of staff rounds with RSVPs;
nothing acknowledged is lost, nothing is half-written or duplicated."""

from __future__ import annotations

import pytest

from sandbox.crash import CrashDriver
from sandbox.nexus import NexusSandbox

KILL_POINTS = 20


@pytest.mark.timeout(600)
async def test_kill_points_lose_nothing_acknowledged(unthrottled: NexusSandbox) -> None:
    nexus = unthrottled
    await nexus.setup_guild()
    driver = CrashDriver(nexus, seed=20261125, per_round=3)
    for _ in range(KILL_POINTS):
        await driver.run_round()
    tally = driver.tally
    assert tally.kills == KILL_POINTS
    assert tally.lost == [], tally.lost
    assert tally.half_written == [], tally.half_written
    assert tally.duplicates == [], tally.duplicates
    assert tally.integrity == [], tally.integrity
    assert tally.retry_errors == [], tally.retry_errors
    # The kill moments really fell inside the bursts: some answers got out before the kill, some did not.
    assert 0 < tally.announces_acknowledged + tally.accepts_acknowledged < 2 * 3 * KILL_POINTS
    # Half the kills fell in matching rounds (each then checked finished exactly once, or rerun from nothing).
    assert tally.round_kills == KILL_POINTS // 2
    assert 0 < tally.rsvps_acknowledged < 2 * 3 * KILL_POINTS // 2
