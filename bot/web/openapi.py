"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json (tests validate every response with it)."""

from __future__ import annotations

from typing import Any

from bot import __version__
from bot.web.params import DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }


STR = {"type": "string"}
INT = {"type": "integer", "minimum": 0}
BOOL = {"type": "boolean"}
WHEN = {"type": "string", "format": "date-time"}
DAY = {"type": "string", "format": "date"}
SNOWFLAKE = {"type": "string", "pattern": "^[0-9]{1,20}$", "description": "A Discord id, as a string"}
TRACK = {"type": "string", "enum": ["backend", "frontend"]}
NULLABLE_STR = {"type": ["string", "null"]}
NEXT = {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last page"}
TRACK_COUNTS = obj({"backend": INT, "frontend": INT})

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {"type": "string", "description": "Stable, machine-readable, e.g. invalid_limit"},
                    "message": {"type": "string", "description": "What went wrong and what to send instead"},
                }
            )
        }
    ),
    "Guild": obj({"id": SNOWFLAKE, "cohort_start": DAY, "first_week_days": INT}),
    "Project": obj(
        {
            "key": STR,
            "name": STR,
            "backend_variant": STR,
            "frontend_variant": STR,
            "active": BOOL,
            "counts": TRACK_COUNTS,
            "total": INT,
        }
    ),
    "Announcement": obj(
        {
            "id": INT,
            "project": STR,
            "track": TRACK,
            "title": STR,
            "summary": STR,
            "stack": {"type": "array", "items": STR},
            "repo": NULLABLE_STR,
            "looking_for_partner": BOOL,
            "created_at": WHEN,
        }
    ),
    "Progress": obj(
        {
            "cohort_start": DAY,
            "first_week_days": INT,
            "day": {"type": "integer"},
            "days_left": INT,
            "over": BOOL,
            "learners": {"type": ["integer", "null"], "minimum": 0, "description": "null until the bot counted them"},
            "announced": INT,
            "percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
            "tracks": {"type": "object", "additionalProperties": obj({"announced": INT, "learners": INT})},
            "per_project": {"type": "array", "items": obj({"key": STR, "name": STR, "counts": TRACK_COUNTS})},
            "pairs": obj({"active": INT, "ended": INT}, {}),
            "roster_taken_at": {"type": ["string", "null"], "format": "date-time"},
        }
    ),
    "Session": obj(
        {
            "id": INT,
            "title": STR,
            "starts_at": WHEN,
            "ends_at": WHEN,
            "duration_minutes": INT,
            "timezone": STR,
            "topic": NULLABLE_STR,
            "project": NULLABLE_STR,
            "capacity": {"type": ["integer", "null"], "minimum": 0},
            "going": INT,
            "maybe": INT,
            "not_going": INT,
        }
    ),
    "TopicSummary": obj({"slug": STR, "title": STR, "category": STR, "summary": STR}),
    "Topic": obj(
        {
            "slug": STR,
            "title": STR,
            "category": STR,
            "aliases": {"type": "array", "items": STR},
            "summary": STR,
            "body": STR,
            "key_points": {"type": "array", "items": STR},
            "resources": {"type": "array", "items": obj({"title": STR, "url": STR})},
            "related": {"type": "array", "items": STR},
        }
    ),
    "SearchHit": obj({"slug": STR, "title": STR, "category": STR, "summary": STR, "snippet": NULLABLE_STR}),
}


def page_of(item: str) -> dict[str, Any]:
    return obj({"data": {"type": "array", "items": ref(item)}, "next_cursor": NEXT})


def one(item: str) -> dict[str, Any]:
    return obj({"data": ref(item)})


SCHEMAS.update(
    {
        "GuildList": obj({"data": {"type": "array", "items": ref("Guild")}}),
        "Catalog": obj({"data": obj({"cohort_start": DAY, "projects": {"type": "array", "items": ref("Project")}})}),
        "AnnouncementPage": page_of("Announcement"),
        "ProgressResponse": one("Progress"),
        "SessionList": obj({"data": {"type": "array", "items": ref("Session")}}),
        "TopicPage": page_of("TopicSummary"),
        "TopicResponse": one("Topic"),
        "SearchPage": obj(
            {
                "data": {"type": "array", "items": ref("SearchHit")},
                "next_cursor": NEXT,
                "mode": {"type": "string", "enum": ["all", "any", "none"]},
                "suggestions": {"type": "array", "items": obj({"slug": STR, "title": STR})},
            }
        ),
    }
)

LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
}
CURSOR = {"name": "cursor", "in": "query", "schema": {"type": "string", "maxLength": 140}}
GUILD = {"name": "guild_id", "in": "path", "required": True, "schema": SNOWFLAKE}


def error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def get(
    summary: str, schema: str, params: list[dict[str, Any]] | None = None, *, not_found: bool = True
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "headers": {"ETag": {"schema": STR}, "Cache-Control": {"schema": STR}},
            "content": {JSON: {"schema": ref(schema)}},
        },
        "304": {"description": "Not modified (If-None-Match matched the ETag)"},
        "400": error("A parameter is malformed, unknown or out of range"),
        "429": {**error("Too many requests from this client"), "headers": {"Retry-After": {"schema": INT}}},
    }
    if not_found:
        responses["404"] = error("No such server or topic")
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Nexus Bot public API",
            "version": __version__,
            "description": "Read-only figures of the #ProDevProjectNexus cohort. Pairs only as counts, never names; "
            "no learner's name or id. Cursor pagination (`limit` ≤ 100, `next_cursor`), ETag / If-None-Match, "
            "CORS for GET, a per-client rate limit (429 with Retry-After), one error shape.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/guilds": get("Servers the bot works in", "GuildList", not_found=False),
            "/api/v1/guilds/{guild_id}/catalog": get("The project catalog with counts per track", "Catalog", [GUILD]),
            "/api/v1/guilds/{guild_id}/announcements": get(
                "Announcements the bot posted in the channel (this cohort)", "AnnouncementPage", [GUILD, LIMIT, CURSOR]
            ),
            "/api/v1/guilds/{guild_id}/progress": get("First-week progress", "ProgressResponse", [GUILD]),
            "/api/v1/guilds/{guild_id}/sessions": get(
                "Upcoming study sessions (RSVPs as counts)", "SessionList", [GUILD]
            ),
            "/api/v1/topics": get(
                "Learning topics by slug",
                "TopicPage",
                [LIMIT, CURSOR, {"name": "category", "in": "query", "schema": STR}],
                not_found=False,
            ),
            "/api/v1/topics/search": get(
                "Search topics, ranked as /learn search ranks them",
                "SearchPage",
                [
                    {
                        "name": "q",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "maxLength": MAX_QUERY},
                    },
                    LIMIT,
                    CURSOR,
                ],
                not_found=False,
            ),
            "/api/v1/topics/{topic}": get(
                "One topic by name, slug or alias (typos forgiven, as /learn topic)",
                "TopicResponse",
                [{"name": "topic", "in": "path", "required": True, "schema": STR}],
            ),
        },
        "components": {"schemas": SCHEMAS},
    }
