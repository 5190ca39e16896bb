"""Pair health on Discord: check-ins in the (team) thread, who posts there, the "Find me a new partner" offer.

The rules are `bot.services.pair_health.PairHealthService`; this speaks Discord: jobs post and DM, buttons
answer, and every message in a guild thread reports its author (no content is read)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.app.alerts import tell_staff
from bot.app.ui import PersistentButton, clip
from bot.scheduler import JobSteps, nonce_for
from bot.services.matching.service import Job, Pair
from bot.services.pair_health import ANSWERS, CHECKIN_JOB, INACTIVITY_JOB, PairHealthService, PlannedJob
from cogs._shared import inert_view
from cogs.matching._base import esc, log
from cogs.matching.rounds import RoundsMixin

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

CHECKIN_TEMPLATE = r"nexus:health:(?P<answer>met|not_yet|silent):(?P<pair>[0-9]{1,20}):(?P<day>[0-9]{1,3})"
REMATCH_TEMPLATE = r"nexus:health:rematch:(?P<pair>[0-9]{1,20})"
_STYLES = {"met": discord.ButtonStyle.success, "not_yet": discord.ButtonStyle.secondary}


def health(interaction: discord.Interaction[Any]) -> PairHealthService:
    return interaction.client.services.pair_health  # type: ignore[no-any-return]


class CheckinButton(PersistentButton, template=CHECKIN_TEMPLATE):
    """One answer of a check-in; each partner answers for themselves (others are refused ephemerally)."""

    groups = (("answer", str), ("pair", int), ("day", int))

    def __init__(self, answer: str, pair_id: int, day: int) -> None:
        super().__init__(
            f"nexus:health:{answer}:{pair_id}:{day}",
            label=ANSWERS[answer],
            style=_STYLES.get(answer, discord.ButtonStyle.danger),
        )
        self.answer, self.pair_id, self.day = answer, pair_id, day

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        reply = await health(interaction).answer(self.pair_id, self.day, interaction.user.id, self.answer)
        await interaction.response.send_message(reply, ephemeral=True)


class RematchButton(PersistentButton, template=REMATCH_TEMPLATE):
    """In the active partner's DM: end the pairing with the inactive partner and go first in the next round."""

    groups = (("pair", int),)

    def __init__(self, pair_id: int) -> None:
        super().__init__(
            f"nexus:health:rematch:{pair_id}", label="Find me a new partner", style=discord.ButtonStyle.primary
        )
        self.pair_id = pair_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        from cogs.matching.components import matching_cog

        await matching_cog(interaction).rematch(interaction, self.pair_id)


class HealthMixin(RoundsMixin):
    """Check-ins, thread activity and the rematch offer (jobs and listeners of the matching cog)."""

    def register_health(self) -> None:
        self.bot.add_dynamic_items(CheckinButton, RematchButton)
        self.bot.scheduler.register(CHECKIN_JOB, self.run_checkin, resumable=True)
        self.bot.scheduler.register(INACTIVITY_JOB, self.run_inactivity, resumable=True)

    async def schedule(self, planned: PlannedJob) -> None:
        await self.bot.scheduler.plan(planned)

    async def plan_checkins(self, pair: Pair) -> None:
        """A pair got its thread: its check-ins are stored jobs (scheduling again changes nothing)."""
        for planned in self.bot.services.pair_health.checkin_jobs(pair):
            await self.schedule(planned)

    @commands.Cog.listener("on_message")
    async def note_thread_post(self, message: discord.Message) -> None:
        """Who posts in pair threads (the author only: the bot has no Message Content intent)."""
        if message.guild is None or message.author.bot:
            return
        if not isinstance(message.channel, discord.Thread | discord.PartialMessageable):
            return  # pair threads only (an uncached private thread arrives as a PartialMessageable)
        await self.bot.services.pair_health.record_post(message.channel.id, message.author.id)

    async def run_checkin(self, job: Job) -> None:
        """Day 3 or 10: the check-in in the pair's thread, then its inactivity check a week later."""
        await self.bot.wait_until_ready()
        service = self.bot.services.pair_health
        pair = await service.checkin_due(int(job.payload["pair_id"]))
        if pair is None or pair.thread_id is None:
            return
        day = int(job.payload["day"])
        now = self.bot.clock.now()
        steps = JobSteps(self.bot.jobs, job)
        if "post" not in steps:
            channel = self.bot.get_partial_messageable(pair.thread_id)
            a, b = pair.members
            view = inert_view(*(CheckinButton(answer, pair.id, day) for answer in ANSWERS))
            assert view is not None
            try:
                await channel.send(
                    f"📋 Day {day} check-in for <@{a}> and <@{b}>: how is it going? Each of you answers for "
                    "yourself; only you see your answer.",
                    view=view,
                    nonce=nonce_for("pair-checkin", pair.id, day),
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False, roles=False, users=[discord.Object(a), discord.Object(b)], replied_user=False
                    ),
                )
            except discord.HTTPException as exc:
                log.info("Pair %s: day %s check-in not posted: %s", pair.id, day, exc)
                return
            await steps.mark("post")
        await self.schedule(await service.asked(pair, day, now))

    async def run_inactivity(self, job: Job) -> None:
        """A week after a check-in: an inactive partner is recorded; the active one is offered a new partner."""
        await self.bot.wait_until_ready()
        found = await self.bot.services.pair_health.inactivity(int(job.payload["pair_id"]), int(job.payload["day"]))
        if found is None:
            return
        guild = self.bot.get_guild(found.pair.guild_id)
        name = esc(self.name_of(guild, found.inactive_id)) if guild else f"<@{found.inactive_id}>"
        steps = JobSteps(self.bot.jobs, job)
        if guild is not None:
            # Staff hear of it privately (review channel, else the owner); the channel only ever sees counts.
            partner = esc(self.name_of(guild, found.pair.partner_of(found.inactive_id)))
            offered = f"{partner} was offered a new partner." if found.active_id else "Both have gone quiet."
            note = (
                f"Pair health: {name} has posted nothing in their pair thread with {partner} for a week and left "
                f"the check-in unanswered. {offered}"
            )
            await steps.run("staff", functools.partial(tell_staff, self.bot, guild, note))
        if found.active_id is None:
            return
        text = (
            f"{name} hasn't posted in your partner thread for a week and didn't answer the check-in. "
            "If you'd like a new partner, press **Find me a new partner**: this pairing ends and you go first in "
            "the next matching round. If you'd rather wait, do nothing — nothing changes unless you press."
        )
        view = inert_view(RematchButton(found.pair.id))
        await steps.run(
            "dm",
            functools.partial(self.dm_view, found.active_id, text, view, nonce_for("pair-inactive", found.pair.id)),
        )

    async def dm_view(self, user_id: int, content: str, view: discord.ui.View | None, nonce: str) -> bool:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            if view is None:
                await user.send(content=clip(content, 2000), nonce=nonce)
            else:
                await user.send(content=clip(content, 2000), view=view, nonce=nonce)
            return True
        except discord.HTTPException as exc:
            log.info("Could not DM %s: %s", user_id, exc)
            return False

    async def rematch(self, interaction: discord.Interaction[NexusBot], pair_id: int) -> None:
        """The active partner asked for a new partner: the pairing ends (reason `inactive`), they go first."""
        ended = await self.bot.services.pair_health.rematch(pair_id, interaction.user.id)
        guild = self.guild_of(interaction, ended.guild_id)
        partner = ended.partner_of(interaction.user.id)
        await interaction.response.edit_message(
            content=f"Done: your pairing with {esc(self.name_of(guild, partner))} has ended. You go first in the "
            "next matching round; `/match suggest` shows who is looking now.",
            view=None,
        )
        await self.pairing_changed(guild, ended.members)
        await self.dm(
            partner,
            f"Your pairing with {esc(self.name_of(guild, interaction.user.id))} has ended: you hadn't posted in "
            "your partner thread for a week. You're still in matching: `/match suggest` shows who is looking, and "
            "`/match pause` takes a break.",
        )
        await self.close_pair_thread(guild, ended, "This pairing has ended.")
