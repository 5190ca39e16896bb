"""Partner requests: /match request, the Pair with me press, and the answers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.app.ui import (
    timestamp,
)
from bot.errors import InvalidInput, NotFound
from bot.services import request_limits
from bot.services.matching.service import Announcement, Job, MatchRequest
from cogs._shared import GuildDirectory, inert_view

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
from cogs.matching._base import (
    EXPIRE_JOB,
    ROUND_JOBS,
    esc,
)
from cogs.matching.components import (
    AnswerButton,
)
from cogs.matching.delivery import DeliveryMixin


class RequestsMixin(DeliveryMixin):
    """Partner requests: send, accept, decline, block, expire."""

    # --- requests -----------------------------------------------------------------------------

    @app_commands.command(name="request", description="Ask a learner on the other track to be your partner")
    @app_commands.describe(member="The learner you'd like to pair with (same project, other track)")
    @app_commands.guild_only()
    async def request(self, interaction: discord.Interaction[NexusBot], member: discord.Member) -> None:
        """They get a DM (or a mention in the channel) with Accept and Decline buttons."""
        await self.send_request(interaction, member.id, source="command")

    async def request_from_announcement(
        self, interaction: discord.Interaction[Any], announcement: Announcement
    ) -> None:
        """The Pair with me button on an announcement: a request to the announcer."""
        await self.send_request(interaction, announcement.user_id, source="announcement")

    async def send_request(self, interaction: discord.Interaction[Any], target_id: int, *, source: str) -> None:
        guild = self.guild_of(interaction)
        if target_id == interaction.user.id:
            raise InvalidInput("That's you: pick another learner (`/match suggest` lists good partners).")
        target = guild.get_member(target_id)
        if target is None:
            raise NotFound("That learner is no longer in this server; `/match suggest` lists who is.")
        if target.bot:
            raise InvalidInput("Bots don't build capstone projects: pick a learner.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        directory = GuildDirectory(guild, settings)
        draft = await self.service.request(directory, settings.cohort_start, interaction.user.id, target_id, source)
        request, me, them = draft.request, draft.me, draft.them
        now, expires_at = request.created_at, request.expires_at
        where = await self.deliver_request(guild, settings, request, me, them, target, now)
        await self.service.delivered(request.id, where.channel.id, where.id)
        await self.bot.scheduler.schedule(
            EXPIRE_JOB, request.expires_at, {"request_id": request.id}, dedupe_key=f"match-expire:{request.id}"
        )
        via = (
            "by DM"
            if isinstance(where.channel, discord.DMChannel)
            else f"in <#{where.channel.id}> (their DMs are closed)"
        )
        await interaction.edit_original_response(
            content=f"Request sent to {esc(them.name)} {via}. It expires "
            f"{timestamp(expires_at.timestamp(), 'R')}; I'll tell you when they answer."
        )

    async def accept(self, interaction: discord.Interaction[Any], request_id: int) -> None:
        request = await self.service.answerable(request_id, interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = self.guild_of(interaction, request.guild_id)
        now = self.bot.clock.now()
        if self.service.overdue(request, now):
            await self.expire(request, now)
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        directory = GuildDirectory(guild, settings)
        accepted = await self.service.accept(directory, settings.cohort_start, request, now, ROUND_JOBS.moot)
        pair, me, them = accepted.pair, accepted.me, accepted.them
        backend, frontend, breakdown = accepted.backend, accepted.frontend, accepted.breakdown
        self._opening.add(pair.id)
        await self.pairing_changed(guild, pair.members)
        await self.edit_request_message(request, f"✅ You accepted {esc(them.name)}'s partner request.")
        thread = await self.open_thread(guild, settings, pair, backend, frontend, breakdown, now)
        place = (
            f" Your private thread: {thread.mention}."
            if thread
            else " (I couldn't open your private thread; staff were told.)"
        )
        await interaction.edit_original_response(content=f"🎉 You and {esc(them.name)} are partners now!{place}")
        await self.dm(
            them.user_id,
            f"🎉 {esc(me.name)} accepted your partner request for {esc(me.project_label)}!"
            + (f" Your private thread: {thread.mention}." if thread else ""),
        )

    async def decline(self, interaction: discord.Interaction[Any], request_id: int) -> None:
        request = await self.service.answerable(request_id, interaction.user.id)
        now = self.bot.clock.now()
        if self.service.overdue(request, now):
            await self.expire(request, now)
        await self.service.decline(request, now)
        guild = self.guild_of(interaction, request.guild_id)
        requester = self.name_of(guild, request.requester_id)
        again = request_limits.when(now + request_limits.REASK_COOLDOWN)
        await interaction.response.edit_message(
            content=f"You declined {esc(requester)}'s partner request. Either of you can ask again {again}; "
            "if you don't want them to, press **Block**.",
            embed=None,
            view=inert_view(AnswerButton("block", request.id)),
        )
        me = self.name_of(guild, request.addressee_id)
        await self.dm(
            request.requester_id,
            f"{esc(me)} declined your partner request. `/match suggest` shows other good partners.",
        )

    async def block(self, interaction: discord.Interaction[Any], request_id: int) -> None:
        """The addressee's "don't ask me again": declines the request and stops the requester's requests."""
        request = await self.service.answerable(request_id, interaction.user.id, blocking=True)
        now = self.bot.clock.now()
        if self.service.overdue(request, now):
            await self.expire(request, now)
        request, was_pending = await self.service.block(request, now)
        guild = self.guild_of(interaction, request.guild_id)
        requester = esc(self.name_of(guild, request.requester_id))
        await interaction.response.edit_message(
            content=f"🚫 You blocked {requester}: they can't send you partner requests and you won't be matched "
            "with each other. Staff can lift it if you change your mind.",
            embed=None,
            view=None,
        )
        if was_pending:
            me = esc(self.name_of(guild, request.addressee_id))
            await self.dm(
                request.requester_id,
                f"{me} declined your partner request. `/match suggest` shows other good partners.",
            )

    async def expire(self, request: MatchRequest, now: datetime) -> bool:
        """Close a request whose 72 h are up: update its message and tell the requester (once)."""
        if not await self.service.expire(request.id, now):
            return False
        guild = self.bot.get_guild(request.guild_id)
        addressee = self.name_of(guild, request.addressee_id) if guild else f"<@{request.addressee_id}>"
        requester = self.name_of(guild, request.requester_id) if guild else f"<@{request.requester_id}>"
        await self.edit_request_message(
            request, f"⌛ This partner request from {esc(requester)} expired (requests last 72 hours)."
        )
        await self.dm(
            request.requester_id,
            f"⌛ Your partner request to {esc(addressee)} expired without an answer. "
            "`/match suggest` shows other good partners; you can ask them again with `/match request` "
            f"{request_limits.when(now + request_limits.REASK_COOLDOWN)}.",
        )
        return True

    async def run_expire(self, job: Job) -> None:
        request = await self.service.pending_request(int(job.payload["request_id"]))
        if request is None:
            return
        await self.expire(request, self.bot.clock.now())
