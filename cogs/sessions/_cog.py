"""The /session commands: parse, call the session service once, render, deliver, report back."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import is_staff
from bot.app.ui import CONTENT_MAX, clip, nexus_embed, timestamp
from bot.scheduler import Job
from bot.services.sessions import REMINDER_KIND, START_KIND
from bot.services.text import user_text
from cogs._shared import configured_channel, timezone_autocomplete
from cogs.sessions import delivery
from cogs.sessions.components import RsvpButton
from cogs.sessions.rendering import format_minutes, mention_list, session_embed, session_view, upcoming_line

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)


class SessionsCog(
    commands.GroupCog,
    name="Sessions",
    group_name="session",
    group_description="Study and pairing sessions: plan one, RSVP, get reminded",
):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.sessions = bot.services.sessions
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RsvpButton)
        self.bot.scheduler.register(REMINDER_KIND, self.run_reminder)
        self.bot.scheduler.register(START_KIND, self.run_start)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RsvpButton)

    # --- autocomplete ------------------------------------------------------------------------------

    async def _topic_choices(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        # The learning service is built by the learning feature (phase 2); same (name, value) pairs as before.
        found = self.bot.services.learning.autocomplete_topics(current)
        return [app_commands.Choice(name=clip(str(n), 100), value=str(v)[:100]) for n, v in list(found)[:25]]

    async def _project_choices(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        names = await self.sessions.project_names()
        wanted = current.strip().lower()
        return [app_commands.Choice(name=n, value=n) for n in names if wanted in n.lower()][:25]

    async def _session_choices(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        found = await self.sessions.choices(
            interaction.guild.id, interaction.user.id, await is_staff(interaction), current
        )
        return [app_commands.Choice(name=clip(label, 100), value=value) for label, value in found]

    # --- commands ----------------------------------------------------------------------------------

    @app_commands.command(name="create", description="Plan a study or pairing session with RSVPs and reminders")
    @app_commands.describe(
        title="What the session is about (up to 100 characters)",
        when="e.g. 2026-12-01 18:00, tomorrow 18:00, fri 18:00, in 2h",
        duration="How long it lasts, in minutes (5–720)",
        timezone="Time zone `when` is in (default: your match profile's, else UTC)",
        topic="Learning topic the session covers",
        project="Project the session is for",
        capacity="Most people who can be going (default: no limit)",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete, topic=_topic_choices, project=_project_choices)
    @app_commands.guild_only()
    async def create(
        self,
        interaction: discord.Interaction[NexusBot],
        title: app_commands.Range[str, 1, 100],
        when: app_commands.Range[str, 1, 60],
        duration: app_commands.Range[int, 5, 720],
        timezone: app_commands.Range[str, 1, 64] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
        project: app_commands.Range[str, 1, 100] | None = None,
        capacity: app_commands.Range[int, 1, 500] | None = None,
    ) -> None:
        """Post a session with Going/Maybe/Not going buttons; those going get a reminder 15 minutes before."""
        assert interaction.guild is not None
        guild = interaction.guild
        plan = await self.sessions.plan(
            guild_id=guild.id,
            creator_id=interaction.user.id,
            title=title,
            when=when,
            duration_minutes=duration,
            timezone=timezone,
            topic=topic,
            project=project,
            capacity=capacity,
        )
        channel = await self._target_channel(interaction)
        delivery.check_can_post(channel, guild.me)
        await interaction.response.defer(ephemeral=True, thinking=True)

        session, rsvps = await self.sessions.create(plan, channel.id)
        try:
            message = await channel.send(embed=session_embed(session, rsvps), view=session_view(session))
        except discord.HTTPException:
            await self.sessions.not_posted(session.id)  # nothing was announced, so nothing to keep
            raise
        try:
            jobs = await self.sessions.posted(session.id, channel.id, message.id)
        except Exception:
            await delivery.remove_unsaved(self.bot, session, message)
            raise
        for job in jobs:
            await self.bot.scheduler.plan(job)
        event_note = await delivery.create_event(self.bot, guild, session, channel)

        lines = [f"Session #{session.id} posted: {message.jump_url}", *plan.notes, event_note]
        if not plan.has_reminder:
            lines.append("It starts within 15 minutes, so there's no reminder; the start message still comes.")
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @app_commands.command(name="list", description="Upcoming study and pairing sessions")
    @app_commands.describe(project="Only sessions for this project")
    @app_commands.autocomplete(project=_project_choices)
    @app_commands.guild_only()
    async def list_(self, interaction: discord.Interaction[NexusBot], project: str | None = None) -> None:
        """Show the next sessions, each in the reader's own time zone."""
        assert interaction.guild is not None
        upcoming = await self.sessions.upcoming(interaction.guild.id, project)
        if not upcoming:
            scope = f" for {clip(user_text(project), 200)}" if project else ""
            await interaction.response.send_message(
                f"No upcoming sessions{scope}. Plan one with `/session create`.", ephemeral=True
            )
            return
        embed = nexus_embed("Upcoming sessions" + (f" · {clip(user_text(project), 200)}" if project else ""))
        embed.description = clip("\n".join(upcoming_line(s, r, project) for s, r in upcoming), 4096)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="cancel", description="Cancel a session you host (staff: any session)")
    @app_commands.describe(session="The session to cancel", reason="Told to everyone going (optional)")
    @app_commands.autocomplete(session=_session_choices)
    @app_commands.guild_only()
    async def cancel(
        self,
        interaction: discord.Interaction[NexusBot],
        session: str,
        reason: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        """Cancel the session, update its post, remove the event and tell everyone going."""
        assert interaction.guild is not None
        staff = await is_staff(interaction)
        done = await self.sessions.cancel(interaction.guild.id, session, interaction.user.id, staff=staff)
        await interaction.response.defer(ephemeral=True, thinking=True)
        cancelled = done.session
        await delivery.refresh_post(self.bot, cancelled, done.rsvps)
        await delivery.delete_event(interaction.guild, cancelled)

        why = f"\nReason: {clip(user_text(reason), 600)}" if reason else ""
        text = (
            f"**{clip(user_text(cancelled.title), 200)}** "
            f"({timestamp(cancelled.starts_at.timestamp(), 'F')}) was cancelled "
            f"by {interaction.user.mention}.{why}"
        )
        dm_ok, fallback = await delivery.notify(self.bot, interaction.guild, cancelled, done.to_tell, text)
        told = f"Told {len(done.to_tell)} going: {dm_ok} by DM" + (
            f", {len(fallback)} by a mention in the channel." if fallback else "."
        )
        await interaction.followup.send(f"Session #{cancelled.id} cancelled. {told}", ephemeral=True)

    # --- scheduled work ----------------------------------------------------------------------------

    async def run_reminder(self, job: Job) -> None:
        due = await self.sessions.due(int(job.payload["session_id"]))
        if due is None:
            return
        session, rsvps = due
        guild = self.bot.get_guild(session.guild_id)
        if guild is None:
            log.warning("Reminder for session %s: guild %s not available", session.id, session.guild_id)
            return
        text = (
            f"⏰ **{clip(user_text(session.title), 200)}** starts {timestamp(session.starts_at.timestamp(), 'R')} "
            f"({timestamp(session.starts_at.timestamp(), 't')}), {format_minutes(session.duration_minutes)}."
        )
        sent, fallback = await delivery.notify(self.bot, guild, session, rsvps.going, text)
        log.info("Session %s reminder: %d DM(s), %d mention(s)", session.id, sent, len(fallback))

    async def run_start(self, job: Job) -> None:
        due = await self.sessions.due(int(job.payload["session_id"]), needs_channel=True)
        if due is None:
            return
        session, rsvps = due
        assert session.channel_id is not None
        channel = await delivery.channel_by_id(self.bot, session.channel_id)
        if channel is None:
            log.warning("Start of session %s: channel %s is gone", session.id, session.channel_id)
            return
        head = f"▶️ **{clip(user_text(session.title), 200)}** is starting now"
        link = (
            f" · https://discord.com/channels/{session.guild_id}/{session.channel_id}/{session.message_id}"
            if session.message_id
            else ""
        )
        mentions = mention_list(rsvps.going, CONTENT_MAX - len(head) - len(link) - 4) if rsvps.going else ""
        await channel.send(
            f"{head}{link}\n{mentions}".strip(),
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(u) for u in rsvps.going]
            ),
        )

    # --- helpers -----------------------------------------------------------------------------------

    async def _target_channel(self, interaction: discord.Interaction[NexusBot]) -> discord.TextChannel | discord.Thread:
        """The pair's thread when run inside one, else the configured project channel."""
        assert interaction.guild is not None
        here = interaction.channel
        if isinstance(here, discord.Thread) and await self.sessions.is_pair_thread(here.id):
            return here
        return configured_channel(interaction.guild, await self.bot.services.cohort.settings(interaction.guild.id))
