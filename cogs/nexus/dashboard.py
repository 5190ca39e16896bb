"""`/nexus dashboard`: a staff member's signed link to this server's web dashboard (bot/web), ephemeral."""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

import discord

from bot.app.ui import timestamp
from bot.errors import NotConfigured
from bot.web.links import dashboard_link
from cogs.projects.charts import learner_roster

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)


async def send_link(interaction: discord.Interaction[NexusBot]) -> None:
    assert interaction.guild is not None
    bot, guild = interaction.client, interaction.guild
    secret = bot.settings.web_secret
    if not secret:
        raise NotConfigured(
            "The web dashboard is off: staff must set WEB_SECRET (at least 32 random characters) in the bot's and the "
            "web process's settings, restart both, then run `/nexus dashboard` again."
        )
    cohort = await bot.services.cohort.require(guild.id)
    # The web process can't see Discord's member list: leave it the learners as they are now.
    try:
        await bot.services.view.save_roster(guild.id, learner_roster(guild, cohort))
    except (OSError, sqlite3.DatabaseError) as exc:  # e.g. a full disk: the link still works, with the last roster
        log.warning("Could not save the learner roster for the dashboard of guild %s: %s", guild.id, exc)
    link, expires = dashboard_link(secret, bot.settings.web_base_url, guild.id, bot.clock.now())
    await interaction.response.send_message(
        f"Your dashboard link, for you only; it works until {timestamp(expires, 'R')} and then signs you in for 8 "
        f"hours. It shows learners' names: don't share it.\n{link}",
        ephemeral=True,
        suppress_embeds=True,
    )
