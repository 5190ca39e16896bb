"""/api/v1: the public read-only JSON API. Handlers return plain dicts; app.py serialises, tags and caches them.

Nothing personal leaves here: announcements without their author, pairs and RSVPs as counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiohttp import web

from bot.errors import NotFound
from bot.services.cohort_view import Announcement, Progress, Rsvps, StudySession, Topic, TopicCard
from bot.services.container import Services
from bot.services.learning import CATEGORIES, SEARCH_RESULTS_MAX
from bot.services.tracks import TRACKS
from bot.web import params as p
from bot.web.openapi import document

T = TypeVar("T")
SERVICES: web.AppKey[Services] = web.AppKey("services", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def page_args(request: web.Request, cursor: Any, **extra: Any) -> dict[str, Any]:
    return p.query_params(request.query, {"limit": p.parse_limit, "cursor": cursor, **extra})


def page(
    rows: Sequence[T], limit: int, as_json: Callable[[T], dict[str, Any]], kind: str, key: Callable[[T], int | str]
) -> dict[str, Any]:
    """A page from `limit + 1` rows fetched after the cursor: the extra row only says that a next page exists."""
    shown = rows[:limit]
    more = len(rows) > limit
    return {"data": [as_json(r) for r in shown], "next_cursor": p.encode_cursor(kind, key(shown[-1])) if more else None}


def announcement_json(a: Announcement) -> dict[str, Any]:
    return {
        "id": a.id,
        "project": a.project_key,
        "track": a.track,
        "title": a.title,
        "summary": a.summary,
        "stack": list(a.stack),
        "repo": a.repo,
        "looking_for_partner": a.looking_for_partner,
        "created_at": a.created_at.isoformat(),
    }


def progress_json(progress: Progress) -> dict[str, Any]:
    chart, week = progress.chart, progress.cohort.week
    known = progress.roster_taken_at is not None
    names = dict(chart.projects)
    keys = list(names) + sorted({k for k, _ in chart.counts} - set(names))
    return {
        "cohort_start": week.start.isoformat(),
        "first_week_days": week.days,
        "day": progress.day_number,
        "days_left": chart.days_left,
        "over": chart.over,
        "learners": chart.learners if known else None,
        "announced": chart.announced,
        "percent": progress.percent if known else None,
        "tracks": {
            t: {
                "announced": sum(n for (_, track), n in chart.counts.items() if track == t),
                "learners": chart.track_learners.get(t, 0),
            }
            for t in TRACKS
        },
        "per_project": [
            {"key": k, "name": names.get(k, k), "counts": {t: chart.counts.get((k, t), 0) for t in TRACKS}}
            for k in keys
        ],
        "pairs": {"active": progress.pairs.get("active", 0), "ended": progress.pairs.get("ended", 0)},
        "roster_taken_at": progress.roster_taken_at.isoformat() if progress.roster_taken_at else None,
    }


def session_json(s: StudySession, rsvps: Rsvps) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "starts_at": s.starts_at.isoformat(),
        "ends_at": s.ends_at.isoformat(),
        "duration_minutes": s.duration_minutes,
        "timezone": s.timezone,
        "topic": s.topic,
        "project": s.project,
        "capacity": s.capacity,
        "going": len(rsvps.going),
        "maybe": len(rsvps.maybe),
        "not_going": len(rsvps.not_going),
    }


def topic_summary(t: Topic | TopicCard) -> dict[str, Any]:
    return {"slug": t.slug, "title": t.title, "category": t.category, "summary": t.summary}


def topic_json(t: Topic) -> dict[str, Any]:
    return {
        **topic_summary(t),
        "aliases": list(t.aliases),
        "body": t.body,
        "key_points": list(t.key_points),
        "resources": [{"title": r.title, "url": r.url} for r in t.resources],
        "related": list(t.related),
    }


async def openapi(request: web.Request) -> dict[str, Any]:
    p.query_params(request.query, {})
    return document()


async def guilds(request: web.Request) -> dict[str, Any]:
    p.query_params(request.query, {})
    found = await services(request).view.guilds()
    return {
        "data": [
            {"id": str(c.guild_id), "cohort_start": c.week.start.isoformat(), "first_week_days": c.week.days}
            for c in found
        ]
    }


async def catalog(request: web.Request) -> dict[str, Any]:
    guild = p.guild_id(request.match_info["guild_id"])
    p.query_params(request.query, {})
    cohort, projects = await services(request).view.catalog_counts(guild)
    return {
        "data": {
            "cohort_start": cohort.week.start.isoformat(),
            "projects": [
                {
                    "key": x.key,
                    "name": x.name,
                    "backend_variant": x.backend_variant,
                    "frontend_variant": x.frontend_variant,
                    "active": x.active,
                    "counts": dict(x.counts),
                    "total": sum(x.counts.values()),
                }
                for x in projects
            ],
        }
    }


async def announcements(request: web.Request) -> dict[str, Any]:
    guild = p.guild_id(request.match_info["guild_id"])
    args = page_args(request, p.cursor_int)
    limit = args.get("limit", p.DEFAULT_LIMIT)
    rows = await services(request).view.posted_announcements(guild, args.get("cursor", 0), limit + 1)
    return page(rows, limit, announcement_json, "id", lambda a: a.id)


async def progress(request: web.Request) -> dict[str, Any]:
    guild = p.guild_id(request.match_info["guild_id"])
    p.query_params(request.query, {})
    return {"data": progress_json(await services(request).view.progress(guild))}


async def sessions(request: web.Request) -> dict[str, Any]:
    guild = p.guild_id(request.match_info["guild_id"])
    p.query_params(request.query, {})
    return {"data": [session_json(s, r) for s, r in await services(request).view.upcoming_sessions(guild)]}


async def topics(request: web.Request) -> dict[str, Any]:
    args = page_args(request, p.cursor_slug, category=p.one_of("category", CATEGORIES))
    limit = args.get("limit", p.DEFAULT_LIMIT)
    rows = await services(request).view.topics_page(args.get("cursor", ""), limit + 1, args.get("category"))
    return page(rows, limit, topic_summary, "slug", lambda t: t.slug)


async def search(request: web.Request) -> dict[str, Any]:
    args = page_args(request, p.cursor_offset, q=p.parse_query)
    if "q" not in args:
        raise p.bad("missing_query", "Give `q`, the words to search for, e.g. /api/v1/topics/search?q=django.")
    limit, offset = args.get("limit", p.DEFAULT_LIMIT), args.get("cursor", 0)
    view = services(request).view
    result = await view.search(args["q"])
    found, snippets = await view.search_hits(result, offset, limit)
    end = offset + len(found)
    return {
        "data": [{**topic_summary(t), "snippet": snippets.get(t.id)} for t in found],
        "next_cursor": p.encode_cursor("at", end) if end < min(len(result.topic_ids), SEARCH_RESULTS_MAX) else None,
        "mode": result.mode,
        "suggestions": [{"slug": s.slug, "title": s.title} for s in result.suggestions],
    }


async def topic(request: web.Request) -> dict[str, Any]:
    name = p.slug(request.match_info["topic"])
    p.query_params(request.query, {})
    try:
        found = await services(request).learning.topic(name)
    except NotFound as exc:
        raise p.ApiError(404, "topic_not_found", str(exc).replace("`/learn search`", "/api/v1/topics/search")) from None
    return {"data": topic_json(found)}


ROUTES = {
    "/api/v1/openapi.json": openapi,
    "/api/v1/guilds": guilds,
    "/api/v1/guilds/{guild_id}/catalog": catalog,
    "/api/v1/guilds/{guild_id}/announcements": announcements,
    "/api/v1/guilds/{guild_id}/progress": progress,
    "/api/v1/guilds/{guild_id}/sessions": sessions,
    "/api/v1/topics": topics,
    "/api/v1/topics/search": search,
    "/api/v1/topics/{topic}": topic,
}
