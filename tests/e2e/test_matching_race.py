"""Capacity under concurrency, end to end: 100 simultaneous Accept clicks never over-fill a learner."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from db.stores.announcements import AnnouncementStore, NewAnnouncement
from sandbox.nexus import NexusSandbox

N = 100


def accept_buttons(message: dict[str, Any]) -> bool:
    return "nexus:match:accept" in str(message.get("components"))


async def announce_directly(nexus: NexusSandbox, users: list[tuple[int, str, str]]) -> None:
    """Announcements written straight to the database: the race is about accepting, not announcing."""
    async with nexus.db() as db:
        cohort = await db.fetchval("SELECT cohort_start FROM guild_settings")
        store = AnnouncementStore(db)
        for user_id, name, track in users:
            created = await store.create(
                NewAnnouncement(
                    guild_id=nexus.sandbox.world.guild.id,
                    user_id=user_id,
                    cohort_start=date.fromisoformat(cohort),
                    project_key="ecommerce",
                    track=track,
                    title=f"{name}'s shop",
                    summary="A capstone.",
                    timezone="Africa/Lagos",
                    display_name=name,
                ),
                nexus.now(),
            )
            assert created is not None


async def test_hundred_accepts_to_one_learner_make_exactly_one_pair(unthrottled: NexusSandbox) -> None:
    nexus = unthrottled
    await nexus.setup_guild()
    world = nexus.sandbox.world
    requesters = [f"backend{i:03d}" for i in range(N)]
    ids = [nexus.sandbox.add_member(name, roles=["Backend"]) for name in requesters]
    bob = world.user("bob").id
    await announce_directly(
        nexus,
        [(bob, "Bob", "frontend"), *((i, n.capitalize(), "backend") for i, n in zip(ids, requesters, strict=True))],
    )
    sent = await asyncio.gather(
        *(nexus.client.slash(name, "match request", member="bob", timeout=60) for name in requesters)
    )
    assert all("Request sent to Bob" in r.content for r in sent), [r.content for r in sent if "sent" not in r.content]
    await nexus.sandbox.wait_until(
        lambda: sum(accept_buttons(m) for m in nexus.sandbox.dms_to("bob")) == N, 30, "100 request DMs"
    )
    dms = [m for m in nexus.sandbox.dms_to("bob") if accept_buttons(m)]

    clicks = await asyncio.gather(*(nexus.client.click("bob", m, "Accept", timeout=60) for m in dms))
    texts = [c.text for c in clicks]
    assert not any(c.error_id_seen for c in clicks), texts
    assert sum("partners now" in t for t in texts) == 1, texts
    # A press that lost the race is refused by the capacity rule, or, once the accept committed and closed the
    # requests it made moot, by that request's closing: either way it says Bob is full.
    full = ("Bob already has as many partners as they asked for", "You already have as many partners as you asked for")
    refusals = [t for t in texts if any(f in t for f in full)]
    assert len(refusals) == N - 1, texts
    assert all(c.ephemeral for c in clicks)
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM pairs") == 1
        assert await db.fetchval("SELECT active_pairs FROM match_profiles WHERE user_id = ?", (bob,)) == 1
        assert await db.fetchval("SELECT SUM(active_pairs) FROM match_profiles") == 2
        assert await db.fetchval("SELECT COUNT(*) FROM match_requests WHERE status = 'accepted'") == 1
        # The accept closed the other 99 in its own transaction: Bob is full, so they are moot.
        assert await db.fetchval("SELECT COUNT(*) FROM match_requests WHERE status = 'pending'") == 0
        assert (
            await db.fetchval(
                "SELECT COUNT(*) FROM match_requests WHERE status = 'cancelled' AND cancel_reason = 'addressee_full'"
            )
            == N - 1
        )
    assert len(nexus.sandbox.threads("prodevprojectnexus")) == 1


async def test_hundred_accepts_of_one_request_make_one_pair(unthrottled: NexusSandbox) -> None:
    nexus = unthrottled
    await nexus.setup_guild()
    world = nexus.sandbox.world
    await announce_directly(
        nexus, [(world.user("alice").id, "Alice", "backend"), (world.user("dave").id, "Dave", "frontend")]
    )
    sent = await nexus.client.slash("alice", "match request", member="dave")
    assert "Request sent to Dave" in sent.content, sent.describe()
    dm = await nexus.sandbox.wait_for_message("@dave", accept_buttons)
    clicks = await asyncio.gather(*(nexus.client.click("dave", dm, "Accept", timeout=60) for _ in range(N)))
    texts = [c.text for c in clicks]
    assert not any(c.error_id_seen for c in clicks), texts
    assert sum("partners now" in t for t in texts) == 1, texts
    assert sum("already accepted" in t for t in texts) == N - 1, texts
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM pairs") == 1
        assert await db.fetchval("SELECT SUM(active_pairs) FROM match_profiles") == 2
