"""/learn: curated learning topics with typo-tolerant lookup, ranked search, suggestions, review and daily tips."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import require_staff, staff_only
from bot.app.ui import (
    DANGER,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    SUCCESS,
    NexusModal,
    OwnedView,
    SafeCallback,
    clip,
    nexus_embed,
    timestamp,
)
from bot.errors import BotMissingPermissions, Conflict, InvalidInput, NotConfigured, NotFound
from bot.services.search import (
    NameIndex,
    RankedSearch,
    Suggestion,
    ranked_search,
    render_snippet,
)
from bot.services.text import plain_link, user_text
from bot.services.topic_content import (
    BODY_MAX,
    CATEGORY_LABELS,
    RESOURCE_TITLE_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    format_resources,
    load_topics,
    parse_category,
    parse_resources,
    slugify,
    validate_draft,
)
from cogs._shared import inert_view
from db.stores.jobs import Job
from db.stores.topics import CATEGORIES, Topic, TopicDraft, TopicStore

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
    from db.stores.guild_settings import GuildSettings

log = logging.getLogger(__name__)

PAGE_SIZE = 5
SEARCH_RESULTS_MAX = 50
TIP_KIND = "learn.tip"
BUTTON_LABEL_MAX = 80
# Slugs as used in custom ids (also by the questions cog: nexus:learn:open:<slug>).
SLUG_PATTERN = r"[A-Za-z0-9_.-]{1,80}"
CATEGORY_CHOICES = [app_commands.Choice(name=CATEGORY_LABELS[c], value=c) for c in CATEGORIES]


# --- rendering ------------------------------------------------------------------------------------


def _bullets(items: tuple[str, ...]) -> str:
    return "\n".join(f"• {item}" for item in items)


def _links(topic: Topic, *, as_typed: bool = False) -> str:
    if as_typed:  # a suggestion under review: each link's address in plain sight
        return "\n".join(f"{user_text(r.title)}: {plain_link(r.url)}" for r in topic.resources)
    # Square brackets in a title would end the markdown link early.
    return "\n".join(f"[{r.title.replace('[', '(').replace(']', ')')}]({r.url})" for r in topic.resources)


def topic_embed(
    topic: Topic, *, heading: str | None = None, with_body: bool = True, reserve: int = 0, as_typed: bool = False
) -> discord.Embed:
    """The topic as one embed: summary and body, key points, resources as links; always within 6000 characters
    (`reserve`: characters the caller will add in more fields). `as_typed`: a learner's suggestion shown to
    reviewers exactly as written (markdown escaped, link addresses visible), not rendered."""
    shown = user_text if as_typed else str
    title = clip(heading or shown(topic.title), EMBED_TITLE_MAX)
    fields: list[tuple[str, str]] = []
    if topic.key_points:
        points = tuple(shown(p) for p in topic.key_points)
        fields.append(("Key points", clip(_bullets(points), EMBED_FIELD_VALUE_MAX)))
    if topic.resources:
        fields.append(("Resources", clip(_links(topic, as_typed=as_typed), EMBED_FIELD_VALUE_MAX)))
    footer = f"{CATEGORY_LABELS.get(topic.category, topic.category)} · /learn topic name:{topic.slug}"
    budget = EMBED_TOTAL_MAX - len(title) - len(footer) - sum(len(n) + len(v) for n, v in fields) - reserve - 10
    description = shown(topic.summary) + (f"\n\n{shown(topic.body)}" if with_body and topic.body else "")
    embed = nexus_embed(title, clip(description, max(1, min(EMBED_DESCRIPTION_MAX, budget))))
    for name, value in fields:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer)
    return embed


def search_embed(
    query: str, topics: list[Topic], snippets: dict[int, str], result: RankedSearch, page: int
) -> discord.Embed:
    pages = max(1, -(-len(result.topic_ids) // PAGE_SIZE))
    note = "" if result.mode == "all" else "No topic has all your words; these have some of them.\n"
    if result.suggestions and result.mode != "all":
        note += "Did you mean " + ", ".join(f"**{s.title}**" for s in result.suggestions) + "?\n"
    embed = nexus_embed(f"Search: {clip(user_text(' '.join(query.split())), 200)}", note or None)
    for number, topic in enumerate(topics, start=page * PAGE_SIZE + 1):
        snippet = render_snippet(snippets.get(topic.id) or topic.summary, 300)
        category = CATEGORY_LABELS.get(topic.category, topic.category)
        embed.add_field(
            name=clip(f"{number}. {topic.title}", EMBED_TITLE_MAX),
            value=clip(f"*{category}* · `{topic.slug}`\n{snippet}", EMBED_FIELD_VALUE_MAX),
            inline=False,
        )
    count = f"{len(result.topic_ids)}{'+' if result.truncated or len(result.topic_ids) >= SEARCH_RESULTS_MAX else ''}"
    embed.set_footer(text=f"Page {page + 1}/{pages} · {count} result(s) · best matches first")
    return embed


def review_embed(topic: Topic) -> discord.Embed:
    colour = {"approved": SUCCESS, "rejected": DANGER}.get(topic.status)
    status = clip(
        {
            "pending": "Waiting for review",
            "approved": f"Approved by <@{topic.reviewed_by}>",
            "rejected": f"Rejected by <@{topic.reviewed_by}>: {topic.review_reason or 'no reason given'}",
        }[topic.status],
        EMBED_FIELD_VALUE_MAX,
    )
    author = f"<@{topic.author_id}>" if topic.author_id else "unknown"
    extra = [
        ("Status", status, False),
        ("Suggested by", f"{author} {timestamp(topic.created_at.timestamp(), 'R')}", True),
        ("Category", CATEGORY_LABELS.get(topic.category, topic.category), True),
    ]
    embed = topic_embed(
        topic,
        heading=f"📝 Suggested topic: {user_text(topic.title)}",
        reserve=sum(len(n) + len(v) for n, v, _ in extra),
        as_typed=topic.author_id is not None,
    )
    if colour is not None:
        embed.colour = colour
    for position, (name, value, inline) in enumerate(extra):
        embed.insert_field_at(position, name=name, value=value, inline=inline)
    return embed


# --- persistent components --------------------------------------------------------------------------


def learning_cog(interaction: discord.Interaction[Any]) -> LearningCog:
    cog = interaction.client.get_cog("Learning")
    if not isinstance(cog, LearningCog):
        raise NotConfigured("Learning topics are not available right now; try again in a minute.")
    return cog


class OpenTopicButton(
    SafeCallback, discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"nexus:learn:open:(?P<slug>{SLUG_PATTERN})"
):
    """Opens a topic (related topics, suggestions, tips) for whoever presses it; works across restarts."""

    def __init__(self, slug: str, label: str = "Open topic") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, BUTTON_LABEL_MAX),
                style=discord.ButtonStyle.secondary,
                custom_id=f"nexus:learn:open:{slug}",
            )
        )
        self.slug = slug

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> OpenTopicButton:
        return cls(match["slug"])

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        cog = learning_cog(interaction)
        topic = await cog.store.by_slug(self.slug)
        if topic is None:
            raise NotFound("That topic is no longer available; try `/learn search`.")
        await cog.send_topic(interaction, topic, ephemeral=True)


class ReviewButton(
    SafeCallback,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"nexus:learn:(?P<action>approve|reject):(?P<id>\d+)",
):
    """Approve / Reject on a suggested topic in the staff review channel (staff only, checked on press)."""

    def __init__(self, action: str, topic_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Approve" if action == "approve" else "Reject",
                style=discord.ButtonStyle.success if action == "approve" else discord.ButtonStyle.danger,
                custom_id=f"nexus:learn:{action}:{topic_id}",
            )
        )
        self.action = action
        self.topic_id = topic_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReviewButton:
        return cls(match["action"], int(match["id"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await require_staff(interaction)
        cog = learning_cog(interaction)
        if self.action == "approve":
            await cog.approve(interaction, self.topic_id)
        else:
            topic = await cog.pending_topic(self.topic_id)
            await interaction.response.send_modal(RejectModal(topic))


def review_view(topic: Topic) -> discord.ui.View | None:
    if topic.status != "pending":
        return None
    return inert_view(ReviewButton("approve", topic.id), ReviewButton("reject", topic.id))


def related_view(related: list[Topic]) -> discord.ui.View | None:
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
        await learning_cog(interaction).submit_suggestion(interaction, self.draft())


class EditModal(TopicModal):
    def __init__(self, topic: Topic) -> None:
        super().__init__(clip(f"Edit: {topic.title}", 45), topic)

    def fresh(self) -> EditModal:
        assert self.topic is not None
        return EditModal(self.topic)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await require_staff(interaction)
        assert self.topic is not None
        await learning_cog(interaction).save_edit(interaction, self.topic, self.draft())


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
        await learning_cog(interaction).reject(interaction, self.topic_id, self.reason.value.strip())


# --- search pages -------------------------------------------------------------------------------


class SearchView(OwnedView):
    """Previous / Next through ranked results, and a menu to open one of the page's topics."""

    def __init__(self, cog: LearningCog, owner_id: int, query: str, result: RankedSearch) -> None:
        super().__init__(owner_id)
        self.cog = cog
        self.query = query
        self.result = result
        self.page = 0
        self.pages = max(1, -(-len(result.topic_ids) // PAGE_SIZE))

    async def render(self) -> discord.Embed:
        ids = self.result.topic_ids[self.page * PAGE_SIZE : (self.page + 1) * PAGE_SIZE]
        topics = await self.cog.store.many(ids)
        snippets = await self.cog.store.snippets(self.result.match, ids) if self.result.match else {}
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        # at runtime the decorated callback is the Select item itself
        menu = cast("discord.ui.Select[SearchView]", self.open)
        menu.options = [
            discord.SelectOption(label=clip(t.title, 100), value=t.slug, description=clip(t.summary, 100))
            for t in topics
        ]
        return search_embed(self.query, topics, snippets, self.result, self.page)

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
        topic = await self.cog.store.by_slug(select.values[0])
        if topic is None:
            raise NotFound("That topic is no longer available.")
        await self.cog.send_topic(interaction, topic, ephemeral=True)


# --- the cog ----------------------------------------------------------------------------------------


class LearningCog(commands.GroupCog, name="Learning", group_name="learn", group_description="Learning topics"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.store = TopicStore(bot.db)
        self.index = NameIndex([])
        self._planned_tips: set[str] = set()
        self._tips_checked_at: datetime | None = None
        super().__init__()

    async def cog_load(self) -> None:
        loaded = load_topics()
        for problem in loaded.problems:
            log.error("Learning topic content: %s", problem)
        report = await self.store.seed_shipped(loaded.topics, self.bot.clock.now())
        log.info(
            "Learning topics: %d added, %d updated, %d unchanged%s",
            report.inserted,
            report.updated,
            report.unchanged,
            f", {len(report.skipped)} kept as community topics ({', '.join(report.skipped)})" if report.skipped else "",
        )
        await self.refresh_index()
        self.bot.add_dynamic_items(OpenTopicButton, ReviewButton)
        self.bot.scheduler.register(TIP_KIND, self.run_tip)
        self.bot.scheduler.add_ticker(self.plan_tips)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(OpenTopicButton, ReviewButton)

    async def refresh_index(self) -> None:
        """Rebuild the in-memory name index after a write (seed, approve, edit)."""
        self.index = NameIndex(await self.store.names())

    # --- used by other cogs (questions) -------------------------------------------------------

    def autocomplete_topics(self, current: str) -> list[tuple[str, str]]:
        """(label, slug) pairs for an autocomplete, best first, at most 25."""
        return [(s.label, s.slug) for s in self.index.complete(current)]

    async def related_topics(self, text: str, limit: int = 3) -> list[tuple[str, str]]:
        """(slug, title) of the topics best matching free text, for "these topics may help"."""
        result = await ranked_search(self.store, self.index, text, limit)
        return [(t.slug, t.title) for t in await self.store.many(result.topic_ids[:limit])]

    # --- shared actions -------------------------------------------------------------------------

    async def send_topic(
        self, interaction: discord.Interaction[Any], topic: Topic, *, ephemeral: bool, heading: str | None = None
    ) -> None:
        """Answer with the topic and its related topics as buttons; counts one lookup."""
        related = await self.store.by_slugs(topic.related)
        kwargs: dict[str, Any] = {"embed": topic_embed(topic, heading=heading), "ephemeral": ephemeral}
        view = related_view(related)
        if view is not None:
            kwargs["view"] = view
        # Counted before answering, so the count is already stored when the learner sees the topic.
        await self.store.record_use(topic.id)
        self.index.bump(topic.id)
        await interaction.response.send_message(**kwargs)

    async def resolve(self, name: str) -> Topic:
        topic_id = self.index.resolve(name)
        topic = await self.store.get(topic_id) if topic_id is not None else None
        if topic is None or topic.status != "approved":
            hints = self.index.did_you_mean(name)
            hint = " Did you mean " + ", ".join(f"**{s.title}**" for s in hints) + "?" if hints else ""
            raise NotFound(
                f"No topic called `{clip(name, 80)}`.{hint} Pick one from the list as you type, "
                "or use `/learn search` to look inside topics."
            )
        return topic

    async def pending_topic(self, topic_id: int) -> Topic:
        topic = await self.store.get(topic_id)
        if topic is None:
            raise NotFound("That suggested topic no longer exists.")
        if topic.status != "pending":
            by = f" by <@{topic.reviewed_by}>" if topic.reviewed_by else ""
            raise Conflict(f"**{topic.title}** was already {topic.status}{by}; nothing to do.")
        return topic

    async def _name_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=s.label, value=s.slug) for s in self.index.complete(current)]

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
        await self.send_topic(interaction, await self.resolve(name), ephemeral=not share)

    @app_commands.command(name="search", description="Search inside all learning topics, best matches first")
    @app_commands.describe(query="Words to look for, e.g. split a risky migration, redis cache, dockerfile")
    async def search(self, interaction: discord.Interaction[NexusBot], query: app_commands.Range[str, 1, 200]) -> None:
        """Full-text search with highlighted excerpts, five per page; suggests names when nothing matches."""
        result = await ranked_search(self.store, self.index, query, SEARCH_RESULTS_MAX)
        if not result.topic_ids:
            await self._no_results(interaction, query, result.suggestions)
            return
        view = SearchView(self, interaction.user.id, query, result)
        embed = await view.render()
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        view.message = await interaction.original_response()

    async def _no_results(
        self, interaction: discord.Interaction[Any], query: str, suggestions: tuple[Suggestion, ...]
    ) -> None:
        text = f"No topic matches `{clip(' '.join(query.split()), 100)}`."
        if suggestions:
            text += " Did you mean " + ", ".join(f"**{s.title}**" for s in suggestions) + "?"
        else:
            text += " Try fewer or different words, or browse with `/learn random`."
        view = inert_view(*(OpenTopicButton(s.slug, s.title) for s in suggestions))
        kwargs: dict[str, Any] = {"ephemeral": True}
        if view is not None:
            kwargs["view"] = view
        await interaction.response.send_message(text, **kwargs)

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
        topic = await self.store.random(category.value if category else None)
        if topic is None:
            raise NotFound("There are no topics in that category yet; suggest one with `/learn suggest`.")
        await self.send_topic(interaction, topic, ephemeral=not share)

    @app_commands.command(name="popular", description="The most looked-up learning topics")
    async def popular(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Top ten topics by lookups."""
        topics = await self.store.popular(10)
        if not topics:
            raise NotFound("Nobody has looked up a topic yet; start with `/learn topic` or `/learn random`.")
        lines = [
            f"**{n}.** {clip(t.title, 100)} · {t.uses} lookup{'s' if t.uses != 1 else ''}"
            for n, t in enumerate(topics, start=1)
        ]
        embed = nexus_embed("Popular learning topics", "\n".join(lines))
        await interaction.response.send_message(
            embed=embed, view=related_view(topics[:5]) or discord.utils.MISSING, ephemeral=True
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
        await interaction.response.send_modal(EditModal(await self.resolve(name)))

    # --- suggestion and review ----------------------------------------------------------------------

    async def _unique_slug(self, title: str) -> str:
        base = slugify(title)
        slug, n = base, 2
        while await self.store.slug_exists(slug):
            slug, n = f"{base}-{n}", n + 1
        return slug

    async def submit_suggestion(self, interaction: discord.Interaction[Any], draft: TopicDraft) -> None:
        assert interaction.guild is not None
        if self.index.exact(draft.title) is not None:
            raise Conflict(
                f"A topic called **{user_text(draft.title)}** already exists: "
                f"see `/learn topic name:{draft.title.replace('`', '')}`."
            )
        topic = await self.store.create(
            await self._unique_slug(draft.title),
            draft,
            self.bot.clock.now(),
            author_id=interaction.user.id,
            guild_id=interaction.guild.id,
        )
        log.info("Topic %s suggested by %s", topic.slug, interaction.user.id)
        posted = await self.post_for_review(interaction.guild, topic)
        if posted:
            text = f"Thanks! **{user_text(topic.title)}** is waiting for staff review; I'll DM you the outcome."
        else:
            text = (
                f"Thanks! **{user_text(topic.title)}** is saved and waiting for review. "
                "Staff haven't chosen a review channel yet: staff, set one with `/nexus setup review_channel:` "
                "and pending suggestions will be posted there."
            )
        await interaction.response.send_message(text, ephemeral=True)

    async def post_for_review(self, guild: discord.Guild, topic: Topic) -> bool:
        """Post a pending topic with Approve / Reject in the review channel; False if there is none."""
        settings = await self.bot.services.cohort.settings(guild.id)
        channel = guild.get_channel(settings.review_channel_id) if settings and settings.review_channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return False
        perms = channel.permissions_for(guild.me)
        if not (perms.send_messages and perms.embed_links):
            log.warning("Cannot post topic %s for review in %s: missing permissions", topic.id, channel.id)
            return False
        message = await channel.send(embed=review_embed(topic), view=review_view(topic) or discord.utils.MISSING)
        await self.store.set_review_message(topic.id, channel.id, message.id)
        return True

    @commands.Cog.listener()
    async def on_nexus_settings_changed(self, settings: GuildSettings) -> None:
        """Suggestions made before a review channel existed are posted once it is set."""
        self._tips_checked_at = None
        guild = self.bot.get_guild(settings.guild_id)
        if guild is None or not settings.review_channel_id:
            return
        for topic in await self.store.pending_unposted(guild.id):
            if not await self.post_for_review(guild, topic):
                break

    async def _tell_author(self, topic: Topic, text: str) -> bool:
        if topic.author_id is None:
            return False
        try:
            user = self.bot.get_user(topic.author_id) or await self.bot.fetch_user(topic.author_id)
            await user.send(text)
        except discord.HTTPException as exc:
            log.info("Could not DM author %s of topic %s: %s", topic.author_id, topic.id, exc)
            return False
        return True

    async def approve(self, interaction: discord.Interaction[Any], topic_id: int) -> None:
        topic = await self.store.approve(topic_id, interaction.user.id, self.bot.clock.now())
        await self.refresh_index()
        await interaction.response.edit_message(embed=review_embed(topic), view=None)
        told = await self._tell_author(
            topic,
            f"✅ Your suggested topic **{user_text(topic.title)}** was approved: everyone can now open it with "
            f"`/learn topic name:{topic.slug}`. Thank you!",
        )
        if not told:
            await interaction.followup.send("Approved. I couldn't DM the author (DMs closed).", ephemeral=True)
        log.info("Topic %s approved by %s", topic.slug, interaction.user.id)

    async def reject(self, interaction: discord.Interaction[Any], topic_id: int, reason: str) -> None:
        topic = await self.store.reject(topic_id, interaction.user.id, reason, self.bot.clock.now())
        embed = review_embed(topic)
        if interaction.message is not None:
            await interaction.response.edit_message(embed=embed, view=None)
        else:
            await interaction.response.send_message("Rejected.", ephemeral=True)
        told = await self._tell_author(
            topic,
            f"Your suggested topic **{user_text(topic.title)}** was not added. Staff said: {reason}\n"
            "You're welcome to improve it and suggest it again with `/learn suggest`.",
        )
        if not told:
            await interaction.followup.send("Rejected. I couldn't DM the author (DMs closed).", ephemeral=True)
        log.info("Topic %s rejected by %s", topic.slug, interaction.user.id)

    async def save_edit(self, interaction: discord.Interaction[Any], topic: Topic, draft: TopicDraft) -> None:
        other = self.index.exact(draft.title)
        if other is not None and other != topic.id:
            raise Conflict(f"Another topic is already called **{draft.title}**; choose a different title.")
        updated = await self.store.update_content(topic.id, draft, self.bot.clock.now())
        await self.refresh_index()
        note = (
            " It was a shipped topic: it is now maintained here, and content updates from the repository "
            "no longer overwrite it."
            if topic.source == "shipped"
            else ""
        )
        await interaction.response.send_message(
            f"Saved **{updated.title}**.{note}", embed=topic_embed(updated), ephemeral=True
        )
        log.info("Topic %s edited by %s", updated.slug, interaction.user.id)

    # --- tip of the day ---------------------------------------------------------------------------

    async def configure_tips(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | None,
        hour: int | None,
        off: bool,
    ) -> None:
        """/nexus tips: where and when (UTC hour) the daily tip is posted, or off."""
        assert interaction.guild is not None
        guild = interaction.guild
        now = self.bot.clock.now()
        if off:
            await self.bot.services.cohort.update(guild.id, now, tip_hour=None)
            self._tips_checked_at = None
            await interaction.response.send_message("Tip of the day is **off**.", ephemeral=True)
            return
        settings = await self.bot.services.cohort.settings(guild.id)
        if hour is None and (settings is None or settings.tip_hour is None):
            raise InvalidInput("Give the `hour` (0–23, UTC) to post the tip at, or `off:True` to stop tips.")
        if channel is None:
            channel_id = (settings.tip_channel_id or settings.channel_id) if settings else None
            found = guild.get_channel(channel_id) if channel_id else None
            if not isinstance(found, discord.TextChannel):
                raise NotConfigured("Name the `channel` for tips (or set the project channel with `/nexus setup`).")
            channel = found
        perms = channel.permissions_for(guild.me)
        if not (perms.view_channel and perms.send_messages and perms.embed_links):
            raise BotMissingPermissions(
                f"I can't post tips in {channel.mention}: grant me View Channel, Send Messages and Embed Links there."
            )
        tip_hour = hour if hour is not None else settings.tip_hour if settings else None
        await self.bot.services.cohort.update(guild.id, now, tip_channel_id=channel.id, tip_hour=tip_hour)
        # Planned now, not on the next tick: a tip due within the second must not slip to tomorrow.
        self._tips_checked_at = None
        await self.plan_tips(now)
        next_at = self._next_tip_at(now, int(tip_hour or 0))
        await interaction.response.send_message(
            f"Tip of the day: every day at **{int(tip_hour or 0):02d}:00 UTC** in {channel.mention}; next one "
            f"{timestamp(next_at.timestamp(), 'R')}. Topics don't repeat until every topic has been shown.",
            ephemeral=True,
        )

    @staticmethod
    def _next_tip_at(now: datetime, hour: int) -> datetime:
        due = datetime.combine(now.date(), time(hour), tzinfo=UTC)
        return due if due >= now else due + timedelta(days=1)

    async def plan_tips(self, now: datetime) -> None:
        """Ticker: make sure the next tip of each configured guild is a stored job (idempotent by dedupe key)."""
        last = self._tips_checked_at
        if last is not None and timedelta(0) <= now - last < timedelta(seconds=30):
            return
        self._tips_checked_at = now
        for settings in await self.bot.services.cohort.all():
            if settings.tip_hour is None or settings.tip_channel_id is None:
                continue
            due = self._next_tip_at(now, settings.tip_hour)
            key = f"{TIP_KIND}:{settings.guild_id}:{due.date().isoformat()}:{settings.tip_hour}"
            if key in self._planned_tips:
                continue
            payload = {"guild_id": settings.guild_id, "day": due.date().isoformat(), "hour": settings.tip_hour}
            await self.bot.scheduler.schedule(TIP_KIND, due, payload, dedupe_key=key)
            self._planned_tips.add(key)

    async def run_tip(self, job: Job) -> None:
        """Post the day's tip, unless tips were turned off or moved to another hour since it was planned."""
        # Jobs due at start-up run before the guild cache is filled; without it the channel looks gone.
        await self.bot.wait_until_ready()
        guild_id, hour = int(job.payload["guild_id"]), int(job.payload["hour"])
        settings = await self.bot.services.cohort.settings(guild_id)
        if settings is None or settings.tip_hour != hour or settings.tip_channel_id is None:
            log.info("Tip job %s skipped: tips are off or moved", job.id)
            return
        channel = self.bot.get_channel(settings.tip_channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.warning("Tip channel %s of guild %s is gone; no tip posted", settings.tip_channel_id, guild_id)
            return
        topic = await self.store.pick_tip(guild_id, date.fromisoformat(job.payload["day"]), self.bot.clock.now())
        if topic is None:
            return
        embed = topic_embed(topic, heading=f"💡 Tip of the day: {topic.title}", with_body=False)
        view = inert_view(OpenTopicButton(topic.slug, "Read the full topic")) or discord.utils.MISSING
        await channel.send(embed=embed, view=view)
        log.info("Posted tip %s in guild %s", topic.slug, guild_id)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(LearningCog(bot))
