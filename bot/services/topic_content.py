"""Curated learning topics shipped in content/topics/*.toml: loading and validation. Nothing here imports discord."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.errors import InvalidInput
from content import topics_dir
from db.stores.topics import CATEGORIES, Resource, SeededFile, ShippedTopic, TopicDraft

log = logging.getLogger(__name__)

# The shipped topics are package data of `content`, so they are found in a source tree and in an install.
TOPICS_DIR = Path(str(topics_dir()))

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TITLE_MAX = 80
SUMMARY_MAX = 300
BODY_MAX = 3800  # fits one embed description next to the summary, and a modal text input (4000)
RESOURCE_TITLE_MAX = 80
RESOURCES_MAX = 5
# The embed (title, summary, body, key points, resources) stays under Discord's 6000.
EMBED_BUDGET = 5500

TOPIC_KEYS: dict[str, type] = {  # a topic file's keys and their types
    "slug": str,
    "title": str,
    "category": str,
    "aliases": list,
    "summary": str,
    "key_points": list,
    "related": list,
    "body": str,
    "resources": list,
}

# What learners type for a category in the suggestion modal → the stored category.
_CATEGORY_WORDS: dict[str, str] = {
    "technologies": "technologies",
    "technology": "technologies",
    "tech": "technologies",
    "concepts": "concepts",
    "concept": "concepts",
    "challenges": "challenges",
    "challenge": "challenges",
    "challenges & solutions": "challenges",
    "challenges and solutions": "challenges",
    "best-practices": "best-practices",
    "best practices": "best-practices",
    "best practice": "best-practices",
    "frontend": "frontend",
    "front-end": "frontend",
    "front end": "frontend",
}

CATEGORY_LABELS: dict[str, str] = {
    "technologies": "Technologies",
    "concepts": "Concepts",
    "challenges": "Challenges & solutions",
    "best-practices": "Best practices",
    "frontend": "Frontend",
}


class ContentError(Exception):
    """A shipped topic file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class LoadResult:
    topics: tuple[ShippedTopic, ...]  # the files parsed: all of them, or those not seeded as they are
    problems: tuple[str, ...]
    unchanged: tuple[str, ...] = ()  # slugs of the files left unparsed: the same bytes as seeded


def parse_category(text: str) -> str:
    """The category a learner meant ("Best practices", "challenge", ...), or InvalidInput listing the choices."""
    key = " ".join(text.strip().lower().split())
    category = _CATEGORY_WORDS.get(key)
    if category is None:
        choices = ", ".join(f"`{c}`" for c in CATEGORIES)
        raise InvalidInput(f"`{text.strip()[:40]}` is not a category; use one of {choices}.")
    return category


def _https_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme == "https" and bool(parsed.netloc) and not any(c.isspace() for c in url) and len(url) <= 500


def parse_resources(text: str) -> tuple[Resource, ...]:
    """One `Title | https://url` per line (a bare URL is titled by its host), at most five."""
    resources: list[Resource] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        title, sep, url = line.rpartition("|")
        if not sep:
            title, url = "", line
        title, url = title.strip(), url.strip()
        if not _https_url(url):
            raise InvalidInput(
                f"Resource line {number} needs an https link, like `Django docs | https://docs.djangoproject.com/`."
            )
        resources.append(Resource(title[:RESOURCE_TITLE_MAX] or (urlparse(url).hostname or url), url))
    if len(resources) > RESOURCES_MAX:
        raise InvalidInput(f"Give at most {RESOURCES_MAX} resources (one per line); you gave {len(resources)}.")
    if len({r.url for r in resources}) != len(resources):
        raise InvalidInput("The same link appears twice in resources; list each link once.")
    return tuple(resources)


def format_resources(resources: Iterable[Resource]) -> str:
    """The inverse of parse_resources, to prefill the edit modal."""
    return "\n".join(f"{r.title} | {r.url}" for r in resources)


def embed_size(draft: TopicDraft) -> int:
    return (
        len(draft.title)
        + len(draft.summary)
        + len(draft.body)
        + sum(len(k) for k in draft.key_points)
        + sum(len(r.title) + len(r.url) + 4 for r in draft.resources)
    )


def validate_draft(draft: TopicDraft) -> TopicDraft:
    """Check a suggestion or edit; InvalidInput says which field to fix. Returns the draft trimmed."""
    title = " ".join(draft.title.split())
    summary = draft.summary.strip()
    body = draft.body.strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(f"The title must be 1–{TITLE_MAX} characters.")
    if draft.category not in CATEGORIES:
        raise InvalidInput(f"`{draft.category}` is not a category; use one of {', '.join(CATEGORIES)}.")
    if not summary or len(summary) > SUMMARY_MAX:
        raise InvalidInput(f"The summary must be 1–{SUMMARY_MAX} characters (it has {len(summary)}).")
    if len(body) > BODY_MAX:
        raise InvalidInput(f"The body must be at most {BODY_MAX} characters (it has {len(body)}); shorten it.")
    trimmed = TopicDraft(
        title, draft.category, summary, body, draft.resources, draft.aliases, draft.key_points, draft.related
    )
    if embed_size(trimmed) > EMBED_BUDGET:
        raise InvalidInput(f"Together the topic is {embed_size(trimmed)} characters; keep it under {EMBED_BUDGET}.")
    return trimmed


def slugify(title: str, max_length: int = 60) -> str:
    """A URL-style slug from a title: "Redis & Caching!" → "redis-caching"."""
    words = re.findall(r"[a-z0-9]+", title.lower().replace("+", " plus ").replace("#", " sharp "))
    slug = "-".join(words)[:max_length].strip("-")
    return slug or "topic"


def _problem(stem: str, message: str) -> ContentError:
    return ContentError(f"{stem}.toml: {message}")


def parse_topic(stem: str, data: dict[str, Any], content_hash: str) -> ShippedTopic:
    """Validate one file's data (the rules of tests/test_content.py) into a ShippedTopic."""
    for key, typ in TOPIC_KEYS.items():
        if not isinstance(data.get(key), typ):
            raise _problem(stem, f"`{key}` is missing or not a {typ.__name__}")
    unknown = set(data) - set(TOPIC_KEYS)
    if unknown:
        raise _problem(stem, f"unknown keys {sorted(unknown)}")
    slug = data["slug"]
    if slug != stem or not SLUG_RE.fullmatch(slug) or len(slug) > 40:
        raise _problem(stem, f"slug {slug!r} must equal the file name and be lowercase-with-dashes (≤ 40)")
    if data["category"] not in CATEGORIES:
        raise _problem(stem, f"category {data['category']!r} is not one of {', '.join(CATEGORIES)}")
    if not all(isinstance(a, str) and a.strip() and len(a) <= 60 for a in data["aliases"]) or len(data["aliases"]) > 6:
        raise _problem(stem, "aliases must be at most 6 non-empty strings of ≤ 60 characters")
    if not all(isinstance(k, str) and k.strip() for k in data["key_points"]) or not 3 <= len(data["key_points"]) <= 6:
        raise _problem(stem, "key_points must be 3–6 non-empty strings")
    if not all(isinstance(r, str) and SLUG_RE.fullmatch(r) for r in data["related"]):
        raise _problem(stem, "related must be a list of slugs")
    resources: list[Resource] = []
    for res in data["resources"]:
        if not isinstance(res, dict) or set(res) != {"title", "url"}:
            raise _problem(stem, "each [[resources]] needs exactly `title` and `url`")
        title, url = res["title"], res["url"]
        if not isinstance(title, str) or not title.strip() or len(title) > RESOURCE_TITLE_MAX:
            raise _problem(stem, f"resource title {title!r} must be 1–{RESOURCE_TITLE_MAX} characters")
        if not isinstance(url, str) or not _https_url(url):
            raise _problem(stem, f"resource url {url!r} must be an https link")
        resources.append(Resource(title, url))
    if not 2 <= len(resources) <= RESOURCES_MAX:
        raise _problem(stem, f"needs 2–{RESOURCES_MAX} resources, has {len(resources)}")
    draft = TopicDraft(
        title=data["title"],
        category=data["category"],
        summary=data["summary"],
        body=data["body"].strip(),
        resources=tuple(resources),
        aliases=tuple(a.strip().lower() for a in data["aliases"]),
        key_points=tuple(k.strip() for k in data["key_points"]),
        related=tuple(data["related"]),
    )
    try:
        draft = validate_draft(draft)
    except InvalidInput as exc:
        raise _problem(stem, str(exc)) from None
    return ShippedTopic(slug=slug, draft=draft, content_hash=content_hash)


def load_topic_file(path: Path, raw: bytes) -> ShippedTopic:
    import tomllib  # only when a shipped file changed since it was seeded (most starts parse none)

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _problem(path.stem, f"not valid TOML: {exc}") from None
    return parse_topic(path.stem, data, content_hash(raw))


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def load_topics(directory: Path = TOPICS_DIR, seeded: Mapping[str, SeededFile] | None = None) -> LoadResult:
    """Every valid topic file; a bad file is reported (and skipped) rather than stopping the bot.

    With `seeded` (what the database holds), a curated file with the same bytes as seeded is not parsed again: a start
    parses only what changed (tomllib is pure Python, ≈ 0.5 ms a file), and the related-slug check uses the
    stored related slugs for those."""
    topics: list[ShippedTopic] = []
    problems: list[str] = []
    unchanged: list[str] = []
    related_of: list[tuple[str, tuple[str, ...]]] = []  # every topic's related slugs, in file order
    for path in sorted(directory.glob("*.toml")):
        raw = path.read_bytes()
        known = seeded.get(path.stem) if seeded else None
        if known is not None and known.source == "shipped" and known.content_hash == content_hash(raw):
            unchanged.append(path.stem)
            related_of.append((path.stem, known.related))
            continue
        try:
            topic = load_topic_file(path, raw)
        except ContentError as exc:
            problems.append(str(exc))
            continue
        topics.append(topic)
        related_of.append((topic.slug, topic.draft.related))
    slugs = {slug for slug, _ in related_of}
    for slug, related in related_of:
        missing = [r for r in related if r not in slugs]
        if missing:
            # Not fatal: the topic still shows; its broken related links are simply not offered.
            problems.append(f"{slug}.toml: related slugs not found: {', '.join(missing)}")
    return LoadResult(tuple(topics), tuple(problems), tuple(unchanged))
