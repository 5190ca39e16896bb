"""The learning service on a real migrated SQLite file: lookup with typos, ranked search, suggestion review
rules, edits, lookups counted, and the tip of the day's planning and picking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import Conflict, InvalidInput, NotFound
from bot.services.container import Services
from bot.services.learning import LearningService, TopicDraft
from bot.services.search import excerpts
from db.database import Database

GUILD = 1
ALICE, STAFF = 10, 99
NOW = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


def draft(title: str, **extra: object) -> TopicDraft:
    base = TopicDraft(title=title, category="concepts", summary=f"About {title}.", body="Plain body.")
    return replace(base, **extra)  # type: ignore[arg-type]


async def test_lookup_forgives_typos_and_suggests_the_nearest_names(services: Services) -> None:
    learning = services.learning
    assert (await learning.topic("cachng strategies")).slug == "caching"
    assert (await learning.topic("dockr")).slug == "docker"
    assert (await learning.topic("DJNGO")).slug == "django"
    with pytest.raises(NotFound, match=r"Did you mean .*\*\*Caching Strategies\*\*") as near:
        await learning.topic("cachin stratgy")
    assert "`/learn search`" in str(near.value)
    with pytest.raises(NotFound) as nothing:
        await learning.topic("zzqx")
    assert "Did you mean" not in str(nothing.value) and "No topic called `zzqx`" in str(nothing.value)
    # The shapes sessions and questions rely on: (label, slug) and (slug, title).
    assert learning.autocomplete_topics("dock")[0] == ("Docker", "docker")
    related = await learning.related_topics("how do I write a dockerfile for django", 3)
    assert related[0] == ("docker", "Docker") and len(related) == 3


async def test_search_ranks_the_named_topic_first_and_pages_with_snippets(services: Services) -> None:
    learning = services.learning
    caching = await learning.topic("caching")
    result = await learning.search("caching strategies")
    assert result.mode == "all" and result.topic_ids[0] == caching.id
    page = await learning.search_page(result, 0, 5)
    assert page.topics[0].id == caching.id and len(page.topics) <= 5
    assert caching.id in page.snippets
    assert (await learning.search_page(result, 100, 5)).topics == []
    empty = await learning.search("qqqzzzxx")
    assert empty.topic_ids == () and empty.mode == "none"


async def test_the_first_search_page_needs_no_second_trip(services: Services, db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("counts SQLite statements")
    learning = services.learning
    result = await learning.search("cache api", first_page=5)
    assert len(result.topic_ids) > 5
    statements: list[str] = []
    await db.on_reader(lambda conn: conn.set_trace_callback(statements.append))
    try:
        first = await learning.search_page(result, 0, 5)
        assert first.snippets and statements == []  # read with the search
        second = await learning.search_page(result, 1, 5)
        assert second.snippets and len(statements) == 1  # the page's topics; excerpts are cut from them
    finally:
        await db.on_reader(lambda conn: conn.set_trace_callback(None))
    assert first.topics == list(result.page) and first.snippets == excerpts(result.terms, result.page)
    assert not set(first.snippets) & set(second.snippets)


async def test_lookups_are_counted_for_popular(services: Services) -> None:
    learning = services.learning
    with pytest.raises(NotFound, match="Nobody has looked up a topic yet"):
        await learning.popular()
    docker, redis = await learning.topic("docker"), await learning.topic("redis")
    for topic in (docker, redis, redis):
        await learning.opened(topic)
    assert [t.slug for t in (await learning.popular())[:2]] == ["redis", "docker"]
    # The autocomplete ranks by lookups too (the index was bumped without a reload).
    assert learning.index.popular(1)[0].slug == "redis"


async def test_look_up_counts_an_approved_topic_and_gives_its_related_ones(services: Services) -> None:
    """`/learn topic`: typos forgiven, the lookup counted (only for an approved topic), the related topics given."""
    learning = services.learning
    before = (await learning.topic("caching")).uses
    opened = await learning.look_up("cachng strategies")
    assert opened.topic.slug == "caching" and [t.slug for t in opened.related]
    assert (await learning.topic("caching")).uses == before + 1
    assert learning.index.popular(1)[0].slug == "caching"
    with pytest.raises(NotFound, match="Did you mean"):
        await learning.look_up("cachin stratgy")
    # A topic taken down after the index was built: not shown, not counted.
    suggested = await learning.store.create("pending-one", TopicDraft("Pending one", "concepts", "S.", "B."), NOW)
    await learning.store.record_use(suggested.id)
    assert (await learning.store.get(suggested.id)).uses == 0  # type: ignore[union-attr]


async def test_a_lookup_reads_its_related_topics_from_the_index_not_the_database(
    services: Services, db: Database
) -> None:
    """The related topics' buttons need a slug and a title, which the name index holds: showing a topic reads
    nothing more, and a related topic that is not approved (or no longer exists) gets no button."""
    if db.dialect != "sqlite":
        pytest.skip("counts SQLite statements")
    learning = services.learning
    caching = await learning.topic("caching")
    assert len(caching.related) >= 2
    statements: list[str] = []
    await db.on_reader(lambda conn: conn.set_trace_callback(statements.append))
    try:
        related = (await learning.opened(caching)).related
    finally:
        await db.on_reader(lambda conn: conn.set_trace_callback(None))
    assert statements == []
    expected = [t for t in [await learning.store.by_slug(s) for s in caching.related] if t is not None]
    assert [(t.slug, t.title) for t in related] == [(t.slug, t.title) for t in expected]
    assert learning.index.by_slugs([caching.related[0], "no-such-topic"])[0].slug == caching.related[0]
    assert learning.index.by_slugs(["no-such-topic"]) == []


async def test_a_suggestion_is_pending_until_staff_approve_it(services: Services) -> None:
    learning = services.learning
    with pytest.raises(Conflict, match="already exists"):
        await learning.suggest(draft("Docker"), author_id=ALICE, guild_id=GUILD)
    topic = await learning.suggest(draft("Event Sourcing"), author_id=ALICE, guild_id=GUILD)
    assert topic.status == "pending" and topic.slug == "event-sourcing" and topic.author_id == ALICE
    with pytest.raises(NotFound):
        await learning.topic("Event Sourcing")  # not visible before review
    assert [t.id for t in await learning.pending_unposted(GUILD)] == [topic.id]
    await learning.posted_for_review(topic.id, 500, 600)
    assert await learning.pending_unposted(GUILD) == []

    assert (await learning.pending_topic(topic.id)).id == topic.id
    approved = await learning.approve(topic.id, STAFF)
    assert approved.status == "approved" and approved.reviewed_by == STAFF
    assert (await learning.topic("event sourcng")).id == topic.id  # in the name index at once
    with pytest.raises(Conflict, match=rf"already approved by <@{STAFF}>"):
        await learning.pending_topic(topic.id)
    with pytest.raises(NotFound, match="no longer exists"):
        await learning.pending_topic(123456)
    # A second suggestion with the same slug base gets a fresh slug; a rejected one stays out of lookups.
    again = await learning.suggest(draft("Event-Sourcing!"), author_id=ALICE, guild_id=GUILD)
    assert again.slug == "event-sourcing-2"
    rejected = await learning.reject(again.id, STAFF, "Duplicate")
    assert rejected.status == "rejected" and rejected.review_reason == "Duplicate"
    with pytest.raises(Conflict, match="already rejected"):
        await learning.pending_topic(again.id)


async def test_edits_keep_titles_unique_and_say_when_a_shipped_topic_is_taken_over(services: Services) -> None:
    learning = services.learning
    docker = await learning.topic("docker")
    with pytest.raises(Conflict, match="Another topic is already called"):
        await learning.edit(docker, replace(docker.draft, title="Redis"), STAFF)
    saved = await learning.edit(docker, replace(docker.draft, title="Docker in practice"), STAFF)
    assert saved.was_shipped and saved.topic.title == "Docker in practice" and saved.topic.source != "shipped"
    assert (await learning.topic("docker in practise")).id == docker.id
    # Its own title is not a conflict, and a community topic is not "taken over".
    again = await learning.edit(saved.topic, saved.topic.draft, STAFF)
    assert not again.was_shipped


async def test_random_by_category_and_an_empty_category(services: Services, tmp_path: Path) -> None:
    topic = await services.learning.random("frontend")
    assert topic.category == "frontend" and topic.status == "approved"
    async with Database(tmp_path / "empty.db") as db:
        await db.migrate()
        empty = LearningService(db, services.clock, services.cohort)
        with pytest.raises(NotFound, match="no topics in that category"):
            await empty.random("concepts")


async def test_tips_are_planned_once_per_day_and_skipped_when_moved(services: Services) -> None:
    learning, cohort = services.learning, services.cohort
    with pytest.raises(InvalidInput, match="Give the `hour`"):
        await learning.tip_defaults(GUILD, None)
    await cohort.update(GUILD, NOW, channel_id=700)
    assert await learning.tip_defaults(GUILD, 9) == (9, 700)  # defaults to the project channel

    next_at = await learning.set_tips(GUILD, 701, 9)
    assert next_at == NOW.replace(hour=9, minute=0) + timedelta(days=1)  # 09:00 has passed today
    assert await learning.tip_defaults(GUILD, None) == (9, 701)
    jobs = await learning.plan_tips(NOW)
    assert [(j.due, j.payload) for j in jobs] == [(next_at, {"guild_id": GUILD, "day": "2026-12-02", "hour": 9})]
    for job in jobs:
        learning.tip_planned(job)
    assert await learning.plan_tips(NOW + timedelta(seconds=5)) == []  # checked moments ago
    learning.tips_changed()
    assert await learning.plan_tips(NOW + timedelta(seconds=5)) == []  # already planned

    payload = jobs[0].payload
    assert await learning.tip_channel_id(payload) == 701
    first = await learning.pick_tip(payload)
    assert first is not None and await learning.pick_tip(payload) is None  # a day's tip never posts twice
    next_day = await learning.pick_tip({**payload, "day": "2026-12-03"})
    assert next_day is not None and next_day.id != first.id  # no repeats until every topic was shown
    await learning.set_tips(GUILD, 701, 11)
    assert await learning.tip_channel_id(payload) is None  # moved to 11:00: the 09:00 job posts nothing
    await learning.tips_off(GUILD)
    assert await learning.plan_tips(NOW + timedelta(minutes=1)) == []


async def test_a_restart_parses_only_the_topic_files_that_changed(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `services` fixture seeded every shipped file; a second start finds them all as seeded and parses none."""
    import tomllib

    import bot.services.topic_content as topic_content

    shipped = len(topic_content.load_topics().topics)

    def no_parsing(text: str) -> object:
        raise AssertionError("an unchanged topic file was parsed again")

    monkeypatch.setattr(tomllib, "loads", no_parsing)
    report = await services.learning.sync_shipped()
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, shipped)
    assert services.learning.autocomplete_topics("dock")[0] == ("Docker", "docker")  # the index is built all the same


def test_unchanged_files_are_checked_with_their_seeded_related_slugs(tmp_path: Path) -> None:
    from bot.services.topic_content import TOPICS_DIR, content_hash, load_topics
    from db.stores.topic_models import SeededFile

    for name in ("docker.toml", "django.toml"):
        (tmp_path / name).write_bytes((TOPICS_DIR / name).read_bytes())
    (tmp_path / "redis.toml").write_bytes(b"not = [valid toml")
    seeded = {
        # As stored: its hash matches its file, so it is not parsed; its related slug is gone from the folder.
        "docker": SeededFile("shipped", content_hash((tmp_path / "docker.toml").read_bytes()), ("kubernetes",)),
        # Changed since: parsed again; a slug a community topic holds is parsed too (seeding keeps that topic).
        "django": SeededFile("shipped", "an older hash", ("docker",)),
        "redis": SeededFile("community", None, ()),
    }
    loaded = load_topics(tmp_path, seeded)
    assert loaded.unchanged == ("docker",)
    assert [t.slug for t in loaded.topics] == ["django"]
    assert loaded.problems[0].startswith("redis.toml: not valid TOML")
    assert "docker.toml: related slugs not found: kubernetes" in loaded.problems
    assert not any(p.startswith("django.toml: related") and "docker" in p for p in loaded.problems)
    # Without what the database holds every file is parsed, as a first start does.
    assert [t.slug for t in load_topics(tmp_path).topics] == ["django", "docker"]
