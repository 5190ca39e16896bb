"""The /nexus commands: about (public) and staff administration; the work is in bot.services.staff."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import staff_only
from bot.app.ui import clip, nexus_embed, timestamp
from bot.errors import BotMissingPermissions, NotConfigured
from bot.services.staff import PUBLISH_KIND, parse_date
from cogs._shared import timezone_autocomplete
from cogs.nexus import staff_posts
from cogs.nexus.checks import ForumOnly, check_setup_roles, format_duration, missing_channel_permissions
from cogs.nexus.dashboard import send_link as send_dashboard_link

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
    from bot.scheduler import Job


class NexusCog(commands.GroupCog, group_name="nexus", group_description="About Nexus Bot, and staff settings"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.staff = bot.services.staff
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(staff_posts.CancelPostButton)
        self.bot.scheduler.register(PUBLISH_KIND, self.run_publish)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(staff_posts.CancelPostButton)

    async def run_publish(self, job: Job) -> None:
        await staff_posts.run_publish(self.bot, job)

    @app_commands.command(name="about", description="What Nexus Bot is, its version, uptime and latency")
    async def about(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Show version, uptime, gateway latency and what the database holds."""
        latency = self.bot.latency
        embed = nexus_embed(
            "Nexus Bot",
            "Project announcements, partner matching, learning topics and study sessions for #ProDevProjectNexus.",
        )
        embed.add_field(name="Version", value=self.bot.version)
        embed.add_field(name="Uptime", value=format_duration(self.bot.uptime_seconds))
        embed.add_field(
            name="Gateway latency", value=f"{latency * 1000:.0f} ms" if math.isfinite(latency) else "measuring…"
        )
        counts = await self.staff.counts()
        embed.add_field(
            name="In the database", value="\n".join(f"{n} {label}" for label, n in counts.items()) or "—", inline=False
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="setup", description="Staff: configure the project channel, cohort dates and roles")
    @app_commands.describe(
        channel="Channel where announcements, digests and threads go",
        cohort_start="First day of the cohort, YYYY-MM-DD (default: today)",
        first_week_days="How many days the first week lasts (1–14, default 7)",
        backend_role="Role held by Backend learners",
        frontend_role="Role held by Frontend learners",
        staff_role="Role allowed to use staff commands (besides Manage Server)",
        digest_hour="Hour (UTC, 0–23) of the daily first-week digest",
        review_channel="Staff channel where suggested learning topics are reviewed",
    )
    @app_commands.guild_only()
    @staff_only()
    async def setup(
        self,
        interaction: discord.Interaction[NexusBot],
        channel: discord.TextChannel,
        cohort_start: app_commands.Range[str, 10, 10] | None = None,
        first_week_days: app_commands.Range[int, 1, 14] | None = None,
        backend_role: discord.Role | None = None,
        frontend_role: discord.Role | None = None,
        staff_role: discord.Role | None = None,
        digest_hour: app_commands.Range[int, 0, 23] | None = None,
        review_channel: discord.TextChannel | None = None,
    ) -> None:
        """Configure where and when the bot works in this server."""
        assert interaction.guild is not None
        guild = interaction.guild
        missing = missing_channel_permissions(channel, guild.me)
        if missing:
            raise BotMissingPermissions(f"I can't work in {channel.mention} yet; grant me: {', '.join(missing)}.")
        existing = await self.bot.services.cohort.settings(guild.id)
        values: dict[str, object | None] = {
            "first_week_days": first_week_days,
            "backend_role_id": backend_role.id if backend_role else None,
            "frontend_role_id": frontend_role.id if frontend_role else None,
            "staff_role_id": staff_role.id if staff_role else None,
            "digest_hour": digest_hour,
            "review_channel_id": review_channel.id if review_channel else None,
        }
        if cohort_start is not None:
            parse_date(cohort_start, "cohort_start")  # a bad date is refused before the roles are checked
        picked, warnings = check_setup_roles(
            guild, existing, self.bot.settings.staff_role_name, backend_role, frontend_role, staff_role
        )
        values.update(picked)
        settings = await self.staff.setup(guild.id, channel.id, cohort_start, values)
        self.bot.dispatch("nexus_settings_changed", settings)

        def role_text(role_id: int | None) -> str:
            return f"<@&{role_id}>" if role_id else "not set"

        embed = nexus_embed("Nexus Bot is set up", f"Working in <#{settings.channel_id}>.")
        first_week = f"{settings.cohort_start} for {settings.first_week_days} days" if settings.cohort_start else "—"
        embed.add_field(name="First week", value=first_week)
        embed.add_field(name="Daily digest", value=f"{settings.digest_hour:02d}:00 UTC")
        embed.add_field(name="Backend role", value=role_text(settings.backend_role_id))
        embed.add_field(name="Frontend role", value=role_text(settings.frontend_role_id))
        embed.add_field(name="Staff role", value=role_text(settings.staff_role_id))
        embed.add_field(
            name="Review channel",
            value=f"<#{settings.review_channel_id}>" if settings.review_channel_id else "not set",
        )
        if warnings:
            embed.add_field(
                name="⚠️ The role picker won't hand out",
                value=clip("\n".join(f"• {w}." for w in warnings), 1024),
                inline=False,
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="dashboard", description="Staff: a private link to this server's web dashboard")
    @app_commands.guild_only()
    @staff_only()
    async def dashboard(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Get a signed link (15 minutes) to the staff dashboard: progress, who has not announced, pairs, sessions."""
        await send_dashboard_link(interaction)

    # --- /nexus catalog (issue 3: project announcements) ------------------------------------

    catalog = app_commands.Group(name="catalog", description="Staff: the capstone projects learners can announce")

    async def catalog_autocomplete(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self.staff.catalog_choices(current)
        return [app_commands.Choice(name=f"{p.name} ({p.key})"[:100], value=p.key) for p in found]

    @catalog.command(name="add", description="Staff: add a project to the catalog (or rename one)")
    @app_commands.describe(
        name="Project name shown to learners, e.g. Chat App",
        backend_variant="What Backend learners build (default: <name> Backend)",
        frontend_variant="What Frontend learners build (default: <name> Frontend)",
        key="Short stable id, letters/digits/dashes (default: from the name)",
    )
    @app_commands.guild_only()
    @staff_only()
    async def catalog_add(
        self,
        interaction: discord.Interaction[NexusBot],
        name: app_commands.Range[str, 1, 80],
        backend_variant: app_commands.Range[str, 1, 80] | None = None,
        frontend_variant: app_commands.Range[str, 1, 80] | None = None,
        key: app_commands.Range[str, 1, 32] | None = None,
    ) -> None:
        """Add a project learners can pick in /project announce."""
        project, created = await self.staff.catalog_add(name, backend_variant, frontend_variant, key)
        self.bot.dispatch("nexus_catalog_changed")
        verb = "Added" if created else "Updated"
        await interaction.response.send_message(
            f"{verb} **{discord.utils.escape_markdown(project.name)}** (`{project.key}`): Backend builds "
            f"{discord.utils.escape_markdown(project.backend_variant)}, Frontend builds "
            f"{discord.utils.escape_markdown(project.frontend_variant)}.",
            ephemeral=True,
        )

    @catalog.command(name="remove", description="Staff: hide a project from new announcements")
    @app_commands.describe(project="The project to remove (existing announcements keep it)")
    @app_commands.autocomplete(project=catalog_autocomplete)
    @app_commands.guild_only()
    @staff_only()
    async def catalog_remove(
        self, interaction: discord.Interaction[NexusBot], project: app_commands.Range[str, 1, 100]
    ) -> None:
        """Remove a project from the catalog; announcements that use it are kept."""
        found = await self.staff.catalog_remove(project)
        self.bot.dispatch("nexus_catalog_changed")
        await interaction.response.send_message(
            f"Removed **{discord.utils.escape_markdown(found.name)}** from the catalog. Existing announcements keep "
            f"it; `/nexus catalog add name:{found.name} key:{found.key}` brings it back.",
            ephemeral=True,
        )

    @catalog.command(name="list", description="Staff: the projects in the catalog")
    @app_commands.guild_only()
    @staff_only()
    async def catalog_list(self, interaction: discord.Interaction[NexusBot]) -> None:
        """List the catalog, including removed projects."""
        rows = await self.staff.catalog_all()
        esc = discord.utils.escape_markdown
        lines = [
            f"**{esc(p.name)}**{'' if p.active else ' (removed)'} `{p.key}` — "
            f"Backend: {esc(p.backend_variant)} · Frontend: {esc(p.frontend_variant)}"
            for p in rows
        ]
        await interaction.response.send_message(embed=nexus_embed("Project catalog", "\n".join(lines)), ephemeral=True)

    # --- /nexus export (issue 3) ----------------------------------------------------------------

    @app_commands.command(name="export", description="Staff: download records as a CSV file")
    @app_commands.describe(what="Which records to export")
    @app_commands.choices(
        what=[
            app_commands.Choice(name="announcements (incl. withdrawn)", value="announcements"),
            app_commands.Choice(name="partner interest (Pair with me presses)", value="partner_interest"),
            app_commands.Choice(name="first-week reminder DMs", value="reminders"),
            app_commands.Choice(name="partner pairs (active and ended)", value="pairs"),
            app_commands.Choice(name="unmatched in the latest matching round, with reasons", value="unmatched"),
        ]
    )
    @app_commands.guild_only()
    @staff_only()
    async def export(self, interaction: discord.Interaction[NexusBot], what: app_commands.Choice[str]) -> None:
        """Export records of this server as a CSV attachment (safe to open in a spreadsheet)."""
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        await interaction.response.defer(ephemeral=True, thinking=True)
        names = {m.id: m.display_name for m in interaction.guild.members}
        export = await self.staff.export(guild_id, what.value, names)
        file = discord.File(io.BytesIO(export.text.encode("utf-8")), filename=export.filename)
        await interaction.edit_original_response(
            content=f"{export.rows} row(s) of {what.value.replace('_', ' ')}.", attachments=[file]
        )

    # --- collaboration (issue 6): role picker, welcomes, Q&A forum, staff announcements -------

    async def _collab_channel(
        self, interaction: discord.Interaction[NexusBot], channel: discord.TextChannel | None
    ) -> discord.TextChannel:
        assert interaction.guild is not None
        if channel is not None:
            return channel
        settings = await self.bot.services.cohort.settings(interaction.guild.id)
        found = interaction.guild.get_channel(settings.channel_id) if settings and settings.channel_id else None
        if not isinstance(found, discord.TextChannel):
            raise NotConfigured("Name a `channel`, or set the project channel with `/nexus setup` first.")
        return found

    @app_commands.command(name="rolepicker", description="Staff: post the I'm Backend / I'm Frontend role buttons")
    @app_commands.describe(channel="Where to post it (default: the project channel)")
    @app_commands.guild_only()
    @staff_only()
    async def rolepicker(
        self, interaction: discord.Interaction[NexusBot], channel: discord.TextChannel | None = None
    ) -> None:
        """Post a persistent role picker; missing Manage Roles or role order problems are explained."""
        await staff_posts.post_role_picker(interaction, await self._collab_channel(interaction, channel))

    @app_commands.command(name="announce", description="Staff: post an announcement now or at a set time")
    @app_commands.describe(
        title="Headline of the announcement",
        message="The announcement text",
        ping="One role to ping (nobody else is pinged)",
        at="When to post, e.g. 2026-12-01 09:00, tomorrow 09:00, in 2h (default: now)",
        timezone="Time zone of `at` (default: your match profile's, else UTC)",
        channel="Where to post (default: the project channel)",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @app_commands.guild_only()
    @staff_only()
    async def announce(
        self,
        interaction: discord.Interaction[NexusBot],
        title: app_commands.Range[str, 1, 256],
        message: app_commands.Range[str, 1, 4000],
        ping: discord.Role | None = None,
        at: app_commands.Range[str, 1, 60] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Post now, or store it and post at `at` (survives restarts)."""
        await staff_posts.announce(
            interaction,
            title=title,
            message=message,
            ping=ping,
            at=at,
            timezone=timezone,
            target=await self._collab_channel(interaction, channel),
        )

    @app_commands.command(name="announcements", description="Staff: scheduled announcements, with cancel buttons")
    @app_commands.guild_only()
    @staff_only()
    async def announcements(self, interaction: discord.Interaction[NexusBot]) -> None:
        """List announcements waiting to be posted; each has a Cancel button."""
        await staff_posts.list_posts(interaction)

    @app_commands.command(name="configure", description="Staff: first-week welcomes and the Q&A forum")
    @app_commands.describe(
        welcome="Welcome members who join during the first week in the project channel",
        forum="Forum channel where /ask opens posts (default: threads in the project channel)",
        clear_forum="Stop using the forum: /ask opens threads in the project channel again",
    )
    @app_commands.guild_only()
    @staff_only()
    async def configure(
        self,
        interaction: discord.Interaction[NexusBot],
        welcome: bool | None = None,
        forum: app_commands.Transform[discord.ForumChannel, ForumOnly] | None = None,
        clear_forum: bool = False,
    ) -> None:
        """Change collaboration settings; options left out keep their value."""
        assert interaction.guild is not None
        values: dict[str, object] = {}
        if welcome is not None:
            values["welcome_enabled"] = int(welcome)
        if forum is not None:
            perms = forum.permissions_for(interaction.guild.me)
            if not (perms.send_messages and perms.send_messages_in_threads and perms.embed_links):
                raise BotMissingPermissions(
                    f"I can't open posts in {forum.mention}: grant me Send Messages, Send Messages in Threads "
                    "and Embed Links there."
                )
            values["forum_channel_id"] = forum.id
        elif clear_forum:
            values["forum_channel_id"] = None
        settings = await self.staff.configure(interaction.guild.id, values)
        forum_text = (
            f"<#{settings.forum_channel_id}>" if settings.forum_channel_id else "threads in the project channel"
        )
        await interaction.response.send_message(
            f"First-week welcomes: **{'on' if settings.welcome_enabled else 'off'}**. Questions from `/ask` go to "
            f"{forum_text}.",
            ephemeral=True,
        )

    # --- learning topics (issue 5): tip of the day ------------------------------------------------

    @app_commands.command(name="tips", description="Staff: post a daily learning-topic tip, or turn tips off")
    @app_commands.describe(
        channel="Where tips go (default: the current tip channel, else the project channel)",
        hour="Hour of day (UTC, 0–23) to post the tip",
        off="Stop posting tips",
    )
    @app_commands.guild_only()
    @staff_only()
    async def tips(
        self,
        interaction: discord.Interaction[NexusBot],
        channel: discord.TextChannel | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
        off: bool = False,
    ) -> None:
        """/nexus tips: where and when (UTC hour) the daily tip is posted, or off."""
        assert interaction.guild is not None
        guild = interaction.guild
        learning = self.bot.services.learning
        if off:
            await learning.tips_off(guild.id)
            await interaction.response.send_message("Tip of the day is **off**.", ephemeral=True)
            return
        tip_hour, default_channel_id = await learning.tip_defaults(guild.id, hour)
        if channel is None:
            found = guild.get_channel(default_channel_id) if default_channel_id else None
            if not isinstance(found, discord.TextChannel):
                raise NotConfigured("Name the `channel` for tips (or set the project channel with `/nexus setup`).")
            channel = found
        perms = channel.permissions_for(guild.me)
        if not (perms.view_channel and perms.send_messages and perms.embed_links):
            raise BotMissingPermissions(
                f"I can't post tips in {channel.mention}: grant me View Channel, Send Messages and Embed Links there."
            )
        next_at = await learning.set_tips(guild.id, channel.id, tip_hour)
        # Planned now, not on the next tick: a tip due within the second must not slip to tomorrow.
        await learning.schedule_tips(self.bot.clock.now(), self.bot.scheduler)
        await interaction.response.send_message(
            f"Tip of the day: every day at **{tip_hour:02d}:00 UTC** in {channel.mention}; next one "
            f"{timestamp(next_at.timestamp(), 'R')}. Topics don't repeat until every topic has been shown.",
            ephemeral=True,
        )


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(NexusCog(bot))
