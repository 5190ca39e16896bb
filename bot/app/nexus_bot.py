"""NexusBot: the discord.py client, owning settings, database, clock and scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import pkgutil
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
from discord.ext import commands

import cogs
from bot import __version__
from bot.app.tree import NexusTree
from bot.clock import Clock
from bot.config import Settings
from bot.loopwatch import LoopWatch
from bot.scheduler import Scheduler
from bot.services.container import Services
from db.database import Database
from db.stores.jobs import JobStore

log = logging.getLogger(__name__)

# Tasks discord.py creates per interaction; shutdown waits for these to finish.
_INTERACTION_TASK_PREFIXES = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-modal-dispatch-",
    "discord-ui-dynamic-item-",
)

# Nobody is pinged unless a message names them: sends that mean to ping pass `AllowedMentions(users=[...])`.
ALLOWED_MENTIONS = discord.AllowedMentions(everyone=False, roles=False, users=False, replied_user=False)
PRESENCE = "Announce your capstone: /project announce"

# Python's default starts a young collection every 700 new container objects: every few interactions in a
# burst. 2,000 keeps them fewer while each stays short: under the mixed load (bench/load.py, NEXUS_LOOP_SLOW_MS),
# 2,000 gave young collections of ~0.7 ms and middle ones of ~3 ms of CPU; 10,000 gave ~4 ms and ~23 ms, which
# an interaction arriving then waits for, for ~10 % less collector CPU in all.
GC_YOUNG_THRESHOLD = 2_000

# Keep-alive connections to Discord's REST API (see the connector below); the burst bench gives its bare
# bot floor the same pool.
KEEPALIVE_POOL = 16


def cog_extensions() -> list[str]:
    """Every module in cogs/ is a feature; loading them all keeps features independent."""
    return sorted(f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_"))


def make_intents() -> discord.Intents:
    intents = discord.Intents.default()
    # Members: learners are members holding the Backend/Frontend role; the first-week roster and
    # welcomes need the member list and join events.
    intents.members = True
    return intents


def settle_memory(*, first: bool = False) -> None:
    """At each READY: collect garbage, then freeze what is left (modules, command tree, member cache).
    Those objects live as long as the session; frozen, no collection walks them again. In a
    1,000-interaction burst this took the collector from ~170 ms to ~20 ms (bench/announce_burst).

    The first READY collects only the young generations (≈ 1 ms): a start leaves next to no cyclic garbage (none
    on a restart, ~400 objects after a first start's migrations and seeding, then kept), and a full collection of
    the ~68k objects it built would stall the first interactions by ~20 ms. A later READY (a new session)
    unfreezes and collects everything, freeing the caches discord.py dropped with the old one."""
    if first:
        gc.collect(1)
    else:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


class AckGate:
    """Lets acknowledgements go before follow-up work when interactions arrive in a burst.

    Handlers wrap their first response in `acking()`; slower work after it awaits `idle()`, which
    opens once no acknowledgement has been under way for `quiet` seconds: in a burst, events arrive
    one by one, and follow-up work slipping into each gap would slow every acknowledgement behind it.
    """

    def __init__(self, quiet: float = 0.05) -> None:
        self.quiet = quiet
        self.pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._reopen: asyncio.TimerHandle | None = None

    @contextlib.asynccontextmanager
    async def acking(self) -> AsyncIterator[None]:
        self.pending += 1
        self._idle.clear()
        if self._reopen is not None:
            self._reopen.cancel()
            self._reopen = None
        try:
            yield
        finally:
            self.pending -= 1
            if self.pending == 0:
                self._reopen = asyncio.get_running_loop().call_later(self.quiet, self._idle.set)

    async def idle(self) -> None:
        await self._idle.wait()


class NexusBot(commands.Bot):
    def __init__(self, settings: Settings, db: Database, clock: Clock, *, sync_commands: bool = True) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=make_intents(),
            tree_cls=NexusTree,
            allowed_mentions=ALLOWED_MENTIONS,
            help_command=None,
            # A small keep-alive pool: discord.py's default opens a new connection per concurrent request,
            # which under a burst of interactions costs more than the requests themselves; 16 reused
            # connections acknowledged a 1,000-interaction burst faster than 8, 64 or 256 (bench/announce_burst).
            connector=aiohttp.TCPConnector(limit=KEEPALIVE_POOL, keepalive_timeout=60),
            # discord.py waits this long after the last GUILD_CREATE before on_ready; we serve one guild.
            guild_ready_timeout=0.5,
            # No message cache: nothing reads it (edits go through partial messages, buttons through their
            # payload); the default kept the last 1,000 messages the bot saw, each with its embeds and components.
            max_messages=None,
            **self.shard_options(settings),
        )
        self.settings = settings
        self.db = db
        self.clock = clock
        self.sync_commands = sync_commands
        self.version = __version__
        self.started_monotonic = time.monotonic()
        # Every feature service, built once; cogs take theirs in setup(), components via interaction.client.
        self.services = Services.build(db, clock)
        self.jobs = JobStore(db)
        self.scheduler = Scheduler(self.jobs, clock)
        if settings.shard_count:
            # Guild-scoped jobs run on the shard that owns the guild (the one its events reach).
            self.scheduler.owns_guild = settings.owns_guild
        self.ready_seconds: float | None = None
        self.ack_gate = AckGate()
        # Guild id → the full-disk episode staff were told about (bot.app.alerts.storage_full).
        self.storage_alerts: dict[int, int] = {}
        self.loop_watch: LoopWatch | None = None

    @classmethod
    def shard_options(cls, settings: Settings) -> dict[str, Any]:
        return {}

    @property
    def uptime_seconds(self) -> float:
        return time.monotonic() - self.started_monotonic

    async def setup_hook(self) -> None:
        for extension in cog_extensions():
            await self.load_extension(extension)
        if self.sync_commands and self.settings.guild_id is not None:
            guild = discord.Object(self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.register_commands(guild)
        elif self.sync_commands and 0 in (self.settings.shard_ids or (0,)):
            # No home guild: commands are global so every guild the bot is in gets them; with shards, the process
            # that runs shard 0 syncs them once.
            await self.register_commands(None)
        self.scheduler.start()

    async def register_commands(self, guild: discord.abc.Snowflake | None) -> None:
        """Sync the slash commands to `guild` (None: globally), unless Discord still holds exactly what the last
        sync left there and that is what would be sent (bot/services/command_sync.py): a restart sends nothing."""
        scope = "global" if guild is None else f"guild:{guild.id}"
        where = "global commands (DISCORD_GUILD_ID is not set)" if guild is None else f"commands to guild {guild.id}"
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        syncs = self.services.commands
        if await syncs.unchanged(scope, payload, await self._registered_commands(guild)):
            log.info("Commands unchanged since the last sync (%d %s): nothing sent", len(payload), where)
            return
        synced = await self.tree.sync(guild=guild)
        # Read back: the AppCommands tree.sync returns drop each command's version.
        await syncs.synced(scope, payload, await self._registered_commands(guild))
        log.info("Synced %d %s", len(synced), where)

    async def _registered_commands(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        """The commands Discord holds for the scope, as it returns them (with each command's version)."""
        app_id = self.application_id
        if app_id is None:  # set by login, which runs before setup_hook
            raise RuntimeError("no application id yet")
        found = await (
            self.http.get_global_commands(app_id) if guild is None else self.http.get_guild_commands(app_id, guild.id)
        )
        return [dict(command) for command in found]

    async def on_ready(self) -> None:
        first = self.ready_seconds is None
        if first:
            self.ready_seconds = self.uptime_seconds
            log.info(
                "Ready as %s (id %s) in %d guild(s) after %.2f s",
                self.user,
                self.user.id if self.user else "?",
                len(self.guilds),
                self.ready_seconds,
            )
        # Every READY (the first, or a new session after Discord dropped the old one) comes with caches
        # discord.py has just rebuilt, and a new session starts without a status.
        settle_memory(first=first)
        if self.settings.loop_stats_file is not None and self.loop_watch is None:
            # Benchmarks only: stalls and GC pauses from here on (start-up's one-off work is not counted).
            self.loop_watch = LoopWatch()
            self.loop_watch.start(self.settings.loop_stats_file)
        # A status line in the member list; it also tells the sandbox the bot has finished starting.
        await self.change_presence(activity=discord.CustomActivity(name=PRESENCE))

    async def drain_interactions(self, timeout: float = 10.0) -> None:
        """Let interactions already being handled finish before shutting down."""
        current = asyncio.current_task()
        pending = [
            t
            for t in asyncio.all_tasks()
            if t is not current and not t.done() and t.get_name().startswith(_INTERACTION_TASK_PREFIXES)
        ]
        if pending:
            log.info("Waiting for %d in-flight interaction(s)", len(pending))
            await asyncio.wait(pending, timeout=timeout)

    async def close(self) -> None:
        await self.drain_interactions()
        if self.loop_watch is not None:
            self.loop_watch.stop(self.settings.loop_stats_file)
        await self.scheduler.stop()
        await super().close()


class ShardedNexusBot(NexusBot, commands.AutoShardedBot):
    """SHARD_COUNT / SHARD_IDS: the shards of this process on discord.py's AutoShardedBot (one gateway connection
    each); Discord sends each guild's events and interactions to shard (guild_id >> 22) % SHARD_COUNT only."""

    @classmethod
    def shard_options(cls, settings: Settings) -> dict[str, Any]:
        return {"shard_count": settings.shard_count, "shard_ids": list(settings.shard_ids or ())}
