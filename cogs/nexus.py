"""/nexus: about the bot (public) and staff administration (setup, ...)."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import staff_only
from bot.errors import BotMissingPermissions, InvalidInput
from bot.ui import nexus_embed
from db.stores.stats import table_counts

if TYPE_CHECKING:
    from bot.nexus_bot import NexusBot

# What the bot needs in the project channel, with why (shown when one is missing).
CHANNEL_PERMISSIONS: dict[str, str] = {
    "view_channel": "see the channel",
    "send_messages": "post announcements and digests",
    "embed_links": "show posts as embeds",
    "create_private_threads": "open private threads for partners",
    "send_messages_in_threads": "talk in those threads",
}


def format_duration(seconds: float) -> str:
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m {sec}s")
    return " ".join(parts)


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"`{option}` must be a date like 2026-12-01 (YYYY-MM-DD); got `{value}`.") from None


def missing_channel_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    return [
        f"{name.replace('_', ' ').title()} (to {why})"
        for name, why in CHANNEL_PERMISSIONS.items()
        if not getattr(perms, name)
    ]


class NexusCog(commands.GroupCog, group_name="nexus", group_description="About Nexus Bot, and staff settings"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        super().__init__()

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
        counts = await table_counts(self.bot.db)
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
        now = self.bot.clock.now()
        existing = await self.bot.guild_settings.get(guild.id)
        values: dict[str, object] = {"channel_id": channel.id}
        if cohort_start is not None:
            values["cohort_start"] = parse_date(cohort_start, "cohort_start")
        elif existing is None or existing.cohort_start is None:
            values["cohort_start"] = now.date()
        optional = {
            "first_week_days": first_week_days,
            "backend_role_id": backend_role.id if backend_role else None,
            "frontend_role_id": frontend_role.id if frontend_role else None,
            "staff_role_id": staff_role.id if staff_role else None,
            "digest_hour": digest_hour,
            "review_channel_id": review_channel.id if review_channel else None,
        }
        values.update({k: v for k, v in optional.items() if v is not None})
        # Roles named like the programme's are picked up when staff don't name them.
        for column, name in (("backend_role_id", "Backend"), ("frontend_role_id", "Frontend")):
            if column not in values and (existing is None or getattr(existing, column) is None):
                role = discord.utils.get(guild.roles, name=name)
                if role is not None:
                    values[column] = role.id
        settings = await self.bot.guild_settings.update(guild.id, now, **values)
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
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(NexusCog(bot))
