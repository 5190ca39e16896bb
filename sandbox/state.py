"""In-memory state of the sandbox: channels, messages, commands, interactions, threads, events, request log."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class RequestRecord:
    method: str
    path: str  # relative to /api/v10, without query
    route: str  # template, e.g. "POST /channels/{channel_id}/messages"
    query: dict[str, str]
    json: Any
    status: int = 0
    response: Any = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)


@dataclass
class Rejection:
    method: str
    path: str
    route: str
    body: Any
    errors: dict[str, Any]
    status: int = 400
    source: str = "limits"  # "limits" (documented rules) or "openapi" (schema)

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.source}] {self.errors}"


@dataclass
class StoredFile:
    id: int
    filename: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class Ping:
    """A member notified by a message the bot sent or edited (its content mentioned them and
    `allowed_mentions` let it). `listed`: the bot named them in `allowed_mentions.users`."""

    message_id: int
    channel_id: int
    user_id: int
    listed: bool
    edit: bool = False


@dataclass
class StoredMessage:
    payload: dict[str, Any]  # as Discord returns it
    sent: Any  # the request body as the bot sent it
    edits: list[Any] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)
    deleted: bool = False
    ephemeral: bool = False
    interaction_id: int | None = None
    updated: float = field(default_factory=time.monotonic)  # created or last edited (monotonic clock)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    data: dict[str, Any]
    payload: dict[str, Any]
    created: float  # server monotonic clock
    source_message_id: int | None = None  # component interactions: the message holding the component
    acknowledged: bool = False
    acked_at: float | None = None
    response_type: int | None = None
    response_data: Any = None
    original_message_id: int | None = None
    original_edits: int = 0
    original_deleted: bool = False
    followup_ids: list[int] = field(default_factory=list)
    callbacks: list[tuple[int, Any, int]] = field(default_factory=list)  # (status, body, response type)
    errors: list[dict[str, Any]] = field(default_factory=list)  # rejected requests about this interaction
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        self.changed.set()


class State:
    """Everything that changes while the sandbox runs."""

    def __init__(self) -> None:
        self.channels: dict[int, dict[str, Any]] = {}  # threads and DM channels (guild channels live in the world)
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.messages: dict[int, dict[int, StoredMessage]] = {}  # channel id -> message id -> message
        self.message_index: dict[int, StoredMessage] = {}  # every message incl. ephemeral
        self.files: dict[int, StoredFile] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_syncs: int = 0
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.thread_members: dict[int, set[int]] = {}
        self.scheduled_events: dict[int, dict[int, dict[str, Any]]] = {}
        self.pings: list[Ping] = []  # every notification the bot's messages caused, in order
        self.requests: list[RequestRecord] = []
        self.rejections: list[Rejection] = []
        self.pins: dict[int, list[tuple[int, str]]] = {}  # channel id -> (message id, pinned_at), oldest first
        self.nonces: dict[str, tuple[int, float]] = {}  # enforced message nonce -> (message id, monotonic time)
        self.changed = asyncio.Condition()
        self._listeners: list[Callable[[str, Any], None]] = []

    def add_listener(self, fn: Callable[[str, Any], None]) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[str, Any], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def notify(self, kind: str, obj: Any) -> None:
        for fn in list(self._listeners):
            try:
                fn(kind, obj)
            except Exception:
                logger.exception("state listener failed")

    def store_message(self, msg: StoredMessage, *, in_channel: bool = True) -> None:
        self.message_index[msg.id] = msg
        if in_channel:
            self.messages.setdefault(msg.channel_id, {})[msg.id] = msg
        self.notify("message_create", msg)

    def channel_messages(self, channel_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        msgs = self.messages.get(channel_id, {}).values()
        return [m for m in msgs if include_deleted or not m.deleted]
