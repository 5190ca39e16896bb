"""Two shard processes on one PostgreSQL database share two guilds, end to end through the sandbox."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.shards import ShardedNexus
from tests.pg import postgres_url

CHANNEL = "prodevprojectnexus"
COHORT = "2026-12-07"
DAY1 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LEARNERS = ("alice", "bob", "carol", "dave")


def day_digests(nexus: ShardedNexus, guild_id: int, day: int) -> list[dict[str, Any]]:
    bot_id = str(nexus.world.bot.id)
    with nexus.world.using(guild_id):
        return [
            m
            for m in nexus.server.messages_in(CHANNEL)
            if m["author"]["id"] == bot_id and m.get("embeds") and f"day {day}" in m["embeds"][0].get("title", "")
        ]


async def test_two_shards_share_two_guilds_each_on_its_own_shard_and_jobs_run_once(tmp_path: Path) -> None:
    async with postgres_url(migrated=False) as url:
        nexus = ShardedNexus(tmp_path, url, shard_count=2)
        try:
            await nexus.start()  # both at once: one of them migrates, under the database's lock
            world, server = nexus.world, nexus.server
            assert sorted(tuple(d["shard"]) for d in server.identify_log) == [(0, 2), (1, 2)]
            assert sorted(nexus.shard_of(g) for g in nexus.guilds) == [0, 1]
            nexus.set_time(DAY1)

            async def in_guild(guild_id: int) -> None:
                with world.using(guild_id):
                    setup = await nexus.client.slash(
                        "erin", "nexus setup", options={"channel": CHANNEL, "cohort_start": COHORT, "digest_hour": 17}
                    )
                    assert setup.ephemeral and "set up" in setup.text, setup.describe()
                    burst = await asyncio.gather(
                        *(
                            nexus.client.slash(
                                u, "project announce", project="ecommerce", title=f"{u}'s shop", summary="A shop."
                            )
                            for u in LEARNERS
                        ),
                        nexus.client.slash("alice", "learn topic", name="django"),
                        nexus.client.slash("bob", "project list"),
                        nexus.client.slash("carol", "match join", timezone="UTC", availability="weekdays 18-22"),
                    )
                    for result in burst:
                        assert result.acknowledged and not result.error_id_seen, result.describe()

            # A mixed burst in both guilds at once.
            await asyncio.gather(*(in_guild(g.id) for g in nexus.guilds))

            # Each interaction went to the shard that owns its guild, and only there; each was answered once.
            seen: Counter[int] = Counter()
            for session in server.live_sessions():
                for payload in session.buffer:
                    if payload["t"] == "INTERACTION_CREATE":
                        assert nexus.shard_of(int(payload["d"]["guild_id"])) == session.shard_id
                        seen[int(payload["d"]["id"])] += 1
            assert len(seen) == len(server.state.interactions) == 2 * 8 and set(seen.values()) == {1}
            assert all(r.acknowledged for r in server.state.interactions.values())
            assert not [
                r for r in server.state.requests if isinstance(r.response, dict) and r.response.get("code") == 40060
            ]

            async with nexus.db() as db:
                per_guild = await db.fetchall(
                    "SELECT guild_id, COUNT(*) AS n FROM announcements WHERE withdrawn_at IS NULL GROUP BY guild_id"
                )
                assert {r["guild_id"]: r["n"] for r in per_guild} == {g.id: 4 for g in nexus.guilds}
                assert await db.fetchval("SELECT COUNT(*) FROM guild_settings") == 2

            # The day's digest: a guild-scoped job, run once, by the shard that owns the guild.
            nexus.set_time(DAY1.replace(hour=17, minute=1))
            for guild in nexus.guilds:
                with world.using(guild.id):
                    await server.wait_for_message(
                        CHANNEL, lambda m: bool(m.get("embeds")) and "day 1" in m["embeds"][0]["title"], timeout=20
                    )
            nexus.advance(timedelta(seconds=2))
            await asyncio.sleep(1.5)  # a few more scheduler ticks on both shards
            for guild in nexus.guilds:
                assert len(day_digests(nexus, guild.id, 1)) == 1
            async with nexus.db() as db:
                assert await db.fetchval("SELECT COUNT(*) FROM digest_log") == 2
                assert await db.fetchval("SELECT COUNT(*) FROM jobs WHERE status = 'failed'") == 0
            assert not server.rejections, "\n".join(str(r) for r in server.rejections)
        except BaseException:
            print(nexus.log_text())
            raise
        finally:
            await nexus.close()


async def test_a_second_process_for_the_same_shard_is_refused(tmp_path: Path) -> None:
    async with postgres_url(migrated=False) as url:
        nexus = ShardedNexus(tmp_path, url, shard_count=2)
        try:
            await nexus.start()
            from sandbox.harness import BotProcess

            twin = BotProcess.for_sandbox(
                nexus.server,
                extra_env={"DATABASE_URL": url, "SHARD_COUNT": "2", "SHARD_IDS": "1", "DISCORD_GUILD_ID": ""},
                log_path=tmp_path / "twin.log",
            )
            await twin.start()
            assert await asyncio.wait_for(twin.wait(), 60) == 2
            assert "shard 1 of 2 already runs in another Nexus Bot" in twin.log_text()
            assert "secret" not in twin.log_text()
        finally:
            await nexus.close()


async def test_without_a_home_guild_one_process_syncs_globally_and_serves_every_guild(tmp_path: Path) -> None:
    from sandbox.nexus import NexusSandbox
    from sandbox.world import World

    world = World.default()
    second = world.add_guild("Second cohort")
    async with NexusSandbox(tmp_path, world=world, extra_env={"DISCORD_GUILD_ID": ""}) as nexus:
        for guild_id in (world.home.id, second.id):
            with world.using(guild_id):
                setup = await nexus.client.slash(
                    "erin", "nexus setup", options={"channel": CHANNEL, "cohort_start": COHORT}
                )
                assert setup.ephemeral and "set up" in setup.text, setup.describe()
                announced = await nexus.client.slash(
                    "alice", "project announce", project="ecommerce", title="Shop", summary="A shop."
                )
                assert "Announced" in announced.content, announced.describe()
        async with nexus.db() as db:
            # Every setting and list stays per guild.
            assert await db.fetchval("SELECT COUNT(DISTINCT guild_id) FROM guild_settings") == 2
            assert await db.fetchval("SELECT COUNT(DISTINCT guild_id) FROM announcements") == 2
        assert "Synced" in nexus.bot_log() and "global commands" in nexus.bot_log()
