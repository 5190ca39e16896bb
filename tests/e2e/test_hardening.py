"""Hardening: Discord faults on message posts, rate-limit buckets, and concurrent duplicates."""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox.nexus import NexusSandbox

POSTS = "/channels/{channel_id}/messages"
CHANNEL = "prodevprojectnexus"


def announce(nexus: NexusSandbox, user: str, title: str = "My shop") -> Any:
    return nexus.client.slash(
        user, "project announce", project="ecommerce", title=title, summary="A shop with a catalog.", timeout=30
    )


def posts_by(nexus: NexusSandbox, marker: str) -> list[dict[str, Any]]:
    return [m for m in nexus.server.messages_in(CHANNEL) if marker in str(m.get("embeds"))]


async def test_server_error_on_a_post_is_retried_and_posted_once(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    fault = nexus.server.inject_fault("POST", POSTS, 502, times=2)
    result = await announce(nexus, "alice", "Retried shop")
    assert "Announced" in result.content, result.describe()
    assert fault.hits == 2
    assert len(posts_by(nexus, "Retried shop")) == 1
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM announcements") == 1


async def test_rate_limited_post_waits_and_posts_once(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    fault = nexus.server.inject_rate_limit("POST", POSTS, retry_after=0.5)
    result = await announce(nexus, "alice", "Patient shop")
    assert "Announced" in result.content, result.describe()
    assert fault.hits == 1
    assert len(posts_by(nexus, "Patient shop")) == 1


async def test_channel_bucket_of_five_per_five_seconds_delays_but_loses_nothing(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    names = [f"learner{i}" for i in range(8)]
    for i, name in enumerate(names):
        nexus.server.add_member(name, roles=["Backend" if i % 2 else "Frontend"])
    results = await asyncio.gather(*(announce(nexus, name, f"Shop of {name}") for name in names))
    assert all("Announced" in r.content for r in results), [
        r.describe() for r in results if "Announced" not in r.content
    ]
    for name in names:
        assert len(posts_by(nexus, f"Shop of {name}")) == 1
    # Every interaction was acknowledged in time even though posting had to wait for the bucket.
    assert all(not r.record.errors for r in results)


async def test_fifty_concurrent_announces_by_one_learner_make_one(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    results = await asyncio.gather(*(announce(nexus, "alice", f"Shop {i}") for i in range(50)))
    texts = [r.content for r in results]
    assert sum("Announced" in t for t in texts) == 1, texts
    assert sum("already announced" in t for t in texts) == 49, texts
    assert not any(r.error_id_seen for r in results)
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM announcements") == 1
    assert len([m for m in nexus.server.messages_in(CHANNEL) if "Shop " in str(m.get("embeds"))]) == 1


async def test_concurrent_staff_rounds_make_one_round(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    for user in ("alice", "bob"):
        await announce(nexus, user, f"{user}'s shop")
        await nexus.client.slash(user, "match join", availability="weekdays 18-22")
    results = await asyncio.gather(*(nexus.client.slash("erin", "match run", timeout=30) for _ in range(5)))
    assert not any(r.error_id_seen for r in results), [r.describe() for r in results]
    busy = [r for r in results if "already running" in r.text]
    done = [r for r in results if r.embed is not None and "Matching round" in (r.embed.get("title") or "")]
    assert len(done) + len(busy) == 5, [r.text for r in results]
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM pairs") == 1
        rounds = await db.fetchval("SELECT COUNT(*) FROM match_rounds WHERE status = 'done'")
    assert rounds == len(done) >= 1


async def test_gateway_reconnect_mid_burst_answers_each_interaction_once(nexus: NexusSandbox) -> None:
    calls = [asyncio.create_task(nexus.client.slash("alice", "nexus about", timeout=30)) for _ in range(10)]
    await nexus.server.gateway_reconnect()
    calls += [asyncio.create_task(nexus.client.slash("bob", "nexus about", timeout=30)) for _ in range(10)]
    results = await asyncio.gather(*calls)
    for result in results:
        answered = [c for c in result.record.callbacks if c[0] < 300]
        assert len(answered) == 1, result.describe()
    assert not any(r.record.errors for r in results)
