"""/project: announce what you build in the first week, find a partner, and follow the first-week progress.

The commands parse the interaction, call one AnnouncementService operation, render and deliver."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.ui import clip
from bot.services import projects
from bot.services.announcements import (
    DIGEST_JOB,
    REMINDER_JOB,
    AnnouncementService,
    GuildSettings,
)
from bot.services.text import user_text
from bot.services.tracks import TRACK_NAMES
from cogs._shared import timezone_autocomplete
from cogs.projects.charts import board_chart, digest_chart, with_chart
from cogs.projects.components import AnnouncementListView
from cogs.projects.delivery import (
    PostDelivery,
    jump_url,
    learner_role_ids,
    learners,
    member_tracks,
    project_channel,
)
from cogs.projects.rendering import (
    announcement_embed,
    board_embed,
    digest_embed,
    finished_reply,
    reminder_text,
)

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
    from bot.scheduler import Job

log = logging.getLogger(__name__)

Track = Literal["backend", "frontend"]
OnOff = Literal["on", "off"]


async def acknowledge(interaction: discord.Interaction[Any]) -> bool:
    """Defer ephemerally; False if Discord already expired the interaction (10062).

    An expired interaction can't be answered at all: replying with an error would only add failing
    requests and tracebacks while the bot is already behind, so nothing is stored and nothing is sent.
    """
    try:
        async with interaction.client.ack_gate.acking():
            await interaction.response.defer(ephemeral=True, thinking=True)
    except discord.NotFound:
        log.warning("Interaction %s expired before I could acknowledge it (bot overloaded?)", interaction.id)
        return False
    # In a burst, acknowledge everyone before doing anyone's slower work.
    await interaction.client.ack_gate.idle()
    return True


# What /project announce and /project edit say about the options they share.
ANNOUNCEMENT_OPTIONS = {
    "project": "Which capstone project (choose Other for your own idea)",
    "title": "Your project's name, up to 100 characters",
    "summary": "What you are building, up to 500 characters",
    "timezone": "Your time zone: Africa/Lagos, UTC+1 or WAT",
}


class ProjectsCog(
    commands.GroupCog,
    name="Projects",
    group_name="project",
    group_description="Announce your capstone project and find a partner on the other track",
):
    def __init__(self, bot: NexusBot, service: AnnouncementService) -> None:
        self.bot = bot
        self.service = service
        self.delivery = PostDelivery(bot, service)
        self._recovered = False
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.scheduler.register(DIGEST_JOB, self.run_digest)
        self.bot.scheduler.register(REMINDER_JOB, self.run_reminder)
        self.bot.scheduler.add_ticker(self.plan_first_week)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Announcements cut short by a stop between their write and their post are completed once.
        if self._recovered:
            return
        self._recovered = True
        await self.delivery.recover()

    # --- autocomplete -----------------------------------------------------------------------

    async def project_autocomplete(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self.bot.services.catalog.choices(current)
        return [app_commands.Choice(name=clip(p.name, 100), value=p.key) for p in found]

    # --- /project announce ------------------------------------------------------------------

    @app_commands.command(name="announce", description="Announce the capstone project you are building")
    @app_commands.describe(
        **ANNOUNCEMENT_OPTIONS,
        track="Your track (default: from your Backend/Frontend role)",
        stack="Technologies, comma-separated (e.g. Django, PostgreSQL, Docker)",
        repo="Repository link, http(s)://…",
        looking_for_partner="Show a Pair with me button on your post (default: yes)",
    )
    @app_commands.autocomplete(project=project_autocomplete, timezone=timezone_autocomplete)
    @app_commands.guild_only()
    async def announce(
        self,
        interaction: discord.Interaction[NexusBot],
        project: app_commands.Range[str, 1, 100],
        title: app_commands.Range[str, 1, 100],
        summary: app_commands.Range[str, 1, 500],
        track: Track | None = None,
        stack: app_commands.Range[str, 0, 600] | None = None,
        repo: app_commands.Range[str, 0, 200] | None = None,
        timezone: app_commands.Range[str, 0, 64] | None = None,
        looking_for_partner: bool = True,
    ) -> None:
        """Post your announcement to the project channel, with a Pair with me button."""
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        # Pure checks first: bad input is answered at once, before any waiting.
        draft = self.service.draft(project, title, summary, track, stack, repo, timezone, looking_for_partner)
        # Acknowledge now: the database write and the post can take longer than Discord's 3 s in a rush.
        if not await acknowledge(interaction):
            return
        async with self.delivery.post_slots:
            guild, member = interaction.guild, interaction.user
            cohort = await self.bot.services.cohort.require(guild.id)
            channel = project_channel(guild, cohort.settings)
            tracks = member_tracks(member, learner_role_ids(guild, cohort.settings))
            outcome = await self.service.announce(guild.id, member.id, member.display_name, tracks, draft)
            if outcome.retry:
                # The learner's earlier try was cut short before its post: this retry finishes it.
                finished = await self.delivery.finish_unposted(guild, cohort.settings, outcome.post.announcement)
                await interaction.edit_original_response(content=finished_reply(finished.title, jump_url(finished)))
                return
            message = await self.delivery.post_new(channel, outcome.post)
            created, chosen = outcome.post.announcement, outcome.post.project
            assert chosen is not None
            late = " It's marked late: the first week is over, but announcing still counts." if created.late else ""
            partner = " Others can press **Pair with me** on it." if looking_for_partner else ""
            await interaction.edit_original_response(
                content=f"Announced **{clip(user_text(draft.title), 200)}** "
                f"({chosen.name}, {TRACK_NAMES[created.track]}): "
                f"{message.jump_url}.{partner}{late}{draft.zone_note} Change it with `/project edit`."
            )

    # --- /project edit ----------------------------------------------------------------------

    @app_commands.command(name="edit", description="Change your announcement; the post is updated in place")
    @app_commands.describe(
        **ANNOUNCEMENT_OPTIONS,
        track="Your track",
        stack="Technologies, comma-separated; a single dash (-) clears it",
        repo="Repository link, http(s)://…; a single dash (-) clears it",
        looking_for_partner="Show a Pair with me button on your post",
    )
    @app_commands.autocomplete(project=project_autocomplete, timezone=timezone_autocomplete)
    @app_commands.guild_only()
    async def edit(
        self,
        interaction: discord.Interaction[NexusBot],
        project: app_commands.Range[str, 1, 100] | None = None,
        track: Track | None = None,
        title: app_commands.Range[str, 1, 100] | None = None,
        summary: app_commands.Range[str, 1, 500] | None = None,
        stack: app_commands.Range[str, 0, 600] | None = None,
        repo: app_commands.Range[str, 0, 200] | None = None,
        timezone: app_commands.Range[str, 0, 64] | None = None,
        looking_for_partner: bool | None = None,
    ) -> None:
        """Update your announcement and its post (re-posted if it was deleted)."""
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        values, zone_note = self.service.edit_values(
            track, title, summary, stack, repo, timezone, looking_for_partner, has_project=project is not None
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild, member = interaction.guild, interaction.user
        cohort, updated = await self.service.edit(guild.id, member.id, member.display_name, project, values)
        reposted_from = updated.message_id
        updated = await self.delivery.refresh_post(guild, cohort.settings, updated)
        link = projects.message_link(guild.id, updated.channel_id, updated.message_id)
        how = "re-posted (the old post was deleted)" if updated.message_id != reposted_from else "updated in place"
        await interaction.edit_original_response(content=f"Your announcement was {how}: {link}{zone_note}")

    # --- /project withdraw ------------------------------------------------------------------

    @app_commands.command(name="withdraw", description="Withdraw your announcement (staff keep a record)")
    @app_commands.guild_only()
    async def withdraw(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Withdraw your announcement: the post is struck through and its button removed."""
        assert interaction.guild is not None
        guild = interaction.guild
        existing = await self.service.withdraw_check(guild.id, interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        withdrawn = await self.service.withdraw(existing.id)
        try:
            await self.delivery.refresh_post(guild, None, withdrawn)
        except discord.HTTPException:
            log.warning("Could not strike the post of withdrawn announcement %s", existing.id)
        await interaction.edit_original_response(
            content="Withdrawn. Your post is struck through; announce again any time with `/project announce`."
        )

    # --- /project show ----------------------------------------------------------------------

    @app_commands.command(name="show", description="Show a learner's announcement (default: yours)")
    @app_commands.describe(member="Whose announcement to show (default: yours)")
    @app_commands.guild_only()
    async def show(self, interaction: discord.Interaction[NexusBot], member: discord.User | None = None) -> None:
        """Show the announcement of a learner, or your own."""
        assert interaction.guild is not None
        target = member or interaction.user
        post = await self.service.show(
            interaction.guild.id,
            target.id,
            own=target.id == interaction.user.id,
            name=user_text(target.display_name),
        )
        found = post.announcement
        embed = announcement_embed(found, post.project, full=post.full)
        link = projects.message_link(interaction.guild.id, found.channel_id, found.message_id)
        await interaction.response.send_message(content=f"Post: {link}" if link else None, embed=embed, ephemeral=True)

    # --- /project list ----------------------------------------------------------------------

    @app_commands.command(name="list", description="Browse announcements, 10 per page")
    @app_commands.describe(
        project="Only this project",
        track="Only this track",
        looking_for_partner="Only learners still looking (True) or paired/not looking (False)",
        share="Post the list in the channel for everyone (default: only you see it)",
    )
    @app_commands.autocomplete(project=project_autocomplete)
    @app_commands.guild_only()
    async def list_(
        self,
        interaction: discord.Interaction[NexusBot],
        project: app_commands.Range[str, 1, 100] | None = None,
        track: Track | None = None,
        looking_for_partner: bool | None = None,
        share: bool = False,
    ) -> None:
        """List announcements with Previous/Next pages; only you see them unless you share them."""
        assert interaction.guild is not None
        query = await self.service.list_query(interaction.guild.id, project, track, looking_for_partner)
        view = AnnouncementListView(self.service, interaction.user.id, query, 0, shared=share)
        embed = await view.render()
        await interaction.response.send_message(embed=embed, view=view, ephemeral=not share)
        view.message = await interaction.original_response()

    # --- /project board ---------------------------------------------------------------------

    @app_commands.command(name="board", description="Projects × tracks, who is looking, first-week progress")
    @app_commands.describe(share="Post the board in the channel for everyone (default: only you see it)")
    @app_commands.guild_only()
    async def board(self, interaction: discord.Interaction[NexusBot], share: bool = False) -> None:
        """The live roster: counts per project and track, learners looking for a partner, progress."""
        assert interaction.guild is not None
        guild = interaction.guild
        cohort = await self.bot.services.cohort.require(guild.id)
        figures = await self.service.board(guild.id, learners(guild, cohort.settings))
        chart = await board_chart(self.bot, guild, cohort)
        embed = with_chart(board_embed(figures), chart)
        if chart is None:
            await interaction.response.send_message(embed=embed, ephemeral=not share)
        else:
            await interaction.response.send_message(embed=embed, file=chart, ephemeral=not share)

    # --- /project reminders -----------------------------------------------------------------

    @app_commands.command(name="reminders", description="Turn first-week reminder DMs on or off")
    @app_commands.describe(state="on: remind me if I haven't announced; off: never DM me reminders")
    @app_commands.guild_only()
    async def reminders(self, interaction: discord.Interaction[NexusBot], state: OnOff) -> None:
        """Opt in or out of the day-3 and last-day reminder DMs."""
        assert interaction.guild is not None
        await self.service.set_reminders(interaction.guild.id, interaction.user.id, state == "on")
        text = (
            "Reminders are on: if you haven't announced, I'll DM you on day 3 and on the last day."
            if state == "on"
            else "Reminders are off: I won't DM you about announcing. `/project reminders on` turns them back on."
        )
        await interaction.response.send_message(text, ephemeral=True)

    # --- members leaving ----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        marked = await self.service.member_left(payload.guild_id, payload.user.id)
        if marked:
            log.info("Member %s left guild %s: %d announcement(s) marked", payload.user.id, payload.guild_id, marked)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self.service.member_returned(member.guild.id, member.id)

    # --- other features change what a post shows ---------------------------------------------

    @commands.Cog.listener()
    async def on_nexus_pairing_changed(self, guild_id: int, user_ids: tuple[int, ...]) -> None:
        """Pairs were made or ended (or capacity changed): posts follow whether each learner is still looking."""
        await self.refresh_looking(guild_id, user_ids)

    async def refresh_looking(self, guild_id: int | None = None, user_ids: Iterable[int] | None = None) -> int:
        return await self.delivery.refresh_looking(guild_id, user_ids)

    @commands.Cog.listener()
    async def on_nexus_announcement_changed(self, guild_id: int, announcement_id: int) -> None:
        """Another feature changed an announcement (e.g. a track move): its post is re-rendered in place."""
        await self.delivery.changed(guild_id, announcement_id)

    @commands.Cog.listener()
    async def on_nexus_catalog_changed(self) -> None:
        # Staff changed the catalog (possibly through its store directly): announce sees it at once.
        self.bot.services.catalog.forget()

    @commands.Cog.listener()
    async def on_nexus_settings_changed(self, settings: GuildSettings) -> None:
        # Plan at once (a digest due later today must not wait for a tick), and re-read settings next tick.
        self.service.settings_changed()
        await self.plan_digests(settings, self.bot.clock.now())

    # --- first-week scheduling ----------------------------------------------------------------

    async def plan_first_week(self, now: datetime) -> None:
        """Scheduler ticker: make sure each day's digest and the due reminders are in the jobs table."""
        for settings in await self.service.planned_guilds():
            await self.plan_digests(settings, now)
            kind = self.service.reminder_due(settings, now)
            if kind is not None:
                await self.plan_reminders(settings, kind, now)
                self.service.reminders_planned(settings, kind)

    async def plan_digests(self, settings: GuildSettings, now: datetime) -> None:
        """One digest job per day of the first week; dedupe keys make re-planning a no-op."""
        for plan in self.service.digest_plans(settings, now):
            await self.bot.scheduler.plan(plan)

    async def plan_reminders(self, settings: GuildSettings, kind: str, now: datetime) -> None:
        """One job per learner who hasn't announced; dedupe keys make re-planning after a restart a no-op."""
        guild = self.bot.get_guild(settings.guild_id)
        if guild is None or settings.cohort_start is None:
            return
        cohort: date = settings.cohort_start
        pending = await self.service.reminder_targets(guild.id, cohort, learners(guild, settings))
        for uid in pending:
            await self.bot.scheduler.schedule(
                REMINDER_JOB,
                now,
                {"guild_id": guild.id, "user_id": uid, "cohort_start": cohort.isoformat(), "kind": kind},
                dedupe_key=f"remind:{guild.id}:{cohort.isoformat()}:{kind}:{uid}",
            )
        log.info("Planned %d %s reminder(s) in guild %s", len(pending), kind, guild.id)

    async def run_digest(self, job: Job) -> None:
        guild = self.bot.get_guild(int(job.payload["guild_id"]))
        settings = await self.bot.services.cohort.settings(int(job.payload["guild_id"]))
        if guild is None or settings is None or settings.cohort_start is None or settings.channel_id is None:
            return
        due = await self.service.digest_due(job.payload, job.due_at)
        if due is None:
            log.info("Digest %s skipped: settings changed or the next day's digest covers it", job.dedupe_key)
            return
        cohort, day = due
        channel = project_channel(guild, settings)
        digest = await self.service.digest(cohort, day, learners(guild, settings))
        if digest is None:
            return
        # Pair health (issue 14): counts only in the channel; who went quiet is told to the learners concerned.
        figures = await self.bot.services.pair_health.figures(guild.id)
        chart = await digest_chart(self.bot, guild, cohort)
        embed = with_chart(digest_embed(digest, figures), chart)
        message = await (channel.send(embed=embed) if chart is None else channel.send(embed=embed, file=chart))
        await self.service.digest_posted(guild.id, day, message.id)

    async def run_reminder(self, job: Job) -> None:
        guild_id, user_id = int(job.payload["guild_id"]), int(job.payload["user_id"])
        guild = self.bot.get_guild(guild_id)
        settings = await self.bot.services.cohort.settings(guild_id)
        if guild is None or settings is None:
            return
        member = guild.get_member(user_id)
        is_learner = member is not None and user_id in learners(guild, settings)
        dm = await self.service.reminder(job.payload, is_learner)
        if dm is None or member is None:
            return
        channel = guild.get_channel(dm.channel_id or 0)
        where = channel.mention if channel is not None else "the project channel"
        try:
            await member.send(reminder_text(dm, member.display_name, guild.name, where))
        except discord.HTTPException as exc:
            # Closed DMs are final for this cohort: recorded, never retried.
            await self.service.reminder_finished(job.payload, f"{type(exc).__name__}: {exc}")
            log.info("Reminder DM to %s failed (%s)", user_id, exc)
            return
        await self.service.reminder_finished(job.payload)
