"""``SandboxServer``: construction, start/stop, the route table and fault injection."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox import validation as v
from sandbox.server.base import API_PREFIX
from sandbox.server.http import Fault, bucket_hash
from sandbox.server.simulation import Simulation
from sandbox.state import State
from sandbox.world import World

logger = logging.getLogger("sandbox.server")


class SandboxServer(Simulation):
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
        self.clock = clock or (lambda: datetime.now(UTC))
        self.faults = []
        self.buckets = {}
        self.sessions = {}
        self.connections = []
        self.identify_log = []
        self.presence = None
        self.gateway_log = []
        self._openapi = v.OpenAPIValidator.shared()
        self._runner = None
        self._pulse = asyncio.Event()
        self._routes = []
        self._routes_by_head = {}
        self._register_routes()
        self.state.add_listener(lambda _kind, _obj: self._notify())

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
            "X-RateLimit-Bucket": bucket_hash(route),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return self.inject_fault(method, route, 429, body=body, headers=headers, times=times)

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
        for pins in (ch + "/messages/pins", ch + "/pins"):
            r("PUT", pins + "/{message_id}", self._pin_message, major="channel_id")
            r("DELETE", pins + "/{message_id}", self._unpin_message, major="channel_id")
        r("GET", ch + "/messages/pins", self._list_pins, major="channel_id")
        r("GET", ch + "/pins", self._list_pins_deprecated, major="channel_id")
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
