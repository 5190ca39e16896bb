"""Shared state of the sandbox server: what every mixin of ``SandboxServer`` may use."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox import validation as v
from sandbox.state import Rejection, RequestRecord, State
from sandbox.world import World

if TYPE_CHECKING:
    from sandbox.server.gateway import GatewayConnection, GatewaySession
    from sandbox.server.http import Bucket, Fault, RouteDef

API_PREFIX = "/api/v10"
JSONDict = dict[str, Any]


class ServerBase:
    """The state every part of the server shares (set in ``SandboxServer.__init__``) and small lookups."""

    world: World
    state: State
    host: str
    port: int
    ack_window: float
    token_ttl: float
    rate_limits: bool
    validate_openapi: bool
    heartbeat_interval: int
    message_rate: tuple[int, float]
    clock: Callable[[], datetime]
    faults: list[Fault]
    buckets: dict[str, Bucket]
    sessions: dict[str, GatewaySession]
    connections: list[GatewayConnection]
    identify_log: list[JSONDict]
    # the last op 3 PRESENCE_UPDATE of the connected bot (None until it sends one)
    presence: JSONDict | None
    gateway_log: list[JSONDict]  # every payload the bot sent on the gateway
    _openapi: v.OpenAPIValidator
    _runner: web.AppRunner | None
    _pulse: asyncio.Event
    _routes: list[RouteDef]
    _routes_by_head: dict[str, list[RouteDef]]  # first path segment -> its routes, in order

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
