"""/match: find a partner on the other track who builds the same project, and staff matching rounds."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import is_staff, staff_only
from bot.app.ui import (
    EMBED_FIELD_VALUE_MAX,
    SUCCESS,
    WARNING,
    NexusModal,
    OwnedView,
    SafeCallback,
    clip,
    clip_lines,
    nexus_embed,
    offer_retry,
    reply_late,
    timestamp,
)
from bot.errors import BotMissingPermissions, Conflict, Forbidden, InvalidInput, NotConfigured, NotFound, UserError
from bot.scheduler import JobSteps, nonce_for
from bot.services import pairing, request_limits
from bot.services.availability import (
    SYNTAX_HELP,
    format_windows,
    intersect,
    overlap_minutes,
    parse_availability,
    to_json,
    validate_timezone,
)
from bot.services.cohort import NOT_SET_UP
from bot.services.matching import (
    ScoreBreakdown,
    Unmatched,
    UnmatchedCode,
    score_pair,
    suggest,
)
from bot.services.matching.service import MatchingService, Someone
from bot.services.projects import resolve_project
from bot.services.skills import parse_skills, skill_suggestions
from bot.services.text import user_text
from bot.services.tracks import TRACK_NAMES
from bot.services.zones import resolve_timezone
from cogs._shared import GuildDirectory, inert_view, timezone_autocomplete
from db.stores.announcements import Announcement
from db.stores.catalog import CatalogProject
from db.stores.guild_settings import GuildSettings
from db.stores.jobs import Job
from db.stores.matching import (
    MatchProfile,
    MatchRequest,
    MatchRound,
    NewPair,
    NewProfile,
    Pair,
    RoundJobs,
)

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)
T = TypeVar("T")


EXPIRE_JOB = "match_request_expire"
# A real round's side effects, committed with its pairs and run as resumable jobs (see `run_round_*`).
ROUND_JOBS = RoundJobs(
    pair="match_round_pair", unmatched="match_round_unmatched", moot="match_request_moot", summary="match_round_summary"
)
# Autocomplete value of a pair (staff ending someone else's pairing with /match unpair member:).
STAFF_PAIR_PREFIX = "pair:"
SLOT_TAKEN = Unmatched(UnmatchedCode.SLOT_TAKEN)
ASK_TEMPLATE = r"nexus:match:ask:(?P<user>[0-9]{1,20})"
ANSWER_TEMPLATE = r"nexus:match:(?P<action>accept|decline|block):(?P<id>[0-9]{1,20})"
ANSWER_LABELS = {"accept": "Accept", "decline": "Decline", "block": "Block"}
ANSWER_STYLES = {
    "accept": discord.ButtonStyle.success,
    "decline": discord.ButtonStyle.secondary,
    "block": discord.ButtonStyle.danger,
}
# How long the Confirm/Cancel of /match unpair stays pressable.
CONFIRM_TIMEOUT = 120.0
SUGGESTIONS = 5
BUTTON_LABEL_MAX = 80
THREAD_NAME_MAX = 100
# Threads and DMs of a round go out a few at a time: fast, yet well inside Discord's rate limits.
ROUND_CONCURRENCY = 4
THREAD_PERMISSIONS = {
    "create_private_threads": "Create Private Threads",
    "send_messages_in_threads": "Send Messages in Threads",
}


def matching_cog(interaction: discord.Interaction[Any]) -> MatchingCog:
    cog = interaction.client.get_cog("Matching")
    if not isinstance(cog, MatchingCog):
        raise NotConfigured("Partner matching is not available right now; try again in a minute.")
    return cog


def esc(text: str) -> str:
    """Member-typed text (names, titles, reasons) as shown in content and embeds: markdown and mentions inert."""
    return user_text(text)


# --- persistent buttons ---------------------------------------------------------------------------


class AskButton(SafeCallback, discord.ui.DynamicItem[discord.ui.Button[Any]], template=ASK_TEMPLATE):
    """Request on a /match suggest result: whoever presses it asks that learner (only they see the list)."""

    def __init__(self, user_id: int, label: str = "Request") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, BUTTON_LABEL_MAX),
                style=discord.ButtonStyle.primary,
                emoji="🤝",
                custom_id=f"nexus:match:ask:{user_id}",
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> AskButton:
        return cls(int(match["user"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await matching_cog(interaction).send_request(interaction, self.user_id, source="suggest")


class AnswerButton(SafeCallback, discord.ui.DynamicItem[discord.ui.Button[Any]], template=ANSWER_TEMPLATE):
    """Accept / Decline / Block on a partner request; only the addressee may press (checked on press)."""

    def __init__(self, action: str, request_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=ANSWER_LABELS[action],
                style=ANSWER_STYLES[action],
                custom_id=f"nexus:match:{action}:{request_id}",
            )
        )
        self.action = action
        self.request_id = request_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> AnswerButton:
        return cls(match["action"], int(match["id"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        cog = matching_cog(interaction)
        if self.action == "accept":
            await cog.accept(interaction, self.request_id)
        elif self.action == "block":
            await cog.block(interaction, self.request_id)
        else:
            await cog.decline(interaction, self.request_id)


def answer_view(request_id: int) -> discord.ui.View:
    view = inert_view(*(AnswerButton(action, request_id) for action in ANSWER_LABELS))
    assert view is not None
    return view


class UnpairConfirm(OwnedView):
    """Confirm / Cancel before a pairing ends; only the learner who ran /match unpair may press."""

    def __init__(self, cog: MatchingCog, owner_id: int, pair: Pair, reason: str) -> None:
        super().__init__(owner_id, timeout=CONFIRM_TIMEOUT)
        self.cog = cog
        self.pair = pair
        self.reason = reason

    @discord.ui.button(label="End the pairing", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await self.cog.end_pairing(interaction, self.pair, self.reason)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        guild = self.cog.guild_of(interaction, self.pair.guild_id)
        partner = esc(self.cog.name_of(guild, self.pair.partner_of(self.owner_id)))
        await interaction.response.edit_message(
            content=f"Nothing changed: you and {partner} are still partners.", embed=None, view=None
        )


# --- what the cog knows about a learner -----------------------------------------------------------


def collect(problems: list[str], check: Callable[[], T]) -> T | None:
    """Run one input check; its InvalidInput text joins `problems` so every mistake is told at once."""
    try:
        return check()
    except InvalidInput as error:
        problems.append(str(error))
        return None


class JoinForm(NexusModal):
    """/match join's text options as a form, for "Edit and retry" after a typo (empty: keep what is saved)."""

    def __init__(self, cog: MatchingCog, max_partners: int | None) -> None:
        super().__init__(title="Partner matching profile", timeout=1800)
        self.cog = cog
        self.max_partners = max_partners
        self.timezone: discord.ui.TextInput[JoinForm] = discord.ui.TextInput(
            label="Time zone", placeholder="Africa/Lagos, UTC+1 or WAT", max_length=64, required=False
        )
        self.availability: discord.ui.TextInput[JoinForm] = discord.ui.TextInput(
            label="Availability (your time)", placeholder="weekdays 18-22, sat 10am-2pm", max_length=500, required=False
        )
        self.offers: discord.ui.TextInput[JoinForm] = discord.ui.TextInput(
            label="Offers (skills, comma-separated)", placeholder="django, postgres", max_length=300, required=False
        )
        self.wants: discord.ui.TextInput[JoinForm] = discord.ui.TextInput(
            label="Wants (skills, comma-separated)", placeholder="react, css", max_length=300, required=False
        )
        for item in (self.timezone, self.availability, self.offers, self.wants):
            self.add_item(item)

    def fresh(self) -> JoinForm:
        return JoinForm(self.cog, self.max_partners)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        def given(value: str) -> str | None:
            return value if value.strip() else None

        await self.cog.save_profile(
            interaction,
            given(self.timezone.value),
            given(self.availability.value),
            given(self.offers.value),
            given(self.wants.value),
            self.max_partners,
        )


class MatchingCog(
    commands.GroupCog,
    name="Matching",
    group_name="match",
    group_description="Find a partner on the other track who builds the same project",
):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.service: MatchingService = bot.services.matching
        self.store = self.service.store
        self._threads_recovered = False
        # Pairs this process committed and is still opening a thread for: recovery leaves them alone.
        self._opening: set[int] = set()
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AskButton, AnswerButton)
        self.bot.scheduler.register(EXPIRE_JOB, self.run_expire)
        self.bot.scheduler.register(ROUND_JOBS.pair, self.run_round_pair, resumable=True)
        self.bot.scheduler.register(ROUND_JOBS.unmatched, self.run_round_unmatched, resumable=True)
        self.bot.scheduler.register(ROUND_JOBS.moot, self.run_request_moot, resumable=True)
        self.bot.scheduler.register(ROUND_JOBS.summary, self.run_round_summary, resumable=True)
        # A round cut short by a crash would otherwise block every later round (one running per guild).
        stale = await self.store.fail_stale_rounds(self.bot.clock.now())
        if stale:
            log.warning("Marked %d interrupted matching round(s) as failed", stale)

    # --- shared helpers -----------------------------------------------------------------------

    async def settings_for(self, guild: discord.Guild) -> GuildSettings:
        settings = await self.bot.services.cohort.settings(guild.id)
        if settings is None or settings.channel_id is None or settings.cohort_start is None:
            raise NotConfigured(NOT_SET_UP)
        return settings

    def guild_of(self, interaction: discord.Interaction[Any], guild_id: int | None = None) -> discord.Guild:
        guild = interaction.guild or (self.bot.get_guild(guild_id) if guild_id else None)
        if guild is None:
            raise NotFound("I'm no longer in that server, so this can't be done.")
        return guild

    def name_of(self, guild: discord.Guild, user_id: int, fallback: str = "") -> str:
        member = guild.get_member(user_id)
        if member is not None:
            return member.display_name
        return fallback or f"<@{user_id}>"

    async def catalog_by_key(self) -> dict[str, CatalogProject]:
        return await self.bot.services.catalog.by_key()

    async def someone(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        user_id: int,
        now: datetime,
        catalog: dict[str, CatalogProject] | None = None,
        *,
        me: bool,
    ) -> Someone:
        """The learner's announcement and profile; without an announcement, a clear error."""
        assert settings.cohort_start is not None
        directory = GuildDirectory(guild, settings)
        return await self.service.someone(directory, settings.cohort_start, user_id, now, catalog, me=me)

    async def candidates(
        self, guild: discord.Guild, settings: GuildSettings, now: datetime, project_key: str, track: str
    ) -> list[Someone]:
        """The pool for suggestions: one project and track, cached briefly."""
        assert settings.cohort_start is not None
        directory = GuildDirectory(guild, settings)
        return await self.service.candidates(directory, settings.cohort_start, now, project_key, track)

    def forget_pools(self) -> None:
        self.service.forget_pools()

    async def pairing_changed(self, guild: discord.Guild, user_ids: Iterable[int]) -> None:
        """Call after pairs are made or ended (accept, rounds, unpair) or capacity changes (/match join).

        Every place that shows whether these learners look for a partner follows their free slots: the
        suggestion pools here, and (through the `nexus_pairing_changed` event, in the background) their
        announcement posts; /project board and list count from the database directly.
        """
        self.forget_pools()
        self.bot.dispatch("nexus_pairing_changed", guild.id, tuple(sorted(set(user_ids))))

    async def edit_request_message(self, request: MatchRequest, content: str) -> None:
        """Replace the Accept/Decline message's buttons with the outcome (the message may be gone)."""
        if request.channel_id is None or request.message_id is None:
            return
        message = self.bot.get_partial_messageable(request.channel_id).get_partial_message(request.message_id)
        try:
            await message.edit(content=content, embed=None, view=None)
        except discord.HTTPException as exc:
            log.info("Could not update request %s's message: %s", request.id, exc)

    async def dm(
        self, user_id: int, content: str, embed: discord.Embed | None = None, *, nonce: str | None = None
    ) -> bool:
        """A best-effort DM; False when the learner's DMs are closed or they are unknown. With a `nonce`, a
        repeat (a job resumed after a kill) returns the first message instead of sending a second."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            extra: dict[str, Any] = {} if nonce is None else {"nonce": nonce}
            if embed is not None:
                extra["embed"] = embed
            await user.send(content=clip(content, 2000), **extra)
            return True
        except discord.HTTPException as exc:
            log.info("Could not DM %s: %s", user_id, exc)
            return False

    # --- autocomplete -------------------------------------------------------------------------

    async def skills_autocomplete(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=clip(v, 100), value=v) for v in skill_suggestions(current, 25)]

    async def pause_autocomplete(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        zone = "UTC"
        if interaction.guild is not None:
            profile = await self.store.get_profile(interaction.guild.id, interaction.user.id)
            zone = profile.timezone if profile else zone
        options = pairing.pause_choices(zone, self.bot.clock.now())
        typed = current.strip()
        return [app_commands.Choice(name=n, value=v) for n, v in options if not typed or v.startswith(typed)][:25]

    async def partner_autocomplete(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        guild = interaction.guild
        pairs = await self.store.active_pairs_of(guild.id, interaction.user.id)
        out = []
        for pair in pairs:
            partner = pair.partner_of(interaction.user.id)
            name = self.name_of(guild, partner, str(partner))
            if current.lower() in name.lower():
                out.append(app_commands.Choice(name=clip(name, 100), value=str(partner)))
        if len(out) < 25 and await is_staff(interaction):
            # Staff may end anyone's pairing: every active pair of the server, by either partner's name.
            for pair in await self.store.active_pairs(guild.id):
                if interaction.user.id in pair.members:
                    continue
                label = self.pair_label(guild, pair)
                if current.lower() in label.lower():
                    out.append(app_commands.Choice(name=clip(label, 100), value=f"{STAFF_PAIR_PREFIX}{pair.id}"))
        return out[:25]

    def pair_label(self, guild: discord.Guild, pair: Pair) -> str:
        return f"{self.name_of(guild, pair.backend_id)} & {self.name_of(guild, pair.frontend_id)} (pair {pair.id})"

    async def project_autocomplete(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.lower().strip()
        return [
            app_commands.Choice(name=clip(p.name, 100), value=p.key)
            for p in await self.bot.services.catalog.active()
            if typed in p.name.lower() or typed in p.key
        ][:25]

    # --- /match join, leave, pause ------------------------------------------------------------

    @app_commands.command(name="join", description="Opt in to partner matching (run again to change your profile)")
    @app_commands.describe(
        timezone="Your time zone: Africa/Lagos, UTC+1 or WAT (default: from your announcement)",
        availability="When you are free each week, local time, e.g. `weekdays 18-22, sat 10am-2pm`",
        offers="Skills you can help with, comma-separated (e.g. django, postgres)",
        wants="Skills you want a partner to bring, comma-separated (e.g. react, typescript)",
        max_partners="How many partners you can take (1–5; useful when tracks are unbalanced)",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete, offers=skills_autocomplete, wants=skills_autocomplete)
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
        # Pure validation first, every option at once: mistakes are answered before anything is stored.
        now = self.bot.clock.now()
        problems: list[str] = []
        zone_choice = collect(problems, lambda: resolve_timezone(timezone, now)) if timezone else None
        zone = zone_choice.key if zone_choice else None
        offered = collect(problems, lambda: parse_skills(offers)) if offers is not None else None
        wanted = collect(problems, lambda: parse_skills(wants)) if wants is not None else None
        if availability:
            syntax_zone = zone_choice.zone if zone_choice else ZoneInfo("UTC")
            collect(problems, lambda: parse_availability(availability, syntax_zone, pairing.week_of(now)))
        if problems:
            raise InvalidInput("\n".join(problems))
        settings = await self.settings_for(guild)
        me = await self.someone(guild, settings, interaction.user.id, now, me=True)
        base = me.profile or pairing.default_profile(guild.id, me.user_id, me.announcement, now)
        zone = zone or base.timezone
        text = " ".join(availability.split()) if availability else base.availability_text
        windows = parse_availability(text, validate_timezone(zone), pairing.week_of(now))
        if not windows:
            raise InvalidInput(f"Those windows add up to no time at all. {SYNTAX_HELP}")
        changes: dict[str, Any] = {"timezone": zone, "availability_text": text, "availability": to_json(windows)}
        if offered is not None:
            changes["offers"] = tuple(sorted(offered))
        if wanted is not None:
            changes["wants"] = tuple(sorted(wanted))
        if max_partners is not None:
            changes["max_partners"] = max_partners
        new = NewProfile(
            guild.id,
            me.user_id,
            zone,
            text,
            to_json(windows),
            tuple(sorted(offered or ())),
            tuple(sorted(wanted or ())),
            max_partners or 1,
        )
        self.forget_pools()
        profile = await self.store.join(new, now, **changes)
        if max_partners is not None:
            await self.pairing_changed(guild, (profile.user_id,))
        embed = self.profile_embed(profile, now, title="You're in partner matching")
        defaulted = not availability and profile.availability_text == pairing.DEFAULT_AVAILABILITY
        hint = f"\nI assumed `{pairing.DEFAULT_AVAILABILITY}`; set yours with `availability:`." if defaulted else ""
        if zone_choice is not None and zone_choice.note:
            hint += f"\n{zone_choice.note}"
        embed.description = f"{me.project_label} · {me.track}. Next: `/match suggest` shows your best partners.{hint}"
        await interaction.response.send_message(embed=embed, ephemeral=True)

    def profile_embed(self, profile: MatchProfile, now: datetime, *, title: str) -> discord.Embed:
        """The stored profile as the learner reads it (windows from the profile just saved, not a stale copy)."""
        embed = nexus_embed(title, colour=SUCCESS)
        zone = validate_timezone(profile.timezone)
        windows = pairing.windows_for(profile.timezone, profile.availability_text, profile.availability_json, now)
        embed.add_field(name="Time zone", value=pairing.local_time(profile.timezone, now), inline=False)
        embed.add_field(
            name="Free each week (your time)",
            value=clip(format_windows(windows, zone, pairing.week_of(now)), EMBED_FIELD_VALUE_MAX),
            inline=False,
        )
        embed.add_field(name="Offers", value=", ".join(profile.offers) or "—")
        embed.add_field(name="Wants", value=", ".join(profile.wants) or "—")
        embed.add_field(name="Partners", value=f"{profile.active_pairs} of {profile.max_partners}")
        return embed

    @app_commands.command(name="leave", description="Opt out of partner matching (your current pairs stay)")
    @app_commands.guild_only()
    async def leave(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Stop being suggested and matched; pending requests are withdrawn."""
        guild = self.guild_of(interaction)
        now = self.bot.clock.now()
        self.forget_pools()
        cancelled = await self.store.leave(guild.id, interaction.user.id, now)
        for request in cancelled:
            await self.edit_request_message(request, "This partner request was withdrawn: one of you left matching.")
        kept = len(await self.store.active_pairs_of(guild.id, interaction.user.id))
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
    @app_commands.autocomplete(until=pause_autocomplete)
    @app_commands.guild_only()
    async def pause(self, interaction: discord.Interaction[NexusBot], until: app_commands.Range[str, 8, 40]) -> None:
        """Not suggested and not matched in rounds until the date; it ends by itself."""
        guild = self.guild_of(interaction)
        now = self.bot.clock.now()
        profile = await self.store.get_profile(guild.id, interaction.user.id)
        if profile is None or profile.status == "left":
            raise NotFound("You are not opted in to partner matching; `/match join` opts you in.")
        resume = pairing.parse_pause_until(until.split(" ")[0], profile.timezone, now)
        self.forget_pools()
        await self.store.pause(guild.id, interaction.user.id, resume, now)
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
        now = self.bot.clock.now()
        me = await self.someone(guild, settings, interaction.user.id, now, me=True)
        if me.profile is not None and me.profile.status == "left":
            raise Conflict("You left partner matching; `/match join` opts you in again.")
        pairing.ensure_capacity(me.profile, "You")
        # Only the other track of your project can partner you: don't build everyone else's profile.
        other_track = "frontend" if me.announcement.track == "backend" else "backend"
        others = await self.candidates(guild, settings, now, me.announcement.project_key, other_track)
        blocked = await self.service.excluded_pairs(guild.id, now, me.user_id)
        found = suggest(me.learner, [o.learner for o in others], blocked, SUGGESTIONS, now=now)
        if not found:
            await interaction.edit_original_response(content=self.no_candidates_text(me, others))
            return
        embed = nexus_embed(
            f"Best partners for you — {clip(esc(me.project_label), 100)}",
            f"Scores are out of 100: shared free time, skills each way, API style, time-zone distance. "
            f"Press a button to send a request (it expires after {pairing.REQUEST_TTL.days * 24} h).",
        )
        week = pairing.week_of(now)
        my_zone = validate_timezone(me.learner.tz_name)
        buttons: list[discord.ui.Item[Any]] = []
        for n, (learner, breakdown) in enumerate(found, 1):
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

    @staticmethod
    def no_candidates_text(me: Someone, others: list[Someone]) -> str:
        opposite = "Frontend" if me.announcement.track == "backend" else "Backend"
        same_project = [
            o for o in others if o.learner.project == me.learner.project and o.learner.track != me.learner.track
        ]
        if not same_project:
            why = f"no {opposite} learner on {esc(me.project_label)} is opted in and looking right now"
        else:
            why = (
                f"none of the {len(same_project)} {opposite} learner(s) on {esc(me.project_label)} "
                "shares ≥ 1 h/week with you"
            )
        return (
            f"No candidates yet: {why}. Widen your availability with `/match join availability:`, "
            "ask someone directly with `/match request`, or check again later — staff also run matching rounds."
        )

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

    def request_embed(self, me: Someone, them: Someone, request: MatchRequest, now: datetime) -> discord.Embed:
        """What the addressee (`them`) reads: who asks, why they fit, and until when to answer."""
        breakdown = score_pair(me.learner, them.learner, viewer=them.learner, now=now)
        expires = request.expires_at.timestamp()
        embed = nexus_embed(
            clip(f"🤝 {esc(me.name)} would like to be your partner", 256),
            f"<@{me.user_id}> ({me.track}) builds **{esc(me.announcement.title)}** — {esc(me.project_label)}.\n"
            f"Answer by {timestamp(expires, 'f')} ({timestamp(expires, 'R')}); after that the request expires.",
        )
        shared = format_windows(
            intersect(me.learner.windows, them.learner.windows),
            validate_timezone(them.learner.tz_name),
            pairing.week_of(now),
        )
        embed.add_field(
            name=f"Match score {breakdown.score}/100",
            value=clip(esc(pairing.reasons_text(breakdown)), 1024),
            inline=False,
        )
        embed.add_field(name="Their time now", value=pairing.local_time(me.learner.tz_name, now), inline=False)
        embed.add_field(name="Shared free time (your time)", value=clip(shared, 1024), inline=False)
        embed.set_footer(
            text=f"Only you can answer. After a decline they can ask again in {request_limits.REASK_COOLDOWN.days} "
            "days; Block stops their requests for good."
        )
        return embed

    async def deliver_request(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        request: MatchRequest,
        me: Someone,
        them: Someone,
        target: discord.Member,
        now: datetime,
    ) -> discord.Message:
        """DM the addressee; if their DMs are closed, post in the project channel mentioning only them."""
        embed = self.request_embed(me, them, request, now)
        try:
            return await target.send(embed=embed, view=answer_view(request.id))
        except discord.HTTPException as exc:
            log.info("Request %s: DM to %s failed (%s); using the channel", request.id, target.id, exc)
        channel = guild.get_channel(settings.channel_id or 0)
        try:
            if not isinstance(channel, discord.TextChannel):
                raise NotConfigured("The project channel is gone; staff need to run `/nexus setup` again.")
            return await channel.send(
                content=f"{target.mention}, you have a partner request (your DMs are closed, so it's here):",
                embed=embed,
                view=answer_view(request.id),
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[target], replied_user=False
                ),
            )
        except (discord.HTTPException, NotConfigured):
            await self.service.undeliverable(request.id)
            raise BotMissingPermissions(
                f"I couldn't reach {esc(them.name)}: their DMs are closed and I can't post in the project channel. "
                "Ask staff to check my permissions there, or message them yourself."
            ) from None

    async def accept(self, interaction: discord.Interaction[Any], request_id: int) -> None:
        request = await self.store.get_request(request_id)
        if request is None:
            raise NotFound("This request no longer exists.")
        if interaction.user.id != request.addressee_id:
            raise Forbidden("Only the learner who was asked can answer this request.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = self.guild_of(interaction, request.guild_id)
        now = self.bot.clock.now()
        if request.status == "pending" and request.expires_at <= now:
            await self.expire(request, now)
        settings = await self.settings_for(guild)
        catalog = await self.catalog_by_key()
        them = await self.someone(guild, settings, request.requester_id, now, catalog, me=False)
        me = await self.someone(guild, settings, request.addressee_id, now, catalog, me=True)
        problem = pairing.request_problem(
            me.announcement, them.announcement, me.is_custom, them.is_custom, esc(them.name)
        )
        if problem:
            raise InvalidInput(problem)
        backend, frontend = (me, them) if me.announcement.track == "backend" else (them, me)
        breakdown = score_pair(backend.learner, frontend.learner, now=now)
        defaults = [
            pairing.default_profile(guild.id, s.user_id, s.announcement, now) for s in (me, them) if s.profile is None
        ]
        self.forget_pools()
        pair = await self.store.accept_request(
            request.id,
            me.user_id,
            NewPair(
                guild.id,
                backend.user_id,
                frontend.user_id,
                backend.announcement.project_key,
                breakdown.score,
                pairing.reasons_text(breakdown),
            ),
            now,
            default_profiles=defaults,
            names={s.user_id: esc(s.name) for s in (me, them)},
        )
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
        request = await self.store.get_request(request_id)
        if request is None:
            raise NotFound("This request no longer exists.")
        if interaction.user.id != request.addressee_id:
            raise Forbidden("Only the learner who was asked can answer this request.")
        now = self.bot.clock.now()
        if request.status == "pending" and request.expires_at <= now:
            await self.expire(request, now)
        self.forget_pools()
        await self.store.decline_request(request.id, request.addressee_id, now)
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
        request = await self.store.get_request(request_id)
        if request is None:
            raise NotFound("This request no longer exists.")
        if interaction.user.id != request.addressee_id:
            raise Forbidden("Only the learner who was asked can block their requests.")
        now = self.bot.clock.now()
        if request.status == "pending" and request.expires_at <= now:
            await self.expire(request, now)
        self.forget_pools()
        request, was_pending = await self.store.block_requester(request.id, request.addressee_id, now)
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
        if not await self.store.expire_request(request.id, now):
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
        request = await self.store.get_request(int(job.payload["request_id"]))
        if request is None or request.status != "pending":
            return
        await self.expire(request, self.bot.clock.now())

    # --- pair threads -------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Pairs committed just before a stop get their thread now, once per start.
        if self._threads_recovered:
            return
        self._threads_recovered = True
        now = self.bot.clock.now()
        for pair in await self.store.pairs_without_thread():
            if pair.id in self._opening:
                continue
            guild = self.bot.get_guild(pair.guild_id)
            settings = await self.bot.services.cohort.settings(pair.guild_id)
            if guild is None or settings is None:
                continue
            try:
                backend = await self.someone(guild, settings, pair.backend_id, now, me=False)
                frontend = await self.someone(guild, settings, pair.frontend_id, now, me=False)
                breakdown = score_pair(backend.learner, frontend.learner, now=now)
                await self.open_thread(guild, settings, pair, backend, frontend, breakdown, now)
                log.info("Opened the thread of pair %s, cut short by a stop", pair.id)
            except (discord.HTTPException, UserError) as exc:
                log.warning("Could not open the thread of pair %s: %s", pair.id, exc)

    async def open_thread(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        pair: Pair,
        backend: Someone,
        frontend: Someone,
        breakdown: ScoreBreakdown,
        now: datetime,
    ) -> discord.Thread | None:
        try:
            return await self._open_thread(guild, settings, pair, backend, frontend, breakdown, now)
        finally:
            self._opening.discard(pair.id)

    async def _open_thread(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        pair: Pair,
        backend: Someone,
        frontend: Someone,
        breakdown: ScoreBreakdown,
        now: datetime,
    ) -> discord.Thread | None:
        """The pair's private thread with the intro; on a missing permission staff are told which one."""
        channel = guild.get_channel(settings.channel_id or 0)
        if not isinstance(channel, discord.TextChannel):
            await self.tell_staff(guild, settings, "the project channel configured with `/nexus setup` is gone")
            return None
        name = clip(f"{backend.project_label} · {backend.name} & {frontend.name}", THREAD_NAME_MAX)
        # A kill between creating the thread and recording it left it open: adopt it rather than open another.
        adopt = (
            next((t for t in channel.threads if t.name == name and t.owner_id == self.bot.user.id), None)
            if self.bot.user and pair.thread_id is None
            else None
        )
        try:
            if pair.thread_id is not None:
                thread = guild.get_thread(pair.thread_id) or await guild.fetch_channel(pair.thread_id)
                if not isinstance(thread, discord.Thread):
                    return None
            elif adopt is not None and not adopt.archived and not await self.store.thread_taken(adopt.id):
                thread = adopt
            else:
                thread = await channel.create_thread(
                    name=name, type=discord.ChannelType.private_thread, invitable=False, auto_archive_duration=10080
                )
        except discord.HTTPException as exc:
            # The pair is already committed: a thread failure must not turn into an error for the learner.
            perms = channel.permissions_for(guild.me)
            missing = [label for attr, label in THREAD_PERMISSIONS.items() if not getattr(perms, attr)]
            if missing or isinstance(exc, discord.Forbidden):
                need = ", ".join(missing) or "Create Private Threads"
                problem = f"I need the {need} permission in {channel.mention} to open pair threads"
            else:
                problem = f"Discord refused to open a pair thread in {channel.mention} (HTTP {exc.status})"
            await self.tell_staff(guild, settings, problem)
            return None
        if pair.thread_id != thread.id:
            await self.store.set_thread(pair.id, thread.id)
        try:
            for user_id in pair.members:
                await thread.add_user(discord.Object(user_id))
            embed = nexus_embed(f"Partners: {esc(backend.name)} & {esc(frontend.name)}", colour=SUCCESS)
            for heading, text in pairing.intro_lines(backend.context(), frontend.context(), breakdown, now):
                embed.add_field(name=clip(heading, 256), value=clip(text, EMBED_FIELD_VALUE_MAX), inline=False)
            await thread.send(
                content=f"<@{backend.user_id}> <@{frontend.user_id}> — you're partners! Say hi 👋",
                embed=embed,
                nonce=nonce_for("pair-intro", pair.id),
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(u) for u in pair.members], replied_user=False
                ),
            )
        except discord.HTTPException as exc:
            log.warning("Pair %s: thread %s set-up failed: %s", pair.id, thread.id, exc)
            await self.tell_staff(guild, settings, f"I opened {thread.mention} but couldn't add both partners ({exc})")
        return thread

    async def tell_staff(self, guild: discord.Guild, settings: GuildSettings, problem: str) -> None:
        """Staff read about set-up problems in the review channel (or, without one, the project channel)."""
        text = f"⚠️ Partner matching: {problem}. The pair exists and both learners were told; please fix this."
        for channel_id in (settings.review_channel_id, settings.channel_id):
            channel = guild.get_channel(channel_id or 0)
            if isinstance(channel, discord.TextChannel):
                try:
                    await channel.send(clip(text, 2000))
                    return
                except discord.HTTPException:
                    continue
        log.warning("Guild %s: %s (and no channel to tell staff)", guild.id, problem)

    # --- /match status, unpair ----------------------------------------------------------------

    @app_commands.command(name="status", description="Your matching profile, partners and open requests")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Where you stand: opted in or not, your partners and their threads, requests waiting."""
        guild = self.guild_of(interaction)
        settings = await self.settings_for(guild)
        now = self.bot.clock.now()
        me = await self.someone(guild, settings, interaction.user.id, now, me=True)
        profile = me.profile
        if profile is None:
            state = "Not opted in — `/match join` opts you in."
        elif profile.status == "left":
            state = "You left matching — `/match join` brings you back."
        elif profile.is_paused(now) and profile.paused_until is not None:
            state = f"Paused until {timestamp(profile.paused_until.timestamp(), 'F')}."
        else:
            state = "Opted in and looking." if profile.free_slots else "Opted in; all your partner slots are taken."
        if profile is not None:
            embed = self.profile_embed(profile, now, title="Your partner matching")
        else:
            embed = nexus_embed("Your partner matching")
        embed.description = f"{esc(me.project_label)} · {me.track}. {state}"
        pairs = await self.store.active_pairs_of(guild.id, me.user_id)
        lines = []
        for pair in pairs:
            partner = pair.partner_of(me.user_id)
            where = f" · <#{pair.thread_id}>" if pair.thread_id else ""
            lines.append(f"<@{partner}> since {timestamp(pair.created_at.timestamp(), 'R')}{where}")
        embed.add_field(name="Current partners", value=clip("\n".join(lines) or "None yet.", 1024), inline=False)
        requests = await self.store.pending_for(guild.id, me.user_id)
        req_lines = [
            (f"from <@{r.requester_id}>" if r.addressee_id == me.user_id else f"to <@{r.addressee_id}>")
            + f", expires {timestamp(r.expires_at.timestamp(), 'R')}"
            for r in requests
        ]
        embed.add_field(name="Open requests", value=clip("\n".join(req_lines) or "None.", 1024), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="unpair", description="End a pairing; you are both freed and not re-suggested")
    @app_commands.describe(
        member="Which partner (if you have several); staff: any learner or pair, to end their pairing",
        reason="Why, in a few words (your partner sees it)",
    )
    @app_commands.autocomplete(member=partner_autocomplete)
    @app_commands.guild_only()
    async def unpair(
        self,
        interaction: discord.Interaction[NexusBot],
        member: app_commands.Range[str, 1, 100] | None = None,
        reason: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        """End a pairing (after you confirm): both of you can be matched again, never with each other."""
        guild = self.guild_of(interaction)
        me_id = interaction.user.id
        pairs = await self.store.active_pairs_of(guild.id, me_id)
        if member and self.partner_pair(guild, pairs, me_id, member) is None and await is_staff(interaction):
            await self.staff_unpair(interaction, guild, member, reason)
            return
        if not pairs and not member and await is_staff(interaction):
            raise NotFound(
                "You have no partner right now. As staff, name a learner (or pick a pair as you type) with `member:` "
                "to end their pairing."
            )
        pair = self.pick_pair(guild, pairs, me_id, member)
        why = " ".join(reason.split()) if reason else ""
        partner_name = esc(self.name_of(guild, pair.partner_of(me_id)))
        because = f"\nReason your partner will read: {clip(why, 300)}" if why else ""
        view = UnpairConfirm(self, me_id, pair, why)
        await interaction.response.send_message(
            f"End your pairing with {partner_name}? They'll be told, your thread is archived, and you won't be "
            f"suggested to each other again (staff can lift that).{because}",
            view=view,
            ephemeral=True,
        )
        view.message = await interaction.original_response()

    async def end_pairing(self, interaction: discord.Interaction[Any], pair: Pair, why: str) -> None:
        """Confirmed /match unpair: end the pair, tell the partner, close the thread."""
        guild = self.guild_of(interaction, pair.guild_id)
        me_id = interaction.user.id
        now = self.bot.clock.now()
        self.forget_pools()
        ended = await self.store.end_pair(pair.id, why or "no reason given", now)
        partner = ended.partner_of(me_id)
        me_name, partner_name = esc(self.name_of(guild, me_id)), esc(self.name_of(guild, partner))
        because = f" Reason: {esc(clip(why, 300))}" if why else ""
        await interaction.response.edit_message(
            content=f"You and {partner_name} are no longer partners; you won't be suggested to each other again. "
            "`/match suggest` shows new candidates.",
            embed=None,
            view=None,
        )
        await self.pairing_changed(guild, ended.members)
        await self.dm(
            partner,
            f"{me_name} ended your pairing.{because} You're free to be matched again: `/match suggest`.",
        )
        if ended.thread_id:
            thread = guild.get_thread(ended.thread_id)
            if thread is not None:
                try:
                    await thread.send(f"This pairing was ended by {me_name}.{because}")
                    await thread.edit(archived=True)
                except discord.HTTPException as exc:
                    log.info("Pair %s: could not close thread %s: %s", ended.id, ended.thread_id, exc)

    def partner_pair(self, guild: discord.Guild, pairs: list[Pair], me_id: int, member: str) -> Pair | None:
        """Your pair with the partner typed (id, mention or name), if they are one of yours."""
        typed = member.strip().lower()
        for pair in pairs:
            partner = pair.partner_of(me_id)
            if typed in (str(partner), f"<@{partner}>") or typed == self.name_of(guild, partner).lower():
                return pair
        return None

    def pick_pair(self, guild: discord.Guild, pairs: list[Pair], me_id: int, member: str | None) -> Pair:
        if not pairs:
            raise NotFound("You have no partner right now; `/match status` shows where you stand.")
        if member:
            found = self.partner_pair(guild, pairs, me_id, member)
            if found is not None:
                return found
            raise NotFound("That member isn't one of your partners; pick one from the list as you type.")
        if len(pairs) > 1:
            names = ", ".join(esc(self.name_of(guild, p.partner_of(me_id))) for p in pairs)
            raise InvalidInput(f"You have {len(pairs)} partners ({names}); say which with `member:`.")
        return pairs[0]

    # --- staff: /match unblock, /match run, /match stats ---------------------------------------

    @app_commands.command(name="unblock", description="Staff: let two learners request and be matched again")
    @app_commands.describe(
        member="One of the two learners",
        other="The other learner (who blocked, or was blocked by, the first, or was their partner)",
    )
    @app_commands.guild_only()
    @staff_only()
    async def unblock(
        self, interaction: discord.Interaction[NexusBot], member: discord.Member, other: discord.Member
    ) -> None:
        """Lift a Block, or the block an ended pairing leaves, between two learners."""
        guild = self.guild_of(interaction)
        if member.id == other.id:
            raise InvalidInput("Pick two different learners: `member` and `other` are the same person.")
        self.forget_pools()
        lifted = await self.store.unblock(guild.id, member.id, other.id)
        names = f"{esc(member.display_name)} and {esc(other.display_name)}"
        if lifted is None:
            raise NotFound(
                f"There's no block between {names}. A recent decline only delays a new request "
                f"({request_limits.REASK_COOLDOWN.days} days) and then lifts by itself."
            )
        what = "a Block" if lifted.reason == "blocked" else "the block of their ended pairing"
        await interaction.response.send_message(
            f"Lifted {what} between {names}: they can request each other and be matched again. "
            "(A decline in the last week still delays a new request until its cooldown ends.)",
            ephemeral=True,
        )

    async def staff_unpair(
        self, interaction: discord.Interaction[NexusBot], guild: discord.Guild, member: str, reason: str | None
    ) -> None:
        """Staff end a named learner's pairing (or a pair picked from the list): both partners are told."""
        pair = await self.staff_pick_pair(guild, member)
        now = self.bot.clock.now()
        why = " ".join(reason.split()) if reason else ""
        self.forget_pools()
        ended = await self.store.end_pair(pair.id, why or "ended by staff", now)
        await self.pairing_changed(guild, ended.members)
        staff_name = esc(self.name_of(guild, interaction.user.id))
        b_name, f_name = esc(self.name_of(guild, ended.backend_id)), esc(self.name_of(guild, ended.frontend_id))
        because = f" Reason: {esc(clip(why, 300))}" if why else ""
        await interaction.response.send_message(
            f"Ended the pairing of {b_name} and {f_name}; both were told by DM and won't be suggested to each "
            "other again. `/match stats` shows the pairs left.",
            ephemeral=True,
        )
        for uid in ended.members:
            partner = esc(self.name_of(guild, ended.partner_of(uid)))
            await self.dm(
                uid,
                f"Staff ({staff_name}) ended your pairing with {partner}.{because} "
                "You're free to be matched again: `/match suggest`.",
            )
        thread = guild.get_thread(ended.thread_id) if ended.thread_id else None
        if thread is not None:
            try:
                await thread.send(f"This pairing was ended by staff ({staff_name}).{because}")
                await thread.edit(archived=True)
            except discord.HTTPException as exc:
                log.info("Pair %s: could not close thread %s: %s", ended.id, ended.thread_id, exc)

    async def staff_pick_pair(self, guild: discord.Guild, member: str) -> Pair:
        typed = member.strip()
        if typed.startswith(STAFF_PAIR_PREFIX) and typed[len(STAFF_PAIR_PREFIX) :].isdigit():
            pair = await self.store.get_pair(int(typed[len(STAFF_PAIR_PREFIX) :]))
            if pair is None or pair.guild_id != guild.id or pair.status != "active":
                raise NotFound("That pairing has already ended; pick a pair from the list as you type `member:`.")
            return pair
        digits = typed.removeprefix("<@").removeprefix("!").removesuffix(">")
        found = guild.get_member(int(digits)) if digits.isdigit() else None
        if found is None:
            low = typed.lower().removeprefix("@")
            found = next(
                (m for m in guild.members if low in (m.display_name.lower(), m.name.lower()) and not m.bot), None
            )
        if found is None:
            raise NotFound(
                f"No member of this server is called `{clip(esc(typed), 50)}`; pick a learner or pair from the list "
                "as you type `member:`."
            )
        pairs = await self.store.active_pairs_of(guild.id, found.id)
        name = esc(found.display_name)
        if not pairs:
            raise NotFound(
                f"{name} has no partner right now, so there is no pairing to end; `/match stats` shows pairs."
            )
        if len(pairs) > 1:
            partners = ", ".join(esc(self.name_of(guild, p.partner_of(found.id))) for p in pairs)
            raise InvalidInput(
                f"{name} has {len(pairs)} partners ({partners}); pick the pair to end from the list as you type "
                f"`member:` (type {name}'s name)."
            )
        return pairs[0]

    # --- staff: /match run, /match stats ------------------------------------------------------

    @app_commands.command(name="run", description="Staff: pair all opted-in learners, maximising the total score")
    @app_commands.describe(
        project="Only this project (default: all projects)",
        dry_run="Show the result without creating pairs or telling anyone (default: no)",
    )
    @app_commands.autocomplete(project=project_autocomplete)
    @app_commands.guild_only()
    @staff_only()
    async def run(
        self,
        interaction: discord.Interaction[NexusBot],
        project: app_commands.Range[str, 1, 32] | None = None,
        dry_run: bool = False,
    ) -> None:
        """The best assignment under the hard rules and capacities; everyone is told the outcome."""
        guild = self.guild_of(interaction)
        settings = await self.settings_for(guild)
        catalog = await self.catalog_by_key()
        if project is not None and project not in catalog:
            # A name, a pasted `project:…` or a typo: the catalog rule answers with the nearest project.
            project = resolve_project(project, list(catalog.values())).key
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        round_ = await self.store.start_round(guild.id, project, interaction.user.id, dry_run, now)
        try:
            embed = await self.play_round(guild, settings, round_.id, project, dry_run, now)
        except BaseException as exc:
            # A no-op once the round committed (its jobs finish it); before that nothing was written.
            await self.store.finish_round(round_.id, "failed", {"error": type(exc).__name__}, self.bot.clock.now())
            raise
        # A big round can outlive the interaction token: then the staff member gets it by DM (or in the review
        # channel), never in the public channel.
        review = guild.get_channel(settings.review_channel_id or 0)
        await reply_late(
            interaction,
            [interaction.user, review if isinstance(review, discord.TextChannel) else None],
            note="Your `/match run` took longer than Discord keeps a reply open (15 minutes), so here is its result:",
            embed=embed,
        )

    async def play_round(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        round_id: int,
        project: str | None,
        dry_run: bool,
        now: datetime,
    ) -> discord.Embed:
        """Solve the round; a real one commits its pairs with their jobs (threads, DMs, summary) and runs them."""
        assert settings.cohort_start is not None
        plan = await self.service.plan_round(GuildDirectory(guild, settings), settings.cohort_start, project, now)
        pool, result, not_opted = plan.pool, plan.result, plan.not_opted_in
        by_id = {s.user_id: s for s in pool}
        project_of = {s.user_id: s.project_label for s in pool}
        extra: dict[str, Any] = {"dry_run": dry_run, "method": result.method, "not_opted_in": not_opted}
        if dry_run:
            summary = pairing.round_summary(result, project_of, len(pool))
            await self.store.finish_round(round_id, "done", summary.to_json() | extra, self.bot.clock.now())
            number = await self.store.next_round_number(guild.id)
            title = f"Matching round preview (next real round: #{number}) — dry run, nothing changed"
            return self.staff_round_embed(title, summary, by_id, result.pairs, not_opted, dry_run=True)
        new_pairs = []
        for backend_id, frontend_id, score in result.pairs:
            b, f = by_id[backend_id], by_id[frontend_id]
            reasons = pairing.reasons_text(score_pair(b.learner, f.learner, now=now))
            new_pairs.append(NewPair(guild.id, b.user_id, f.user_id, b.announcement.project_key, score, reasons))
        made_summary: list[pairing.RoundSummary] = []

        def summarize(made: list[Pair], skipped: list[NewPair]) -> tuple[dict[str, Any], dict[int, str]]:
            failed = [(p.backend_id, p.frontend_id, p.score or 0) for p in skipped]
            taken = {uid: SLOT_TAKEN for p in skipped for uid in (p.backend_id, p.frontend_id)}
            summary = pairing.round_summary(result, project_of, len(pool), taken, failed)
            made_summary.append(summary)
            return summary.to_json() | extra, summary.unmatched

        self.forget_pools()
        names = {s.user_id: esc(s.name) for s in pool}
        outcome = await self.store.commit_round(round_id, new_pairs, summarize, ROUND_JOBS, now, names)
        self.forget_pools()
        if outcome.pairs:
            # Posts and the board stop showing the new partners as looking (a stop is mended at start).
            await self.pairing_changed(guild, (uid for p in outcome.pairs for uid in p.members))
        for skipped in outcome.skipped:
            log.info(
                "Round %s: pair %s-%s skipped: a slot was taken", round_id, skipped.backend_id, skipped.frontend_id
            )
        # Done here for speed; a kill leaves the rest to the scheduler after the restart (each job runs once).
        await self.bot.scheduler.run_now(outcome.job_ids, concurrency=ROUND_CONCURRENCY)
        made = [(p.backend_id, p.frontend_id, p.score or 0) for p in outcome.pairs]
        embed = self.staff_round_embed(
            f"Matching round #{outcome.round.number}", made_summary[-1], by_id, made, not_opted, dry_run=False
        )
        if outcome.moot:
            embed.add_field(
                name="Requests closed",
                value=f"{len(outcome.moot)} pending partner request(s) this round made moot were closed; "
                "their requesters were told.",
                inline=False,
            )
        return embed

    def staff_round_embed(
        self,
        title: str,
        summary: pairing.RoundSummary,
        by_id: dict[int, Someone],
        pairs: Iterable[tuple[int, int, int]],
        not_opted: int,
        *,
        dry_run: bool,
    ) -> discord.Embed:
        """What staff read (privately): every pair and every unmatched learner with the reason."""
        embed = nexus_embed(
            title,
            f"{summary.total_pairs} pair(s) from {summary.pool} learner(s) looking; "
            f"average score {summary.average_score:.0f}/100.",
            colour=WARNING if dry_run else SUCCESS,
        )
        per = "\n".join(f"{esc(k)}: {v}" for k, v in summary.pairs_per_project.items()) or "none"
        embed.add_field(name="Pairs per project", value=clip(per, EMBED_FIELD_VALUE_MAX), inline=False)

        def name(uid: int) -> str:
            return esc(by_id[uid].name) if uid in by_id else f"<@{uid}>"

        lines = [f"{name(b)} & {name(f)} ({s})" for b, f, s in pairs]
        if lines:
            embed.add_field(
                name="Proposed pairs (score)" if dry_run else "Pairs made (score)",
                value=clip_lines(lines, EMBED_FIELD_VALUE_MAX, "" if dry_run else "`/nexus export what:pairs`"),
                inline=False,
            )
        left = [f"{name(uid)}: {esc(reason)}" for uid, reason in summary.unmatched.items()]
        embed.add_field(
            name=f"Left without a partner ({len(left)})",
            value=clip_lines(left, EMBED_FIELD_VALUE_MAX, "" if dry_run else "`/nexus export what:unmatched`")
            or "nobody 🎉",
            inline=False,
        )
        if not_opted:
            embed.set_footer(text=f"{not_opted} announced learner(s) haven't opted in yet (/match join).")
        return embed

    @staticmethod
    def public_round_embed(round_: MatchRound) -> discord.Embed:
        """What the channel reads: counts only; each unmatched learner got their reason by DM."""
        data = round_.summary or {}
        unmatched = len(data.get("unmatched") or {})
        embed = nexus_embed(
            f"Matching round #{round_.number}",
            f"{data.get('total_pairs', 0)} pair(s) from {data.get('pool', 0)} learner(s) looking; "
            f"average score {float(data.get('average_score') or 0):.0f}/100.",
            colour=SUCCESS,
        )
        per = "\n".join(f"{esc(k)}: {v}" for k, v in (data.get("pairs_per_project") or {}).items()) or "none"
        embed.add_field(name="Pairs per project", value=clip(per, EMBED_FIELD_VALUE_MAX), inline=False)
        embed.add_field(
            name="Left without a partner",
            value=f"{unmatched} learner(s); each got the reason and what to do next by DM."
            if unmatched
            else "nobody 🎉",
            inline=False,
        )
        not_opted = int(data.get("not_opted_in") or 0)
        if not_opted:
            embed.set_footer(text=f"{not_opted} announced learner(s) haven't opted in yet (/match join).")
        return embed

    # --- the round's jobs: each runs once, and again after a kill (skipping its finished steps) -------

    async def run_round_pair(self, job: Job) -> None:
        """One pair of a round: its thread and intro, then a DM to each partner."""
        await self.bot.wait_until_ready()
        pair = await self.store.get_pair(int(job.payload["pair_id"]))
        round_ = await self.store.get_round(int(job.payload["round_id"]))
        if pair is None or round_ is None or pair.status != "active":
            return
        guild = self.bot.get_guild(pair.guild_id)
        settings = await self.bot.services.cohort.settings(pair.guild_id)
        if guild is None or settings is None:
            return
        now = self.bot.clock.now()
        try:
            backend = await self.someone(guild, settings, pair.backend_id, now, me=False)
            frontend = await self.someone(guild, settings, pair.frontend_id, now, me=False)
        except UserError as exc:
            log.warning("Round %s: pair %s not announced any more: %s", round_.id, pair.id, exc)
            return
        steps = JobSteps(self.bot.jobs, job)
        breakdown = score_pair(backend.learner, frontend.learner, now=now)
        thread_id = pair.thread_id
        if "thread" not in steps:
            thread = await self.open_thread(guild, settings, pair, backend, frontend, breakdown, now)
            thread_id = thread.id if thread else None
            await steps.mark("thread")
        by_id = {backend.user_id: backend, frontend.user_id: frontend}
        where = f" Your private thread: <#{thread_id}>." if thread_id else ""
        for uid in pair.members:
            me, partner = by_id[uid], by_id[pair.partner_of(uid)]
            mine = score_pair(me.learner, partner.learner, viewer=me.learner, now=now)
            text = (
                f"🎉 Matching round #{round_.number}: your partner for {esc(me.project_label)} is "
                f"<@{partner.user_id}> ({esc(partner.name)}, {partner.track}), score {mine.score}/100: "
                f"{esc(pairing.reasons_text(mine))}.{where}"
            )
            await steps.run(
                f"dm:{uid}", functools.partial(self.dm, uid, text, nonce=nonce_for("pair-dm", pair.id, uid))
            )

    async def run_round_unmatched(self, job: Job) -> None:
        """A learner the round left without a partner: the reason and what to do next, privately."""
        await self.bot.wait_until_ready()
        round_ = await self.store.get_round(int(job.payload["round_id"]))
        if round_ is None:
            return
        uid, reason = int(job.payload["user_id"]), str(job.payload["reason"])
        code = ((round_.summary or {}).get("unmatched_codes") or {}).get(str(uid))
        text = (
            f"Matching round #{round_.number}: no partner for you this time — {esc(reason)}. "
            f"{pairing.unmatched_advice(UnmatchedCode(code) if code in set(UnmatchedCode) else None)}"
        )
        await JobSteps(self.bot.jobs, job).run(
            "dm", functools.partial(self.dm, uid, text, nonce=nonce_for("round-unmatched", round_.id, uid))
        )

    async def run_request_moot(self, job: Job) -> None:
        """A pending request the round made moot: its buttons go, and the requester learns why."""
        await self.bot.wait_until_ready()
        request = await self.store.get_request(int(job.payload["request_id"]))
        if request is None:
            return
        guild = self.bot.get_guild(request.guild_id)
        requester = esc(self.name_of(guild, request.requester_id)) if guild else f"<@{request.requester_id}>"
        addressee = esc(self.name_of(guild, request.addressee_id)) if guild else f"<@{request.addressee_id}>"
        reason = str(job.payload["reason"])
        if reason == "paired_together":
            why = "a matching round made you partners, so there is nothing left to answer"
            told = f"🤝 Your partner request to {addressee} is closed: a matching round made you partners."
        elif reason == "addressee_full":
            why = f"{addressee} now has all the partners they asked for (paired in a matching round)"
            told = (
                f"Your partner request to {addressee} is closed: they were paired in a matching round and have all "
                "the partners they asked for. `/match suggest` shows who is still looking."
            )
        else:
            why = f"{requester} now has all the partners they asked for (paired in a matching round)"
            told = (
                f"Your partner request to {addressee} is closed: a matching round paired you and you have all the "
                "partners you asked for. Raise `max_partners` with `/match join` to look for another."
            )
        steps = JobSteps(self.bot.jobs, job)
        await steps.run(
            "message", functools.partial(self.edit_request_message, request, f"This partner request is closed: {why}.")
        )
        await steps.run(
            "dm", functools.partial(self.dm, request.requester_id, told, nonce=nonce_for("request-moot", request.id))
        )

    async def run_round_summary(self, job: Job) -> None:
        """The round's public summary in the project channel (counts only), once."""
        await self.bot.wait_until_ready()
        round_ = await self.store.get_round(int(job.payload["round_id"]))
        if round_ is None or round_.summary is None:
            return
        guild = self.bot.get_guild(round_.guild_id)
        settings = await self.bot.services.cohort.settings(round_.guild_id)
        channel = guild.get_channel(settings.channel_id or 0) if guild and settings else None
        if not isinstance(channel, discord.TextChannel):
            log.warning("Round %s: no project channel for the summary", round_.id)
            return
        embed = self.public_round_embed(round_)

        async def post() -> None:
            try:
                await channel.send(embed=embed, nonce=nonce_for("round-summary", round_.id))
            except discord.HTTPException as exc:
                log.warning("Round %s: summary not posted: %s", round_.id, exc)

        await JobSteps(self.bot.jobs, job).run("post", post)

    @app_commands.command(name="stats", description="Staff: matched share per project and track, overlap, requests")
    @app_commands.guild_only()
    @staff_only()
    async def stats(self, interaction: discord.Interaction[NexusBot]) -> None:
        """How far matching has got this cohort."""
        guild = self.guild_of(interaction)
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        announcements = await self.service.announced(guild.id, settings.cohort_start)
        catalog = await self.catalog_by_key()
        pairs = await self.store.active_pairs(guild.id)
        paired = {uid for p in pairs for uid in p.members}
        table: dict[tuple[str, str], list[int]] = {}
        for a in announcements:
            project = catalog.get(a.project_key)
            label = project.name if project else a.project_key
            row = table.setdefault((label, a.track), [0, 0])
            row[0] += 1
            row[1] += a.user_id in paired
        lines = [
            f"{clip(label, 24):<24} {TRACK_NAMES.get(track, track):<8} {m:>3}/{n:<3} {100 * m / n:>4.0f}%"
            for (label, track), (n, m) in sorted(table.items())
        ]
        embed = nexus_embed("Partner matching — stats", f"Cohort {settings.cohort_start.isoformat()}")
        body = "```\n" + "\n".join(lines) + "\n```" if lines else "No announcements yet."
        embed.add_field(name="Matched share per project and track", value=clip(body, 1024), inline=False)
        overlaps = await self.pair_overlaps(guild, settings, pairs, now, catalog)
        median = pairing.median_hours(overlaps)
        embed.add_field(name="Median weekly overlap", value=f"{median:.1f} h" if median is not None else "—")
        counts = await self.store.request_counts(guild.id)
        embed.add_field(name="Open requests", value=str(counts.pending))
        embed.add_field(
            name="Requests so far",
            value=f"{counts.accepted} accepted · {counts.declined} declined · {counts.expired} expired",
        )
        embed.add_field(name="Active pairs", value=str(len(pairs)))
        profiles = await self.store.profiles(guild.id)
        embed.add_field(name="Opted in", value=str(sum(1 for p in profiles if p.status != "left")))
        await interaction.edit_original_response(embed=embed)

    async def pair_overlaps(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        pairs: Iterable[Pair],
        now: datetime,
        catalog: dict[str, CatalogProject],
    ) -> list[int]:
        out = []
        for pair in pairs:
            try:
                b = await self.someone(guild, settings, pair.backend_id, now, catalog, me=False)
                f = await self.someone(guild, settings, pair.frontend_id, now, catalog, me=False)
            except UserError:
                continue  # one of them withdrew their announcement: no windows to compare
            out.append(overlap_minutes(b.learner.windows, f.learner.windows))
        return out


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(MatchingCog(bot))
