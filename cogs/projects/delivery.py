"""Posting announcements, finding posts a stop cut short, and re-rendering posts in place (paced)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord

from bot.errors import BotMissingPermissions, NotConfigured, UserError
from bot.services.announcements import Announcement, AnnouncementService, GuildSettings, Post
from bot.services.tracks import TRACK_NAMES
from cogs._shared import configured_channel
from cogs.projects.rendering import announcement_embed, pair_view

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

# What posting an announcement needs in the project channel.
POST_PERMISSIONS = {"view_channel": "View Channel", "send_messages": "Send Messages", "embed_links": "Embed Links"}
POST_CONCURRENCY = 8
REFRESH_CONCURRENCY = 2


def learner_role_ids(guild: discord.Guild, settings: GuildSettings) -> dict[str, int]:
    """Track → role id, from /nexus setup or, failing that, roles named Backend/Frontend."""
    out: dict[str, int] = {}
    for track, configured in (("backend", settings.backend_role_id), ("frontend", settings.frontend_role_id)):
        role = guild.get_role(configured) if configured else discord.utils.get(guild.roles, name=TRACK_NAMES[track])
        if role is not None:
            out[track] = role.id
    return out


def member_tracks(member: discord.Member, roles: dict[str, int]) -> list[str]:
    held = {r.id for r in member.roles}
    return [track for track, role_id in roles.items() if role_id in held]


def learners(guild: discord.Guild, settings: GuildSettings) -> set[int]:
    """Members holding the Backend or Frontend role (bots excluded)."""
    role_ids = set(learner_role_ids(guild, settings).values())
    return {m.id for m in guild.members if not m.bot and any(r.id in role_ids for r in m.roles)}


def project_channel(guild: discord.Guild, settings: GuildSettings | None) -> discord.TextChannel:
    """The project channel, or the error that says what is missing (not set up, gone, or permissions)."""
    channel = configured_channel(guild, settings)
    perms = channel.permissions_for(guild.me)
    missing = [label for name, label in POST_PERMISSIONS.items() if not getattr(perms, name)]
    if missing:
        raise BotMissingPermissions(
            f"I can't post in {channel.mention}: I need the {', '.join(missing)} permission there. "
            "Ask staff to grant it to my role, then try again."
        )
    return channel


def jump_url(announcement: Announcement) -> str:
    return f"https://discord.com/channels/{announcement.guild_id}/{announcement.channel_id}/{announcement.message_id}"


class PostDelivery:
    def __init__(self, bot: NexusBot, service: AnnouncementService) -> None:
        self.bot = bot
        self.service = service
        # Work after the acknowledgement waits its turn, so a burst of announcements is acknowledged first.
        self.post_slots = asyncio.Semaphore(POST_CONCURRENCY)
        # One render of a post at a time, so the last edit shows the latest pairing state.
        self._post_locks: dict[int, asyncio.Lock] = {}
        # Posts a round's pairs changed are edited a few at a time (edits are rate limited per channel),
        # apart from `post_slots`, so new announcements never queue behind them.
        self._refresh_slots = asyncio.Semaphore(REFRESH_CONCURRENCY)

    async def send(self, channel: discord.TextChannel, post: Post) -> discord.Message:
        view = pair_view(post.announcement, full=post.full)
        embed = announcement_embed(post.announcement, post.project, full=post.full)
        if view is None:
            return await channel.send(embed=embed)
        return await channel.send(embed=embed, view=view)

    async def post_new(self, channel: discord.TextChannel, post: Post) -> discord.Message:
        """Post a freshly written announcement and report it; no post, no record."""
        announcement = post.announcement
        try:
            message = await self.send(channel, post)
        except discord.HTTPException:
            await self.service.post_failed(announcement.id)
            raise
        else:
            await self.service.posted(announcement.id, channel.id, message.id)
        finally:
            self.service.done_posting(announcement.id)
        return message

    async def finish_unposted(
        self, guild: discord.Guild, settings: GuildSettings, announcement: Announcement
    ) -> Announcement:
        """Post an announcement whose post was never recorded, unless the post exists already.

        The bot may have stopped after posting but before recording the message id: look for the post
        (its footer names the announcement) in the channel's recent history before posting again.
        """
        channel = project_channel(guild, settings)
        message_id = (await self.posted_in(channel, limit=100)).get(announcement.id)
        if message_id is not None:
            await self.service.posted(announcement.id, channel.id, message_id)
            return self.service.with_message(announcement, channel.id, message_id)
        return await self.refresh_post(guild, settings, announcement)

    async def recover(self) -> None:
        """At the first start: complete announcements cut short between their write and their post."""
        by_guild: dict[int, list[Announcement]] = {}
        for announcement in await self.service.unposted():
            by_guild.setdefault(announcement.guild_id, []).append(announcement)
        for guild_id, announcements in by_guild.items():
            guild = self.bot.get_guild(guild_id)
            settings = await self.bot.services.cohort.settings(guild_id)
            if guild is None or settings is None or settings.channel_id is None:
                continue
            try:
                await self.recover_posts(guild, settings, announcements)
            except (discord.HTTPException, UserError) as exc:
                log.warning("Could not complete %d cut-short announcement(s): %s", len(announcements), exc)
        # Posts a stop left showing the wrong looking state (pairs made or ended just before it).
        fixed = await self.refresh_looking()
        if fixed:
            log.info("Updated %d post(s) whose looking state was stale", fixed)

    async def recover_posts(
        self, guild: discord.Guild, settings: GuildSettings, announcements: list[Announcement]
    ) -> None:
        """Record posts that exist (found once in the channel's recent history), post the missing ones."""
        channel = project_channel(guild, settings)
        found = await self.posted_in(channel, limit=200)
        for announcement in announcements:
            message_id = found.get(announcement.id)
            if message_id is not None:
                await self.service.posted(announcement.id, channel.id, message_id)
            else:
                await self.refresh_post(guild, settings, announcement)
            log.info("Completed announcement %s, whose post was cut short", announcement.id)

    async def posted_in(self, channel: discord.TextChannel, limit: int) -> dict[int, int]:
        """Announcement id → message id of the bot's announcement posts among the channel's last messages."""
        found: dict[int, int] = {}
        async for message in channel.history(limit=limit):
            if self.bot.user is None or message.author.id != self.bot.user.id:
                continue
            for embed in message.embeds:
                marker = (embed.footer.text or "").rpartition("announcement #")[2]
                if marker.isdigit():
                    found.setdefault(int(marker), message.id)
        return found

    async def refresh_post(
        self, guild: discord.Guild, settings: GuildSettings | None, announcement: Announcement
    ) -> Announcement:
        """Edit the posted message in place; if it was deleted (or never posted), post it again
        (only with `settings`, i.e. where a channel to post in is known)."""
        lock = self._post_locks.setdefault(announcement.id, asyncio.Lock())
        async with lock:
            return await self._refresh_post(guild, settings, announcement)

    async def _refresh_post(
        self, guild: discord.Guild, settings: GuildSettings | None, announcement: Announcement
    ) -> Announcement:
        post = await self.service.post_state(announcement)
        if announcement.channel_id and announcement.message_id:
            channel = guild.get_channel(announcement.channel_id)
            if isinstance(channel, discord.TextChannel):
                embed = announcement_embed(announcement, post.project, full=post.full)
                view = pair_view(announcement, full=post.full)
                try:
                    await channel.get_partial_message(announcement.message_id).edit(embed=embed, view=view)
                    await self.service.rendered(announcement.id, post.looking)
                    return announcement
                except discord.NotFound:
                    log.info("Announcement %s: its post was deleted; posting it again", announcement.id)
        if settings is None or not announcement.active:
            return announcement
        channel = project_channel(guild, settings)
        if post.full and announcement.looking_for_partner:
            await self.service.rendered(announcement.id, False)
        message = await self.send(channel, post)
        await self.service.posted(announcement.id, channel.id, message.id, post.looking)
        return self.service.with_message(announcement, channel.id, message.id)

    async def refresh_looking(self, guild_id: int | None = None, user_ids: Iterable[int] | None = None) -> int:
        """Edit every post whose looking state no longer matches capacity (all guilds if none given)."""
        stale = await self.service.stale_looking(guild_id, user_ids)

        async def one(announcement: Announcement) -> bool:
            guild = self.bot.get_guild(announcement.guild_id)
            if guild is None:
                return False
            async with self._refresh_slots:
                try:
                    await self.refresh_post(guild, None, announcement)
                    return True
                except (discord.HTTPException, UserError) as exc:
                    log.warning("Announcement %s: could not update its looking state: %s", announcement.id, exc)
                    return False

        return sum(await asyncio.gather(*(one(a) for a in stale)))

    async def changed(self, guild_id: int, announcement_id: int) -> None:
        """Another feature changed this announcement: re-render its post in place."""
        guild = self.bot.get_guild(guild_id)
        announcement = await self.service.get(announcement_id)
        if guild is None or announcement is None or announcement.guild_id != guild_id:
            return
        try:
            await self.refresh_post(guild, None, announcement)
        except (discord.HTTPException, NotConfigured) as exc:
            log.warning("Announcement %s changed but its post wasn't edited: %s", announcement_id, exc)
