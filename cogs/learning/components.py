"""Buttons, menus and forms of /learn, and what pressing them does: open a topic, review a suggestion, edit.

Persistent items (DynamicItems) reach the learning service through `interaction.client.services`, so they keep
working across restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.app.checks import require_staff
from bot.app.ui import NexusModal, OwnedView, PersistentButton, clip
from bot.services.learning import IndexedTopic, LearningService, OpenedTopic, RankedSearch, Topic, TopicDraft
from bot.services.text import user_text
from bot.services.topic_content import (
    BODY_MAX,
    RESOURCE_TITLE_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    format_resources,
    parse_category,
    parse_resources,
    validate_draft,
)
from cogs._shared import inert_view
from cogs.learning.rendering import PAGE_SIZE, review_embed, search_embed, topic_embed

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

BUTTON_LABEL_MAX = 80
# Slugs as used in custom ids (also by the questions cog: nexus:learn:open:<slug>).
SLUG_PATTERN = r"[A-Za-z0-9_.-]{1,80}"


def learning(interaction: discord.Interaction[Any]) -> LearningService:
    bot: NexusBot = interaction.client
    return bot.services.learning


# --- delivery -------------------------------------------------------------------------------------


async def send_topic(
    interaction: discord.Interaction[Any], topic: Topic, *, ephemeral: bool, heading: str | None = None
) -> None:
    """Answer with the topic and its related topics as buttons; counts one lookup."""
    # Counted before answering, so the count is already stored when the learner sees the topic.
    await show_topic(interaction, await learning(interaction).opened(topic), ephemeral=ephemeral, heading=heading)


async def show_topic(
    interaction: discord.Interaction[Any], opened: OpenedTopic, *, ephemeral: bool, heading: str | None = None
) -> None:
    """Answer with a topic whose lookup is counted, and its related topics as buttons."""
    kwargs: dict[str, Any] = {"embed": topic_embed(opened.topic, heading=heading), "ephemeral": ephemeral}
    view = related_view(opened.related)
    if view is not None:
        kwargs["view"] = view
    await interaction.response.send_message(**kwargs)


async def post_for_review(service: LearningService, guild: discord.Guild, topic: Topic) -> bool:
    """Post a pending topic with Approve / Reject in the review channel; False if there is none."""
    channel_id = await service.review_channel_id(guild.id)
    channel = guild.get_channel(channel_id) if channel_id else None
    if not isinstance(channel, discord.TextChannel):
        return False
    perms = channel.permissions_for(guild.me)
    if not (perms.send_messages and perms.embed_links):
        log.warning("Cannot post topic %s for review in %s: missing permissions", topic.id, channel.id)
        return False
    message = await channel.send(embed=review_embed(topic), view=review_view(topic) or discord.utils.MISSING)
    await service.posted_for_review(topic.id, channel.id, message.id)
    return True


async def tell_author(client: discord.Client, topic: Topic, text: str) -> bool:
    if topic.author_id is None:
        return False
    try:
        user = client.get_user(topic.author_id) or await client.fetch_user(topic.author_id)
        await user.send(text)
    except discord.HTTPException as exc:
        log.info("Could not DM author %s of topic %s: %s", topic.author_id, topic.id, exc)
        return False
    return True


async def submit_suggestion(interaction: discord.Interaction[Any], draft: TopicDraft) -> None:
    assert interaction.guild is not None
    service = learning(interaction)
    topic = await service.suggest(draft, author_id=interaction.user.id, guild_id=interaction.guild.id)
    if await post_for_review(service, interaction.guild, topic):
        text = f"Thanks! **{user_text(topic.title)}** is waiting for staff review; I'll DM you the outcome."
    else:
        text = (
            f"Thanks! **{user_text(topic.title)}** is saved and waiting for review. "
            "Staff haven't chosen a review channel yet: staff, set one with `/nexus setup review_channel:` "
            "and pending suggestions will be posted there."
        )
    await interaction.response.send_message(text, ephemeral=True)


async def approve(interaction: discord.Interaction[Any], topic_id: int) -> None:
    topic = await learning(interaction).approve(topic_id, interaction.user.id)
    await interaction.response.edit_message(embed=review_embed(topic), view=None)
    told = await tell_author(
        interaction.client,
        topic,
        f"✅ Your suggested topic **{user_text(topic.title)}** was approved: everyone can now open it with "
        f"`/learn topic name:{topic.slug}`. Thank you!",
    )
    if not told:
        await interaction.followup.send("Approved. I couldn't DM the author (DMs closed).", ephemeral=True)


async def reject(interaction: discord.Interaction[Any], topic_id: int, reason: str) -> None:
    topic = await learning(interaction).reject(topic_id, interaction.user.id, reason)
    embed = review_embed(topic)
    if interaction.message is not None:
        await interaction.response.edit_message(embed=embed, view=None)
    else:
        await interaction.response.send_message("Rejected.", ephemeral=True)
    told = await tell_author(
        interaction.client,
        topic,
        f"Your suggested topic **{user_text(topic.title)}** was not added. Staff said: {reason}\n"
        "You're welcome to improve it and suggest it again with `/learn suggest`.",
    )
    if not told:
        await interaction.followup.send("Rejected. I couldn't DM the author (DMs closed).", ephemeral=True)


async def save_edit(interaction: discord.Interaction[Any], topic: Topic, draft: TopicDraft) -> None:
    saved = await learning(interaction).edit(topic, draft, interaction.user.id)
    note = (
        " It was a shipped topic: it is now maintained here, and content updates from the repository "
        "no longer overwrite it."
        if saved.was_shipped
        else ""
    )
    await interaction.response.send_message(
        f"Saved **{saved.topic.title}**.{note}", embed=topic_embed(saved.topic), ephemeral=True
    )


# --- persistent components --------------------------------------------------------------------------
class OpenTopicButton(PersistentButton, template=rf"nexus:learn:open:(?P<slug>{SLUG_PATTERN})"):
    """Opens a topic (related topics, suggestions, tips) for whoever presses it; works across restarts."""

    groups = (("slug", str),)

    def __init__(self, slug: str, label: str = "Open topic") -> None:
        super().__init__(
            f"nexus:learn:open:{slug}", label=clip(label, BUTTON_LABEL_MAX), style=discord.ButtonStyle.secondary
        )
        self.slug = slug

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        topic = await learning(interaction).by_slug(
            self.slug, "That topic is no longer available; try `/learn search`."
        )
        await send_topic(interaction, topic, ephemeral=True)


class ReviewButton(PersistentButton, template=r"nexus:learn:(?P<action>approve|reject):(?P<id>\d+)"):
    """Approve / Reject on a suggested topic in the staff review channel (staff only, checked on press)."""

    groups = (("action", str), ("id", int))

    def __init__(self, action: str, topic_id: int) -> None:
        super().__init__(
            f"nexus:learn:{action}:{topic_id}",
            label="Approve" if action == "approve" else "Reject",
            style=discord.ButtonStyle.success if action == "approve" else discord.ButtonStyle.danger,
        )
        self.action = action
        self.topic_id = topic_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await require_staff(interaction)
        if self.action == "approve":
            await approve(interaction, self.topic_id)
        else:
            topic = await learning(interaction).pending_topic(self.topic_id)
            await interaction.response.send_modal(RejectModal(topic))


def review_view(topic: Topic) -> discord.ui.View | None:
    if topic.status != "pending":
        return None
    return inert_view(ReviewButton("approve", topic.id), ReviewButton("reject", topic.id))


def related_view(related: Sequence[Topic | IndexedTopic]) -> discord.ui.View | None:
    return inert_view(*(OpenTopicButton(t.slug, t.title) for t in related[:5]))


# --- modals ---------------------------------------------------------------------------------------


class TopicModal(NexusModal):
    """Title, category, summary, body and resources: Discord allows five inputs in a modal."""

    def __init__(self, title: str, topic: Topic | None = None) -> None:
        super().__init__(title=title, timeout=1800)
        self.topic = topic
        self.name: discord.ui.TextInput[TopicModal] = discord.ui.TextInput(
            label="Title", max_length=TITLE_MAX, default=topic.title if topic else None
        )
        self.category: discord.ui.TextInput[TopicModal] = discord.ui.TextInput(
            label="Category",
            placeholder="technologies, concepts, challenges, best-practices or frontend",
            max_length=40,
            default=topic.category if topic else None,
        )
        self.summary: discord.ui.TextInput[TopicModal] = discord.ui.TextInput(
            label="Summary (one or two sentences)",
            style=discord.TextStyle.paragraph,
            max_length=SUMMARY_MAX,
            default=topic.summary if topic else None,
        )
        self.body: discord.ui.TextInput[TopicModal] = discord.ui.TextInput(
            label="Body (markdown: when to use it, pitfalls)",
            style=discord.TextStyle.paragraph,
            max_length=BODY_MAX,
            required=False,
            default=topic.body if topic and topic.body else None,
        )
        self.resources: discord.ui.TextInput[TopicModal] = discord.ui.TextInput(
            label="Resources: one `Title | https://url` a line",
            style=discord.TextStyle.paragraph,
            placeholder="Django docs | https://docs.djangoproject.com/",
            max_length=5 * (RESOURCE_TITLE_MAX + 200),
            required=False,
            default=format_resources(topic.resources) if topic and topic.resources else None,
        )
        for item in (self.name, self.category, self.summary, self.body, self.resources):
            self.add_item(item)

    def draft(self) -> TopicDraft:
        base = self.topic.draft if self.topic else None
        return validate_draft(
            TopicDraft(
                title=self.name.value,
                category=parse_category(self.category.value),
                summary=self.summary.value,
                body=self.body.value,
                resources=parse_resources(self.resources.value),
                aliases=base.aliases if base else (),
                key_points=base.key_points if base else (),
                related=base.related if base else (),
            )
        )


class SuggestModal(TopicModal):
    def __init__(self) -> None:
        super().__init__("Suggest a learning topic")

    def fresh(self) -> SuggestModal:
        return SuggestModal()

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await submit_suggestion(interaction, self.draft())


class EditModal(TopicModal):
    def __init__(self, topic: Topic) -> None:
        super().__init__(clip(f"Edit: {topic.title}", 45), topic)

    def fresh(self) -> EditModal:
        assert self.topic is not None
        return EditModal(self.topic)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await require_staff(interaction)
        assert self.topic is not None
        await save_edit(interaction, self.topic, self.draft())


class RejectModal(NexusModal):
    def __init__(self, topic: Topic) -> None:
        super().__init__(title=clip(f"Reject: {topic.title}", 45), timeout=1800)
        self.topic = topic
        self.topic_id = topic.id
        self.reason: discord.ui.TextInput[RejectModal] = discord.ui.TextInput(
            label="Reason (the author reads it)",
            style=discord.TextStyle.paragraph,
            max_length=500,
            placeholder="e.g. Already covered by the Caching Strategies topic",
        )
        self.add_item(self.reason)

    def fresh(self) -> RejectModal:
        return RejectModal(self.topic)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await require_staff(interaction)
        await reject(interaction, self.topic_id, self.reason.value.strip())


# --- search pages -------------------------------------------------------------------------------


class SearchView(OwnedView):
    """Previous / Next through ranked results, and a menu to open one of the page's topics."""

    def __init__(self, service: LearningService, owner_id: int, query: str, result: RankedSearch) -> None:
        super().__init__(owner_id)
        self.service = service
        self.query = query
        self.result = result
        self.page = 0
        self.pages = max(1, -(-len(result.topic_ids) // PAGE_SIZE))

    async def render(self) -> discord.Embed:
        found = await self.service.search_page(self.result, self.page, PAGE_SIZE)
        topics = found.topics
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        # at runtime the decorated callback is the Select item itself
        menu = cast("discord.ui.Select[SearchView]", self.open)
        menu.options = [
            discord.SelectOption(label=clip(t.title, 100), value=t.slug, description=clip(t.summary, 100))
            for t in topics
        ]
        return search_embed(self.query, topics, found.snippets, self.result, self.page)

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + step))
        embed = await self.render()
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], button: discord.ui.Button[SearchView]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[SearchView]) -> None:
        await self._turn(interaction, 1)

    @discord.ui.select(
        placeholder="Open a result…", min_values=1, max_values=1, options=[discord.SelectOption(label="…")]
    )
    async def open(self, interaction: discord.Interaction[Any], select: discord.ui.Select[SearchView]) -> None:
        topic = await self.service.by_slug(select.values[0], "That topic is no longer available.")
        await send_topic(interaction, topic, ephemeral=True)
