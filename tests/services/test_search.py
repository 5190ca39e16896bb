"""Search rules: safe FTS5 expressions, autocomplete ranking, typo tolerance, and a 10k hostile-query fuzz."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.services.excerpts import MARK_END, MARK_START
from bot.services.search import (
    AUTOCOMPLETE_MAX,
    CHOICE_NAME_MAX,
    TIER_ALIAS,
    TIER_EXACT,
    TIER_FUZZY,
    TIER_PREFIX,
    TIER_WORD,
    NameIndex,
    build_match,
    excerpts,
    quote,
    ranked_search,
    render_snippet,
)
from bot.services.topic_content import parse_category, parse_resources, slugify
from db.stores.topics import TopicStore

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Name:
    id: int
    slug: str
    title: str
    aliases: tuple[str, ...] = ()
    uses: int = 0


NAMES = [
    Name(1, "redis", "Redis", ("key-value store",), uses=5),
    Name(2, "caching", "Caching Strategies", ("cache", "cache invalidation")),
    Name(3, "django-migrations", "Django Migrations", ("makemigrations",)),
    Name(4, "django", "Django", (), uses=9),
    Name(5, "debugging-django-middleware", "Debugging Django Middleware", ("middleware",)),
    Name(6, "docker", "Docker", ("dockerfile", "containers")),
    Name(7, "orm-n-plus-one", "The N+1 Query Problem", ("n+1", "select_related")),
]


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(NAMES)


def slugs(suggestions: list) -> list[str]:  # type: ignore[type-arg]
    return [s.slug for s in suggestions]


def test_quote_neutralises_operators() -> None:
    assert quote('say "hi"') == '"say ""hi"""'
    assert build_match("redis NEAR caching") == '"redis" "NEAR" "caching"'
    assert build_match("how to use redis") == '"redis"'  # stopwords dropped when other words remain
    assert build_match("how to") == '"how" "to"'
    assert build_match("how do I use redis", any_word=True) == '"redis"'
    assert build_match("- * ^ ()") is None
    assert build_match("\x00c++") == '"c++"'


def test_autocomplete_ranks_prefix_then_word_then_alias_then_fuzzy(index: NameIndex) -> None:
    result = index.complete("d")
    assert slugs(result)[:2] == ["django", "docker"]  # title prefixes, most used first
    assert {s.tier for s in result} <= {TIER_PREFIX, TIER_WORD, TIER_ALIAS}
    assert index.complete("django")[0].tier == TIER_EXACT
    mid = index.complete("middle")
    assert mid[0].slug == "debugging-django-middleware" and mid[0].tier == TIER_WORD
    alias = index.complete("dockerf")
    assert alias[0].slug == "docker" and alias[0].tier == TIER_ALIAS and alias[0].label == "Docker (dockerfile)"
    typo = index.complete("djnago migratoins")
    assert typo[0].slug == "django-migrations" and typo[0].tier == TIER_FUZZY


def test_autocomplete_from_the_first_keystroke_and_empty(index: NameIndex) -> None:
    assert slugs(index.complete(""))[:2] == ["django", "redis"]  # most used first
    assert len(index.complete("")) == len(NAMES)
    assert index.complete("r")[0].slug == "redis"


def test_resolve_exact_alias_and_typo(index: NameIndex) -> None:
    assert index.resolve("Redis") == 1
    assert index.resolve("n+1") == 7
    assert index.resolve("django-migrations") == 3
    assert index.resolve("Caching Stratgies") == 2
    assert index.resolve("zzzz qqq") is None


def test_exact_slug_or_title_outranks_another_topics_alias() -> None:
    # In either order, an alias never takes a name that is another topic's slug or title.
    names = [
        Name(1, "react-native", "React Native", ("react",)),
        Name(2, "react", "React"),
        Name(3, "tailwind-css", "Tailwind CSS", ("css",)),
        Name(4, "css-layout", "CSS"),
    ]
    for ordered in (names, names[::-1]):
        index = NameIndex(ordered)
        assert index.resolve("react") == 2 and index.resolve("React") == 2
        assert index.resolve("css") == 4 and index.exact("CSS") == 4
        assert index.complete("react")[0].slug == "react"
        assert index.resolve("react native") == 1


def test_did_you_mean(index: NameIndex) -> None:
    assert slugs(index.did_you_mean("cachng"))[0] == "caching"
    assert slugs(index.did_you_mean("how do I write a dockerfle"))[0] == "docker"


def test_render_snippet_escapes_user_markdown_and_bolds_matches() -> None:
    rendered = render_snippet(f"use *stars* and {MARK_START}redis{MARK_END} `code`")
    assert rendered == r"use \*stars\* and **redis** code"
    assert render_snippet(f"{MARK_START}{'x' * 400}{MARK_END}", limit=50).endswith("…**")


def test_render_snippet_shows_topic_markdown_as_its_text() -> None:
    """Topic text is markdown: the excerpt drops its markup instead of showing backslashes Discord won't hide."""
    code = f"```ts\n  if (!res.ok) throw err;\n  return {MARK_START}res{MARK_END}.json().catch(() => null);\n```"
    assert render_snippet(code) == "if (!res.ok) throw err; return **res**.json().catch(() => null);"
    prose = "## Caching\n- keep **hot** keys in [Redis](https://redis.io) for `GET /items`, snake_case > 3"
    assert render_snippet(prose) == r"Caching keep hot keys in Redis for GET /items, snake\_case > 3"


def test_category_and_resources_parsing() -> None:
    assert parse_category(" Best Practices ") == "best-practices"
    assert parse_category("Challenges & solutions") == "challenges"
    with pytest.raises(InvalidInput, match="technologies"):
        parse_category("misc")
    parsed = parse_resources("Django docs | https://docs.djangoproject.com/\n\nhttps://redis.io/docs/")
    assert [(r.title, r.url) for r in parsed] == [
        ("Django docs", "https://docs.djangoproject.com/"),
        ("redis.io", "https://redis.io/docs/"),
    ]
    with pytest.raises(InvalidInput, match="line 1"):
        parse_resources("Docs | http://insecure.example")
    assert slugify("Redis & Caching!") == "redis-caching" and slugify("C++") == "c-plus-plus"


def _big_index(n: int) -> NameIndex:
    rng = random.Random(5)
    words = ["django", "redis", "cache", "query", "docker", "react", "token", "queue", "index", "feed", "poll"]
    return NameIndex(
        Name(i, f"t-{i}", " ".join(rng.sample(words, 3)) + f" {i}", (f"alias {i}",), uses=rng.randint(0, 9))
        for i in range(n)
    )


@given(text=st.text(max_size=120))
@settings(max_examples=300, deadline=None)
def test_autocomplete_limits_hold_for_any_text(text: str) -> None:
    index = _BIG
    result = index.complete(text)
    assert len(result) <= AUTOCOMPLETE_MAX
    assert len({s.topic_id for s in result}) == len(result)
    assert all(0 < len(s.label) <= CHOICE_NAME_MAX and len(s.slug) <= CHOICE_NAME_MAX for s in result)


_BIG = _big_index(3000)  # above the full-scan threshold: exercises the trigram path


def test_trigram_path_finds_typos() -> None:
    result = _BIG.complete("djnago redsi qeury 17")
    assert result and result[0].tier == TIER_FUZZY


def test_long_titles_are_clipped_in_labels() -> None:
    index = NameIndex([Name(1, "long", "L" * 150, ("alias",))])
    assert len(index.complete("l")[0].label) == CHOICE_NAME_MAX


async def test_ranked_search_all_any_and_did_you_mean(topic_store: TopicStore) -> None:
    names = NameIndex(await topic_store.names())
    caching = await topic_store.by_slug("caching")
    assert caching is not None
    exact = await ranked_search(topic_store, names, "caching strategies")
    assert exact.mode == "all" and exact.topic_ids[0] == caching.id
    partial = await ranked_search(topic_store, names, "caching zebrafish")
    assert partial.mode == "any" and caching.id in partial.topic_ids
    nothing = await ranked_search(topic_store, names, "cachng")
    assert nothing.mode == "none" and nothing.topic_ids == ()
    assert nothing.suggestions and nothing.suggestions[0].slug == "caching"


def _hostile(rng: random.Random) -> str:
    pieces = [
        '"',
        "'",
        "*",
        "-",
        "^",
        ":",
        "(",
        ")",
        "{",
        "}",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "c++",
        "c#",
        "+",
        "\\",
        "\x00",
        "\n",
        "\t",
        "title:",
        "body:",
        "NEAR/3",
        "🙂",
        "é",
        "ß",
        "İ",
        "\u200b",
        "%",
        "_",
        "'; DROP TABLE",
        "redis",
        "django",
        "cache",
        "migration",
    ]
    kind = rng.random()
    if kind < 0.4:
        return " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
    if kind < 0.7:
        return "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 60)))
    if kind < 0.9:
        return "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(0, 30)))
    return rng.choice(pieces) * rng.randint(1, 300)


async def test_fuzz_ten_thousand_hostile_queries_never_error(topic_store: TopicStore) -> None:
    names = NameIndex(await topic_store.names())
    rng = random.Random(20261201)
    answered = 0
    for _ in range(10_000):
        text = _hostile(rng)
        result = await ranked_search(topic_store, names, text, limit=5)
        if result.match is not None and result.topic_ids:
            excerpts(result.terms, await topic_store.many(result.topic_ids))
            answered += 1
        assert len(names.complete(text)) <= AUTOCOMPLETE_MAX
    assert answered > 100  # the mix includes real words, so some queries do find topics


async def test_frontend_core_names_resolve_to_their_own_topics(topic_store: TopicStore) -> None:
    """`react` once fell through to fuzzy matching (React Native, React State Management); exact names win."""
    names = NameIndex(await topic_store.names())
    expected = {
        "react": "react",
        "React": "react",
        "reactjs": "react",
        "React.js": "react",
        "javascript": "javascript",
        "JS": "javascript",
        "css": "css",
        "flexbox": "css",
        "react native": "react-native",
        "tailwind": "tailwind-css",
        "tanstack query": "data-fetching-caching",
        "data fetching": "data-fetching-caching",
        "httponly cookies": "client-auth",
        "react testing library": "frontend-testing",
    }
    for text, slug in expected.items():
        topic_id = names.resolve(text)
        topic = await topic_store.get(topic_id) if topic_id is not None else None
        assert topic is not None and topic.slug == slug, (text, topic and topic.slug)
    for text in ("react", "javascript", "css"):
        assert names.complete(text)[0].slug == text
        ranked = await ranked_search(topic_store, names, text)
        first = await topic_store.get(ranked.topic_ids[0])
        assert first is not None and first.slug == text


async def test_ranked_search_brings_the_first_pages_excerpts_along(topic_store: TopicStore) -> None:
    names = NameIndex(await topic_store.names())
    result = await ranked_search(topic_store, names, "caching strategies", page=5)
    assert result.match is not None and result.snippets_for == result.topic_ids[:5]
    assert result.page == tuple(await topic_store.cards(result.topic_ids[:5]))
    assert result.snippets == excerpts(("caching", "strategies"), result.page) and result.snippets
    assert (await ranked_search(topic_store, names, "caching strategies")).snippets_for == ()
