"""The role picker's buttons (I'm Backend / I'm Frontend) and the Move my announcement offer."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.app import alerts
from bot.app.checks import role_facts, staff_role
from bot.app.ui import SUCCESS, PersistentButton, clip, nexus_embed
from bot.errors import Conflict, Forbidden, InvalidInput, NotConfigured
from bot.services.cohort import NOT_SET_UP
from bot.services.projects import message_link
from bot.services.tracks import TRACK_NAMES, other_track
from cogs._shared import inert_view
from cogs.onboarding.rendering import NEXT_STEPS, left_behind_embed

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
    from bot.services.cohort import GuildSettings

log = logging.getLogger(__name__)


def track_role(guild: discord.Guild, settings: GuildSettings | None, track: str) -> discord.Role | None:
    role_id = getattr(settings, f"{track}_role_id", None) if settings else None
    role = guild.get_role(role_id) if role_id else None
    return role or discord.utils.get(guild.roles, name=TRACK_NAMES[track])


def role_problem(
    bot: NexusBot, guild: discord.Guild, role: discord.Role, staff: discord.Role | None
) -> tuple[str, str] | None:
    """Why the role picker must not hand out `role`: (reason code, words staff can act on); None when it may."""
    return bot.services.onboarding.handout_problem(
        role_facts(guild, role, staff),
        can_manage_roles=guild.me.guild_permissions.manage_roles,
        bot_role_name=guild.me.top_role.name,
    )


async def tell_staff(bot: NexusBot, guild: discord.Guild, problem: str) -> None:
    """Staff learn about role problems (review channel, else the owner by DM), not only the learner."""
    await alerts.tell_staff(bot, guild, f"⚠️ Role picker: {clip(problem, 1800)}.")


class RoleButton(PersistentButton, template=r"nexus:onboard:role:(?P<track>backend|frontend)"):
    """I'm Backend / I'm Frontend on the role picker; works across restarts."""

    groups = (("track", str),)

    def __init__(self, track: str) -> None:
        super().__init__(
            f"nexus:onboard:role:{track}",
            label=f"I'm {TRACK_NAMES[track]}",
            style=discord.ButtonStyle.primary if track == "backend" else discord.ButtonStyle.success,
        )
        self.track = track

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot: NexusBot = interaction.client
        track = self.track
        guild, member = interaction.guild, interaction.user
        if guild is None or not isinstance(member, discord.Member):
            raise InvalidInput("Use the role picker in the server.")
        onboarding = bot.services.onboarding
        settings = await bot.services.cohort.settings(guild.id)
        role = track_role(guild, settings, track)
        other = track_role(guild, settings, other_track(track))
        if role is None:
            await tell_staff(bot, guild, f"a learner pressed I'm {TRACK_NAMES[track]} but there is no such role")
            raise NotConfigured(f"There's no {TRACK_NAMES[track]} role yet; staff have been told.")
        had_other = other is not None and other != role and other in member.roles
        # Checked on every press, not only at setup: roles gain permissions and move after setup.
        staff = staff_role(guild, settings, bot.settings.staff_role_name)
        for checked in (role, other) if had_other and other is not None else (role,):
            refusal = onboarding.role_refusal(
                guild.id,
                checked.id,
                role_facts(guild, checked, staff),
                can_manage_roles=guild.me.guild_permissions.manage_roles,
                bot_role_name=guild.me.top_role.name,
            )
            if refusal is None:
                continue
            if refusal.tell_staff:
                await tell_staff(
                    bot,
                    guild,
                    f"learners pressing I'm {TRACK_NAMES[track]} are refused until this is fixed: "
                    f"{refusal.explanation}",
                )
            raise NotConfigured(
                f"I can't give you the {TRACK_NAMES[track]} role right now. Staff have been told; try again later."
            )
        reason = f"Role picker: {member} chose {TRACK_NAMES[track]}"
        if role not in member.roles:
            await member.add_roles(role, reason=reason)
        if had_other and other is not None:
            await member.remove_roles(other, reason=reason)
        switched = f" (and no longer {other.name})" if had_other and other is not None else ""
        embed = nexus_embed(
            f"You're {TRACK_NAMES[track]}!", f"You now have the {role.name} role{switched}.\n\n{NEXT_STEPS}"
        )
        embed.colour = SUCCESS
        embeds = [embed]
        view: discord.ui.View | None = None
        behind = await onboarding.left_behind(guild.id, member.id, track)
        if behind is not None:
            embeds.append(left_behind_embed(guild, behind, track))
            view = inert_view(MoveTrackButton(track, member.id)) if behind.movable else None
        await interaction.response.send_message(
            embeds=embeds,
            view=view or discord.utils.MISSING,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


class MoveTrackButton(
    PersistentButton, template=r"nexus:onboard:move:(?P<track>backend|frontend):(?P<user>[0-9]{1,20})"
):
    """Move my announcement (and so my matching) to the track I just picked; only its learner may press."""

    groups = (("track", str), ("user", int))

    def __init__(self, track: str, user_id: int) -> None:
        super().__init__(
            f"nexus:onboard:move:{track}:{user_id}",
            label=f"Move my announcement to {TRACK_NAMES[track]}",
            style=discord.ButtonStyle.primary,
        )
        self.track = track
        self.user_id = user_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        """The announcement's track, then its post (re-rendered by the projects feature), edited in place."""
        if interaction.user.id != self.user_id:
            raise Forbidden("This button moves someone else's announcement; press a role picker button yourself.")
        bot: NexusBot = interaction.client
        track = self.track
        guild, member = interaction.guild, interaction.user
        if guild is None or not isinstance(member, discord.Member):
            raise InvalidInput("Use this button in the server.")
        settings = await bot.services.cohort.settings(guild.id)
        if settings is None or settings.cohort_start is None:
            raise NotConfigured(NOT_SET_UP)
        role = track_role(guild, settings, track)
        if role is None or role not in member.roles:
            raise Conflict(
                f"You don't have the {TRACK_NAMES[track]} role any more, so your announcement stays as it is: press "
                f"I'm {TRACK_NAMES[track]} on the role picker first."
            )
        moved = await bot.services.onboarding.move_track(guild.id, member.id, track)
        # The projects feature re-renders the post in place.
        bot.dispatch("nexus_announcement_changed", guild.id, moved.id)
        await interaction.response.defer()
        link = message_link(guild.id, moved.channel_id, moved.message_id)
        where = (
            f"your post was edited: {link}"
            if link
            else "I couldn't edit your post; run `/project edit` once to refresh it"
        )
        await interaction.edit_original_response(
            content=f"✅ Your announcement and partner matching are on **{TRACK_NAMES[track]}** now; {where}.",
            embeds=[],
            view=None,
            allowed_mentions=discord.AllowedMentions.none(),
        )
