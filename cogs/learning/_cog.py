"""The /learn commands and the tip of the day; the learning service does the work, components answer presses."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import staff_only
from bot.scheduler import Job
from bot.services.learning import CATEGORIES, TIP_KIND, LearningService
from bot.services.topic_content import CATEGORY_LABELS
from cogs._shared import inert_view
from cogs.learning.components import (
    EditModal,
    OpenTopicButton,
    ReviewButton,
    SearchView,
    SuggestModal,
    post_for_review,
    related_view,
    send_topic,
    show_topic,
)
from cogs.learning.rendering import PAGE_SIZE, no_results_text, popular_embed, topic_embed

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
    from bot.services.cohort import GuildSettings

log = logging.getLogger(__name__)

CATEGORY_CHOICES = [app_commands.Choice(name=CATEGORY_LABELS[c], value=c) for c in CATEGORIES]


class LearningCog(commands.GroupCog, name="Learning", group_name="learn", group_description="Learning topics"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.service: LearningService = bot.services.learning
        super().__init__()

    async def cog_load(self) -> None:
        await self.service.sync_shipped()
        self.bot.add_dynamic_items(OpenTopicButton, ReviewButton)
        self.bot.scheduler.register(TIP_KIND, self.run_tip)
        self.bot.scheduler.add_ticker(self.plan_tips)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(OpenTopicButton, ReviewButton)

    async def _name_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label, value=slug) for label, slug in self.service.autocomplete_topics(current)
        ]

    # --- commands ---------------------------------------------------------------------------------

    @app_commands.command(name="topic", description="Show a learning topic: summary, key points, resources")
    @app_commands.describe(
        name="Topic name (suggestions appear as you type; typos are forgiven)",
        share="Post it in the channel for everyone (default: only you see it)",
    )
    @app_commands.autocomplete(name=_name_choices)
    async def topic(
        self, interaction: discord.Interaction[NexusBot], name: app_commands.Range[str, 1, 100], share: bool = False
    ) -> None:
        """Look up one topic by name, slug or alias."""
        await show_topic(interaction, await self.service.look_up(name), ephemeral=not share)

    @app_commands.command(name="search", description="Search inside all learning topics, best matches first")
    @app_commands.describe(query="Words to look for, e.g. split a risky migration, redis cache, dockerfile")
    async def search(self, interaction: discord.Interaction[NexusBot], query: app_commands.Range[str, 1, 200]) -> None:
        """Full-text search with highlighted excerpts, five per page; suggests names when nothing matches."""
        result = await self.service.search(query, first_page=PAGE_SIZE)
        if not result.topic_ids:
            kwargs: dict[str, Any] = {"ephemeral": True}
            view = inert_view(*(OpenTopicButton(s.slug, s.title) for s in result.suggestions))
            if view is not None:
                kwargs["view"] = view
            await interaction.response.send_message(no_results_text(query, result.suggestions), **kwargs)
            return
        pages = SearchView(self.service, interaction.user.id, query, result)
        embed = await pages.render()
        await interaction.response.send_message(embed=embed, view=pages, ephemeral=True)
        pages.message = await interaction.original_response()

    @app_commands.command(name="random", description="Show a random learning topic")
    @app_commands.describe(category="Only topics of this category", share="Post it in the channel for everyone")
    @app_commands.choices(category=CATEGORY_CHOICES)
    async def random_topic(
        self,
        interaction: discord.Interaction[NexusBot],
        category: app_commands.Choice[str] | None = None,
        share: bool = False,
    ) -> None:
        """Discover something new."""
        topic = await self.service.random(category.value if category else None)
        await send_topic(interaction, topic, ephemeral=not share)

    @app_commands.command(name="popular", description="The most looked-up learning topics")
    async def popular(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Top ten topics by lookups."""
        topics = await self.service.popular()
        await interaction.response.send_message(
            embed=popular_embed(topics), view=related_view(topics[:5]) or discord.utils.MISSING, ephemeral=True
        )

    @app_commands.command(name="suggest", description="Suggest a new learning topic for staff to review")
    @app_commands.guild_only()
    async def suggest(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Opens a form: title, category, summary, body and resources."""
        await interaction.response.send_modal(SuggestModal())

    @app_commands.command(name="edit", description="Staff: edit a learning topic")
    @app_commands.describe(name="Topic to edit")
    @app_commands.autocomplete(name=_name_choices)
    @app_commands.guild_only()
    @staff_only()
    async def edit(self, interaction: discord.Interaction[NexusBot], name: app_commands.Range[str, 1, 100]) -> None:
        """Opens the topic prefilled in a form."""
        await interaction.response.send_modal(EditModal(await self.service.topic(name)))

    # --- suggestions made before a review channel existed ----------------------------------------

    @commands.Cog.listener()
    async def on_nexus_settings_changed(self, settings: GuildSettings) -> None:
        """Suggestions made before a review channel existed are posted once it is set."""
        self.service.tips_changed()
        guild = self.bot.get_guild(settings.guild_id)
        if guild is None or not settings.review_channel_id:
            return
        for topic in await self.service.pending_unposted(guild.id):
            if not await post_for_review(self.service, guild, topic):
                break

    # --- tip of the day ---------------------------------------------------------------------------

    async def plan_tips(self, now: datetime) -> None:
        """Ticker: make sure the next tip of each configured guild is a stored job (idempotent by dedupe key)."""
        await self.service.schedule_tips(now, self.bot.scheduler)

    async def run_tip(self, job: Job) -> None:
        """Post the day's tip, unless tips were turned off or moved to another hour since it was planned."""
        # Jobs due at start-up run before the guild cache is filled; without it the channel looks gone.
        await self.bot.wait_until_ready()
        channel_id = await self.service.tip_channel_id(job.payload)
        if channel_id is None:
            log.info("Tip job %s skipped: tips are off or moved", job.id)
            return
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.warning("Tip channel %s of guild %s is gone; no tip posted", channel_id, job.payload["guild_id"])
            return
        topic = await self.service.pick_tip(job.payload)
        if topic is None:
            return
        embed = topic_embed(topic, heading=f"💡 Tip of the day: {topic.title}", with_body=False)
        view = inert_view(OpenTopicButton(topic.slug, "Read the full topic")) or discord.utils.MISSING
        await channel.send(embed=embed, view=view)
        log.info("Posted tip %s in guild %s", topic.slug, job.payload["guild_id"])
