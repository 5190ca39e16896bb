"""Pieces several cogs use. Not a cog itself: modules starting with `_` are not loaded as extensions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.errors import NotConfigured
from bot.services.cohort import CHANNEL_GONE, NOT_SET_UP
from bot.services.zones import timezone_choices

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
    from bot.services.cohort import GuildSettings

log = logging.getLogger(__name__)


def inert_view(*items: discord.ui.Item[Any]) -> discord.ui.View | None:
    """A view of DynamicItems: they dispatch through the bot's registry, so the view is never stored."""
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


def only_pinging(*users: discord.abc.Snowflake) -> discord.AllowedMentions:
    """Allowed mentions for a message whose template mentions these members: they are pinged, nobody else.

    The bot's default pings nobody (bot/app/nexus_bot.py), so a send that means to notify people passes this.
    """
    return discord.AllowedMentions(everyone=False, roles=False, users=list(users), replied_user=False)


def configured_channel(guild: discord.Guild, settings: GuildSettings | None) -> discord.TextChannel:
    """The project channel staff set with `/nexus setup`, or a NotConfigured that tells them how."""
    if settings is None or not settings.channel_id:
        raise NotConfigured(NOT_SET_UP)
    channel = guild.get_channel(settings.channel_id)
    if not isinstance(channel, discord.TextChannel):
        raise NotConfigured(CHANNEL_GONE)
    return channel


async def timezone_autocomplete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    """IANA time zones matching what the member typed (up to Discord's 25 choices), each with its offset now.

    An offset (`UTC+1`) or abbreviation (`WAT`) offers only zones with that offset.
    """
    clock = getattr(interaction.client, "clock", None)
    now = clock.now() if clock is not None else None
    return [app_commands.Choice(name=label, value=z) for label, z in timezone_choices(current, 25, now)]


async def member_zone(bot: NexusBot, guild_id: int, user_id: int, timezone: str | None) -> tuple[ZoneInfo, str]:
    """The zone a member's times are read in: the option given, else their match profile's, else UTC.

    The second value says which one was used ("option", "profile" or "default"), so replies can say so.
    """
    return await bot.services.sessions.member_zone(guild_id, user_id, timezone)


class GuildDirectory:
    """`bot.services.directory.MemberDirectory` from one guild's member cache (and its track roles)."""

    def __init__(self, guild: discord.Guild, settings: GuildSettings | None = None) -> None:
        self.guild = guild
        self.guild_id = guild.id
        self._roles = {
            "backend": settings.backend_role_id if settings else None,
            "frontend": settings.frontend_role_id if settings else None,
        }

    def display_name(self, user_id: int) -> str | None:
        member = self.guild.get_member(user_id)
        return member.display_name if member is not None else None

    def is_member(self, user_id: int) -> bool:
        return self.guild.get_member(user_id) is not None

    def _tracks_of(self, member: discord.Member) -> tuple[str, ...]:
        have = {r.id for r in member.roles}
        return tuple(track for track, role_id in self._roles.items() if role_id is not None and role_id in have)

    def tracks(self, user_id: int) -> tuple[str, ...]:
        member = self.guild.get_member(user_id)
        return self._tracks_of(member) if member is not None else ()

    def learners(self) -> dict[int, tuple[str, ...]]:
        out: dict[int, tuple[str, ...]] = {}
        for member in self.guild.members:
            found = self._tracks_of(member)
            if found:
                out[member.id] = found
        return out


# The Pair with me button on announcement posts. Its custom id stays `nexus:project:pair:<id>` (old posts keep
# working); the projects cog renders it, partner matching's DynamicItem answers presses.
PAIR_BUTTON_TEMPLATE = r"nexus:project:pair:(?P<id>[0-9]{1,20})"


def pair_button(announcement_id: int) -> discord.ui.Button[Any]:
    """The plain Pair with me button of announcement `announcement_id`."""
    return discord.ui.Button(
        label="Pair with me",
        emoji="🤝",
        style=discord.ButtonStyle.primary,
        custom_id=f"nexus:project:pair:{announcement_id}",
    )
