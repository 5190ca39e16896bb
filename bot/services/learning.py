"""Learning topics: lookup with typos forgiven, ranked search, suggestions and their review, tips of the day.

`LearningService` owns the topic store and the in-memory name index (the one cache of topic names), syncs the
shipped content at start, and holds the rules; the learning cog renders what it returns. Sessions and
questions use `autocomplete_topics` and `related_topics`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.scheduler import Scheduler
from bot.services.cohort import CohortService
from bot.services.search import IndexedTopic, NameIndex, RankedSearch, Suggestion, excerpts, ranked_search
from bot.services.text import user_text
from bot.services.topic_content import load_topics, slugify
from db.database import Database
from db.stores.topic_search import in_order
from db.stores.topics import CATEGORIES, SeedReport, Topic, TopicCard, TopicDraft, TopicStore

__all__ = [
    "CATEGORIES",
    "SEARCH_RESULTS_MAX",
    "TIP_KIND",
    "IndexedTopic",
    "LearningService",
    "OpenedTopic",
    "RankedSearch",
    "SavedEdit",
    "SearchPage",
    "Suggestion",
    "TipJob",
    "Topic",
    "TopicCard",
    "TopicDraft",
]

log = logging.getLogger(__name__)

SEARCH_RESULTS_MAX = 50
POPULAR_MAX = 10
TIP_KIND = "learn.tip"
TIPS_RECHECK = timedelta(seconds=30)


def clip_name(text: str, limit: int) -> str:
    """As bot.app.ui.clip (which this layer cannot import)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class OpenedTopic:
    """A topic being shown (its lookup counted) and its approved related topics."""

    topic: Topic
    related: list[IndexedTopic]


@dataclass(frozen=True)
class SearchPage:
    """The topics of one page of a ranked search, with their highlighted excerpts."""

    topics: list[TopicCard]
    snippets: dict[int, str]


@dataclass(frozen=True)
class SavedEdit:
    topic: Topic
    was_shipped: bool  # a shipped topic edited here is no longer overwritten by content updates


@dataclass(frozen=True)
class TipJob:
    """The next tip of a guild, to be stored as a job (the dedupe key makes planning idempotent)."""

    due: datetime
    payload: dict[str, Any]
    key: str


def next_tip_at(now: datetime, hour: int) -> datetime:
    due = datetime.combine(now.date(), time(hour), tzinfo=UTC)
    return due if due >= now else due + timedelta(days=1)


class LearningService:
    def __init__(self, db: Database, clock: Clock, cohort: CohortService) -> None:
        self.store = TopicStore(db)
        self.clock = clock
        self.cohort = cohort
        self.index = NameIndex([])
        self._planned_tips: set[str] = set()
        self._tips_checked_at: datetime | None = None

    # --- start and cache ----------------------------------------------------------------------------

    async def sync_shipped(self) -> SeedReport:
        """Bring the shipped topics (content/) into the database and build the name index."""
        stored = await self.store.seeded_files()
        loaded = load_topics(seeded=stored)
        for problem in loaded.problems:
            log.error("Learning topic content: %s", problem)
        seeded = await self.store.seed_shipped(loaded.topics, self.clock.now(), stored)
        report = replace(seeded, unchanged=seeded.unchanged + len(loaded.unchanged))
        log.info(
            "Learning topics: %d added, %d updated, %d unchanged%s",
            report.inserted,
            report.updated,
            report.unchanged,
            f", {len(report.skipped)} kept as community topics ({', '.join(report.skipped)})" if report.skipped else "",
        )
        await self.refresh_index()
        return report

    async def refresh_index(self) -> None:
        """Rebuild the in-memory name index after a write (seed, approve, edit)."""
        self.index = NameIndex(await self.store.names())

    # --- used by other features (questions, sessions) -------------------------------------------------

    def autocomplete_topics(self, current: str) -> list[tuple[str, str]]:
        """(label, slug) pairs for an autocomplete, best first, at most 25."""
        return [(s.label, s.slug) for s in self.index.complete(current)]

    async def related_topics(self, text: str, limit: int = 3) -> list[tuple[str, str]]:
        """(slug, title) of the topics best matching free text, for "these topics may help"."""
        result = await ranked_search(self.store, self.index, text, limit)
        return [(t.slug, t.title) for t in await self.store.many(result.topic_ids[:limit])]

    # --- looking topics up --------------------------------------------------------------------------

    async def topic(self, name: str) -> Topic:
        """The approved topic a name, slug or alias (typos forgiven) stands for, or a did-you-mean NotFound."""
        topic_id = self.index.resolve(name)
        topic = await self.store.get(topic_id) if topic_id is not None else None
        if topic is None or topic.status != "approved":
            raise self._no_topic(name)
        return topic

    async def look_up(self, name: str) -> OpenedTopic:
        """`/learn topic`: the topic a name stands for (as `topic`), its lookup counted, its related topics.

        The name index already knows the id, so the count and the read are one statement: the answer waits for
        one trip to the database (on PostgreSQL one server process woken, not two)."""
        topic_id = self.index.resolve(name)
        if topic_id is None:
            raise self._no_topic(name)
        topic = await self.store.open_approved(topic_id)
        if topic is None:
            raise self._no_topic(name)
        self.index.bump(topic.id)
        return OpenedTopic(topic, self.index.by_slugs(topic.related))

    def _no_topic(self, name: str) -> NotFound:
        hints = self.index.did_you_mean(name)
        hint = " Did you mean " + ", ".join(f"**{s.title}**" for s in hints) + "?" if hints else ""
        return NotFound(
            f"No topic called `{clip_name(name, 80)}`.{hint} Pick one from the list as you type, "
            "or use `/learn search` to look inside topics."
        )

    async def by_slug(self, slug: str, missing: str = "That topic is no longer available.") -> Topic:
        topic = await self.store.by_slug(slug)
        if topic is None:
            raise NotFound(missing)
        return topic

    async def opened(self, topic: Topic) -> OpenedTopic:
        """Count one lookup of the topic (before it is shown) and return its approved related topics (from the
        name index: their slugs and titles are all a button needs)."""
        related = self.index.by_slugs(topic.related)
        await self.store.record_use(topic.id)
        self.index.bump(topic.id)
        return OpenedTopic(topic, related)

    async def search(self, query: str, first_page: int = 0) -> RankedSearch:
        """Ranked topics; with `first_page`, the excerpts of that many first results too (one database trip)."""
        return await ranked_search(self.store, self.index, query, SEARCH_RESULTS_MAX, page=first_page)

    async def search_page(self, result: RankedSearch, page: int, page_size: int) -> SearchPage:
        return await self.results(result, page * page_size, page_size)

    async def results(self, result: RankedSearch, offset: int, limit: int) -> SearchPage:
        """`limit` results of a search from `offset` on, with their excerpts (the bot's pages, the web API)."""
        ids = result.topic_ids[offset : offset + limit]
        if set(ids) <= set(result.snippets_for):  # read with the search
            return SearchPage(in_order(result.page, ids), {i: result.snippets[i] for i in ids if i in result.snippets})
        topics = await self.store.cards(ids)
        return SearchPage(topics, excerpts(result.terms, topics) if result.match else {})

    async def random(self, category: str | None = None) -> Topic:
        topic = await self.store.random(category)
        if topic is None:
            raise NotFound("There are no topics in that category yet; suggest one with `/learn suggest`.")
        return topic

    async def popular(self) -> list[Topic]:
        topics = await self.store.popular(POPULAR_MAX)
        if not topics:
            raise NotFound("Nobody has looked up a topic yet; start with `/learn topic` or `/learn random`.")
        return topics

    # --- suggestions and review ---------------------------------------------------------------------

    async def _unique_slug(self, title: str) -> str:
        base = slugify(title)
        slug, n = base, 2
        while await self.store.slug_exists(slug):
            slug, n = f"{base}-{n}", n + 1
        return slug

    async def suggest(self, draft: TopicDraft, *, author_id: int, guild_id: int) -> Topic:
        """A learner's topic, saved as pending review; refused when a topic of that name exists."""
        if self.index.exact(draft.title) is not None:
            raise Conflict(
                f"A topic called **{user_text(draft.title)}** already exists: "
                f"see `/learn topic name:{draft.title.replace('`', '')}`."
            )
        topic = await self.store.create(
            await self._unique_slug(draft.title), draft, self.clock.now(), author_id=author_id, guild_id=guild_id
        )
        log.info("Topic %s suggested by %s", topic.slug, author_id)
        return topic

    async def review_channel_id(self, guild_id: int) -> int | None:
        settings = await self.cohort.settings(guild_id)
        return settings.review_channel_id if settings and settings.review_channel_id else None

    async def posted_for_review(self, topic_id: int, channel_id: int, message_id: int) -> None:
        await self.store.set_review_message(topic_id, channel_id, message_id)

    async def pending_unposted(self, guild_id: int) -> list[Topic]:
        return await self.store.pending_unposted(guild_id)

    async def pending_topic(self, topic_id: int) -> Topic:
        """A suggestion still waiting for review, or why there is nothing to review."""
        topic = await self.store.get(topic_id)
        if topic is None:
            raise NotFound("That suggested topic no longer exists.")
        if topic.status != "pending":
            by = f" by <@{topic.reviewed_by}>" if topic.reviewed_by else ""
            raise Conflict(f"**{topic.title}** was already {topic.status}{by}; nothing to do.")
        return topic

    async def approve(self, topic_id: int, reviewer_id: int) -> Topic:
        topic = await self.store.approve(topic_id, reviewer_id, self.clock.now())
        await self.refresh_index()
        log.info("Topic %s approved by %s", topic.slug, reviewer_id)
        return topic

    async def reject(self, topic_id: int, reviewer_id: int, reason: str) -> Topic:
        topic = await self.store.reject(topic_id, reviewer_id, reason, self.clock.now())
        log.info("Topic %s rejected by %s", topic.slug, reviewer_id)
        return topic

    async def edit(self, topic: Topic, draft: TopicDraft, editor_id: int) -> SavedEdit:
        other = self.index.exact(draft.title)
        if other is not None and other != topic.id:
            raise Conflict(f"Another topic is already called **{draft.title}**; choose a different title.")
        updated = await self.store.update_content(topic.id, draft, self.clock.now())
        await self.refresh_index()
        log.info("Topic %s edited by %s", updated.slug, editor_id)
        return SavedEdit(updated, topic.source == "shipped")

    # --- tip of the day -----------------------------------------------------------------------------

    def tips_changed(self) -> None:
        """Settings changed: plan again on the next tick, not up to 30 s later."""
        self._tips_checked_at = None

    async def tips_off(self, guild_id: int) -> None:
        await self.cohort.update(guild_id, self.clock.now(), tip_hour=None)
        self.tips_changed()

    async def tip_defaults(self, guild_id: int, hour: int | None) -> tuple[int, int | None]:
        """(hour, default channel id) for `/nexus tips`: the hour given or stored; the tip or project channel."""
        settings = await self.cohort.settings(guild_id)
        stored = settings.tip_hour if settings else None
        if hour is None and stored is None:
            raise InvalidInput("Give the `hour` (0–23, UTC) to post the tip at, or `off:True` to stop tips.")
        channel_id = (settings.tip_channel_id or settings.channel_id) if settings else None
        return int(hour if hour is not None else stored or 0), channel_id or None

    async def set_tips(self, guild_id: int, channel_id: int, hour: int) -> datetime:
        """Post tips in this channel at this UTC hour; returns when the next one is due."""
        now = self.clock.now()
        await self.cohort.update(guild_id, now, tip_channel_id=channel_id, tip_hour=hour)
        self.tips_changed()
        return next_tip_at(now, hour)

    async def plan_tips(self, now: datetime) -> list[TipJob]:
        """The tip jobs to store now (at most once per 30 s; each guild's next tip once)."""
        last = self._tips_checked_at
        if last is not None and timedelta(0) <= now - last < TIPS_RECHECK:
            return []
        self._tips_checked_at = now
        jobs = []
        for settings in await self.cohort.all():
            if settings.tip_hour is None or settings.tip_channel_id is None:
                continue
            due = next_tip_at(now, settings.tip_hour)
            key = f"{TIP_KIND}:{settings.guild_id}:{due.date().isoformat()}:{settings.tip_hour}"
            if key in self._planned_tips:
                continue
            payload = {"guild_id": settings.guild_id, "day": due.date().isoformat(), "hour": settings.tip_hour}
            jobs.append(TipJob(due, payload, key))
        return jobs

    def tip_planned(self, job: TipJob) -> None:
        self._planned_tips.add(job.key)

    async def schedule_tips(self, now: datetime, scheduler: Scheduler) -> None:
        """Make sure the next tip of each configured guild is a stored job (idempotent by dedupe key)."""
        for job in await self.plan_tips(now):
            await scheduler.schedule(TIP_KIND, job.due, job.payload, dedupe_key=job.key)
            self.tip_planned(job)

    async def tip_channel_id(self, payload: dict[str, Any]) -> int | None:
        """Where a planned tip goes, or None when tips were turned off or moved to another hour since."""
        settings = await self.cohort.settings(int(payload["guild_id"]))
        if settings is None or settings.tip_hour != int(payload["hour"]) or settings.tip_channel_id is None:
            return None
        return settings.tip_channel_id

    async def pick_tip(self, payload: dict[str, Any]) -> Topic | None:
        """The day's topic, recorded (None if that day already had one); no repeats until every topic was shown."""
        day = date.fromisoformat(payload["day"])
        return await self.store.pick_tip(int(payload["guild_id"]), day, self.clock.now())
