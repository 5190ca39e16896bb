"""Signed dashboard links and session cookies: stateless HMAC-SHA256 with WEB_SECRET, nothing stored.

A link token is `<guild_id>.<expires>.<nonce>.<signature>`, signed over the kind ("link" or "session"), the guild
id, the expiry (unix seconds) and the nonce, so a link can't be replayed as a cookie or moved to another guild.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

LINK_SECONDS = 15 * 60
SESSION_SECONDS = 8 * 60 * 60
MAX_TOKEN_LENGTH = 200


class BadToken(Exception):
    """A forged, malformed or expired token (the web answers 401)."""


@dataclass(frozen=True)
class Grant:
    guild_id: int
    expires: int
    nonce: str


def _signature(secret: str, kind: str, guild_id: int, expires: int, nonce: str) -> str:
    message = f"nexus:{kind}:{guild_id}:{expires}:{nonce}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: str, kind: str, guild_id: int, expires: int, nonce: str | None = None) -> str:
    nonce = nonce or secrets.token_urlsafe(12)
    return f"{guild_id}.{expires}.{nonce}.{_signature(secret, kind, guild_id, expires, nonce)}"


def verify(secret: str, kind: str, token: str, now: datetime) -> Grant:
    """The grant a token carries, or BadToken when it is malformed, forged or past its expiry."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise BadToken("malformed")
    parts = token.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 20:
        raise BadToken("malformed")
    guild_id, expires, nonce, signature = int(parts[0]), int(parts[1]), parts[2], parts[3]
    if not hmac.compare_digest(signature, _signature(secret, kind, guild_id, expires, nonce)):
        raise BadToken("forged")
    if now.timestamp() >= expires:
        raise BadToken("expired")
    return Grant(guild_id, expires, nonce)


def dashboard_link(secret: str, base_url: str, guild_id: int, now: datetime) -> tuple[str, int]:
    """A staff member's one-time-use-looking link to this server's dashboard and when it expires (unix seconds)."""
    expires = int(now.timestamp()) + LINK_SECONDS
    return f"{base_url.rstrip('/')}/login?token={sign(secret, 'link', guild_id, expires)}", expires
