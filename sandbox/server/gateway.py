"""The gateway WebSocket: connections, sessions, IDENTIFY/RESUME, dispatch with intents."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from sandbox.server.base import JSONDict
from sandbox.server.payloads import PayloadsMixin

logger = logging.getLogger("sandbox.server")

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
    presence: JSONDict | None = None

    @property
    def shard_id(self) -> int:
        return int(self.shard[0]) if self.shard else 0

    @property
    def shard_count(self) -> int:
        return int(self.shard[1]) if self.shard else 1

    def receives_guild(self, guild_id: int | None) -> bool:
        """Discord's routing: a guild's events go to shard (guild_id >> 22) % count; DMs (no guild) to shard 0."""
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id

    def wants(self, event: str, data: Any) -> bool:
        if event in MESSAGE_EVENTS:
            is_dm = isinstance(data, dict) and "guild_id" not in data
            return bool(self.intents & (INTENT_DIRECT_MESSAGES if is_dm else INTENT_GUILD_MESSAGES))
        need = EVENT_INTENTS.get(event)
        return need is None or bool(self.intents & need)


class GatewayMixin(PayloadsMixin):
    """Serve ``/gateway`` and dispatch events to every session that wants them."""

    def live_session(self) -> GatewaySession | None:
        for s in self.sessions.values():
            if s.conn is not None and not s.conn.closed and s.guild_sent:
                return s
        return None

    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.conn is not None and not s.conn.closed and s.guild_sent]

    def live_shard(self, shard_id: int) -> GatewaySession | None:
        """The connected session of this shard (its presence set: that bot process has finished starting)."""
        for s in self.live_sessions():
            if s.shard_id == shard_id:
                return s
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
    def dispatch_thread_members(self, thread_id: int, member_count: int, **change: Any) -> None:
        """THREAD_MEMBERS_UPDATE: who joined (`added_members`) or left (`removed_member_ids`) a thread."""
        self.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {"id": str(thread_id), "guild_id": str(self.world.guild.id), "member_count": member_count, **change},
        )

    def dispatch(self, event: str, data: Any) -> None:
        """Send a dispatch (op 0) to every session that may receive it; buffered for RESUME."""
        now = time.monotonic()
        guild_id = _guild_id_of(data)
        for sid, session in list(self.sessions.items()):
            if session.conn is None and session.disconnected_at is not None and now - session.disconnected_at > 120:
                del self.sessions[sid]
                continue
            if not session.wants(event, data):
                continue
            if session.shard is not None and not session.receives_guild(guild_id):
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
            if conn.session is not None:
                conn.session.presence = self.presence
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
        shard = data.get("shard")
        if shard is not None and (
            not isinstance(shard, list) or len(shard) != 2 or not 0 <= int(shard[0]) < int(shard[1])
        ):
            conn.closed = True
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        if shard is not None and int(shard[1]) != self.world.shard_count and len(self.world.guilds) > 1:
            # Discord: 4011 sharding required / the count no longer fits the bot's guilds.
            conn.closed = True
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        # an IDENTIFY replaces the sessions that are no longer connected
        for sid in [sid for sid, s in self.sessions.items() if s.conn is None]:
            del self.sessions[sid]
        session = GatewaySession(
            id=secrets.token_hex(16),
            intents=int(data.get("intents", 0)),
            properties=data.get("properties", {}),
            shard=[int(shard[0]), int(shard[1])] if shard is not None else None,
            presence=self.presence,
        )
        session.conn = conn
        conn.session = session
        self.sessions[session.id] = session
        guilds = [g for g in self.world.guilds if session.shard is None or session.receives_guild(g.id)]
        ready: JSONDict = {
            "v": 10,
            "user": {**self.world.bot.to_dict(), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
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
        for guild in guilds:
            with self.world.using(guild.id):
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
        guild_id = str(data.get("guild_id") or "")
        with self.world.using(int(guild_id) if guild_id.isdigit() else None):
            self._send_members(session, data)

    def _send_members(self, session: GatewaySession, data: JSONDict) -> None:
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


def _guild_id_of(data: Any) -> int | None:
    """The guild an event is about (its guild_id, or a guild object's id); None for DMs and the like."""
    if not isinstance(data, dict):
        return None
    raw = data.get("guild_id")
    if raw is None and "channels" in data and "roles" in data:  # GUILD_CREATE / GUILD_UPDATE
        raw = data.get("id")
    return int(raw) if isinstance(raw, str | int) and str(raw).isdigit() else None
