"""/api/v1 through aiohttp's test client on a real database: figures, pages, caching, CORS, limits, errors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.web.app import RateLimiter
from db.database import Database
from db.stores.announcements import AnnouncementStore
from tests.web.conftest import GUILD, Api, make_api

G = f"/api/v1/guilds/{GUILD}"
ENDPOINTS = {
    "/api/v1/guilds": "/api/v1/guilds",
    f"{G}/catalog": "/api/v1/guilds/{guild_id}/catalog",
    f"{G}/announcements": "/api/v1/guilds/{guild_id}/announcements",
    f"{G}/progress": "/api/v1/guilds/{guild_id}/progress",
    f"{G}/sessions": "/api/v1/guilds/{guild_id}/sessions",
    "/api/v1/topics": "/api/v1/topics",
    "/api/v1/topics/search?q=django": "/api/v1/topics/search",
    "/api/v1/topics/django": "/api/v1/topics/{topic}",
}


async def test_the_served_document_is_valid_openapi_3_1_and_lists_every_endpoint(api: Api) -> None:
    assert api.document["openapi"] == "3.1.0"
    assert set(ENDPOINTS.values()) <= set(api.document["paths"])
    for path, template in ENDPOINTS.items():
        await api.get(path, template)


async def test_catalog_counts_and_progress_match_the_database(api: Api) -> None:
    catalog = await api.get(f"{G}/catalog", "/api/v1/guilds/{guild_id}/catalog")
    counts = {p["key"]: p["counts"] for p in catalog["data"]["projects"]}
    for (project, track), n in api.seeded.counts.items():
        assert counts[project][track] == n
    assert sum(p["total"] for p in catalog["data"]["projects"]) == api.seeded.announced

    progress = (await api.get(f"{G}/progress", "/api/v1/guilds/{guild_id}/progress"))["data"]
    assert progress["learners"] == api.seeded.learners
    assert progress["announced"] == api.seeded.announced
    assert progress["percent"] == 100 * api.seeded.announced // api.seeded.learners
    assert progress["pairs"] == {"active": api.seeded.pairs, "ended": 0}
    assert progress["day"] == 3 and progress["days_left"] == 5 and progress["over"] is False


async def test_announcements_page_by_cursor_through_every_posted_one_once(api: Api) -> None:
    seen: list[int] = []
    path = f"{G}/announcements?limit=7"
    while True:
        page = await api.get(path, "/api/v1/guilds/{guild_id}/announcements")
        assert len(page["data"]) <= 7
        seen += [a["id"] for a in page["data"]]
        if page["next_cursor"] is None:
            break
        path = f"{G}/announcements?limit=7&cursor={page['next_cursor']}"
    assert seen == sorted(api.seeded.announced_ids)


async def test_an_unposted_or_withdrawn_announcement_is_not_public(api: Api) -> None:
    store = api.services.announcements.store
    first, second = api.seeded.announced_ids[:2]
    await store.withdraw(first, api.clock.now())
    await store.set_message(second, None, None)  # written, never posted in the channel
    page = await api.get(f"{G}/announcements?limit=100", "/api/v1/guilds/{guild_id}/announcements")
    ids = {a["id"] for a in page["data"]}
    assert first not in ids and second not in ids and len(ids) == api.seeded.announced - 2


async def test_no_learner_name_or_id_leaves_through_the_api(api: Api) -> None:
    dumped = ""
    for path, template in ENDPOINTS.items():
        dumped += json.dumps(await api.get(path, template))
    assert "Learner 0" not in dumped.replace("Learner 0000", "")  # titles name the project, not the person
    async with api.services.db.transaction() as conn:
        rows = await (await conn.execute("SELECT user_id, display_name FROM announcements")).fetchall()
    for row in rows:
        assert str(row["user_id"]) not in dumped
    assert '"backend_id"' not in dumped and '"frontend_id"' not in dumped


async def test_etag_answers_304_and_cache_control_is_set(api: Api) -> None:
    async with api.client.get(f"{G}/catalog") as first:
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"].startswith("public, max-age=")
    async with api.client.get(f"{G}/catalog", headers={"If-None-Match": etag}) as again:
        assert again.status == 304 and again.headers["ETag"] == etag
        api.check("/api/v1/guilds/{guild_id}/catalog", again, None)
    await api.services.announcements.store.withdraw(api.seeded.announced_ids[0], api.clock.now())
    async with api.client.get(f"{G}/catalog", headers={"If-None-Match": etag}) as changed:
        assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_cors_allows_get_from_any_origin_and_answers_preflight(api: Api) -> None:
    async with api.client.get("/api/v1/topics", headers={"Origin": "https://learner.example"}) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    async with api.client.options(
        "/api/v1/topics", headers={"Origin": "https://learner.example", "Access-Control-Request-Method": "GET"}
    ) as preflight:
        assert preflight.status == 204
        assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


async def test_a_client_over_its_rate_gets_429_with_retry_after(tmp_path: Path) -> None:
    async for api in make_api(tmp_path, RateLimiter(rate=0.5, burst=3), learners=4):
        for _ in range(2):  # the document fetch took one of the three
            await api.get("/api/v1/topics", "/api/v1/topics")
        body = await api.get("/api/v1/topics", "/api/v1/topics", status=429)
        assert body["error"]["code"] == "rate_limited"
        async with api.client.get("/api/v1/topics") as response:
            assert response.status == 429 and int(response.headers["Retry-After"]) >= 1


def test_the_limiter_refills_and_forgets_idle_clients() -> None:
    limiter = RateLimiter(rate=2.0, burst=2, max_clients=2)
    assert limiter.take("a", 0.0) == 0 and limiter.take("a", 0.0) == 0
    assert limiter.take("a", 0.0) == pytest.approx(0.5)
    assert limiter.take("a", 0.6) == 0  # refilled
    limiter.take("b", 1.0)
    limiter.take("c", 1.0)
    assert "a" not in limiter._buckets and len(limiter._buckets) == 2


HOSTILE = [
    "9" * 5000,
    "-1",
    "0",
    "101",
    "1e3",
    "٣",  # an Arabic-Indic digit: a digit to str.isdigit, not to us
    "' OR 1=1 --",
    "1; DROP TABLE announcements",
    "\x00",
    "%",
    "\u202e1",
]
PAGED = [f"{G}/announcements", "/api/v1/topics", "/api/v1/topics/search?q=django"]


async def test_hostile_paging_parameters_get_a_clean_400(api: Api) -> None:
    for path in PAGED:
        for name in ("limit", "cursor"):
            for value in HOSTILE:
                async with api.client.get(path.split("?")[0], params={**dict_of(path), name: value}) as response:
                    body = await response.json()
                    assert response.status == 400, (path, name, value, body)
                    api.check(ENDPOINTS[path], response, body)
                    assert body["error"]["code"] in ("invalid_limit", "invalid_cursor", "invalid_parameter"), body
                    assert "Traceback" not in json.dumps(body)


def dict_of(path: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in path.split("?", 1)[1].split("&")) if "?" in path else {}


@pytest.mark.parametrize(
    ("path", "template", "code"),
    [
        ("/api/v1/guilds/-5/catalog", "/api/v1/guilds/{guild_id}/catalog", "invalid_guild_id"),
        ("/api/v1/guilds/99999999999999999999999/progress", "/api/v1/guilds/{guild_id}/progress", "invalid_guild_id"),
        ("/api/v1/guilds/1%20OR%201=1/sessions", "/api/v1/guilds/{guild_id}/sessions", "invalid_guild_id"),
        ("/api/v1/guilds/%D9%A3/catalog", "/api/v1/guilds/{guild_id}/catalog", "invalid_guild_id"),
        ("/api/v1/topics?category=../../etc", "/api/v1/topics", "invalid_parameter"),
        ("/api/v1/topics?limit=5&limit=6", "/api/v1/topics", "repeated_parameter"),
        ("/api/v1/topics?evil=1", "/api/v1/topics", "unknown_parameter"),
        (f"/api/v1/topics/search?q={'x' * 101}", "/api/v1/topics/search", "invalid_query"),
        ("/api/v1/topics/search?q=%00", "/api/v1/topics/search", "invalid_parameter"),
        ("/api/v1/topics/search?q=%20%20", "/api/v1/topics/search", "invalid_query"),
        ("/api/v1/topics/search", "/api/v1/topics/search", "missing_query"),
        (f"/api/v1/topics/{'a' * 300}", "/api/v1/topics/{topic}", "invalid_parameter"),
        (f"{G}/progress?x={'y' * 5000}", "/api/v1/guilds/{guild_id}/progress", "unknown_parameter"),
    ],
)
async def test_hostile_input_gets_a_clean_400_in_the_error_shape(api: Api, path: str, template: str, code: str) -> None:
    body = await api.get(path, template, status=400)
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]


async def test_free_text_search_is_searched_as_text_not_code(api: Api) -> None:
    for q in ("' OR 1=1 --", 'django" NEAR(', "日本語 ü", "*"):
        body = await api.get(f"/api/v1/topics/search?q={q}", "/api/v1/topics/search")
        assert isinstance(body["data"], list)


async def test_unknown_guild_topic_endpoint_and_methods_answer_in_the_error_shape(api: Api) -> None:
    missing = await api.get("/api/v1/guilds/42/catalog", "/api/v1/guilds/{guild_id}/catalog", status=404)
    assert "/api/v1/guilds" in missing["error"]["message"]
    body = await api.get("/api/v1/topics/qqqzzzxxyyvv", "/api/v1/topics/{topic}", status=404)
    assert body["error"]["code"] == "topic_not_found"
    async with api.client.get("/api/v1/nothing-here") as response:
        assert response.status == 404 and (await response.json())["error"]["code"] == "no_such_endpoint"
    async with api.client.post("/api/v1/topics", data=b"{}") as response:
        assert response.status == 405 and (await response.json())["error"]["code"] == "method_not_allowed"


async def test_an_unexpected_failure_answers_500_with_an_error_id_and_no_trace(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.services.view, "catalog_counts", broken)
    async with api.client.get(f"{G}/catalog") as response:
        body = await response.json()
    assert response.status == 500 and body["error"]["code"] == "internal_error"
    assert "error id" in body["error"]["message"] and "secret internals" not in json.dumps(body)


async def test_topics_search_ranks_as_learn_search_and_get_forgives_typos(api: Api) -> None:
    body = await api.get("/api/v1/topics/search?q=rest%20api&limit=5", "/api/v1/topics/search")
    ranked = await api.services.learning.search("rest api")
    expected = [t.slug for t in await api.services.learning.store.many(list(ranked.topic_ids[:5]))]
    assert [hit["slug"] for hit in body["data"]] == expected
    assert body["next_cursor"] is not None
    nxt = await api.get(
        f"/api/v1/topics/search?q=rest%20api&limit=5&cursor={body['next_cursor']}", "/api/v1/topics/search"
    )
    assert not {h["slug"] for h in nxt["data"]} & set(expected)
    typo = await api.get("/api/v1/topics/djnago", "/api/v1/topics/{topic}")
    assert typo["data"]["slug"] == "django"


async def test_sessions_list_rsvps_as_counts(api: Api) -> None:
    body = await api.get(f"{G}/sessions", "/api/v1/guilds/{guild_id}/sessions")
    assert [s["title"] for s in body["data"]] == ["Django REST office hours", "React state, pairs welcome"]
    assert all(s["going"] == 1 for s in body["data"])  # the host


async def test_cached_answers_follow_every_commit_roster_and_minute(api: Api) -> None:
    path, template = f"{G}/progress", "/api/v1/guilds/{guild_id}/progress"
    first = (await api.get(path, template))["data"]
    assert (await api.get(path, template))["data"] == first  # served from the cache
    roster = await api.services.view.roster_of(GUILD)
    assert roster is not None
    await api.services.view.save_roster(GUILD, {e.user_id: (e.name, (e.track or "",)) for e in roster.learners[:10]})
    assert (await api.get(path, template))["data"]["learners"] == 10
    async with Database(api.services.db.path) as other:  # another process's commit, as the bot's would be
        await AnnouncementStore(other).withdraw(api.seeded.announced_ids[0], api.clock.now())
    counts = (await api.get(f"{G}/catalog", "/api/v1/guilds/{guild_id}/catalog"))["data"]["projects"]
    assert sum(p["total"] for p in counts) == api.seeded.announced - 1
    api.clock.at += timedelta(days=1)
    assert (await api.get(path, template))["data"]["days_left"] == first["days_left"] - 1
