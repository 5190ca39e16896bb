"""Telling staff about problems only they can fix: in their review channel, else by DM to the server owner."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.nexus_bot import NexusBot

log = logging.getLogger(__name__)

STORAGE_FULL_REPLY = "The bot's storage is full; staff have been told. Try again once they've made room."
STORAGE_FULL_ALERT = (
    "⚠️ **Nexus Bot can't save anything: the disk holding its database is full.** Members who run a command "
    "that saves something are told the bot's storage is full. Free space on that disk; the bot carries on by "
    "itself once there is room (nothing saved before is lost)."
)


async def tell_staff(bot: NexusBot, guild: discord.Guild, text: str) -> bool:
    """Post `text` in the review channel set with `/nexus setup review_channel:`, else DM the server owner.
    False if neither could be reached (the problem is logged either way)."""
    log.warning("Guild %s, telling staff: %s", guild.id, text)
    settings = await bot.guild_settings.get(guild.id)
    channel = guild.get_channel(settings.review_channel_id) if settings and settings.review_channel_id else None
    try:
        if isinstance(channel, discord.TextChannel):
            await channel.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())
            return True
        owner = guild.owner or (await bot.fetch_user(guild.owner_id) if guild.owner_id else None)
        if owner is None:
            return False
        await owner.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())
        return True
    except discord.HTTPException as exc:
        log.warning("Could not tell staff of guild %s: %s", guild.id, exc)
        return False


async def storage_full(client: discord.Client, guild: discord.Guild | None) -> None:
    """Tell staff the disk is full, once for each time it fills up (the database counts those)."""
    from bot.nexus_bot import NexusBot  # here, not at the top: nexus_bot imports the tree, which imports us

    if guild is None or not isinstance(client, NexusBot):
        return
    bot = client
    episode = bot.db.storage_full_episode
    if bot.storage_alerts.get(guild.id) == episode:
        return
    bot.storage_alerts[guild.id] = episode  # before the await: concurrent failures tell staff once
    await tell_staff(bot, guild, STORAGE_FULL_ALERT)
