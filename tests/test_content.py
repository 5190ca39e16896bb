"""Validate the curated learning topics in content/topics/*.toml."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from bot.services.search import normalise

# The loader's own schema: these tests hold the shipped files to it.
from bot.services.topic_content import EMBED_BUDGET, SLUG_RE, TOPIC_KEYS
from db.stores.topics import CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
TOPICS_DIR = ROOT / "content" / "topics"


# Official documentation hosts only.
OFFICIAL_HOSTS = {
    "12factor.net",
    "cheatsheetseries.owasp.org",
    "datatracker.ietf.org",
    "developer.mozilla.org",
    "django-rest-framework-simplejwt.readthedocs.io",
    "docs.astral.sh",
    "docs.celeryq.dev",
    "docs.djangoproject.com",
    "docs.docker.com",
    "docs.expo.dev",
    "docs.github.com",
    "docs.graphene-python.org",
    "docs.pytest.org",
    "docs.python.org",
    "drf-spectacular.readthedocs.io",
    "git-scm.com",
    "graphql.org",
    "mswjs.io",
    "nextjs.org",
    "owasp.org",
    "peps.python.org",
    "playwright.dev",
    "pytest-asyncio.readthedocs.io",
    "react.dev",
    "reactnative.dev",
    "redis.io",
    "spec.graphql.org",
    "spec.openapis.org",
    "swagger.io",
    "tailwindcss.com",
    "tanstack.com",
    "testing-library.com",
    "vitest.dev",
    "web.dev",
    "www.apollographql.com",
    "www.django-rest-framework.org",
    "www.postgresql.org",
    "www.rabbitmq.com",
    "www.typescriptlang.org",
    "www.w3.org",
}


def _load_all() -> dict[str, dict[str, Any]]:
    topics: dict[str, dict[str, Any]] = {}
    for path in sorted(TOPICS_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            topics[path.stem] = tomllib.load(fh)
    return topics


TOPICS = _load_all()
STEMS = sorted(TOPICS)


def test_topic_count() -> None:
    assert len(TOPICS) >= 45, f"only {len(TOPICS)} topics"


def test_no_stray_files() -> None:
    stray = [p.name for p in TOPICS_DIR.iterdir() if p.is_file() and p.suffix != ".toml"]
    assert not stray, f"unexpected files in topics dir: {stray}"


def test_every_category_has_five_topics() -> None:
    counts = Counter(t.get("category") for t in TOPICS.values())
    for category in CATEGORIES:
        assert counts[category] >= 5, f"{category}: {counts[category]} topics"


@pytest.mark.parametrize("stem", STEMS)
def test_topic_schema(stem: str) -> None:
    topic = TOPICS[stem]
    for key, typ in TOPIC_KEYS.items():
        assert key in topic, f"{stem}: missing {key}"
        assert isinstance(topic[key], typ), f"{stem}: {key} must be {typ.__name__}"
    unknown = set(topic) - set(TOPIC_KEYS)
    assert not unknown, f"{stem}: unknown keys {unknown}"

    slug = topic["slug"]
    assert slug == stem, f"slug {slug!r} != file name {stem!r}"
    assert SLUG_RE.fullmatch(slug) and len(slug) <= 40, f"bad slug {slug!r}"
    assert topic["category"] in CATEGORIES, f"{stem}: bad category {topic['category']!r}"

    title = topic["title"]
    assert title.strip() and len(title) <= 80, f"{stem}: title length {len(title)}"

    aliases = topic["aliases"]
    assert len(aliases) <= 6, f"{stem}: {len(aliases)} aliases"
    for alias in aliases:
        assert isinstance(alias, str) and alias.strip(), f"{stem}: empty alias"
        assert len(alias) <= 60, f"{stem}: alias too long {alias!r}"
        assert alias == alias.lower(), f"{stem}: alias not lowercase {alias!r}"
        assert alias not in (slug, title.lower()), f"{stem}: alias repeats own slug/title {alias!r}"
    assert len(set(aliases)) == len(aliases), f"{stem}: duplicate aliases"

    summary = topic["summary"]
    assert summary.strip() and len(summary) <= 300, f"{stem}: summary length {len(summary)}"

    key_points = topic["key_points"]
    assert 3 <= len(key_points) <= 6, f"{stem}: {len(key_points)} key points"
    for point in key_points:
        assert isinstance(point, str) and point.strip(), f"{stem}: empty key point"
        assert len(point) <= 180, f"{stem}: key point too long ({len(point)}): {point!r}"
    assert sum(len(p) for p in key_points) <= 900, f"{stem}: key points total too long"

    body = topic["body"]
    assert 600 <= len(body) <= 1700, f"{stem}: body length {len(body)}"
    assert "@everyone" not in body and "@here" not in body, f"{stem}: mass mention in body"

    resources = topic["resources"]
    assert 2 <= len(resources) <= 5, f"{stem}: {len(resources)} resources"
    for res in resources:
        assert isinstance(res, dict), f"{stem}: resource must be a table"
        assert set(res) == {"title", "url"}, f"{stem}: resource keys {set(res)}"
        assert isinstance(res["title"], str) and res["title"].strip(), f"{stem}: resource title"
        assert len(res["title"]) <= 80, f"{stem}: resource title too long {res['title']!r}"
        assert isinstance(res["url"], str), f"{stem}: resource url must be a string"
        parsed = urlparse(res["url"])
        assert parsed.scheme == "https" and parsed.netloc, f"{stem}: url must be https {res['url']!r}"
        assert parsed.hostname in OFFICIAL_HOSTS, f"{stem}: not an official docs host {res['url']!r}"
        assert not any(c.isspace() for c in res["url"]), f"{stem}: whitespace in url"
    urls = [r["url"] for r in resources]
    assert len(set(urls)) == len(urls), f"{stem}: duplicate resource urls"

    embed = (
        len(title)
        + len(summary)
        + len(body)
        + sum(len(k) for k in key_points)
        + sum(len(r["title"]) + len(r["url"]) + 4 for r in resources)
    )
    assert embed <= EMBED_BUDGET, f"{stem}: embed text {embed} > {EMBED_BUDGET}"


@pytest.mark.parametrize("stem", STEMS)
def test_related_slugs_exist(stem: str) -> None:
    related = TOPICS[stem]["related"]
    assert 1 <= len(related) <= 5, f"{stem}: {len(related)} related"
    assert len(set(related)) == len(related), f"{stem}: duplicate related slugs"
    for other in related:
        assert other != stem, f"{stem}: related to itself"
        assert other in TOPICS, f"{stem}: related slug {other!r} does not exist"


def test_slugs_and_titles_unique() -> None:
    slugs = Counter(t["slug"] for t in TOPICS.values())
    titles = Counter(t["title"].lower() for t in TOPICS.values())
    assert not [s for s, n in slugs.items() if n > 1], "duplicate slugs"
    assert not [s for s, n in titles.items() if n > 1], f"duplicate titles: {[s for s, n in titles.items() if n > 1]}"


def test_aliases_unique_and_not_shadowing() -> None:
    # Compared as the name index compares them: "data fetching" and slug "data-fetching" are the same name.
    seen: dict[str, str] = {}
    names: dict[str, str] = {}
    for stem, topic in TOPICS.items():
        names[normalise(topic["slug"])] = stem
        names[normalise(topic["title"])] = stem
    problems = []
    for stem, topic in TOPICS.items():
        for alias in topic["aliases"]:
            key = normalise(alias)
            if key in seen and seen[key] != stem:
                problems.append(f"alias {alias!r} used by {seen[key]} and {stem}")
            seen[key] = stem
            owner = names.get(key)
            if owner is not None and owner != stem:
                problems.append(f"alias {alias!r} of {stem} equals slug/title of {owner}")
    assert not problems, "\n".join(problems)


def test_readme_states_the_shipped_topic_count() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = [int(n) for n in re.findall(r"\((\d+) shipped\)", readme)]
    assert stated == [len(TOPICS)], f"README says {stated} shipped topics; there are {len(TOPICS)}"


@pytest.mark.parametrize(
    ("name", "slug"),
    [("react", "react"), ("reactjs", "react"), ("javascript", "javascript"), ("js", "javascript"), ("css", "css")],
)
def test_frontend_core_names_are_exact_names(name: str, slug: str) -> None:
    """What frontend learners type is a slug or alias of the right topic, never left to fuzzy matching."""
    owners = {normalise(t["slug"]): s for s, t in TOPICS.items()}
    owners.update({normalise(a): s for s, t in TOPICS.items() for a in t["aliases"]})
    assert owners.get(normalise(name)) == slug


def test_frontend_core_topics_exist() -> None:
    frontend = {s for s, t in TOPICS.items() if t["category"] == "frontend"}
    core = {
        "react",
        "javascript",
        "typescript",
        "css",
        "tailwind-css",
        "nextjs",
        "react-state-management",
        "data-fetching-caching",
        "consuming-rest-apis",
        "consuming-graphql-apis",
        "client-auth",
        "web-accessibility",
        "frontend-testing",
    }
    assert core <= frontend, f"missing frontend topics: {sorted(core - frontend)}"
