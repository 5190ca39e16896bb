"""The first-week chart on `/project board` and the daily digest: a PNG drawn off the event loop, attached."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord

from bot.services.charts import render_first_week_chart_async
from bot.services.cohort import Cohort
from cogs.projects.delivery import learner_role_ids, member_tracks

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

CHART_NAME = "first-week.png"
# An interaction has 3 s for its first answer: a chart that is not drawn by then is left out, not waited for.
BOARD_CHART_SECONDS = 1.5


def learner_roster(guild: discord.Guild, cohort: Cohort) -> dict[int, tuple[str, tuple[str, ...]]]:
    """Members holding a learner role: {user_id: (display name, tracks)} (bots excluded)."""
    roles = learner_role_ids(guild, cohort.settings)
    out: dict[int, tuple[str, tuple[str, ...]]] = {}
    for member in guild.members:
        if member.bot:
            continue
        tracks = tuple(member_tracks(member, roles))
        if tracks:
            out[member.id] = (member.display_name, tracks)
    return out


async def chart_file(bot: NexusBot, guild: discord.Guild, cohort: Cohort, *, save_roster: bool = False) -> discord.File:
    roster = learner_roster(guild, cohort)
    if save_roster:
        await bot.services.view.save_roster(guild.id, roster)
    tracks = {uid: tracks[0] if len(tracks) == 1 else None for uid, (_, tracks) in roster.items()}
    progress = await bot.services.view.chart_progress(cohort, tracks)
    png = await render_first_week_chart_async(progress)
    return discord.File(io.BytesIO(png), filename=CHART_NAME, description="First-week progress chart")


async def board_chart(bot: NexusBot, guild: discord.Guild, cohort: Cohort) -> discord.File | None:
    """The board's chart, or None when it takes too long to draw (the board goes out without it)."""
    try:
        return await asyncio.wait_for(chart_file(bot, guild, cohort), BOARD_CHART_SECONDS)
    except TimeoutError:
        log.warning(
            "First-week chart for guild %s took over %.1f s; board sent without it", guild.id, BOARD_CHART_SECONDS
        )
        return None


async def digest_chart(bot: NexusBot, guild: discord.Guild, cohort: Cohort) -> discord.File | None:
    """The digest's chart (and a fresh roster for the dashboard); a failure costs the chart, never the digest."""
    try:
        return await chart_file(bot, guild, cohort, save_roster=True)
    except Exception:
        log.exception("First-week chart for the digest of guild %s failed; digest sent without it", guild.id)
        return None


def with_chart(embed: discord.Embed, file: discord.File | None) -> discord.Embed:
    if file is not None:
        embed.set_image(url=f"attachment://{CHART_NAME}")
    return embed
