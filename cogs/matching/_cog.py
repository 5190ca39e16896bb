"""/match: find a partner on the other track who builds the same project, and staff matching rounds.

The commands class; the work is in the mixins (requests, pairs, rounds, delivery, rendering) and the service."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.ui import (
    EMBED_FIELD_VALUE_MAX,
    clip,
    nexus_embed,
    offer_retry,
    timestamp,
)
from bot.errors import InvalidInput
from bot.services import pairing, request_limits
from bot.services.availability import format_windows, intersect, validate_timezone
from bot.services.matching.service import MatchingService
from cogs._shared import GuildDirectory, inert_view, timezone_autocomplete

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
from cogs.matching import components
from cogs.matching._base import (
    EXPIRE_JOB,
    ROUND_JOBS,
    SUGGESTIONS,
    MatchingBase,
    esc,
    log,
)
from cogs.matching.components import (
    AnswerButton,
    AskButton,
    JoinForm,
    PairWithMeButton,
)
from cogs.matching.health import HealthMixin


class MatchingCog(
    HealthMixin,
    commands.GroupCog,
    name="Matching",
    group_name="match",
    group_description="Find a partner on the other track who builds the same project",
):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.service: MatchingService = bot.services.matching
        self._threads_recovered = False
        # Pairs this process committed and is still opening a thread for: recovery leaves them alone.
        self._opening: set[int] = set()
        # Pairs of one team (a learner with several partners) share one thread: opened one at a time.
        self._team_locks: dict[int, asyncio.Lock] = {}
        super().__init__()

    async def cog_load(self) -> None:
        components.bind(self)
        self.bot.add_dynamic_items(AskButton, AnswerButton, PairWithMeButton)
        self.register_health()
        self.bot.scheduler.register(EXPIRE_JOB, self.run_expire)
        self.bot.scheduler.register(ROUND_JOBS.pair, self.run_round_pair, resumable=True)
        self.bot.scheduler.register(ROUND_JOBS.unmatched, self.run_round_unmatched, resumable=True)
        self.bot.scheduler.register(ROUND_JOBS.moot, self.run_request_moot, resumable=True)
        self.bot.scheduler.register(ROUND_JOBS.summary, self.run_round_summary, resumable=True)
        # A round cut short by a crash would otherwise block every later round (one running per guild).
        stale = await self.service.fail_stale_rounds()
        if stale:
            log.warning("Marked %d interrupted matching round(s) as failed", stale)

    async def cog_unload(self) -> None:
        components.unbind(self)

    # --- /match join, leave, pause ------------------------------------------------------------

    @app_commands.command(name="join", description="Opt in to partner matching (run again to change your profile)")
    @app_commands.describe(
        timezone="Your time zone: Africa/Lagos, UTC+1 or WAT (default: from your announcement)",
        availability="When you are free each week, local time, e.g. `weekdays 18-22, sat 10am-2pm`",
        offers="Skills you can help with, comma-separated (e.g. django, postgres)",
        wants="Skills you want a partner to bring, comma-separated (e.g. react, typescript)",
        max_partners="How many partners you can take (1–5; useful when tracks are unbalanced)",
    )
    @app_commands.autocomplete(
        timezone=timezone_autocomplete, offers=MatchingBase.skills_autocomplete, wants=MatchingBase.skills_autocomplete
    )
    @app_commands.guild_only()
    async def join(
        self,
        interaction: discord.Interaction[NexusBot],
        timezone: app_commands.Range[str, 1, 64] | None = None,
        availability: app_commands.Range[str, 1, 500] | None = None,
        offers: app_commands.Range[str, 0, 300] | None = None,
        wants: app_commands.Range[str, 0, 300] | None = None,
        max_partners: app_commands.Range[int, 1, 5] | None = None,
    ) -> None:
        """Opt in: your project and track come from your announcement."""
        try:
            await self.save_profile(interaction, timezone, availability, offers, wants, max_partners)
        except InvalidInput as error:
            # A typo throws nothing away: the form reopens with every option as typed.
            typed = [timezone, availability, offers, wants]
            await offer_retry(interaction, error, JoinForm(self, max_partners), typed)

    async def save_profile(
        self,
        interaction: discord.Interaction[NexusBot],
        timezone: str | None,
        availability: str | None,
        offers: str | None,
        wants: str | None,
        max_partners: int | None,
    ) -> None:
        guild = self.guild_of(interaction)
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        joined = await self.service.join(
            GuildDirectory(guild, settings),
            settings.cohort_start,
            interaction.user.id,
            timezone=timezone,
            availability=availability,
            offers=offers,
            wants=wants,
            max_partners=max_partners,
        )
        profile, me = joined.profile, joined.me
        if joined.capacity_changed:
            await self.pairing_changed(guild, (profile.user_id,))
        embed = self.profile_embed(profile, self.bot.clock.now(), title="You're in partner matching")
        hint = ""
        if joined.defaulted:
            hint = f"\nI assumed `{pairing.DEFAULT_AVAILABILITY}`; set yours with `availability:`."
        if joined.zone_note:
            hint += f"\n{joined.zone_note}"
        embed.description = f"{me.project_label} · {me.track}. Next: `/match suggest` shows your best partners.{hint}"
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="leave", description="Opt out of partner matching (your current pairs stay)")
    @app_commands.guild_only()
    async def leave(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Stop being suggested and matched; pending requests are withdrawn."""
        guild = self.guild_of(interaction)
        now = self.bot.clock.now()
        left = await self.service.leave(guild.id, interaction.user.id)
        cancelled, kept = left.cancelled, left.pairs_kept
        for request in cancelled:
            await self.edit_request_message(request, "This partner request was withdrawn: one of you left matching.")
        pairs = f" Your {kept} current pairing(s) stay; `/match unpair` ends one." if kept else ""
        withdrawn = f" {len(cancelled)} pending request(s) were withdrawn." if cancelled else ""
        if any(r.requester_id == interaction.user.id for r in cancelled):
            again = request_limits.when(now + request_limits.REASK_COOLDOWN)
            withdrawn += f" Asking the same learners again waits until {again}."
        await interaction.response.send_message(
            f"You left partner matching: nobody will be suggested to you or matched with you.{withdrawn}{pairs} "
            "`/match join` brings you back.",
            ephemeral=True,
        )

    @app_commands.command(name="pause", description="Pause matching until a date (you keep your profile)")
    @app_commands.describe(until="First day you want to be matched again, YYYY-MM-DD (in your time zone)")
    @app_commands.autocomplete(until=MatchingBase.pause_autocomplete)
    @app_commands.guild_only()
    async def pause(self, interaction: discord.Interaction[NexusBot], until: app_commands.Range[str, 8, 40]) -> None:
        """Not suggested and not matched in rounds until the date; it ends by itself."""
        guild = self.guild_of(interaction)
        resume = await self.service.pause(guild.id, interaction.user.id, until)
        await interaction.response.send_message(
            f"Matching paused until {timestamp(resume.timestamp(), 'F')} ({timestamp(resume.timestamp(), 'R')}): "
            "you won't be suggested or matched in rounds until then. `/match join` resumes it now.",
            ephemeral=True,
        )

    # --- /match suggest -----------------------------------------------------------------------

    @app_commands.command(name="suggest", description="Your 5 best partner candidates, with reasons")
    @app_commands.guild_only()
    async def suggest(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Candidates on the other track of your project, scored on free time, skills, stack and time zone."""
        guild = self.guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        now = self.bot.clock.now()
        found = await self.service.suggestions(
            GuildDirectory(guild, settings), settings.cohort_start, interaction.user.id, SUGGESTIONS
        )
        me = found.me
        if not found.found:
            await interaction.edit_original_response(content=self.no_candidates_text(me, found.others))
            return
        embed = nexus_embed(
            f"Best partners for you — {clip(esc(me.project_label), 100)}",
            f"Scores are out of 100: shared free time, skills each way, API style, time-zone distance. "
            f"Press a button to send a request (it expires after {pairing.REQUEST_TTL.days * 24} h).",
        )
        week = pairing.week_of(now)
        my_zone = validate_timezone(me.learner.tz_name)
        buttons: list[discord.ui.Item[Any]] = []
        for n, (them, breakdown) in enumerate(found.found, 1):
            learner = them.learner
            shared = format_windows(intersect(me.learner.windows, learner.windows), my_zone, week)
            value = (
                f"{esc(pairing.reasons_text(breakdown))}\n"
                f"Their time now: {pairing.local_time(learner.tz_name, now)}\n"
                f"Shared free time (your time): {shared}"
            )
            embed.add_field(
                name=clip(f"{n}. {esc(learner.name)} · {breakdown.score}/100", 256),
                value=clip(value, EMBED_FIELD_VALUE_MAX),
                inline=False,
            )
            buttons.append(AskButton(learner.user_id, f"Request {learner.name}"))
        if me.profile is None:
            embed.set_footer(text="You haven't opted in: run /match join so others find you too.")
        await interaction.edit_original_response(embed=embed, view=inert_view(*buttons))
