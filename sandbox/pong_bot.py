"""A minimal discord.py bot (one ``/ping`` command answering "pong") used to test the sandbox.

Reads the same environment as Nexus Bot: ``DISCORD_TOKEN``, ``DISCORD_GUILD_ID``, ``DISCORD_API_BASE``,
``DISCORD_GATEWAY_URL``, ``LOG_LEVEL``. Run with ``python -m sandbox.pong_bot``. It is also the "bare bot" floor
in load benchmarks. ``PONG_POOL=N`` gives it Nexus Bot's keep-alive pool (N reused connections) instead of
discord.py's default connection per concurrent request, and ``PONG_UVLOOP=1`` runs it on uvloop as
``nexus-bot run`` does: with both, a burst floor measures discord.py's own cost on Nexus Bot's runtime.
When ready it sets a status, as Nexus Bot does last in ``on_ready``, so "finished starting" reads the same.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import aiohttp
import discord
import yarl
from discord.ext import commands

logger = logging.getLogger(__name__)


def point_at(api_base: str | None, gateway_url: str | None) -> None:
    """Redirect discord.py's REST and gateway endpoints (the sandbox, or any Discord-compatible server)."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class PongBot(commands.Bot):
    def __init__(self, guild_id: int | None, pool: int = 0) -> None:
        intents = discord.Intents.default()
        intents.members = True
        # Same pool as NexusBot (bot/app/nexus_bot.py) when asked: the floor then differs only in the bot's own work.
        connector = aiohttp.TCPConnector(limit=pool, keepalive_timeout=60) if pool > 0 else None
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, connector=connector)
        self.guild_id = guild_id

        @self.tree.command(name="ping", description="Check that the bot answers")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

    async def setup_hook(self) -> None:
        if self.guild_id:
            guild = discord.Object(id=self.guild_id)
            self.tree.copy_global_to(guild=guild)
            self.tree.clear_commands(guild=None)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        logger.info("synced %d commands", len(synced))

    async def on_ready(self) -> None:
        logger.info("pong bot ready as %s", self.user)
        await self.change_presence(activity=discord.CustomActivity(name="pong"))


async def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    point_at(os.environ.get("DISCORD_API_BASE"), os.environ.get("DISCORD_GATEWAY_URL"))
    guild_id = int(os.environ["DISCORD_GUILD_ID"]) if os.environ.get("DISCORD_GUILD_ID") else None
    bot = PongBot(guild_id, int(os.environ.get("PONG_POOL") or 0))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(bot.start(os.environ["DISCORD_TOKEN"]))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        logger.info("shutting down")
        await bot.close()
        await asyncio.gather(runner, return_exceptions=True)
    else:
        stopper.cancel()
        runner.result()


if __name__ == "__main__":
    if os.environ.get("PONG_UVLOOP") == "1":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())
