"""Search ranking the same on both engines (issue 16): a rare word weighs more than a common one, as bm25's IDF
makes it on SQLite; on PostgreSQL ts_rank_cd alone would rank by how often any word occurs."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.search import build_match
from db.database import Database
from db.stores.topics import TopicDraft, TopicStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def topic(title: str, body: str) -> TopicDraft:
    return TopicDraft(title=title, category="concepts", summary="Notes from the cohort.", body=body)


async def test_the_topic_with_the_rare_word_outranks_one_repeating_a_common_word(db: Database) -> None:
    store = TopicStore(db)
    for n in range(8):  # "framework" is in every topic: it tells them apart hardly at all
        await store.create(f"filler-{n}", topic(f"Notes {n}", "A framework for a web app."), NOW, status="approved")
    common = await store.create(
        "framework-tour",
        topic("Tour", "The framework, the framework's views, framework settings."),
        NOW,
        status="approved",
    )
    rare = await store.create("containers", topic("Images", "A framework app in a dockerfile."), NOW, status="approved")
    match = build_match("framework dockerfile", any_word=True)
    assert match is not None
    hits = [h.topic_id for h in (await store.search(match)).hits]
    assert hits[:2] == [rare.id, common.id], hits
    assert len(hits) == 10  # every topic with either word, the common-word ones after
