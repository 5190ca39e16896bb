"""A local Discord-compatible server: REST under ``/api/v10`` and a gateway at ``/gateway`` (aiohttp).

``SandboxServer`` (app.py) is built from mixins, one per part, each extending the previous one:
base -> http -> payloads -> gateway -> routes/{messages, channels, guilds, events, interactions,
commands, users} -> simulation -> app.
"""

from sandbox.server.app import SandboxServer
from sandbox.server.base import API_PREFIX, JSONDict
from sandbox.server.gateway import (
    EVENT_INTENTS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    INTENT_SCHEDULED_EVENTS,
    MESSAGE_EVENTS,
    GatewayConnection,
    GatewaySession,
)
from sandbox.server.http import ApiError, Bucket, Fault, FormError, Request, RouteDef, api_error, json_copy
from sandbox.server.payloads import EPHEMERAL, FORUM, HAS_THREAD, LOADING

__all__ = [
    "API_PREFIX",
    "EPHEMERAL",
    "EVENT_INTENTS",
    "FORUM",
    "HAS_THREAD",
    "INTENT_DIRECT_MESSAGES",
    "INTENT_GUILDS",
    "INTENT_GUILD_MEMBERS",
    "INTENT_GUILD_MESSAGES",
    "INTENT_MESSAGE_CONTENT",
    "INTENT_SCHEDULED_EVENTS",
    "LOADING",
    "MESSAGE_EVENTS",
    "ApiError",
    "Bucket",
    "Fault",
    "FormError",
    "GatewayConnection",
    "GatewaySession",
    "JSONDict",
    "Request",
    "RouteDef",
    "SandboxServer",
    "api_error",
    "json_copy",
]
