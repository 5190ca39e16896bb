"""The onboarding cog: registers the role picker's buttons and welcomes members who join in the first week."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from cogs.onboarding.components import MoveTrackButton, RoleButton

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)


class OnboardingCog(commands.Cog, name="Onboarding"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RoleButton, MoveTrackButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RoleButton, MoveTrackButton)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        welcome = await self.bot.services.onboarding.welcome(member.guild.id)
        if welcome is None:
            return
        channel = member.guild.get_channel(welcome.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        picker = welcome.picker_link
        step_one = f"pick your track with the role picker: {picker}" if picker else "ask staff for your track's role"
        text = (
            f"👋 Welcome to Project Nexus, {member.mention}! It's the first week: {step_one}, "
            "then announce your capstone project with `/project announce` and find a partner on the other track."
        )
        try:
            await channel.send(
                text, allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[member])
            )
        except discord.HTTPException as exc:
            log.warning("Could not welcome %s in %s: %s", member.id, channel.id, exc)
