"""Slash commands registered with Discord only when something changed. No discord here.

Discord rate-limits command registration (a bot that registers on every start can run out while it is
restarted again and again), and each registration is a request the start waits for. So a start compares
what it would send with what it sent the last time (a hash, per scope), and Discord's own record with the
one it got back then (each command's `version`, which Discord changes on any update to it): the same on
both sides, nothing is sent. A scope Discord no longer holds as left (the bot removed from the server and
invited again, a sync by another copy of the bot with the same token) shows other versions, or none, and
is registered again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.clock import Clock
from db.database import Database
from db.stores.command_syncs import CommandSyncStore


def payload_hash(payload: Sequence[Mapping[str, Any]]) -> str:
    """The same for the same commands whatever the order of their keys."""
    return hashlib.sha256(json.dumps(list(payload), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def versions_of(registered: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Discord's application command objects as "type:name" -> version."""
    return {f"{c.get('type') or 1}:{c['name']}": str(c.get("version", "")) for c in registered}


class CommandSyncService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.store = CommandSyncStore(db)
        self.clock = clock

    async def unchanged(
        self, scope: str, payload: Sequence[Mapping[str, Any]], registered: Sequence[Mapping[str, Any]]
    ) -> bool:
        """Whether Discord holds, for `scope`, exactly what this bot's last sync left there, and that is `payload`."""
        last = await self.store.get(scope)
        return (
            last is not None
            and last.payload_hash == payload_hash(payload)
            and dict(last.versions) == versions_of(registered)
        )

    async def synced(
        self, scope: str, payload: Sequence[Mapping[str, Any]], registered: Sequence[Mapping[str, Any]]
    ) -> None:
        """Remember a sync: what was sent, and the commands Discord holds after it."""
        await self.store.record(scope, payload_hash(payload), versions_of(registered), self.clock.now())
