"""Nexus Bot as several shard processes on one PostgreSQL database, against one sandbox with several guilds.

`ShardedNexus(workdir, database_url, shard_count=2)` builds a world with one guild per shard (the first guild
plus one Discord routes to each other shard), starts the sandbox and one bot process per shard
(`SHARD_COUNT=n SHARD_IDS=i DATABASE_URL=...`, DISCORD_GUILD_ID unset so shard 0 syncs commands globally).
Used by tests/e2e/test_shards.py and `python -m bench.crash --engine postgres`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import FileClock, advance_clock_file, write_clock_file
from db.engines.postgres import PostgresDatabase
from sandbox.client import SandboxClient
from sandbox.harness import BotProcess
from sandbox.nexus import DEFAULT_START
from sandbox.server import SandboxServer
from sandbox.world import Guild, World


class ShardedNexus:
    def __init__(
        self,
        workdir: Path,
        database_url: str,
        *,
        shard_count: int = 2,
        start_time: datetime = DEFAULT_START,
        server_options: dict[str, Any] | None = None,
        log_level: str = "INFO",
    ) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.shard_count = shard_count
        self.log_level = log_level
        self.clock_file = workdir / "clock"
        write_clock_file(self.clock_file, start_time)
        world = World.default()
        world.shard_count = shard_count
        for shard in range(shard_count):
            if not any(world.shard_of(g.id) == shard for g in world.guilds):
                world.add_guild(f"ProDev {shard}", shard=shard)
        self.world = world
        self.server = SandboxServer(world, **(server_options or {}))
        self.server.clock = FileClock(self.clock_file).now
        self.client = SandboxClient(self.server)
        self.bots: dict[int, BotProcess] = {}
        self.starts = 0

    @property
    def guilds(self) -> list[Guild]:
        return self.world.guilds

    def shard_of(self, guild: Guild | int) -> int:
        return self.world.shard_of(guild if isinstance(guild, int) else guild.id)

    async def start(self) -> ShardedNexus:
        await self.server.start()
        # All at once, as a deployment starts them: the migrations run once, under the database's lock.
        await asyncio.gather(*(self.start_shard(shard) for shard in range(self.shard_count)))
        return self

    async def start_shard(self, shard: int, timeout: float = 90) -> None:
        self.starts += 1
        bot = BotProcess.for_sandbox(
            self.server,
            clock_file=self.clock_file,
            log_level=self.log_level,
            extra_env={
                "DATABASE_URL": self.database_url,
                "SHARD_COUNT": str(self.shard_count),
                "SHARD_IDS": str(shard),
                "DISCORD_GUILD_ID": "",
            },
            log_path=self.workdir / f"bot-shard{shard}-{self.starts}.log",
        )
        self.bots[shard] = bot
        await bot.start()
        await bot.wait_for(self.wait_shard(shard, timeout), timeout, f"shard {shard}")

    async def wait_shard(self, shard: int, timeout: float = 60) -> None:
        """Until the shard's session is connected with its guilds, has set its presence (it has finished
        starting) and the commands are synced."""

        def ready() -> bool:
            session = self.server.live_shard(shard)
            return session is not None and session.presence is not None and self.server.state.command_syncs > 0

        await self.server.wait_until(ready, timeout, f"shard {shard} to be ready")

    async def kill_shard(self, shard: int) -> None:
        bot = self.bots[shard]
        bot.kill()
        await bot.wait()
        await self.server.wait_until(lambda: self.server.live_shard(shard) is None, 10, f"shard {shard} to go")

    async def stop_shard(self, shard: int) -> int:
        code = await self.bots[shard].stop()
        await self.server.wait_until(lambda: self.server.live_shard(shard) is None, 10, f"shard {shard} to go")
        return code

    async def close(self) -> None:
        try:
            await asyncio.gather(*(b.stop() for b in self.bots.values() if b.running), return_exceptions=True)
        finally:
            await self.server.stop()

    async def __aenter__(self) -> ShardedNexus:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def now(self) -> datetime:
        return FileClock(self.clock_file).now()

    def set_time(self, instant: datetime) -> None:
        write_clock_file(self.clock_file, instant)

    def advance(self, delta: timedelta) -> datetime:
        return advance_clock_file(self.clock_file, delta)

    @asynccontextmanager
    async def db(self) -> AsyncIterator[PostgresDatabase]:
        async with PostgresDatabase(self.database_url, pool_size=2) as database:
            yield database

    def log_text(self) -> str:
        return "\n".join(f"--- shard {s}\n{b.log_text()[-3000:]}" for s, b in self.bots.items())


class ShardUnderTest:
    """One shard of a ShardedNexus as sandbox.crash.CrashDriver drives it: its bot is the one killed and restarted,
    its guild (the first) is where the bursts go, while the other shards keep serving theirs."""

    def __init__(self, sharded: ShardedNexus, shard: int | None = None) -> None:
        self.sharded = sharded
        self.shard = sharded.shard_of(sharded.world.home) if shard is None else shard
        self.client = sharded.client
        self.server = sharded.server
        self.restarts = 0

    @property
    def bot(self) -> BotProcess | None:
        return self.sharded.bots.get(self.shard)

    @property
    def sqlite_path(self) -> Path | None:
        return None

    async def start_bot(self) -> None:
        await self.sharded.start_shard(self.shard)

    async def wait_bot_gone(self) -> None:
        await self.server.wait_until(lambda: self.server.live_shard(self.shard) is None, 10, "the shard to go")

    def db(self) -> AbstractAsyncContextManager[PostgresDatabase]:
        return self.sharded.db()
