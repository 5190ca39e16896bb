"""Embeds for learning topics: a topic, a page of search results, a suggestion under review."""

from __future__ import annotations

import discord

from bot.app.ui import (
    DANGER,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    SUCCESS,
    clip,
    nexus_embed,
    timestamp,
)
from bot.services.learning import SEARCH_RESULTS_MAX, RankedSearch, Suggestion, Topic, TopicCard
from bot.services.search import render_snippet
from bot.services.text import plain_link, user_text
from bot.services.topic_content import CATEGORY_LABELS

PAGE_SIZE = 5


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
    query: str, topics: list[TopicCard], snippets: dict[int, str], result: RankedSearch, page: int
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


def did_you_mean(suggestions: tuple[Suggestion, ...] | list[Suggestion]) -> str:
    return "Did you mean " + ", ".join(f"**{s.title}**" for s in suggestions) + "?"


def no_results_text(query: str, suggestions: tuple[Suggestion, ...]) -> str:
    text = f"No topic matches `{clip(' '.join(query.split()), 100)}`."
    if suggestions:
        text += " " + did_you_mean(suggestions)
    else:
        text += " Try fewer or different words, or browse with `/learn random`."
    return text


def popular_embed(topics: list[Topic]) -> discord.Embed:
    lines = [
        f"**{n}.** {clip(t.title, 100)} · {t.uses} lookup{'s' if t.uses != 1 else ''}"
        for n, t in enumerate(topics, start=1)
    ]
    return nexus_embed("Popular learning topics", "\n".join(lines))
