"""Getting sessions onto Discord: posts, their updates, the scheduled event, DMs with a mention fallback."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord

from bot.app.ui import CONTENT_MAX, clip
from bot.errors import BotMissingPermissions
from bot.services.sessions import Rsvps, StudySession
from cogs.sessions.rendering import mention_list, session_embed, session_view

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)


def check_can_post(channel: discord.TextChannel | discord.Thread, me: discord.Member) -> None:
    perms = channel.permissions_for(me)
    send = perms.send_messages_in_threads if isinstance(channel, discord.Thread) else perms.send_messages
    missing = [name for name, ok in (("Send Messages", send), ("Embed Links", perms.embed_links)) if not ok]
    if missing:
        raise BotMissingPermissions(
            f"I can't post sessions in {channel.mention}: grant me {', '.join(missing)} there (ask staff)."
        )


async def create_event(
    bot: NexusBot, guild: discord.Guild, session: StudySession, channel: discord.TextChannel | discord.Thread
) -> str:
    perms = guild.me.guild_permissions
    if not (perms.manage_events or perms.create_events):
        return "No Discord event was created: I lack the Manage Events permission (ask staff to grant it)."
    try:
        event = await guild.create_scheduled_event(
            name=clip(session.title, 100),
            start_time=session.starts_at,
            end_time=session.ends_at,
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location=clip(f"#{channel.name}", 100),
            description=clip(f"Study session #{session.id}, RSVP on the post in #{channel.name}.", 1000),
        )
    except discord.Forbidden:
        return "No Discord event was created: Discord refused (Manage Events missing); the session is posted."
    except discord.HTTPException as exc:
        log.warning("Scheduled event for session %s failed: %s", session.id, exc)
        return "No Discord event was created (Discord refused it); the session is posted."
    try:
        await bot.services.sessions.event_created(session.id, event.id)
    except Exception:
        # An event whose id isn't stored could never be removed by /session cancel.
        with contextlib.suppress(discord.HTTPException):
            await event.delete()
        raise
    return "A Discord event was added to the server's Events list."


async def remove_unsaved(bot: NexusBot, session: StudySession, message: discord.Message) -> None:
    """The post went out but its id couldn't be saved (a full disk): take it down, and the session
    with it if the database lets us, so nobody RSVPs to a session /session cancel can't find."""
    try:
        await message.delete()
    except discord.HTTPException as exc:
        log.warning("Could not remove the post of unsaved session %s: %s", session.id, exc)
    try:
        await bot.services.sessions.not_posted(session.id)
    except Exception:
        log.warning("Could not delete unsaved session %s", session.id, exc_info=True)


async def delete_event(guild: discord.Guild, session: StudySession) -> None:
    if session.event_id is None:
        return
    try:
        event = guild.get_scheduled_event(session.event_id) or await guild.fetch_scheduled_event(session.event_id)
        await event.delete()
    except discord.NotFound:
        pass
    except discord.HTTPException as exc:
        log.warning("Could not delete event %s of session %s: %s", session.event_id, session.id, exc)


async def channel_by_id(bot: discord.Client, channel_id: int) -> discord.abc.Messageable | None:
    channel = bot.get_channel(channel_id)
    if channel is None:
        try:
            channel = await bot.fetch_channel(channel_id)
        except discord.HTTPException:
            return None
    return channel if isinstance(channel, discord.abc.Messageable) else None


async def refresh_post(bot: discord.Client, session: StudySession, rsvps: Rsvps) -> None:
    if session.channel_id is None or session.message_id is None:
        return
    channel = await channel_by_id(bot, session.channel_id)
    if channel is None:
        return
    try:
        message = channel.get_partial_message(session.message_id)  # type: ignore[attr-defined]
        await message.edit(embed=session_embed(session, rsvps), view=session_view(session))
    except discord.HTTPException as exc:
        log.warning("Could not update the post of session %s: %s", session.id, exc)


async def mention_place(bot: NexusBot, session: StudySession) -> discord.abc.Messageable | None:
    """Where to mention people whose DMs are closed: the session's thread (made on demand) or its channel."""
    if session.thread_id:
        thread = await channel_by_id(bot, session.thread_id)
        if thread is not None:
            return thread
    if session.channel_id is None:
        return None
    channel = await channel_by_id(bot, session.channel_id)
    if isinstance(channel, discord.TextChannel) and session.message_id:
        try:
            thread = await channel.get_partial_message(session.message_id).create_thread(
                name=clip(session.title, 100), auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            log.warning("No reminder thread for session %s (%s); mentioning in the channel", session.id, exc)
            return channel
        await bot.services.sessions.thread_made(session.id, thread.id)
        return thread
    return channel


async def notify(
    bot: NexusBot, guild: discord.Guild, session: StudySession, user_ids: Iterable[int], text: str
) -> tuple[int, list[int]]:
    """DM each user; those who can't be DMed are mentioned in the session's thread. Returns (DMs, mentioned)."""
    sent, fallback = 0, []
    for uid in user_ids:
        member = guild.get_member(uid)
        try:
            if member is None:
                member = await guild.fetch_member(uid)
            await member.send(text)
            sent += 1
        except discord.NotFound:
            continue  # left the server
        except discord.HTTPException:
            fallback.append(uid)
    if fallback:
        place = await mention_place(bot, session)
        if place is not None:
            tail = " (I couldn't DM you.)"
            mentions = mention_list(fallback, CONTENT_MAX - len(text) - len(tail) - 2)
            await place.send(
                f"{mentions} {text}{tail}",
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(u) for u in fallback]
                ),
            )
    return sent, fallback
