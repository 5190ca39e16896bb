"""Telling staff about problems only they can fix: in their review channel, else by DM (to the staff member
concerned, or the server owner)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

STORAGE_FULL_REPLY = "The bot's storage is full; staff have been told. Try again once they've made room."
STORAGE_FULL_ALERT = (
    "⚠️ **Nexus Bot can't save anything: the disk holding its database is full.** Members who run a command "
    "that saves something are told the bot's storage is full. Free space on that disk; the bot carries on by "
    "itself once there is room (nothing saved before is lost)."
)


async def tell_staff(bot: NexusBot, guild: discord.Guild, text: str, *, fallback_user_id: int | None = None) -> bool:
    """Post `text` in the review channel set with `/nexus setup review_channel:`, else DM `fallback_user_id`
    (the staff member it concerns) or the server owner. False if nobody could be reached (it is logged)."""
    log.warning("Guild %s, telling staff: %s", guild.id, text)
    settings = await bot.services.cohort.settings(guild.id)
    channel = guild.get_channel(settings.review_channel_id) if settings and settings.review_channel_id else None
    try:
        if isinstance(channel, discord.TextChannel):
            await channel.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())
            return True
        user_id = fallback_user_id or guild.owner_id
        if not user_id:
            return False
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        await user.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())
        return True
    except discord.HTTPException as exc:
        log.warning("Could not tell staff of guild %s: %s", guild.id, exc)
        return False


async def storage_full(client: discord.Client, guild: discord.Guild | None) -> None:
    """Tell staff the disk is full, once for each time it fills up (the database counts those)."""
    from bot.app.nexus_bot import NexusBot  # here, not at the top: nexus_bot imports the tree, which imports us

    if guild is None or not isinstance(client, NexusBot):
        return
    bot = client
    episode = bot.db.storage_full_episode
    if bot.storage_alerts.get(guild.id) == episode:
        return
    bot.storage_alerts[guild.id] = episode  # before the await: concurrent failures tell staff once
    await tell_staff(bot, guild, STORAGE_FULL_ALERT)
