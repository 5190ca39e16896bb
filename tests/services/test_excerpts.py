"""Search excerpts (bot/services/excerpts.py): the words the index matched, marked where they are."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.services.excerpts import ELLIPSIS, EXCERPT_WORDS, MARK_END, MARK_START, Highlighter
from db.stores.topics import TopicStore

NOW = datetime(2026, 12, 1, tzinfo=UTC)
MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}")


def marked(excerpt: str | None) -> list[str]:
    assert excerpt is not None
    return MARKED.findall(excerpt)


def test_every_form_the_index_stems_alike_is_marked_and_nothing_else() -> None:
    text = "Caching: a cache, cached pages, CACHES; a cachet is not one. Queries and a query; Café or cafe."
    assert marked(Highlighter(["caching"]).excerpt(text, words=40)) == ["Caching", "cache", "cached", "CACHES"]
    assert marked(Highlighter(["queries"]).excerpt(text, words=40)) == ["Queries", "query"]
    assert marked(Highlighter(["cafe"]).excerpt(text, words=40)) == ["Café", "cafe"]
    # Short words are not stemmed (as FTS5's porter tokenizer leaves them): "as" is not "a".
    assert Highlighter(["as"]).excerpt("a b c") is None
    # Only whole words: "redis" is not inside "predisposed"; punctuation in a query is not a word.
    assert Highlighter(["redis", "-"]).excerpt("predisposed") is None
    assert not Highlighter(["- * ()"])


def test_the_window_holds_the_most_searched_words_with_context_and_ellipses() -> None:
    filler = " ".join(f"w{i}" for i in range(40))
    text = f"Redis here. {filler} then redis and caching together at last. {filler}"
    excerpt = Highlighter(["redis", "caching"]).excerpt(text)
    assert excerpt is not None
    assert excerpt.startswith(ELLIPSIS) and excerpt.endswith(ELLIPSIS)
    assert marked(excerpt) == ["redis", "caching"]  # the passage with both words, not the first one alone
    words = excerpt.strip(ELLIPSIS).replace(MARK_START, "").replace(MARK_END, "").split()
    assert len(words) == EXCERPT_WORDS and words[:4] == ["w38", "w39", "then", "redis"]
    # Near the beginning, the excerpt starts at the beginning.
    assert (
        Highlighter(["redis"]).excerpt(text)
        == f"{MARK_START}Redis{MARK_END} here. " + " ".join(f"w{i}" for i in range(12)) + ELLIPSIS
    )


def test_the_summary_wins_a_tie_and_a_title_only_match_has_no_excerpt() -> None:
    highlighter = Highlighter(["redis"])
    assert highlighter.excerpt("Redis keeps keys.", "Redis in the body.") == f"{MARK_START}Redis{MARK_END} keeps keys."
    assert highlighter.excerpt("Keys in memory.", "Use redis.") == f"Use {MARK_START}redis{MARK_END}."
    assert highlighter.excerpt("Keys in memory.", "Values.") is None


async def test_a_topic_has_an_excerpt_exactly_when_fts5_matches_its_summary_or_body(topic_store: TopicStore) -> None:
    """Every word of the curated topics: the excerpt finds it in the same topics as FTS5's own tokenizer."""
    topics = await topic_store.many(list(range(1, 1000)))
    assert len(topics) >= 50
    words = sorted({w for t in topics for w in re.findall(r"[^\W_]+", f"{t.summary} {t.body}".lower())})
    assert len(words) > 1000
    for word in words:
        found = await topic_store.search(f'{{summary body}} : "{word}"', limit=1000)
        highlighter = Highlighter([word])
        assert {h.topic_id for h in found.hits} == {t.id for t in topics if highlighter.excerpt(t.summary, t.body)}
