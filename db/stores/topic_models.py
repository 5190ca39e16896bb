"""The rows of the learning-topic store: topics, drafts, names, search hits, and how they are stored."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from db.stores._values import dataclass_from_row

# A topic row's columns, in the order `Topic` declares them.
TOPIC_COLUMNS = (
    "id, slug, title, category, aliases, summary, body, key_points, resources, related, status, source, "
    "content_hash, author_id, guild_id, uses, reviewed_by, review_reason, review_channel_id, review_message_id, "
    "created_at, updated_at"
)


class Resource(NamedTuple):
    """A topic's link, stored as its [title, url] pair."""

    title: str
    url: str


@dataclass(frozen=True)
class TopicDraft:
    """What a topic says; used for shipped content, suggestions and staff edits."""

    title: str
    category: str
    summary: str
    body: str
    resources: tuple[Resource, ...] = ()
    aliases: tuple[str, ...] = ()
    key_points: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicCard:
    """What a list of search results shows of a topic, and the text its excerpt is cut from."""

    id: int
    slug: str
    title: str
    category: str
    summary: str
    body: str


CARD_COLUMNS = "id, slug, title, category, summary, body"  # in TopicCard's order: TopicCard(*row)


@dataclass(frozen=True)
class ShippedTopic:
    """A curated topic from content/topics/<slug>.toml with the hash of its file."""

    slug: str
    draft: TopicDraft
    content_hash: str


class SeededFile(NamedTuple):
    """A stored topic as seeding sees it: where it comes from ("shipped" or "community"), the hash of the file a
    curated one was seeded from, and its related slugs."""

    source: str
    content_hash: str | None
    related: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    id: int
    slug: str
    title: str
    category: str
    aliases: tuple[str, ...]
    summary: str
    body: str
    key_points: tuple[str, ...]
    resources: tuple[Resource, ...]
    related: tuple[str, ...]
    status: str
    source: str
    content_hash: str | None
    author_id: int | None
    guild_id: int | None
    uses: int
    reviewed_by: int | None
    review_reason: str | None
    review_channel_id: int | None
    review_message_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Topic:
        return dataclass_from_row(
            cls,
            row,
            aliases=split_aliases(row["aliases"]),
            key_points=tuple(json.loads(row["key_points"])),
            resources=tuple(Resource(t, u) for t, u in json.loads(row["resources"])),
            related=tuple(json.loads(row["related"])),
        )

    @property
    def draft(self) -> TopicDraft:
        return TopicDraft(
            self.title,
            self.category,
            self.summary,
            self.body,
            self.resources,
            self.aliases,
            self.key_points,
            self.related,
        )


@dataclass(frozen=True)
class TopicName:
    """The names of an approved topic, for the in-memory autocomplete index."""

    id: int
    slug: str
    title: str
    aliases: tuple[str, ...]
    category: str
    uses: int


class SearchHit(NamedTuple):  # a tuple, not a dataclass: a search builds 50 of them, a third of the cost
    topic_id: int
    score: float  # bm25: lower is better


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    matched: int  # matches looked at (== SEARCH_SCAN_CAP means "at least")
    truncated: bool
    match: str | None = None  # TopicStore.search_first: the expression that found the hits
    # TopicStore.search_first: the first page of results, read with them (pinned as `pinned` orders them)
    page: tuple[TopicCard, ...] = ()


@dataclass(frozen=True)
class SeedReport:
    inserted: int
    updated: int
    unchanged: int
    skipped: tuple[str, ...]  # slugs held by community topics, never overwritten


def split_aliases(text: str) -> tuple[str, ...]:
    return tuple(a for a in text.split("\n") if a)


def join_aliases(aliases: Iterable[str]) -> str:
    return "\n".join(a.replace("\n", " ").strip() for a in aliases if a.strip())


def draft_params(draft: TopicDraft) -> dict[str, object]:
    return {
        "title": draft.title,
        "category": draft.category,
        "aliases": join_aliases(draft.aliases),
        "summary": draft.summary,
        "body": draft.body,
        "key_points": json.dumps(list(draft.key_points)),
        "resources": json.dumps(draft.resources),
        "related": json.dumps(list(draft.related)),
    }
