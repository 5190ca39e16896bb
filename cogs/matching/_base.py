"""Constants and the shared state/helpers of the matching cog."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import is_staff
from bot.app.ui import (
    clip,
)
from bot.errors import NotConfigured, NotFound
from bot.services import pairing
from bot.services.cohort import NOT_SET_UP
from bot.services.matching.service import (
    CatalogProject,
    GuildSettings,
    MatchingService,
    MatchRequest,
    Pair,
    RoundJobs,
    Someone,
)
from bot.services.skills import skill_suggestions
from bot.services.text import user_text
from bot.services.track_switch import REQUEST_MOOT_JOB
from cogs._shared import GuildDirectory

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger("cogs.matching")
T = TypeVar("T")


EXPIRE_JOB = "match_request_expire"
# A real round's side effects, committed with its pairs and run as resumable jobs (see `run_round_*`).
ROUND_JOBS = RoundJobs(
    pair="match_round_pair", unmatched="match_round_unmatched", moot=REQUEST_MOOT_JOB, summary="match_round_summary"
)
# Autocomplete value of a pair (staff ending someone else's pairing with /match unpair member:).
STAFF_PAIR_PREFIX = "pair:"
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


def esc(text: str) -> str:
    """Member-typed text (names, titles, reasons) as shown in content and embeds: markdown and mentions inert."""
    return user_text(text)


class MatchingBase(commands.Cog):
    """State and helpers every part of the matching cog uses (the cog class combines the parts)."""

    bot: NexusBot
    service: MatchingService
    _threads_recovered: bool
    _opening: set[int]
    _team_locks: dict[int, asyncio.Lock]

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
            profile = await self.service.profile(interaction.guild.id, interaction.user.id)
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
        pairs = await self.service.pairs_of(guild.id, interaction.user.id)
        out = []
        for pair in pairs:
            partner = pair.partner_of(interaction.user.id)
            name = self.name_of(guild, partner, str(partner))
            if current.lower() in name.lower():
                out.append(app_commands.Choice(name=clip(name, 100), value=str(partner)))
        if len(out) < 25 and await is_staff(interaction):
            # Staff may end anyone's pairing: every active pair of the server, by either partner's name.
            for pair in await self.service.guild_pairs(guild.id):
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
