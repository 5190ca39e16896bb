"""A local Discord-compatible server: REST under ``/api/v10`` and a gateway at ``/gateway`` (aiohttp)."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import math
import re
import secrets
import struct
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from sandbox import validation as v
from sandbox.state import InteractionRecord, Ping, Rejection, RequestRecord, State, StoredFile, StoredMessage
from sandbox.world import Member, Perm, User, World, iso

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
JSONDict = dict[str, Any]

# Gateway intents
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_SCHEDULED_EVENTS = 1 << 16

EVENT_INTENTS: dict[str, int] = {
    "GUILD_MEMBER_ADD": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": INTENT_GUILD_MEMBERS,
    "GUILD_ROLE_CREATE": INTENT_GUILDS,
    "GUILD_ROLE_UPDATE": INTENT_GUILDS,
    "CHANNEL_CREATE": INTENT_GUILDS,
    "CHANNEL_UPDATE": INTENT_GUILDS,
    "CHANNEL_DELETE": INTENT_GUILDS,
    "THREAD_CREATE": INTENT_GUILDS,
    "THREAD_UPDATE": INTENT_GUILDS,
    "THREAD_DELETE": INTENT_GUILDS,
    "THREAD_MEMBERS_UPDATE": INTENT_GUILDS,
    "GUILD_SCHEDULED_EVENT_CREATE": INTENT_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": INTENT_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": INTENT_SCHEDULED_EVENTS,
}
MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"}

EPHEMERAL = 1 << 6
LOADING = 1 << 7
HAS_THREAD = 1 << 5
FORUM = 15  # channel type
# Discord checks an enforced nonce against the same author's messages of the past few minutes.
NONCE_WINDOW = 5 * 60.0


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


def ws_frame(opcode: int, data: bytes) -> bytes:
    """One final, unmasked WebSocket frame (RFC 6455, section 5.2), as a server sends it."""
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + data


class GatewayConnection:
    """One bot's gateway WebSocket.

    Each payload is written to the socket the moment it is dispatched, in order. aiohttp's
    `send_bytes` is a coroutine: a writer task would only run once everything already scheduled
    has run, so in a burst the first INTERACTION_CREATE would wait until the last one was built,
    which Discord never does. aiohttp still writes pongs and the close frame itself, each a whole
    frame in one synchronous write, so frames never interleave.
    """

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None, compress: bool) -> None:
        self.ws = ws
        self.transport = transport
        self.compressor = zlib.compressobj() if compress else None
        self.session: GatewaySession | None = None
        self.closed = False
        self.heartbeats = 0

    def send(self, payload: JSONDict) -> None:
        transport = self.transport
        if self.closed or transport is None or transport.is_closing():
            return
        raw = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)
        if self.compressor is not None:
            data = self.compressor.compress(raw) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
            transport.write(ws_frame(WSMsgType.BINARY, data))
        else:
            transport.write(ws_frame(WSMsgType.TEXT, raw))


@dataclass
class GatewaySession:
    id: str
    intents: int
    properties: JSONDict
    shard: list[int] | None
    seq: int = 0
    buffer: list[JSONDict] = field(default_factory=list)
    conn: GatewayConnection | None = None
    guild_sent: bool = False
    disconnected_at: float | None = None
    identified_at: float = field(default_factory=time.monotonic)

    def wants(self, event: str, data: Any) -> bool:
        if event in MESSAGE_EVENTS:
            is_dm = isinstance(data, dict) and "guild_id" not in data
            return bool(self.intents & (INTENT_DIRECT_MESSAGES if is_dm else INTENT_GUILD_MESSAGES))
        need = EVENT_INTENTS.get(event)
        return need is None or bool(self.intents & need)


class SandboxServer:
    """Serve ``world`` over HTTP + WebSocket on loopback. See ``sandbox/README.md``."""

    def __init__(
        self,
        world: World | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ack_window: float = 3.0,
        token_ttl: float = 15 * 60,
        rate_limits: bool = True,
        validate_openapi: bool = True,
        heartbeat_interval: int = 41250,
        message_rate: tuple[int, float] = (5, 5.0),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.world = world or World.default()
        self.state = State()
        self.host = host
        self.port = port
        self.ack_window = ack_window
        self.token_ttl = token_ttl
        self.rate_limits = rate_limits
        self.validate_openapi = validate_openapi
        self.heartbeat_interval = heartbeat_interval
        self.message_rate = message_rate
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.faults: list[Fault] = []
        self.buckets: dict[str, Bucket] = {}
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.identify_log: list[JSONDict] = []
        # the last op 3 PRESENCE_UPDATE of the connected bot (None until it sends one)
        self.presence: JSONDict | None = None
        self.gateway_log: list[JSONDict] = []  # every payload the bot sent on the gateway
        self._openapi = v.OpenAPIValidator.shared()
        self._runner: web.AppRunner | None = None
        self._pulse = asyncio.Event()
        self._routes: list[RouteDef] = []
        self._routes_by_head: dict[str, list[RouteDef]] = {}  # first path segment -> its routes, in order
        self._register_routes()
        self.state.add_listener(lambda _kind, _obj: self._notify())

    # ------------------------------------------------------------------ lifecycle
    @property
    def token(self) -> str:
        return self.world.token

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def requests(self) -> list[RequestRecord]:
        return self.state.requests

    @property
    def rejections(self) -> list[Rejection]:
        return self.state.rejections

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/gateway/", self._handle_gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._handle_attachment)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        logger.info("sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        for conn in list(self.connections):
            conn.closed = True
            if not conn.ws.closed:
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ waiting
    def _notify(self) -> None:
        self._pulse.set()
        self._pulse = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            pulse = self._pulse  # taken before the check so that a change in between is not missed
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            try:
                await asyncio.wait_for(pulse.wait(), min(remaining, 0.5))
            except TimeoutError:
                pass

    def live_session(self) -> GatewaySession | None:
        for s in self.sessions.values():
            if s.conn is not None and not s.conn.closed and s.guild_sent:
                return s
        return None

    async def wait_ready(self, timeout: float = 30, *, commands: bool = True) -> None:
        """Wait until a bot is connected (IDENTIFY done, GUILD_CREATE sent) and, by default, has synced commands."""

        def ready() -> bool:
            if self.live_session() is None:
                return False
            if not commands:
                return True
            return self.state.command_syncs > 0 or bool(self.state.guild_commands.get(self.world.guild.id))

        await self.wait_until(ready, timeout, "the bot to identify and sync commands")

    async def wait_presence(self, timeout: float = 30) -> JSONDict:
        """Wait for the connected bot's presence update (Nexus Bot sends it once ready)."""
        presence: JSONDict = await self.wait_until(lambda: self.presence, timeout, "the bot's presence update")
        return presence

    async def wait_disconnected(self, timeout: float = 10) -> None:
        await self.wait_until(lambda: self.live_session() is None, timeout, "the bot to disconnect")

    # ------------------------------------------------------------------ lookups used by the client
    def channel_id(self, ref: str | int) -> int:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return int(ref)
        for cid, ch in self.state.channels.items():
            if ch.get("name") == ref:
                return cid
        return self.world.channel(ref).id

    def messages_in(self, channel: str | int, *, include_deleted: bool = False) -> list[JSONDict]:
        cid = self.channel_id(channel)
        return [m.payload for m in self.state.channel_messages(cid, include_deleted=include_deleted)]

    def stored_messages_in(self, channel: str | int) -> list[StoredMessage]:
        return self.state.channel_messages(self.channel_id(channel))

    def dms_to(self, user: str | int) -> list[JSONDict]:
        uid = self.world.user(user).id
        cid = self.state.dm_channels.get(uid)
        return [] if cid is None else [m.payload for m in self.state.channel_messages(cid)]

    def threads(self, parent: str | int | None = None) -> list[JSONDict]:
        pid = None if parent is None else self.channel_id(parent)
        return [
            c
            for c in self.state.channels.values()
            if c["type"] in (11, 12) and (pid is None or int(c["parent_id"]) == pid)
        ]

    def file(self, attachment: JSONDict | int) -> StoredFile:
        aid = int(attachment["id"]) if isinstance(attachment, dict) else int(attachment)
        return self.state.files[aid]

    async def wait_for_message(
        self,
        channel: str | int,
        predicate: Callable[[JSONDict], bool] | None = None,
        timeout: float = 5,
        *,
        after: int | None = None,
    ) -> JSONDict:
        """Wait for a (non-deleted) message in a channel, thread or DM channel (name, id, or ``@username`` for DMs)."""

        def find() -> JSONDict | None:
            if isinstance(channel, str) and channel.startswith("@"):
                msgs = self.dms_to(channel[1:])
            else:
                try:
                    msgs = self.messages_in(channel)
                except KeyError:
                    return None
            for m in msgs:
                if after is not None and int(m["id"]) <= after:
                    continue
                if predicate is None or predicate(m):
                    return m
            return None

        return await self.wait_until(find, timeout, f"a message in {channel!r}")

    # ------------------------------------------------------------------ fault injection
    def inject_fault(
        self,
        method: str,
        route: str,
        status: int | None = 500,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> Fault:
        """Make the next ``times`` matching requests fail (``status=None`` with ``delay`` only adds latency)."""
        fault = Fault(method.upper(), route, status, body, dict(headers or {}), times, delay)
        self.faults.append(fault)
        return fault

    def inject_rate_limit(
        self, method: str, route: str, retry_after: float = 0.2, *, is_global: bool = False, times: int = 1
    ) -> Fault:
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        headers = {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": _bucket_hash(route),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return self.inject_fault(method, route, 429, body=body, headers=headers, times=times)

    def _take_fault(self, method: str, template: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*") and fault.route in (template, "*") and fault.hits < fault.times:
                fault.hits += 1
                if fault.hits >= fault.times:
                    self.faults.remove(fault)
                return fault
        return None

    async def gateway_reconnect(self) -> None:
        """Send op 7 RECONNECT on every live connection (discord.py then resumes)."""
        for conn in list(self.connections):
            conn.send({"op": 7, "d": None})

    async def gateway_invalidate(self, resumable: bool = False) -> None:
        for conn in list(self.connections):
            conn.send({"op": 9, "d": resumable})

    async def gateway_close(self, code: int = 4000) -> None:
        """Abruptly close every gateway connection with ``code`` (the session stays resumable)."""
        for conn in list(self.connections):
            conn.closed = True
            await conn.ws.close(code=code, message=b"sandbox closed the connection")

    # ------------------------------------------------------------------ gateway
    def dispatch(self, event: str, data: Any) -> None:
        """Send a dispatch (op 0) to every session that may receive it; buffered for RESUME."""
        now = time.monotonic()
        for sid, session in list(self.sessions.items()):
            if session.conn is None and session.disconnected_at is not None and now - session.disconnected_at > 120:
                del self.sessions[sid]
                continue
            if not session.wants(event, data):
                continue
            if event == "MESSAGE_CREATE" and not session.intents & INTENT_MESSAGE_CONTENT:
                data = self._strip_content(data)
            session.seq += 1
            payload = {"op": 0, "t": event, "s": session.seq, "d": data}
            session.buffer.append(payload)
            if len(session.buffer) > 5000:
                del session.buffer[:1000]
            if session.conn is not None:
                session.conn.send(payload)
        self._notify()

    def _strip_content(self, data: JSONDict) -> JSONDict:
        author = (data.get("author") or {}).get("id")
        mentioned = any(u.get("id") == str(self.world.bot.id) for u in data.get("mentions", []))
        if author == str(self.world.bot.id) or mentioned or "guild_id" not in data:
            return data
        data = dict(data)
        data.update(content="", embeds=[], attachments=[], components=[])
        return data

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, compress=False, autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        conn = GatewayConnection(ws, request.transport, compress)
        self.connections.append(conn)
        conn.send({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval, "_trace": []}})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    payload = json.loads(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    payload = json.loads(msg.data.decode())
                else:
                    break
                self.gateway_log.append(payload)
                await self._gateway_op(conn, payload)
        except (ConnectionError, json.JSONDecodeError) as exc:
            logger.debug("gateway connection error: %s", exc)
        finally:
            conn.closed = True
            if conn in self.connections:
                self.connections.remove(conn)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
                conn.session.disconnected_at = time.monotonic()
            self._notify()
        return ws

    async def _gateway_op(self, conn: GatewayConnection, payload: JSONDict) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            conn.heartbeats += 1
            conn.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op == 8:
            self._request_members(conn, data or {})
        elif op == 3:
            self.presence = data if isinstance(data, dict) else None
            self._notify()
        elif op == 4:
            return
        else:
            logger.debug("unhandled gateway op %s", op)

    async def _identify(self, conn: GatewayConnection, data: JSONDict) -> None:
        if data.get("token") not in (self.token, f"Bot {self.token}"):
            conn.closed = True
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identify_log.append(data)
        # IDENTIFY may carry the presence (discord.py sends its last one when it identifies again)
        self.presence = data["presence"] if isinstance(data.get("presence"), dict) else None
        # an IDENTIFY replaces the sessions that are no longer connected
        for sid in [sid for sid, s in self.sessions.items() if s.conn is None]:
            del self.sessions[sid]
        session = GatewaySession(
            id=secrets.token_hex(16),
            intents=int(data.get("intents", 0)),
            properties=data.get("properties", {}),
            shard=data.get("shard"),
        )
        session.conn = conn
        conn.session = session
        self.sessions[session.id] = session
        ready: JSONDict = {
            "v": 10,
            "user": {**self.world.bot.to_dict(), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(self.world.guild.id), "unavailable": True}],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.world.application_id), "flags": self.world.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
            "auth": {},
            "_trace": ['["sandbox",{"micros":0}]'],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        self._dispatch_to(session, "READY", ready)
        self._dispatch_to(session, "GUILD_CREATE", self.guild_create_payload())
        session.guild_sent = True
        self._notify()

    def _dispatch_to(self, session: GatewaySession, event: str, data: Any) -> None:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(payload)
        if session.conn is not None:
            session.conn.send(payload)

    async def _resume(self, conn: GatewayConnection, data: JSONDict) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") not in (self.token, f"Bot {self.token}"):
            conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            old.closed = True
        session.conn = conn
        session.disconnected_at = None
        conn.session = session
        seq = int(data.get("seq") or 0)
        for payload in session.buffer:
            if payload["s"] > seq:
                conn.send(payload)
        self._dispatch_to(session, "RESUMED", {"_trace": ['["sandbox",{"micros":0}]']})
        self._notify()

    def _request_members(self, conn: GatewayConnection, data: JSONDict) -> None:
        session = conn.session
        if session is None or (not session.intents & INTENT_GUILD_MEMBERS and not data.get("user_ids")):
            return
        members = list(self.world.guild.members.values())
        if data.get("user_ids"):
            ids = {int(u) for u in (data["user_ids"] if isinstance(data["user_ids"], list) else [data["user_ids"]])}
            members = [m for m in members if m.user.id in ids]
        else:
            query = str(data.get("query") or "").lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
        chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
        for index, chunk in enumerate(chunks):
            payload: JSONDict = {
                "guild_id": str(self.world.guild.id),
                "members": [m.to_dict() for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if data.get("nonce") is not None:
                payload["nonce"] = data["nonce"]
            self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", payload)

    # ------------------------------------------------------------------ payload builders
    def guild_payload(self, *, counts: bool = False) -> JSONDict:
        g = self.world.guild
        general = next((c.id for c in g.channels.values() if c.name == "general"), None)
        data: JSONDict = {
            "id": str(g.id),
            "name": g.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(g.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.to_dict() for r in g.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(general) if general else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_members": 500000,
            "max_presences": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": g.locale,
            "public_updates_channel_id": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "incidents_data": None,
            "hub_type": None,
            "latest_onboarding_question_id": None,
        }
        if counts:
            data["approximate_member_count"] = len(g.members)
            data["approximate_presence_count"] = 0
        return data

    def guild_create_payload(self) -> JSONDict:
        g = self.world.guild
        large = len(g.members) > self.world.large_threshold
        members = [g.members[self.world.bot.id]] if large else list(g.members.values())
        data = self.guild_payload()
        data.update(
            {
                "joined_at": iso(g.members[self.world.bot.id].joined_at),
                "large": large,
                "unavailable": False,
                "member_count": len(g.members),
                "voice_states": [],
                "members": [m.to_dict() for m in members],
                "channels": [self.channel_payload(c.id) for c in g.channels.values()],
                "threads": [
                    dict(t)
                    for t in self.state.channels.values()
                    if t["type"] in (11, 12) and not t["thread_metadata"]["archived"]
                ],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": list(self.state.scheduled_events.get(g.id, {}).values()),
                "soundboard_sounds": [],
                "embedded_activities": [],
                "activity_instances": [],
                "lazy": True,
                "application_command_counts": {},
                "version": int(time.time() * 1000),
            }
        )
        return data

    def channel_payload(self, channel_id: int) -> JSONDict:
        if channel_id in self.state.channels:
            return dict(self.state.channels[channel_id])
        ch = self.world.guild.channels.get(channel_id)
        if ch is None:
            raise unknown_channel()
        data: JSONDict = {
            "id": str(ch.id),
            "type": ch.type,
            "guild_id": str(self.world.guild.id),
            "name": ch.name,
            "position": ch.position,
            "permission_overwrites": ch.overwrites(self.world.guild.id, self.world.bot.id),
            "parent_id": str(ch.parent_id) if ch.parent_id else None,
            "flags": 0,
            "nsfw": False,
        }
        if ch.type in (0, 5):
            msgs = self.state.messages.get(ch.id)
            data.update(
                topic=ch.topic,
                last_message_id=str(next(reversed(msgs))) if msgs else None,
                rate_limit_per_user=0,
                default_auto_archive_duration=1440,
                default_thread_rate_limit_per_user=0,
            )
        if ch.type == 2:
            data.update(bitrate=64000, user_limit=0, rtc_region=None, last_message_id=None, rate_limit_per_user=0)
        if ch.type == FORUM:
            posts = [t for t in self.state.channels.values() if t.get("parent_id") == str(ch.id)]
            data.update(
                topic=ch.topic,
                last_message_id=posts[-1]["id"] if posts else None,  # a forum's last message is its newest post
                rate_limit_per_user=0,
                default_auto_archive_duration=4320,
                default_thread_rate_limit_per_user=0,
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
            )
        return data

    def member_payload(self, user_id: int, *, with_user: bool = True) -> JSONDict:
        member = self.world.guild.members.get(user_id)
        if member is None:
            raise api_error(404, 10007, "Unknown Member")
        return member.to_dict(with_user=with_user)

    def _parent_of(self, channel_id: int) -> int:
        ch = self.state.channels.get(channel_id)
        if ch is not None and ch["type"] in (10, 11, 12):
            return int(ch["parent_id"])
        return channel_id

    def is_dm(self, channel_id: int) -> bool:
        ch = self.state.channels.get(channel_id)
        return ch is not None and ch["type"] == 1

    def bot_perms_in(self, channel_id: int) -> int:
        return self.world.bot_permissions(self._parent_of(channel_id))

    def member_perms_in(self, user_id: int, channel_id: int) -> int:
        return self.world.member_permissions(user_id, self._parent_of(channel_id))

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
        self._routes_by_head.setdefault(_path_head(template), []).append(route)

    def _match(self, method: str, path: str) -> tuple[RouteDef | None, dict[str, str], bool]:
        other_method = False
        best: tuple[RouteDef, dict[str, str]] | None = None
        for r in self._routes_by_head.get(_path_head(path), ()):
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
        bucket_hash = _bucket_hash(f"{route.method} {route.template}")
        major = params.get(route.major, "") if route.major else ""
        key = f"{bucket_hash}:{major}"
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
            "X-RateLimit-Bucket": bucket_hash,
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

    # ------------------------------------------------------------------ routes
    def _register_routes(self) -> None:
        r = self.route
        r("GET", "/users/@me", self._get_me)
        r("GET", "/users/{user_id}", self._get_user)
        r("POST", "/users/@me/channels", self._create_dm)
        r("GET", "/gateway", self._get_gateway, auth=False)
        r("GET", "/gateway/bot", self._get_gateway_bot)
        r("GET", "/applications/@me", self._get_application)
        r("GET", "/oauth2/applications/@me", self._get_application)
        for base in ("/applications/{app_id}/commands", "/applications/{app_id}/guilds/{guild_id}/commands"):
            r("GET", base, self._get_commands)
            r("PUT", base, self._put_commands, limit=(2, 1.0))
            r("POST", base, self._post_command)
            r("GET", base + "/{command_id}", self._get_command)
            r("PATCH", base + "/{command_id}", self._patch_command)
            r("DELETE", base + "/{command_id}", self._delete_command)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self._callback, auth=False, limit=None)
        wh = "/webhooks/{app_id}/{token}"
        r("POST", wh, self._followup, auth=False, major="token", limit=(5, 2.0))
        r("GET", wh + "/messages/{message_id}", self._webhook_get, auth=False, major="token")
        r("PATCH", wh + "/messages/{message_id}", self._webhook_edit, auth=False, major="token", limit=(5, 2.0))
        r("DELETE", wh + "/messages/{message_id}", self._webhook_delete, auth=False, major="token")
        ch = "/channels/{channel_id}"
        r("GET", ch, self._get_channel, major="channel_id")
        r("PATCH", ch, self._patch_channel, major="channel_id")
        r("DELETE", ch, self._delete_channel, major="channel_id")
        r("POST", ch + "/typing", self._typing, major="channel_id")
        r("POST", ch + "/messages", self._post_message, major="channel_id", limit=self.message_rate)
        r("GET", ch + "/messages", self._get_messages, major="channel_id")
        r("GET", ch + "/messages/{message_id}", self._get_message, major="channel_id")
        r("PATCH", ch + "/messages/{message_id}", self._edit_message, major="channel_id", limit=self.message_rate)
        r("DELETE", ch + "/messages/{message_id}", self._delete_message_route, major="channel_id")
        r("PUT", ch + "/messages/{message_id}/reactions/{emoji}/@me", self._add_reaction, major="channel_id")
        r("POST", ch + "/threads", self._create_thread, major="channel_id")
        r("POST", ch + "/messages/{message_id}/threads", self._create_thread_from_message, major="channel_id")
        r("PUT", ch + "/thread-members/{user_id}", self._add_thread_member, major="channel_id")
        r("DELETE", ch + "/thread-members/{user_id}", self._remove_thread_member, major="channel_id")
        r("GET", ch + "/thread-members/{user_id}", self._get_thread_member, major="channel_id")
        r("GET", ch + "/thread-members", self._list_thread_members, major="channel_id")
        g = "/guilds/{guild_id}"
        r("GET", g, self._get_guild, major="guild_id")
        r("GET", g + "/channels", self._get_guild_channels, major="guild_id")
        r("GET", g + "/threads/active", self._get_active_threads, major="guild_id")
        r("GET", g + "/members", self._list_members, major="guild_id")
        r("GET", g + "/members/{user_id}", self._get_member, major="guild_id")
        r("PATCH", g + "/members/{user_id}", self._patch_member, major="guild_id")
        r("GET", g + "/roles", self._get_roles, major="guild_id")
        r("PUT", g + "/members/{user_id}/roles/{role_id}", self._add_role, major="guild_id")
        r("DELETE", g + "/members/{user_id}/roles/{role_id}", self._remove_role, major="guild_id")
        r("GET", g + "/scheduled-events", self._list_events, major="guild_id")
        r("POST", g + "/scheduled-events", self._create_event, major="guild_id")
        r("GET", g + "/scheduled-events/{event_id}", self._get_event, major="guild_id")
        r("PATCH", g + "/scheduled-events/{event_id}", self._patch_event, major="guild_id")
        r("DELETE", g + "/scheduled-events/{event_id}", self._delete_event, major="guild_id")

    # --- users, gateway, application
    async def _get_me(self, req: Request) -> JSONDict:
        return {**self.world.bot.to_dict(), "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"}

    async def _get_user(self, req: Request) -> JSONDict:
        try:
            return self.world.user(req.id("user_id")).to_dict()
        except KeyError as exc:
            raise api_error(404, 10013, "Unknown User") from exc

    async def _get_gateway(self, req: Request) -> JSONDict:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, req: Request) -> JSONDict:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
        }

    async def _get_application(self, req: Request) -> JSONDict:
        owner = self.world.guild.members[self.world.guild.owner_id].user
        return {
            "id": str(self.world.application_id),
            "name": self.world.application_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(str(self.world.application_id).encode()).hexdigest(),
            "flags": self.world.application_flags,
            "owner": owner.to_dict(),
            "team": None,
            "bot": self.world.bot.to_dict(),
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
        }

    # --- DMs
    async def _create_dm(self, req: Request) -> JSONDict:
        body = req.json or {}
        try:
            user = self.world.user(str(body.get("recipient_id")))
        except KeyError as exc:
            raise api_error(404, 10013, "Unknown User") from exc
        cid = self.state.dm_channels.get(user.id)
        if cid is None:
            cid = self.world.snowflake()
            self.state.dm_channels[user.id] = cid
            self.state.channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [user.to_dict()],
            }
        return dict(self.state.channels[cid])

    # --- commands
    def _check_app(self, req: Request) -> int | None:
        if req.id("app_id") != self.world.application_id:
            raise missing_access()
        if "guild_id" in req.params:
            gid = req.id("guild_id")
            if gid != self.world.guild.id:
                raise missing_access()
            return gid
        return None

    def _commands_for(self, guild_id: int | None) -> list[JSONDict]:
        if guild_id is None:
            return self.state.global_commands
        return self.state.guild_commands.setdefault(guild_id, [])

    def _command_object(self, body: JSONDict, guild_id: int | None, old: JSONDict | None) -> JSONDict:
        ctype = body.get("type") or 1
        dmp = body.get("default_member_permissions")
        cmd: JSONDict = {
            "id": old["id"] if old else str(self.world.snowflake()),
            "application_id": str(self.world.application_id),
            "version": str(self.world.snowflake()),
            "default_member_permissions": None if dmp is None else str(dmp),
            "type": ctype,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True) if guild_id is None else True,
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw", False)),
        }
        if body.get("options"):
            cmd["options"] = json_copy(body["options"])
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
        return cmd

    async def _get_commands(self, req: Request) -> list[JSONDict]:
        return self._commands_for(self._check_app(req))

    async def _put_commands(self, req: Request) -> list[JSONDict]:
        gid = self._check_app(req)
        body = req.json if req.json is not None else []
        errors = v.FormErrors()
        v.validate_commands(body, errors)
        if errors:
            raise FormError(errors)
        old = {(c["type"], c["name"]): c for c in self._commands_for(gid)}
        new = [self._command_object(c, gid, old.get((c.get("type") or 1, c["name"]))) for c in body]
        if gid is None:
            self.state.global_commands = new
        else:
            self.state.guild_commands[gid] = new
        self.state.command_syncs += 1
        self.state.notify("commands", new)
        return new

    async def _post_command(self, req: Request) -> tuple[int, JSONDict]:
        gid = self._check_app(req)
        body = req.json or {}
        errors = v.FormErrors()
        v.validate_command(body, errors)
        if errors:
            raise FormError(errors)
        cmds = self._commands_for(gid)
        ctype = body.get("type") or 1
        existing = next((c for c in cmds if c["type"] == ctype and c["name"] == body.get("name")), None)
        if existing is None and len([c for c in cmds if c["type"] == ctype]) >= (100 if ctype == 1 else 15):
            raise api_error(400, 30032, "Maximum number of application commands reached (100)")
        cmd = self._command_object(body, gid, existing)
        if existing is not None:
            cmds[cmds.index(existing)] = cmd
        else:
            cmds.append(cmd)
        self.state.command_syncs += 1
        self.state.notify("commands", cmds)
        return (200 if existing else 201), cmd

    def _find_command(self, req: Request) -> tuple[list[JSONDict], JSONDict]:
        cmds = self._commands_for(self._check_app(req))
        cid = req.params["command_id"]
        for c in cmds:
            if c["id"] == cid:
                return cmds, c
        raise api_error(404, 10063, "Unknown application command")

    async def _get_command(self, req: Request) -> JSONDict:
        return self._find_command(req)[1]

    async def _patch_command(self, req: Request) -> JSONDict:
        cmds, cmd = self._find_command(req)
        merged = {**cmd, **(req.json or {})}
        errors = v.FormErrors()
        v.validate_command(merged, errors)
        if errors:
            raise FormError(errors)
        new = self._command_object(merged, int(cmd["guild_id"]) if cmd.get("guild_id") else None, cmd)
        cmds[cmds.index(cmd)] = new
        return new

    async def _delete_command(self, req: Request) -> None:
        cmds, cmd = self._find_command(req)
        cmds.remove(cmd)

    # --- messages (shared by channels, interaction responses and followups)
    def _attachments(self, body: JSONDict, files: list[tuple[str, str, bytes, str]], channel_id: int) -> list[JSONDict]:
        meta = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        out = []
        for index, (field_name, filename, data, ctype) in enumerate(files):
            m = re.match(r"files\[(\d+)\]", field_name)
            key = m.group(1) if m else str(index)
            info = meta.get(key, {})
            aid = self.world.snowflake()
            name = info.get("filename") or filename
            stored = StoredFile(aid, name, data, ctype)
            self.state.files[aid] = stored
            url = f"{self.base_url}/attachments/{channel_id}/{aid}/{name}"
            att: JSONDict = {
                "id": str(aid),
                "filename": name,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": ctype,
            }
            if info.get("description"):
                att["description"] = info["description"]
            out.append(att)
        return out

    def _normalise_components(self, comps: list[Any] | None) -> list[Any]:
        counter = [0]

        def walk(c: Any) -> Any:
            if not isinstance(c, dict):
                return c
            c = dict(c)
            counter[0] += 1
            c.setdefault("id", counter[0])
            for key in ("components", "items"):
                if isinstance(c.get(key), list):
                    c[key] = [walk(x) for x in c[key]]
            for key in ("accessory", "component"):
                if isinstance(c.get(key), dict):
                    c[key] = walk(c[key])
            return c

        return [walk(c) for c in json_copy(comps or [])]

    def _mentions(self, content: str, allowed: Any = None) -> tuple[list[JSONDict], list[str]]:
        """Users and roles the content mentions, as Discord resolves them under `allowed_mentions`.

        Without `allowed_mentions` every mention counts; with it, a user counts only when `parse` holds
        "users" or `users` lists them (roles likewise), so the message's `mentions` are exactly who it pings.
        """
        parse = (allowed.get("parse") or []) if isinstance(allowed, dict) else None

        def permitted(kind: str, ident: str) -> bool:
            if parse is None or kind in parse:
                return True
            return ident in {str(x) for x in allowed.get(kind) or []}

        users = []
        for uid in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)):
            member = self.world.guild.members.get(int(uid))
            if member is not None and permitted("users", uid):
                users.append({**member.user.to_dict(), "member": member.to_dict(with_user=False)})
        roles = [
            rid
            for rid in dict.fromkeys(re.findall(r"<@&(\d+)>", content))
            if int(rid) in self.world.guild.roles and permitted("roles", rid)
        ]
        return users, roles

    def _record_pings(self, stored: StoredMessage, *, edit: bool) -> None:
        """Who the bot's message notifies: `state.pings`. In a thread, a mentioned member joins it (as on
        Discord, where mentioning someone in a private thread adds them). A DM notifies only its recipient."""
        if stored.ephemeral:
            return
        cid = stored.channel_id
        ch = self.state.channels.get(cid)
        dm_to = {int(u["id"]) for u in ch.get("recipients", [])} if ch is not None and ch["type"] == 1 else None
        body = stored.edits[-1] if edit else stored.sent
        allowed = body.get("allowed_mentions") if isinstance(body, dict) else None
        for user in stored.payload.get("mentions", []):
            uid = int(user["id"])
            if dm_to is not None and uid not in dm_to:
                continue
            listed = isinstance(allowed, dict) and str(uid) in {str(x) for x in allowed.get("users") or []}
            self.state.pings.append(Ping(stored.id, cid, uid, listed=listed, edit=edit))
            if not edit and ch is not None and ch["type"] in (11, 12):
                self._join_thread(cid, uid)

    def _join_thread(self, cid: int, uid: int) -> None:
        thread = self.state.channels[cid]
        members = self.state.thread_members.setdefault(cid, set())
        if uid in members:
            return
        members.add(uid)
        thread["member_count"] = len(members)
        self.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(cid),
                "guild_id": str(self.world.guild.id),
                "member_count": len(members),
                "added_members": [
                    {
                        "id": str(cid),
                        "user_id": str(uid),
                        "join_timestamp": iso(datetime.now(UTC)),
                        "flags": 0,
                        "member": self.member_payload(uid),
                        "presence": None,
                    }
                ],
            },
        )

    def _message_payload(
        self,
        channel_id: int,
        body: JSONDict,
        attachments: list[JSONDict],
        *,
        author: User,
        msg_type: int = 0,
        flags: int = 0,
        interaction: InteractionRecord | None = None,
        message_id: int | None = None,
    ) -> JSONDict:
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        mentions, mention_roles = self._mentions(content, allowed)
        everyone = "@everyone" in content and (allowed is None or "everyone" in (allowed.get("parse") or []))
        embeds = []
        for e in json_copy(body.get("embeds") or []):
            e.setdefault("type", "rich")
            e.setdefault("content_scan_version", 0)
            embeds.append(e)
        msg: JSONDict = {
            "id": str(message_id if message_id is not None else self.world.snowflake()),
            "channel_id": str(channel_id),
            "author": author.to_dict(),
            "content": content,
            "timestamp": iso(datetime.now(UTC)),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "mention_everyone": everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments,
            "embeds": embeds,
            "pinned": False,
            "type": msg_type,
            "flags": flags,
            "components": self._normalise_components(body.get("components")),
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if body.get("message_reference"):
            ref = body["message_reference"]
            msg["message_reference"] = {
                "type": ref.get("type", 0),
                "channel_id": str(ref.get("channel_id") or channel_id),
                "message_id": str(ref.get("message_id")),
                "guild_id": str(self.world.guild.id),
            }
            if msg_type == 0:
                msg["type"] = 19
            referenced = self.state.message_index.get(int(ref.get("message_id") or 0))
            if referenced is not None:
                msg["referenced_message"] = dict(referenced.payload)
        if body.get("poll"):
            msg["poll"] = body["poll"]
        if interaction is not None:
            user = self.world.user(interaction.user_id).to_dict()
            msg["webhook_id"] = str(self.world.application_id)
            msg["application_id"] = str(self.world.application_id)
            metadata: JSONDict = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": {"0": str(self.world.guild.id)},
            }
            if interaction.type == 2:
                metadata["name"] = interaction.data.get("name")
                metadata["command_type"] = interaction.data.get("type", 1)
            if interaction.source_message_id:
                metadata["interacted_message_id"] = str(interaction.source_message_id)
            msg["interaction_metadata"] = metadata
            msg["interaction"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "name": interaction.data.get("name", ""),
                "user": user,
            }
        ch = self.state.channels.get(channel_id)
        if ch is not None and ch["type"] in (11, 12):
            msg["position"] = ch.get("total_message_sent", 0)
        return msg

    def _create_message(
        self,
        channel_id: int,
        body: JSONDict,
        files: list[tuple[str, str, bytes, str]],
        *,
        interaction: InteractionRecord | None = None,
        msg_type: int = 0,
        extra_flags: int = 0,
        message_id: int | None = None,
    ) -> StoredMessage:
        flags = int(body.get("flags") or 0) | extra_flags
        ephemeral = bool(flags & EPHEMERAL) and interaction is not None
        attachments = self._attachments(body, files, channel_id)
        payload = self._message_payload(
            channel_id,
            body,
            attachments,
            author=self.world.bot,
            msg_type=msg_type,
            flags=flags,
            interaction=interaction,
            message_id=message_id,
        )
        stored = StoredMessage(
            payload=payload,
            sent=json_copy(body),
            files=[self.state.files[int(a["id"])] for a in attachments],
            ephemeral=ephemeral,
            interaction_id=interaction.id if interaction else None,
        )
        self.state.store_message(stored, in_channel=not ephemeral)
        if not ephemeral:
            self._record_pings(stored, edit=False)
            self._after_message_create(channel_id, stored)
        return stored

    def _after_message_create(self, channel_id: int, stored: StoredMessage) -> None:
        ch = self.state.channels.get(channel_id)
        if ch is not None:
            ch["last_message_id"] = str(stored.id)
            if ch["type"] in (11, 12):
                ch["message_count"] = ch.get("message_count", 0) + 1
                ch["total_message_sent"] = ch.get("total_message_sent", 0) + 1
        self.dispatch("MESSAGE_CREATE", self._gateway_message(stored.payload))

    def _gateway_message(self, payload: JSONDict) -> JSONDict:
        data = dict(payload)
        cid = int(payload["channel_id"])
        if not self.is_dm(cid):
            data["guild_id"] = str(self.world.guild.id)
            author_id = int(payload["author"]["id"])
            if author_id in self.world.guild.members and "webhook_id" not in payload:
                data["member"] = self.world.guild.members[author_id].to_dict(with_user=False)
        return data

    def _validate_message_body(self, body: Any, files: int, *, create: bool, path: tuple[str, ...] = ()) -> JSONDict:
        if body is None:
            body = {}
        errors = v.FormErrors()
        v.validate_message(body, errors, path, files=files, create=create)
        if errors:
            raise FormError(errors)
        if create and v.is_empty_message(body, files):
            raise api_error(400, 50006, "Cannot send an empty message")
        return body

    def _edit_stored(self, stored: StoredMessage, body: JSONDict, files: list[tuple[str, str, bytes, str]]) -> JSONDict:
        stored.updated = time.monotonic()
        p = stored.payload
        for key in ("content", "embeds", "components", "flags", "poll"):
            if key in body:
                value = body[key]
                if key == "embeds":
                    value = [{"type": "rich", "content_scan_version": 0, **e} for e in value or []]
                elif key == "components":
                    value = self._normalise_components(value)
                elif key == "flags":
                    value = (int(value or 0) & ~LOADING) | (p.get("flags", 0) & EPHEMERAL)
                elif key == "content":
                    value = value or ""
                p[key] = value
        if "content" in body:
            p["mentions"], p["mention_roles"] = self._mentions(p["content"], body.get("allowed_mentions"))
        if "attachments" in body or files:
            keep_ids = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)}
            kept = (
                [a for a in p.get("attachments", []) if a["id"] in keep_ids]
                if "attachments" in body
                else list(p.get("attachments", []))
            )
            new = self._attachments(body, files, int(p["channel_id"]))
            p["attachments"] = kept + new
            stored.files = [
                self.state.files[int(a["id"])] for a in p["attachments"] if int(a["id"]) in self.state.files
            ]
        p["flags"] = p.get("flags", 0) & ~LOADING
        p["edited_timestamp"] = iso(datetime.now(UTC))
        stored.edits.append(json_copy(body))
        if "content" in body:
            self._record_pings(stored, edit=True)
        if not stored.ephemeral:
            self.dispatch("MESSAGE_UPDATE", self._gateway_message(p))
        self.state.notify("message_update", stored)
        return dict(p)

    def _delete_stored(self, stored: StoredMessage) -> None:
        stored.deleted = True
        if not stored.ephemeral:
            data: JSONDict = {"id": str(stored.id), "channel_id": str(stored.channel_id)}
            if not self.is_dm(stored.channel_id):
                data["guild_id"] = str(self.world.guild.id)
            self.dispatch("MESSAGE_DELETE", data)
        self.state.notify("message_delete", stored)

    def _message(self, channel_id: int, message_id: int) -> StoredMessage:
        stored = self.state.messages.get(channel_id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise unknown_message()
        return stored

    # --- channels
    def _thread(self, channel_id: int) -> JSONDict | None:
        ch = self.state.channels.get(channel_id)
        return ch if ch is not None and ch["type"] in (10, 11, 12) else None

    async def _get_channel(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        if not self.is_dm(cid) and not self.bot_perms_in(cid) & Perm.VIEW_CHANNEL:
            raise missing_access()
        return self.channel_payload(cid)

    async def _typing(self, req: Request) -> None:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.SEND_MESSAGES)

    async def _post_message(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        thread = self._thread(cid)
        if self.is_dm(cid):
            user_id = int(self.state.channels[cid]["recipients"][0]["id"])
            body = self._validate_message_body(req.json, len(req.files), create=True)
            if self.world.guild.members[user_id].user.dms_closed:
                raise api_error(403, 50007, "Cannot send messages to this user")
        else:
            if cid in self.world.guild.channels and self.world.guild.channels[cid].type == FORUM:
                raise api_error(400, 50008, "Cannot send messages in a non-text channel")
            self._require(cid, Perm.SEND_MESSAGES_IN_THREADS if thread else Perm.SEND_MESSAGES)
            body = self._validate_message_body(req.json, len(req.files), create=True)
            if req.files:
                self._require(cid, Perm.ATTACH_FILES)
            if thread is not None:
                meta = thread["thread_metadata"]
                if meta.get("locked") and not self.bot_perms_in(cid) & Perm.MANAGE_THREADS:
                    raise api_error(400, 50083, "Thread is locked")
                if meta.get("archived"):
                    meta["archived"] = False
                    meta["archive_timestamp"] = iso(datetime.now(UTC))
                    self.dispatch("THREAD_UPDATE", dict(thread))
        if body.get("embeds") and not self.is_dm(cid) and not self.bot_perms_in(cid) & Perm.EMBED_LINKS:
            body = {**body, "embeds": []}  # Discord accepts the message but drops the embeds
        nonce_key = str(body["nonce"]) if body.get("enforce_nonce") and body.get("nonce") is not None else None
        if nonce_key is not None:
            # enforce_nonce: the same author's message with this nonce in the past few minutes is returned instead.
            seen = self.state.nonces.get(nonce_key)
            earlier = self.state.message_index.get(seen[0]) if seen else None
            if seen and earlier is not None and not earlier.deleted and time.monotonic() - seen[1] < NONCE_WINDOW:
                return dict(earlier.payload)
        stored = self._create_message(cid, body, req.files)
        if nonce_key is not None:
            self.state.nonces[nonce_key] = (stored.id, time.monotonic())
        return dict(stored.payload)

    async def _get_messages(self, req: Request) -> list[JSONDict]:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(req.query.get("limit", "50"))))
        msgs = sorted(self.state.channel_messages(cid), key=lambda m: m.id, reverse=True)
        if "before" in req.query:
            msgs = [m for m in msgs if m.id < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if m.id > int(req.query["after"])]
            msgs = sorted(msgs, key=lambda m: m.id)[:limit]
            msgs.reverse()
        return [dict(m.payload) for m in msgs[:limit]]

    async def _get_message(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.READ_MESSAGE_HISTORY)
        return dict(self._message(cid, req.id("message_id")).payload)

    async def _edit_message(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        stored = self._message(cid, req.id("message_id"))
        if int(stored.payload["author"]["id"]) != self.world.bot.id:
            raise api_error(403, 50005, "Cannot edit a message authored by another user")
        body = self._validate_message_body(req.json, len(req.files), create=False)
        return self._edit_stored(stored, body, req.files)

    async def _delete_message_route(self, req: Request) -> None:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        stored = self._message(cid, req.id("message_id"))
        if int(stored.payload["author"]["id"]) != self.world.bot.id:
            self._require(cid, Perm.MANAGE_MESSAGES)
        self._delete_stored(stored)

    async def _add_reaction(self, req: Request) -> None:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.READ_MESSAGE_HISTORY, Perm.ADD_REACTIONS)
        stored = self._message(cid, req.id("message_id"))
        reactions = stored.payload.setdefault("reactions", [])
        name = req.params["emoji"]
        for r in reactions:
            if r["emoji"]["name"] == name:
                if not r["me"]:
                    r["count"] += 1
                    r["me"] = True
                return
        reactions.append({"emoji": {"id": None, "name": name}, "count": 1, "me": True, "burst_colors": []})

    def _new_thread(
        self, parent_id: int, thread_id: int, body: JSONDict, ttype: int, *, applied_tags: list[str] | None = None
    ) -> JSONDict:
        now = iso(datetime.now(UTC))
        thread: JSONDict = {
            "id": str(thread_id),
            "type": ttype,
            "guild_id": str(self.world.guild.id),
            "parent_id": str(parent_id),
            "owner_id": str(self.world.bot.id),
            "name": body["name"],
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(body.get("auto_archive_duration") or 4320),
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
        }
        if ttype == 12:
            thread["thread_metadata"]["invitable"] = bool(body.get("invitable", True))
        if applied_tags is not None:
            thread["applied_tags"] = applied_tags
        self.state.channels[thread_id] = thread
        self.state.thread_members[thread_id] = {self.world.bot.id}
        self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        self.state.notify("thread_create", thread)
        return dict(
            thread, member={"id": str(thread_id), "user_id": str(self.world.bot.id), "join_timestamp": now, "flags": 1}
        )

    def _validate_thread_body(self, body: Any) -> JSONDict:
        body = body or {}
        errors = v.FormErrors()
        v.validate_thread_name(body, errors)
        if errors:
            raise FormError(errors)
        return body

    async def _create_thread(self, req: Request) -> tuple[int, JSONDict]:
        cid = req.id("channel_id")
        if cid not in self.world.guild.channels:
            raise unknown_channel()
        body = self._validate_thread_body(req.json)
        if self.world.guild.channels[cid].type == FORUM:
            return 201, self._create_forum_post(cid, body, req.files)
        ttype = int(body.get("type") or 12)
        self._require(cid, Perm.CREATE_PRIVATE_THREADS if ttype == 12 else Perm.CREATE_PUBLIC_THREADS)
        return 201, self._new_thread(cid, self.world.snowflake(), body, ttype)

    def _create_forum_post(self, forum_id: int, body: JSONDict, files: list[tuple[str, str, bytes, str]]) -> JSONDict:
        """A forum post: a public thread whose starter message (same id as the thread) comes in `message`."""
        self._require(forum_id, Perm.SEND_MESSAGES)
        if not isinstance(body.get("message"), dict):
            errors = v.FormErrors()
            errors.add(("message",), "BASE_TYPE_REQUIRED", "This field is required")
            raise FormError(errors)
        message_body = self._validate_message_body(body["message"], len(files), create=True, path=("message",))
        if files:
            self._require(forum_id, Perm.ATTACH_FILES)
        post_id = self.world.snowflake()
        thread = self._new_thread(forum_id, post_id, body, 11, applied_tags=list(body.get("applied_tags") or []))
        starter = self._create_message(post_id, message_body, files, message_id=post_id)
        return {**thread, "message": dict(starter.payload)}

    async def _create_thread_from_message(self, req: Request) -> tuple[int, JSONDict]:
        cid = req.id("channel_id")
        if cid not in self.world.guild.channels:
            raise unknown_channel()
        stored = self._message(cid, req.id("message_id"))
        body = self._validate_thread_body(req.json)
        self._require(cid, Perm.CREATE_PUBLIC_THREADS, Perm.READ_MESSAGE_HISTORY)
        if stored.id in self.state.channels:
            raise api_error(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(cid, stored.id, body, 11)
        stored.payload["flags"] = stored.payload.get("flags", 0) | HAS_THREAD
        stored.payload["thread"] = {k: val for k, val in thread.items() if k != "member"}
        return 201, thread

    def _thread_or_404(self, cid: int) -> JSONDict:
        thread = self._thread(cid)
        if thread is None:
            raise unknown_channel()
        return thread

    async def _add_thread_member(self, req: Request) -> None:
        cid = req.id("channel_id")
        thread = self._thread_or_404(cid)
        uid = self.world.bot.id if req.params["user_id"] == "@me" else req.id("user_id")
        if uid not in self.world.guild.members:
            raise api_error(404, 10013, "Unknown User")
        if thread["thread_metadata"]["archived"]:
            raise api_error(400, 50083, "Thread is archived")
        self._require(cid, Perm.SEND_MESSAGES_IN_THREADS)
        self._join_thread(cid, uid)

    async def _remove_thread_member(self, req: Request) -> None:
        cid = req.id("channel_id")
        thread = self._thread_or_404(cid)
        uid = self.world.bot.id if req.params["user_id"] == "@me" else req.id("user_id")
        if uid != self.world.bot.id:
            self._require(cid, Perm.MANAGE_THREADS)
        members = self.state.thread_members.setdefault(cid, set())
        members.discard(uid)
        thread["member_count"] = len(members)
        self.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(cid),
                "guild_id": str(self.world.guild.id),
                "member_count": len(members),
                "removed_member_ids": [str(uid)],
            },
        )

    async def _get_thread_member(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._thread_or_404(cid)
        uid = req.id("user_id")
        if uid not in self.state.thread_members.get(cid, set()):
            raise api_error(404, 10007, "Unknown Member")
        return {"id": str(cid), "user_id": str(uid), "join_timestamp": iso(datetime.now(UTC)), "flags": 0}

    async def _list_thread_members(self, req: Request) -> list[JSONDict]:
        cid = req.id("channel_id")
        self._thread_or_404(cid)
        now = iso(datetime.now(UTC))
        return [
            {"id": str(cid), "user_id": str(uid), "join_timestamp": now, "flags": 0}
            for uid in sorted(self.state.thread_members.get(cid, set()))
        ]

    async def _patch_channel(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        body = req.json or {}
        thread = self._thread(cid)
        if thread is not None:
            errors = v.FormErrors()
            v.validate_thread_name(body, errors, required=False)
            if errors:
                raise FormError(errors)
            owner = int(thread["owner_id"]) == self.world.bot.id
            needs_manage = ("locked" in body) or ("name" in body and not owner) or ("archived" in body and not owner)
            if needs_manage:
                self._require(cid, Perm.MANAGE_THREADS)
            meta = thread["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = iso(datetime.now(UTC))
            for key in ("name", "rate_limit_per_user", "flags", "applied_tags"):
                if key in body:
                    thread[key] = body[key]
            self.dispatch("THREAD_UPDATE", dict(thread))
            self.state.notify("thread_update", thread)
            return dict(thread)
        if self.is_dm(cid):
            raise missing_permissions()
        self._require(cid, Perm.MANAGE_CHANNELS)
        ch = self.world.guild.channels[cid]
        if "name" in body:
            ch.name = body["name"]
        if "topic" in body:
            ch.topic = body["topic"]
        payload = self.channel_payload(cid)
        self.dispatch("CHANNEL_UPDATE", payload)
        return payload

    async def _delete_channel(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        thread = self._thread(cid)
        if thread is None:
            self._channel_exists(cid)
            raise missing_permissions()
        self._require(cid, Perm.MANAGE_THREADS)
        del self.state.channels[cid]
        self.dispatch(
            "THREAD_DELETE",
            {"id": str(cid), "guild_id": thread["guild_id"], "parent_id": thread["parent_id"], "type": thread["type"]},
        )
        return thread

    # --- guild
    def _guild(self, req: Request) -> None:
        if req.id("guild_id") != self.world.guild.id:
            raise api_error(404, 10004, "Unknown Guild")

    async def _get_guild(self, req: Request) -> JSONDict:
        self._guild(req)
        return self.guild_payload(counts=req.flag("with_counts"))

    async def _get_guild_channels(self, req: Request) -> list[JSONDict]:
        self._guild(req)
        return [self.channel_payload(c) for c in self.world.guild.channels]

    async def _get_active_threads(self, req: Request) -> JSONDict:
        self._guild(req)
        threads = [
            dict(t)
            for t in self.state.channels.values()
            if t["type"] in (11, 12) and not t["thread_metadata"]["archived"]
        ]
        return {"threads": threads, "members": []}

    async def _get_member(self, req: Request) -> JSONDict:
        self._guild(req)
        return self.member_payload(req.id("user_id"))

    async def _list_members(self, req: Request) -> list[JSONDict]:
        self._guild(req)
        try:
            limit = int(req.query.get("limit", "1"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 1000:
            errors = v.FormErrors()
            errors.int_range(("limit",), limit, 1, 1000)
            raise FormError(errors)
        after = int(req.query.get("after", "0") or 0)
        ids = sorted(uid for uid in self.world.guild.members if uid > after)[:limit]
        return [self.world.guild.members[uid].to_dict() for uid in ids]

    async def _get_roles(self, req: Request) -> list[JSONDict]:
        self._guild(req)
        return [r.to_dict() for r in self.world.guild.roles.values()]

    def _can_manage_role(self, role_id: int) -> None:
        role = self.world.guild.roles.get(role_id)
        if role is None:
            raise api_error(404, 10011, "Unknown Role")
        if not self.world.bot_permissions() & Perm.MANAGE_ROLES:
            raise missing_permissions()
        if role.managed or role.id == self.world.guild.id:
            raise missing_permissions()
        if role.position >= self.world.guild.top_role_position(self.world.bot.id):
            raise missing_permissions()

    def _member_update(self, user_id: int) -> None:
        member = self.world.guild.members[user_id]
        self.dispatch("GUILD_MEMBER_UPDATE", {"guild_id": str(self.world.guild.id), **member.to_dict()})
        self.state.notify("member_update", member)

    def _role_change(self, req: Request) -> tuple[Member, int]:
        """The member and role of a role add/remove request, once the bot may manage that role."""
        self._guild(req)
        uid, rid = req.id("user_id"), req.id("role_id")
        member = self.world.guild.members.get(uid)
        if member is None:
            raise api_error(404, 10007, "Unknown Member")
        self._can_manage_role(rid)
        return member, rid

    async def _add_role(self, req: Request) -> None:
        member, rid = self._role_change(req)
        if rid not in member.roles:
            member.roles.append(rid)
            self._member_update(member.user.id)

    async def _remove_role(self, req: Request) -> None:
        member, rid = self._role_change(req)
        if rid in member.roles:
            member.roles.remove(rid)
            self._member_update(member.user.id)

    async def _patch_member(self, req: Request) -> JSONDict:
        self._guild(req)
        uid = req.id("user_id")
        member = self.world.guild.members.get(uid)
        if member is None:
            raise api_error(404, 10007, "Unknown Member")
        body = req.json or {}
        if "roles" in body:
            new = [int(r) for r in body["roles"] or []]
            for rid in set(new) ^ set(member.roles):
                self._can_manage_role(rid)
            member.roles = new
        if "nick" in body:
            if uid != self.world.guild.owner_id and self.world.bot_permissions() & (1 << 27):
                member.nick = body["nick"]
            else:
                raise missing_permissions()
        self._member_update(uid)
        return member.to_dict()

    # --- scheduled events
    def _event_errors(self, body: JSONDict, *, create: bool) -> None:
        errors = v.FormErrors()
        if create or "name" in body:
            errors.bad_len(("name",), body.get("name"), 1, 100)
        errors.max_len(("description",), body.get("description"), 1000)
        if create and body.get("privacy_level") != 2:
            errors.add(("privacy_level",), "BASE_TYPE_CHOICES", "Value must be one of {2}.")
        etype = body.get("entity_type")
        if create and etype not in (1, 2, 3):
            errors.add(("entity_type",), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        if etype == 3:
            loc = (body.get("entity_metadata") or {}).get("location")
            errors.bad_len(("entity_metadata", "location"), loc, 1, 100)
            if create and not body.get("scheduled_end_time"):
                errors.add(("scheduled_end_time",), "BASE_TYPE_REQUIRED", "This field is required")
        elif etype in (1, 2) and create and not body.get("channel_id"):
            errors.add(("channel_id",), "BASE_TYPE_REQUIRED", "This field is required")
        start = _parse_time(body.get("scheduled_start_time"))
        end = _parse_time(body.get("scheduled_end_time"))
        if create and start is None:
            errors.add(("scheduled_start_time",), "BASE_TYPE_REQUIRED", "This field is required")
        if start is not None and start < self.clock():
            errors.add(
                ("scheduled_start_time",), "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past."
            )
        if start is not None and end is not None and end < start:
            errors.add(
                ("scheduled_end_time",),
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "Cannot schedule event to end before starting.",
            )
        if errors:
            raise FormError(errors)

    def _events(self) -> dict[int, JSONDict]:
        return self.state.scheduled_events.setdefault(self.world.guild.id, {})

    async def _list_events(self, req: Request) -> list[JSONDict]:
        self._guild(req)
        return list(self._events().values())

    async def _create_event(self, req: Request) -> JSONDict:
        self._guild(req)
        if not self.world.bot_permissions() & Perm.MANAGE_EVENTS:
            raise missing_permissions()
        body = req.json or {}
        self._event_errors(body, create=True)
        eid = self.world.snowflake()
        event: JSONDict = {
            "id": str(eid),
            "guild_id": str(self.world.guild.id),
            "channel_id": str(body["channel_id"]) if body.get("channel_id") else None,
            "creator_id": str(self.world.bot.id),
            "creator": self.world.bot.to_dict(),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": 2,
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
            "auto_start": False,
        }
        self._events()[eid] = event
        self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event)
        self.state.notify("event_create", event)
        return event

    def _event(self, req: Request) -> JSONDict:
        self._guild(req)
        event = self._events().get(req.id("event_id"))
        if event is None:
            raise api_error(404, 10070, "Unknown Guild Scheduled Event")
        return event

    async def _get_event(self, req: Request) -> JSONDict:
        return self._event(req)

    async def _patch_event(self, req: Request) -> JSONDict:
        event = self._event(req)
        if not self.world.bot_permissions() & Perm.MANAGE_EVENTS:
            raise missing_permissions()
        body = req.json or {}
        self._event_errors({**{k: val for k, val in body.items() if k != "scheduled_start_time"}}, create=False)
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "status",
            "entity_metadata",
            "entity_type",
            "channel_id",
            "privacy_level",
        ):
            if key in body:
                event[key] = body[key]
        self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return event

    async def _delete_event(self, req: Request) -> None:
        event = self._event(req)
        if not self.world.bot_permissions() & Perm.MANAGE_EVENTS:
            raise missing_permissions()
        del self._events()[int(event["id"])]
        self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)

    # --- interactions
    def create_interaction(
        self,
        itype: int,
        user_id: int,
        channel_id: int,
        data: JSONDict,
        *,
        message: StoredMessage | None = None,
    ) -> InteractionRecord:
        """Build an INTERACTION_CREATE payload, record it and dispatch it to the bot."""
        iid = self.world.snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96)
        guild = self.world.guild
        dm = self.is_dm(channel_id)
        chan = self.channel_payload(channel_id)
        payload: JSONDict = {
            "id": str(iid),
            "application_id": str(self.world.application_id),
            "type": itype,
            "data": data,
            "channel": chan,
            "channel_id": str(channel_id),
            "token": token,
            "version": 1,
            "app_permissions": str(self.bot_perms_in(channel_id) if not dm else Perm.ALL & ~Perm.ADMINISTRATOR),
            "locale": self.world.user(user_id).locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if dm:
            payload["user"] = self.world.user(user_id).to_dict()
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"1": str(user_id)}
        else:
            member = guild.members[user_id].to_dict()
            member["permissions"] = str(self.member_perms_in(user_id, channel_id))
            member["unusual_dm_activity_until"] = None
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member=member,
                context=0,
                authorizing_integration_owners={"0": str(guild.id)},
            )
        if message is not None:
            payload["message"] = dict(message.payload)
        record = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            user_id=user_id,
            channel_id=channel_id,
            guild_id=None if dm else guild.id,
            data=data,
            payload=payload,
            created=time.monotonic(),
            source_message_id=message.id if message is not None else None,
        )
        if message is not None:
            record.original_message_id = message.id
        self.state.interactions[iid] = record
        self.state.interactions_by_token[token] = record
        self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def _callback(self, req: Request) -> Any:
        inter = self.state.interactions.get(req.id("interaction_id"))
        if inter is None or inter.token != req.params["token"]:
            raise api_error(404, 10062, "Unknown interaction")
        now = time.monotonic()
        if inter.acknowledged:
            raise api_error(400, 40060, "Interaction has already been acknowledged.")
        if now - inter.created > self.ack_window:
            inter.errors.append({"path": req.path, "late_by": now - inter.created - self.ack_window})
            inter.touch()
            raise api_error(404, 10062, "Unknown interaction")
        body = req.json
        errors = v.FormErrors()
        v.validate_callback(body, errors)
        if errors:
            raise FormError(errors)
        rtype = int(body["type"])
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(inter.type, set())
        if rtype == 7 and inter.type == 5 and inter.source_message_id is None:
            allowed = allowed - {6, 7}
        if rtype not in allowed:
            errors.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid")
            raise FormError(errors)
        data = body.get("data") or {}
        inter.acknowledged = True
        inter.acked_at = now
        inter.response_type = rtype
        inter.response_data = json_copy(data)
        info: JSONDict = {"id": str(inter.id), "type": inter.type}
        resource: JSONDict = {"type": rtype}
        with_resource = rtype not in (8, 9)
        message: StoredMessage | None = None
        if rtype in (4, 5):
            if rtype == 4 and v.is_empty_message(data, len(req.files)):
                inter.acknowledged = False
                raise api_error(400, 50006, "Cannot send an empty message")
            msg_type = 20 if inter.type == 2 else 0
            extra = LOADING if rtype == 5 else 0
            body_for_msg = data if rtype == 4 else {"flags": int(data.get("flags") or 0) & EPHEMERAL}
            message = self._create_message(
                inter.channel_id,
                body_for_msg,
                req.files if rtype == 4 else [],
                interaction=inter,
                msg_type=msg_type,
                extra_flags=extra,
            )
            inter.original_message_id = message.id
            info["response_message_id"] = str(message.id)
            info["response_message_loading"] = rtype == 5
            info["response_message_ephemeral"] = message.ephemeral
            if rtype == 4:
                resource["message"] = dict(message.payload)
        elif rtype == 7:
            source = self.state.message_index.get(inter.source_message_id or 0)
            if source is not None:
                payload = self._edit_stored(source, data, req.files)
                info["response_message_id"] = str(source.id)
                info["response_message_loading"] = False
                info["response_message_ephemeral"] = source.ephemeral
                resource["message"] = payload
        elif rtype == 6:
            if inter.source_message_id:
                info["response_message_id"] = str(inter.source_message_id)
        inter.callbacks.append((200, json_copy(body), rtype))
        inter.touch()
        self.state.notify("interaction", inter)
        if not req.flag("with_response"):
            return None
        out: JSONDict = {"interaction": info}
        if with_resource:
            out["resource"] = resource
        return out

    def _interaction_for_webhook(self, req: Request) -> InteractionRecord:
        if req.id("app_id") != self.world.application_id:
            raise unknown_webhook()
        inter = self.state.interactions_by_token.get(req.params["token"])
        if inter is None:
            raise unknown_webhook()
        if time.monotonic() - inter.created > self.token_ttl:
            raise api_error(401, 50027, "Invalid Webhook Token")
        return inter

    def _webhook_message(self, inter: InteractionRecord, mid: str) -> StoredMessage:
        if mid == "@original":
            if not inter.acknowledged or inter.original_message_id is None:
                raise unknown_message()
            msg_id = inter.original_message_id
        else:
            msg_id = int(mid) if mid.isdigit() else -1
            if msg_id not in inter.followup_ids and msg_id != inter.original_message_id:
                raise unknown_message()
        stored = self.state.message_index.get(msg_id)
        if stored is None or stored.deleted:
            raise unknown_message()
        return stored

    async def _followup(self, req: Request) -> Any:
        inter = self._interaction_for_webhook(req)
        if not inter.acknowledged:
            raise unknown_webhook()
        body = self._validate_message_body(req.json, len(req.files), create=True)
        channel_id = int(req.query["thread_id"]) if req.query.get("thread_id", "").isdigit() else inter.channel_id
        stored = self._create_message(channel_id, body, req.files, interaction=inter, msg_type=0)
        inter.followup_ids.append(stored.id)
        inter.touch()
        self.state.notify("interaction", inter)
        return dict(stored.payload) if req.flag("wait") else None

    async def _webhook_get(self, req: Request) -> JSONDict:
        inter = self._interaction_for_webhook(req)
        return dict(self._webhook_message(inter, req.params["message_id"]).payload)

    async def _webhook_edit(self, req: Request) -> JSONDict:
        inter = self._interaction_for_webhook(req)
        stored = self._webhook_message(inter, req.params["message_id"])
        body = self._validate_message_body(req.json, len(req.files), create=False)
        out = self._edit_stored(stored, body, req.files)
        if req.params["message_id"] == "@original" or stored.id == inter.original_message_id:
            inter.original_edits += 1
        inter.touch()
        self.state.notify("interaction", inter)
        return out

    async def _webhook_delete(self, req: Request) -> None:
        inter = self._interaction_for_webhook(req)
        stored = self._webhook_message(inter, req.params["message_id"])
        self._delete_stored(stored)
        if stored.id == inter.original_message_id:
            inter.original_deleted = True
        inter.touch()

    # ------------------------------------------------------------------ simulation helpers (moderators, users)
    def delete_message(self, channel: str | int, message_id: int | str) -> None:
        """Delete a message as a moderator would: removes it and dispatches MESSAGE_DELETE."""
        cid = self.channel_id(channel)
        stored = self._message(cid, int(message_id))
        self._delete_stored(stored)

    def post_user_message(self, user: str | int, channel: str | int, content: str) -> JSONDict:
        """A member posts a plain message (dispatches MESSAGE_CREATE)."""
        cid = self.channel_id(channel)
        author = self.world.user(user)
        payload = self._message_payload(cid, {"content": content}, [], author=author)
        stored = StoredMessage(payload=payload, sent={"content": content})
        self.state.store_message(stored)
        self._after_message_create(cid, stored)
        return payload

    def add_member(self, username: str, roles: list[str] | None = None, *, dms_closed: bool = False) -> int:
        member = self.world.add_member(username, roles=roles, dms_closed=dms_closed)
        self.dispatch("GUILD_MEMBER_ADD", {"guild_id": str(self.world.guild.id), **member.to_dict()})
        return member.user.id

    def add_channel(self, name: str, type: int = 0, *, parent: str | None = None) -> int:
        """Create a guild channel (e.g. ``type=FORUM``) and dispatch CHANNEL_CREATE; returns its id."""
        channel = self.world.add_channel(name, type=type, parent=parent)
        self.dispatch("CHANNEL_CREATE", self.channel_payload(channel.id))
        return channel.id

    def delete_channel(self, channel: str | int) -> None:
        """Delete a guild channel, as a moderator would; dispatches CHANNEL_DELETE."""
        ch = self.world.channel(channel)
        payload = self.channel_payload(ch.id)
        del self.world.guild.channels[ch.id]
        self.dispatch("CHANNEL_DELETE", payload)

    def remove_member(self, user: str | int) -> None:
        u = self.world.user(user)
        del self.world.guild.members[u.id]
        self.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(self.world.guild.id), "user": u.to_dict()})

    def set_member_roles(self, user: str | int, roles: list[str]) -> None:
        member = self.world.member(user)
        member.roles = [self.world.role(r).id for r in roles]
        self._member_update(member.user.id)

    def set_bot_channel_permissions(self, channel: str | int, *, deny: int = 0, allow: int = 0) -> None:
        """Set the bot's member overwrite in a channel (e.g. ``deny=Perm.SEND_MESSAGES``); dispatches CHANNEL_UPDATE."""
        ch = self.world.channel(channel)
        ch.bot_deny, ch.bot_allow = deny, allow
        self.dispatch("CHANNEL_UPDATE", self.channel_payload(ch.id))

    def set_bot_permissions(self, permissions: int) -> None:
        """Replace the bot role's guild permissions; dispatches GUILD_ROLE_UPDATE."""
        role = self.world.bot_role
        role.permissions = permissions
        self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.world.guild.id), "role": role.to_dict()})

    def set_role_position(self, role: str | int, position: int) -> None:
        r = self.world.role(role)
        r.position = position
        self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.world.guild.id), "role": r.to_dict()})

    def set_role_permissions(self, role: str | int, permissions: int) -> None:
        """Replace a role's guild permissions (e.g. ``Perm.ADMINISTRATOR``); dispatches GUILD_ROLE_UPDATE."""
        r = self.world.role(role)
        r.permissions = permissions
        self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.world.guild.id), "role": r.to_dict()})

    def add_role(
        self, name: str, permissions: int = 0, *, position: int = 1, managed: bool = False, bot_id: int | None = None
    ) -> int:
        """Create a role (``managed=True, bot_id=`` for another bot's role); dispatches GUILD_ROLE_CREATE."""
        role = self.world.add_role(name, permissions, position=position, managed=managed, bot_id=bot_id)
        self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.world.guild.id), "role": role.to_dict()})
        return role.id


def _path_head(path: str) -> str:
    """ "/channels/1/messages" -> "channels": only routes with the same first segment can match."""
    return path.lstrip("/").split("/", 1)[0]


def _bucket_hash(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:32]


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
