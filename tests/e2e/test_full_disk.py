"""A full disk, for real: the bot's writes to its database fail with ENOSPC (sandbox/diskfull.py).

Members read that the bot's storage is full (not an error id), staff are told once, nothing is left
on Discord that the database doesn't know about, and everything works again once there is room.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox import diskfull
from sandbox.diskfull import DiskFull
from sandbox.nexus import NexusSandbox

pytestmark = pytest.mark.skipif(not diskfull.available(), reason="needs Linux and a C compiler (cc)")

CHANNEL = "prodevprojectnexus"
REVIEW = "staff-review"
QUESTION = "How do I squash Django migrations without breaking the production database?"


@pytest.fixture
async def full(tmp_path: Path) -> AsyncIterator[tuple[NexusSandbox, DiskFull]]:
    disk = DiskFull.build(tmp_path, tmp_path / "nexus.db")
    harness = NexusSandbox(tmp_path, extra_env=disk.env())
    await harness.start()
    try:
        yield harness, disk
    finally:
        disk.free()
        await harness.close()
    assert not harness.server.rejections, "\n".join(str(r) for r in harness.server.rejections)


ALERT = "disk holding its database is full"


def storage_alerts(nexus: NexusSandbox) -> list[str]:
    return [m["content"] for m in nexus.server.messages_in(REVIEW) if ALERT in m["content"]]


async def test_full_disk_ask_leaves_no_thread_says_storage_is_full_and_tells_staff_once(
    full: tuple[NexusSandbox, DiskFull],
) -> None:
    nexus, disk = full
    await nexus.setup_guild(review_channel=REVIEW)
    before = len(nexus.server.messages_in(CHANNEL))
    disk.fill()

    asked = await nexus.client.slash("alice", "ask", question=QUESTION)
    assert asked.ephemeral and "storage is full; staff have been told" in asked.content, asked.describe()
    assert not asked.error_id_seen
    assert nexus.server.threads(CHANNEL) == []  # the thread made before the write failed is gone
    assert len(nexus.server.messages_in(CHANNEL)) == before  # and so is the question's post

    await nexus.server.wait_for_message(REVIEW, lambda m: ALERT in m["content"])  # posted after the reply
    session = await nexus.client.slash("bob", "session create", title="Pairing", when="in 2h", duration=60)
    assert session.ephemeral and "storage is full; staff have been told" in session.content, session.describe()
    assert len(nexus.server.messages_in(CHANNEL)) == before
    assert len(storage_alerts(nexus)) == 1  # two failures, one message to staff
    # Staff read what happened and what to do; no error id, no traceback.
    assert "Free space on that disk" in storage_alerts(nexus)[0]

    disk.free()
    asked = await nexus.client.slash("alice", "ask", question=QUESTION)
    assert "Your question is open" in asked.content, asked.describe()
    [thread] = nexus.server.threads(CHANNEL)
    async with nexus.db() as db:
        assert await db.fetchval("SELECT thread_id FROM questions") == int(thread["id"])
    assert len(storage_alerts(nexus)) == 1

    # A second time the disk fills is news again.
    disk.fill()
    again = await nexus.client.slash("carol", "ask", question="Why does my React list re-render every item?")
    assert "storage is full" in again.content, again.describe()
    await nexus.server.wait_until(lambda: len(storage_alerts(nexus)) == 2, 5, "a second alert")


async def test_disk_filling_while_a_session_is_posted_takes_the_post_down(full: tuple[NexusSandbox, DiskFull]) -> None:
    nexus, disk = full
    await nexus.setup_guild(review_channel=REVIEW)
    # The session row is saved, then its post is slow to go out; the disk fills in between, so the
    # post's id can't be saved.
    slow = nexus.server.inject_fault("POST", "/channels/{channel_id}/messages", None, delay=1.0)
    pending = asyncio.create_task(
        nexus.client.slash("bob", "session create", title="Pairing", when="in 2h", duration=60)
    )
    await nexus.server.wait_until(lambda: slow.hits == 1, 10, "the session post")
    disk.fill()
    result = await pending
    assert result.ephemeral and "storage is full" in result.content, result.describe()
    bot_id = str(nexus.server.world.bot.id)
    assert [m for m in nexus.server.messages_in(CHANNEL) if m["author"]["id"] == bot_id and m.get("embeds")] == []


async def test_full_disk_on_a_button_says_storage_is_full(full: tuple[NexusSandbox, DiskFull]) -> None:
    nexus, disk = full
    await nexus.setup_guild()
    created = await nexus.client.slash("bob", "session create", title="Pairing", when="in 2h", duration=60)
    assert "posted" in created.content, created.describe()
    [post] = [m for m in nexus.server.messages_in(CHANNEL) if m.get("components")]
    disk.fill()
    going = await nexus.client.click("alice", post, "Going")
    assert going.ephemeral and "storage is full; staff have been told" in going.content, going.describe()
    assert not going.error_id_seen
    # Without a review channel, the server owner hears of it.
    told = await nexus.server.wait_for_message("@owner", lambda m: ALERT in m["content"])
    assert "Free space" in told["content"]


async def test_full_disk_rolepicker_takes_its_message_down(full: tuple[NexusSandbox, DiskFull]) -> None:
    nexus, disk = full
    await nexus.setup_guild(review_channel=REVIEW)
    before = len(nexus.server.messages_in(CHANNEL))
    disk.fill()
    posted = await nexus.client.slash("erin", "nexus rolepicker")
    assert posted.ephemeral and "storage is full; staff have been told" in posted.content, posted.describe()
    # The picker whose ids could not be saved is not left behind in the channel.
    assert len(nexus.server.messages_in(CHANNEL)) == before
    disk.free()
    again = await nexus.client.slash("erin", "nexus rolepicker")
    assert "Role picker posted" in again.content, again.describe()
    assert len(nexus.server.messages_in(CHANNEL)) == before + 1
