"""HTTP plumbing: request parsing, JSON errors, auth, route matching, rate-limit buckets, faults."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from sandbox import validation as v
from sandbox.server.base import JSONDict, ServerBase
from sandbox.state import Rejection, RequestRecord
from sandbox.world import Perm

logger = logging.getLogger("sandbox.server")


class ApiError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (request bodies): a JSON round trip is several times faster than deepcopy."""
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:  # an integer beyond 64 bits, which JSON allows and orjson does not
        return copy.deepcopy(value)


def api_error(status: int, code: int, message: str) -> ApiError:
    return ApiError(status, {"message": message, "code": code})


class FormError(Exception):
    def __init__(self, errors: v.FormErrors, source: str = "limits") -> None:
        super().__init__(str(errors.items))
        self.errors = errors
        self.source = source


def unknown_channel() -> ApiError:
    return api_error(404, 10003, "Unknown Channel")


def unknown_message() -> ApiError:
    return api_error(404, 10008, "Unknown Message")


def missing_permissions() -> ApiError:
    return api_error(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return api_error(403, 50001, "Missing Access")


def unknown_webhook() -> ApiError:
    return api_error(404, 10015, "Unknown Webhook")


@dataclass
class Request:
    """What a route handler sees."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[tuple[str, str, bytes, str]]  # (field name, filename, data, content type)
    record: RequestRecord

    def id(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise api_error(404, 0, "404: Not Found")
        return int(value)

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true", "yes")


Handler = Callable[[Request], Awaitable[Any]]


@dataclass
class RouteDef:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    auth: bool = True
    major: str | None = None
    limit: tuple[int, float] | None = (50, 1.0)


@dataclass
class Fault:
    """An injected failure. ``route`` is a template such as ``/channels/{channel_id}/messages`` or ``*``."""

    method: str
    route: str
    status: int | None = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    delay: float = 0.0
    hits: int = 0


@dataclass
class Bucket:
    limit: int
    per: float
    remaining: int
    reset_at: float


def path_head(path: str) -> str:
    """ "/channels/1/messages" -> "channels": only routes with the same first segment can match."""
    return path.lstrip("/").split("/", 1)[0]


def bucket_hash(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:32]


class HttpMixin(ServerBase):
    """The REST entry point (``/api/v10/...``): match, authenticate, limit, validate, run the handler."""

    def _take_fault(self, method: str, template: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*") and fault.route in (template, "*") and fault.hits < fault.times:
                fault.hits += 1
                if fault.hits >= fault.times:
                    self.faults.remove(fault)
                return fault
        return None

    def _require(self, channel_id: int, *perms: int) -> None:
        if self.is_dm(channel_id):
            return
        have = self.bot_perms_in(channel_id)
        if not have & Perm.VIEW_CHANNEL:
            raise missing_access()
        for p in perms:
            if not have & p:
                raise missing_permissions()

    def _channel_exists(self, channel_id: int) -> None:
        if channel_id not in self.state.channels and channel_id not in self.world.guild.channels:
            raise unknown_channel()

    # ------------------------------------------------------------------ HTTP plumbing
    def route(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        auth: bool = True,
        major: str | None = None,
        limit: tuple[int, float] | None = (50, 1.0),
    ) -> None:
        rx = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        route = RouteDef(method, template, re.compile(f"^{rx}$"), handler, auth, major, limit)
        self._routes.append(route)
        self._routes_by_head.setdefault(path_head(template), []).append(route)

    def _match(self, method: str, path: str) -> tuple[RouteDef | None, dict[str, str], bool]:
        other_method = False
        best: tuple[RouteDef, dict[str, str]] | None = None
        for r in self._routes_by_head.get(path_head(path), ()):
            m = r.regex.match(path)
            if not m:
                continue
            if r.method != method:
                other_method = True
                continue
            literal = r.template.count("/") - r.template.count("{")
            if best is None or literal > best[0].template.count("/") - best[0].template.count("{"):
                best = (r, m.groupdict())
        if best is None:
            return None, {}, other_method
        return best[0], best[1], other_method

    def _json_response(self, status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        hdrs = {"Via": "1.1 google", **(headers or {})}
        if status == 204 or body is None:
            return web.Response(status=204 if body is None else status, headers=hdrs)
        hdrs["Content-Type"] = "application/json"  # exactly this: discord.py compares the header verbatim
        return web.Response(status=status, body=orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), headers=hdrs)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, str, bytes, str]]]:
        files: list[tuple[str, str, bytes, str]] = []
        if not request.can_read_body:
            return None, files
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            body: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                name = part.name or ""  # type: ignore[union-attr]
                data = await part.read()  # type: ignore[union-attr]
                if name == "payload_json":
                    try:
                        body = json.loads(data.decode())
                    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                        raise api_error(400, 50109, "The request body contains invalid JSON.") from exc
                else:
                    filename = part.filename or name  # type: ignore[union-attr]
                    ct = part.headers.get("Content-Type", "application/octet-stream")  # type: ignore[union-attr]
                    files.append((name, filename, bytes(data), ct))
            return body, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise api_error(400, 50109, "The request body contains invalid JSON.") from exc

    def _rate_limit(self, route: RouteDef, params: dict[str, str]) -> dict[str, str]:
        if not self.rate_limits or route.limit is None:
            return {}
        limit, per = route.limit
        route_hash = bucket_hash(f"{route.method} {route.template}")
        major = params.get(route.major, "") if route.major else ""
        key = f"{route_hash}:{major}"
        now = time.monotonic()
        bucket = self.buckets.get(key)
        if bucket is None or now >= bucket.reset_at:
            bucket = Bucket(limit, per, limit, now + per)
            self.buckets[key] = bucket
        reset_after = max(bucket.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": route_hash,
        }
        if bucket.remaining <= 0:
            headers.update(
                {"X-RateLimit-Remaining": "0", "Retry-After": str(math.ceil(reset_after)), "X-RateLimit-Scope": "user"}
            )
            body = {"message": "You are being rate limited.", "retry_after": round(reset_after, 3), "global": False}
            raise ApiError(429, body, headers)
        bucket.remaining -= 1
        headers["X-RateLimit-Remaining"] = str(bucket.remaining)
        return headers

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method.upper()
        route, params, other = self._match(method, path)
        record = RequestRecord(
            method, path, f"{method} {route.template}" if route else f"{method} ?", dict(request.query), None
        )
        self.state.requests.append(record)
        headers: dict[str, str] = {}
        try:
            if route is None:
                if other:
                    raise api_error(405, 0, "405: Method Not Allowed")
                raise api_error(404, 0, "404: Not Found")
            if route.auth and request.headers.get("Authorization") != f"Bot {self.token}":
                raise api_error(401, 0, "401: Unauthorized")
            body, files = await self._read_body(request)
            record.json = body
            record.files = [(f[1], f[2]) for f in files]
            fault = self._take_fault(method, route.template)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    fbody = (
                        fault.body if fault.body is not None else {"message": f"{fault.status}: Injected", "code": 0}
                    )
                    raise ApiError(fault.status, fbody, fault.headers)
            headers = self._rate_limit(route, params)
            self._precheck(method, route.template, body, len(files))
            if self.validate_openapi and body is not None and method in ("POST", "PUT", "PATCH"):
                errors = self._openapi.validate(method, path, body)
                if errors:
                    raise FormError(errors, "openapi")
            req = Request(method, path, params, dict(request.query), body, files, record)
            with self.world.using(self._guild_of_request(params)):
                result = await route.handler(req)
            status = 200
            if isinstance(result, tuple):
                status, result = result
            record.status = 204 if result is None else status
            record.response = result
            self._notify()
            return self._json_response(status, result, headers)
        except FormError as exc:
            body_out = exc.errors.body()
            self._reject(record, body_out, exc.source)
            return self._json_response(400, body_out, headers)
        except ApiError as exc:
            record.status = exc.status
            record.response = exc.body
            if exc.status == 400 and isinstance(exc.body, dict):
                self._reject(record, exc.body, "api")
            self._notify()
            return self._json_response(exc.status, exc.body, {**headers, **exc.headers})

    def _guild_of_request(self, params: dict[str, str]) -> int | None:
        """Which guild a request is about (routes name it, or a channel or interaction of it); None: the first."""
        raw = params.get("guild_id", "")
        if raw.isdigit():
            return int(raw)
        raw = params.get("channel_id", "")
        if raw.isdigit():
            guild = self.world.guild_of_channel(int(raw))
            if guild is not None:
                return guild.id
            stored = self.state.channels.get(int(raw)) or {}
            gid = str(stored.get("guild_id") or "")
            return int(gid) if gid.isdigit() else None
        token = params.get("token")
        if token and token in self.state.interactions_by_token:
            return self.state.interactions_by_token[token].guild_id
        return None

    def _precheck(self, method: str, template: str, body: Any, files: int) -> None:
        """Discord's documented limits (exact messages) run before the OpenAPI schema check."""
        errors = v.FormErrors()
        if template.endswith("/commands") and method == "PUT":
            v.validate_commands(body if body is not None else [], errors)
        elif template.endswith("/commands") and method == "POST":
            v.validate_command(body, errors)
        elif template.endswith("/callback"):
            v.validate_callback(body, errors)
        elif template.endswith("/threads"):
            v.validate_thread_name(body or {}, errors)
        elif (template.endswith("/messages") and method == "POST") or template == "/webhooks/{app_id}/{token}":
            v.validate_message(body or {}, errors, files=files)
        elif "/messages/{message_id}" in template and method == "PATCH":
            v.validate_message(body or {}, errors, files=files, create=False)
        if errors:
            raise FormError(errors)

    def _reject(self, record: RequestRecord, body: JSONDict, source: str) -> None:
        record.status = 400
        record.response = body
        rej = Rejection(record.method, record.path, record.route, record.json, body.get("errors", body), 400, source)
        self.state.rejections.append(rej)
        logger.warning("sandbox rejected %s %s: %s", record.method, record.path, body)
        m = re.match(r"^/(?:interactions/\d+|webhooks/\d+)/([^/]+)", record.path)
        if m and m.group(1) in self.state.interactions_by_token:
            inter = self.state.interactions_by_token[m.group(1)]
            inter.errors.append({"path": record.path, "method": record.method, "body": body})
            inter.touch()
        self._notify()

    async def _handle_attachment(self, request: web.Request) -> web.StreamResponse:
        aid = request.match_info["attachment_id"]
        stored = self.state.files.get(int(aid)) if aid.isdigit() else None
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, content_type=stored.content_type.split(";")[0])
