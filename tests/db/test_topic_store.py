"""The topic store on a real migrated SQLite file: seeding, FTS sync, search safety, review, tips."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.errors import Conflict
from bot.services.search import build_match
from bot.services.topic_content import load_topics
from db.database import Database
from db.stores.guild_settings import GuildSettingsStore
from db.stores.topics import Resource, ShippedTopic, TopicDraft, TopicStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def draft(title: str, body: str = "Plain body.", **extra: object) -> TopicDraft:
    return replace(TopicDraft(title=title, category="concepts", summary=f"About {title}.", body=body), **extra)  # type: ignore[arg-type]


def shipped(slug: str, title: str, content_hash: str, body: str = "Body.") -> ShippedTopic:
    return ShippedTopic(
        slug, draft(title, body, resources=(Resource("Docs", "https://docs.python.org/3/"),)), content_hash
    )


async def search_ids(store: TopicStore, text: str) -> list[int]:
    match = build_match(text)
    assert match is not None
    return [h.topic_id for h in (await store.search(match)).hits]


async def test_seeding_is_idempotent_and_never_touches_community_topics(db: Database) -> None:
    store = TopicStore(db)
    community = await store.create("celery", draft("My Celery notes"), NOW, status="approved")
    report = await store.seed_shipped([shipped("redis", "Redis", "h1"), shipped("celery", "Celery", "h1")], NOW)
    assert (report.inserted, report.updated, report.unchanged, report.skipped) == (1, 0, 0, ("celery",))

    again = await store.seed_shipped([shipped("redis", "Redis", "h1")], NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)

    await store.record_use((await store.by_slug("redis")).id)  # type: ignore[union-attr]
    changed = await store.seed_shipped([shipped("redis", "Redis in depth", "h2", body="Sorted sets.")], NOW)
    assert changed.updated == 1
    redis = await store.by_slug("redis")
    assert redis is not None and redis.title == "Redis in depth" and redis.uses == 1 and redis.source == "shipped"
    assert await search_ids(store, "sorted sets") == [redis.id]  # the FTS index followed the update
    assert (await store.get(community.id)) == community


async def test_shipped_content_loads_and_seeds(db: Database) -> None:
    result = load_topics()
    assert not result.problems, result.problems
    store = TopicStore(db)
    report = await store.seed_shipped(result.topics, NOW)
    assert report.inserted == len(result.topics) >= 25
    assert (await store.seed_shipped(result.topics, NOW)).unchanged == len(result.topics)
    caching = await store.by_slug("caching")
    assert caching is not None and 2 <= len(caching.resources) <= 5 and caching.key_points


async def test_fts_follows_status_and_edits(db: Database) -> None:
    store = TopicStore(db)
    pending = await store.create("kafka", draft("Kafka streams", "Partitions and consumer groups."), NOW)
    assert await search_ids(store, "partitions") == []  # pending topics are not searchable
    await store.approve(pending.id, 42, NOW)
    assert await search_ids(store, "partitions") == [pending.id]
    with pytest.raises(Conflict):
        await store.approve(pending.id, 43, NOW)
    edited = await store.update_content(pending.id, draft("Kafka streams", "Offsets and retention."), NOW)
    assert edited.source == "community"
    assert await search_ids(store, "partitions") == []
    assert await search_ids(store, "retention") == [pending.id]
    rejected = await store.create("spam", draft("Buy now", "Partitions galore."), NOW)
    await store.reject(rejected.id, 42, "Off topic", NOW)
    assert (await store.get(rejected.id)).review_reason == "Off topic"  # type: ignore[union-attr]
    assert await search_ids(store, "galore") == []


async def test_bm25_ranks_title_above_body(db: Database) -> None:
    store = TopicStore(db)
    body_only = await store.create("a", draft("Queues", "Redis can also act as a broker."), NOW, status="approved")
    in_title = await store.create("b", draft("Redis basics", "Keys and values."), NOW, status="approved")
    match = build_match("redis")
    assert match is not None
    result = await store.search(match)
    assert [h.topic_id for h in result.hits] == [in_title.id, body_only.id]
    assert not result.truncated and result.matched == 2


async def test_a_bulk_import_leaves_the_full_text_index_merged(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("FTS5's segments")
    store = TopicStore(db)
    await store.create("one", draft("One by one", "Common words."), NOW, status="approved")
    for batch in range(3):
        await store.bulk_create(((f"b{batch}-{i}", draft(f"Topic {i}", "common words")) for i in range(50)), NOW)
        assert await db.fetchval("SELECT COUNT(DISTINCT segid) FROM topics_fts_idx") == 1
    assert len(await search_ids(store, "common")) == 50  # bm25 ranks the first 50 of 151


async def test_search_scan_cap_marks_truncation(db: Database) -> None:
    store = TopicStore(db)
    await store.bulk_create(((f"t{i}", draft(f"Topic {i}", "common words")) for i in range(30)), NOW)
    result = await store.search(build_match("common") or "", limit=5, scan_cap=10)
    assert len(result.hits) == 5 and result.truncated


@pytest.mark.parametrize(
    "text",
    ['"', '""', "c++", "*", "-", "a OR b", "NEAR(a b)", "title:redis", "^x", "(", ")", "'", "\x00x", 'a"b', "🙂"],
)
async def test_hostile_queries_never_raise(db: Database, text: str) -> None:
    store = TopicStore(db)
    await store.create("c", draft("C++ and redis", "Stars * and dashes - too."), NOW, status="approved")
    match = build_match(text)
    if match is not None:
        await store.search(match)
        await store.search(build_match(text, any_word=True) or match)


async def test_popular_random_and_pending(db: Database) -> None:
    store = TopicStore(db)
    a = await store.create("a", draft("Alpha"), NOW, status="approved")
    b = await store.create("b", replace(draft("Beta"), category="frontend"), NOW, status="approved")
    p = await store.create("p", draft("Pending one"), NOW, guild_id=5)
    for _ in range(3):
        await store.record_use(b.id)
    await store.record_use(a.id)
    assert [t.slug for t in await store.popular()] == ["b", "a"]
    assert (await store.random("frontend")) == await store.get(b.id)
    assert await store.random("challenges") is None
    assert [t.id for t in await store.pending_unposted(5)] == [p.id]
    await store.set_review_message(p.id, 1, 2)
    assert await store.pending_unposted(5) == []
    assert [t.slug for t in await store.by_slugs(["b", "zzz", "a", "p"])] == ["b", "a"]


async def test_tips_never_repeat_until_all_shown(db: Database) -> None:
    store = TopicStore(db)
    await store.bulk_create(((f"t{i}", draft(f"Topic {i}")) for i in range(4)), NOW)
    rng = random.Random(3)
    shown = []
    for day in range(8):
        topic = await store.pick_tip(1, date(2026, 12, 1) + timedelta(days=day), NOW, rng)
        assert topic is not None
        shown.append(topic.slug)
    assert sorted(shown[:4]) == sorted(shown[4:]) == ["t0", "t1", "t2", "t3"]
    assert await store.pick_tip(1, date(2026, 12, 1), NOW, rng) is None  # that day already had its tip
    assert (await store.tip_for_day(1, date(2026, 12, 1))).slug == shown[0]  # type: ignore[union-attr]


async def test_tip_settings_columns(db: Database) -> None:
    settings = await GuildSettingsStore(db).update(9, NOW, tip_channel_id=77, tip_hour=8)
    assert (settings.tip_channel_id, settings.tip_hour) == (77, 8)
    off = await GuildSettingsStore(db).update(9, NOW, tip_hour=None)
    assert off.tip_hour is None and off.tip_channel_id == 77


async def test_every_embed_fits_discord_limits(db: Database) -> None:
    from cogs.learning.rendering import review_embed, topic_embed

    store = TopicStore(db)
    await store.seed_shipped(load_topics().topics, NOW)
    longest = TopicDraft(
        title="T" * 80,
        category="concepts",
        summary="S" * 300,
        body="B" * 3800,
        resources=tuple(Resource("R" * 80, f"https://docs.python.org/{'x' * 150}{i}") for i in range(5)),
        key_points=("K" * 400,) * 6,
    )
    big = await store.create("big", longest, NOW, author_id=1)
    big = await store.reject(big.id, 2, "why " * 125, NOW)
    topics = [t for t in await store.many(list(range(1, 200))) if t is not None]
    assert len(topics) > 45
    for topic in topics:
        for embed in (topic_embed(topic), review_embed(topic), topic_embed(topic, heading="💡 " + topic.title)):
            assert len(embed) <= 6000 and len(embed.description or "") <= 4096 and len(embed.title or "") <= 256
            assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in embed.fields)
    assert topic_embed(big).description.startswith("S" * 300)  # type: ignore[union-attr]


async def test_search_first_takes_the_first_expression_that_matches_with_its_first_page(db: Database) -> None:
    store = TopicStore(db)
    redis = await store.create("redis", draft("Redis basics", "Redis keeps keys in memory."), NOW, status="approved")
    queues = await store.create("queues", draft("Queues", "A broker such as redis."), NOW, status="approved")
    named = await store.create("zebra", draft("Zebra", "Stripes only."), NOW, status="approved")
    every, some = build_match("redis zebrafish"), build_match("redis zebrafish", any_word=True)
    assert every is not None and some is not None
    # The exact-name topic is pinned first though the expression doesn't match it: read with the page.
    result = await store.search_first([every, some], 10, pin=named.id, page=2)
    assert result.match == some and [h.topic_id for h in result.hits] == [redis.id, queues.id]
    assert result.page == tuple(await store.cards([named.id, redis.id]))
    deeper = await store.search_first([some], 10, page=5)
    assert deeper.page == tuple(await store.cards([redis.id, queues.id]))
    assert (await store.search_first([some], 10)).page == ()
    assert (await store.search_first([every], 10, page=5)) == type(result)((), 0, False)


async def test_search_first_says_when_it_falls_back_to_the_next_expression(db: Database) -> None:
    store = TopicStore(db)
    redis = await store.create("redis", draft("Redis basics", "Keys in memory."), NOW, status="approved")
    every, some = build_match("redis zebrafish"), build_match("redis zebrafish", any_word=True)
    assert every is not None and some is not None
    calls: list[str] = []
    found = await store.search_first([every, some], on_fallback=lambda: calls.append("fallback"))
    assert calls == ["fallback"] and [h.topic_id for h in found.hits] == [redis.id]
    calls.clear()
    await store.search_first([some, every], on_fallback=lambda: calls.append("fallback"))
    assert calls == []  # the first expression matched: no fallback


async def test_opening_an_approved_topic_counts_the_lookup_and_reads_it_in_one_statement(db: Database) -> None:
    """`/learn topic`'s read and counter are one UPDATE … RETURNING: the row comes back with its new count, and a
    topic that is pending (or was rejected since the name index last saw it) is neither counted nor shown."""
    store = TopicStore(db)
    approved = await store.create("a", draft("Alpha"), NOW, status="approved")
    pending = await store.create("p", draft("Pending one"), NOW)
    opened = await store.open_approved(approved.id)
    assert opened == replace(approved, uses=1)
    assert (await store.open_approved(approved.id)) == replace(approved, uses=2) == await store.get(approved.id)
    assert await store.open_approved(pending.id) is None
    assert (await store.get(pending.id)) == pending  # not counted
    assert await store.open_approved(10_000) is None
