"""The slash commands' last registration with Discord, per scope (bot/services/command_sync.py decides)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from db.stores._store import Store
from db.stores._values import dataclass_from_row, iso


@dataclass(frozen=True)
class CommandSync:
    scope: str
    payload_hash: str
    versions: Mapping[str, str]  # "type:name" -> the version Discord gave that command
    synced_at: datetime


class CommandSyncStore(Store):
    async def get(self, scope: str) -> CommandSync | None:
        row = await self.db.fetchone("SELECT * FROM command_syncs WHERE scope = ?", (scope,))
        return dataclass_from_row(CommandSync, row, versions=json.loads(row["versions"])) if row else None

    async def record(self, scope: str, payload_hash: str, versions: Mapping[str, str], now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO command_syncs (scope, payload_hash, versions, synced_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (scope) DO UPDATE SET payload_hash = excluded.payload_hash, versions = excluded.versions, "
            "synced_at = excluded.synced_at",
            (scope, payload_hash, json.dumps(dict(versions), sort_keys=True), iso(now)),
        )
