"""The web process's aiohttp application: routes, the JSON error shape, ETag/304, Cache-Control, CORS and a
per-client rate limit. `run_web` is `nexus-bot web`: it opens the bot's database to read (no writer lock)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from bot.clock import Clock
from bot.errors import NotFound, UserError
from bot.services.container import Services
from bot.web import api, dashboard
from bot.web.cache import CACHE, VersionedCache
from bot.web.params import ApiError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JsonHandler = Callable[[web.Request], Awaitable[dict[str, Any]]]

API_PREFIX = "/api/"
API_CACHE = "public, max-age=30"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Retry-After, Cache-Control",
}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match, Content-Type",
    "Access-Control-Max-Age": "600",
}
INDEX_REFRESH_SECONDS = 60.0


class RateLimiter:
    """A token bucket per client: `burst` requests at once, refilled at `rate` per second. In memory, bounded."""

    def __init__(self, rate: float = 20.0, burst: int = 60, max_clients: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = time.monotonic() if now is None else now
        tokens, at = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)  # the client idle longest: a fresh bucket is a full one anyway
        return wait


LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter", RateLimiter)


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps({"error": {"code": code, "message": message}}),
        content_type="application/json",
        headers={**CORS, "Cache-Control": "no-store", **(headers or {})},
    )


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def json_endpoint(handler: JsonHandler) -> Handler:
    async def run(request: web.Request) -> web.StreamResponse:
        async def answer() -> tuple[bytes, str]:
            body = orjson.dumps(await handler(request))
            return body, etag_for(body)

        version = await request.app[api.SERVICES].view.version()
        body, etag = await request.app[CACHE].get(version, ("api", request.path_qs), answer)
        headers = {**CORS, "ETag": etag, "Cache-Control": API_CACHE, "Vary": "Origin"}
        if matches(request.headers.get("If-None-Match"), etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type="application/json", headers=headers)

    return run


def client_key(request: web.Request) -> str:
    return request.remote or "unknown"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Rate limit, CORS preflight, and every error in its shape: JSON under /api/, a short page elsewhere."""
    is_api = request.path.startswith(API_PREFIX)
    wait = request.app[LIMITER].take(client_key(request))
    if wait > 0:
        retry = str(max(1, math.ceil(wait)))
        if is_api:
            return error_response(
                429, "rate_limited", f"Too many requests; retry after {retry} s.", {"Retry-After": retry}
            )
        return web.Response(
            status=429, text=f"Too many requests; retry after {retry} s.", headers={"Retry-After": retry}
        )
    if is_api and request.method == "OPTIONS":
        return web.Response(status=204, headers=PREFLIGHT)
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers)
    except NotFound as exc:
        if is_api:
            return error_response(404, "not_found", str(exc))
        return dashboard.message(404, "Not found", str(exc))
    except UserError as exc:
        if is_api:
            return error_response(400, "invalid_request", str(exc))
        return dashboard.message(400, "Bad request", str(exc))
    except web.HTTPException as exc:
        if is_api:
            code = {404: "no_such_endpoint", 405: "method_not_allowed"}.get(exc.status, "http_error")
            text = {
                404: "No such endpoint; GET /api/v1/openapi.json lists them.",
                405: "This API is read-only: use GET.",
            }.get(exc.status, exc.reason)
            extra = {"Allow": "GET, OPTIONS"} if exc.status == 405 else {}
            return error_response(exc.status, code, text, extra)
        if exc.status >= 400 and exc.text and exc.content_type == "text/plain":
            return dashboard.message(exc.status, exc.reason, exc.text)
        raise
    except asyncio.CancelledError:
        raise
    except Exception:
        error_id = secrets.token_hex(4)
        log.exception("Web request %s %s failed (error id %s)", request.method, request.path_qs[:200], error_id)
        if is_api:
            return error_response(500, "internal_error", f"Something went wrong on our side (error id {error_id}).")
        return dashboard.message(500, "Something went wrong", f"Try again in a moment (error id {error_id}).")


def create_app(
    services: Services,
    clock: Clock,
    *,
    secret: str | None,
    secure_cookie: bool = False,
    limiter: RateLimiter | None = None,
) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
    app[api.SERVICES] = services
    app[dashboard.SECRET] = secret
    app[dashboard.CLOCK] = clock
    app[dashboard.SECURE] = secure_cookie
    app[LIMITER] = limiter or RateLimiter()
    app[CACHE] = VersionedCache()
    for path, handler in api.ROUTES.items():
        app.router.add_get(path, json_endpoint(handler), allow_head=False)
    app.router.add_get("/", dashboard.home, allow_head=False)
    app.router.add_get("/login", dashboard.login, allow_head=False)
    return app


async def keep_index_fresh(services: Services) -> None:
    """Topics approved or edited by the bot reach the web's name index within a minute."""
    while True:
        await asyncio.sleep(INDEX_REFRESH_SECONDS)
        try:
            await services.learning.refresh_index()
        except Exception:
            log.exception("Refreshing the topic index failed; keeping the last one")
