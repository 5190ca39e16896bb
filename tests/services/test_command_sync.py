"""Slash commands are registered again only when they changed, here or on Discord's side
(bot/services/command_sync.py), on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import ManualClock
from bot.services.command_sync import CommandSyncService, payload_hash, versions_of
from db.database import Database
from db.stores.command_syncs import CommandSyncStore

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
SCOPE = "guild:42"
PAYLOAD: list[dict[str, Any]] = [
    {"name": "nexus", "type": 1, "description": "Nexus Bot", "options": [{"name": "about", "type": 1}]},
    {"name": "learn", "type": 1, "description": "Learning topics"},
]


def registered(*versions: str) -> list[dict[str, Any]]:
    """Discord's objects for PAYLOAD's commands (it adds ids and a version to each)."""
    return [{**c, "id": str(i), "version": v} for i, (c, v) in enumerate(zip(PAYLOAD, versions, strict=True))]


async def test_unchanged_only_for_the_same_payload_at_the_versions_the_last_sync_left(
    db: Database, clock: ManualClock
) -> None:
    syncs = CommandSyncService(db, clock)
    assert not await syncs.unchanged(SCOPE, PAYLOAD, [])  # never synced
    await syncs.synced(SCOPE, PAYLOAD, registered("7", "8"))
    assert await syncs.unchanged(SCOPE, PAYLOAD, registered("7", "8"))
    # The same commands with their keys in another order: the same payload.
    assert await syncs.unchanged(SCOPE, [dict(reversed(list(c.items()))) for c in PAYLOAD], registered("7", "8"))
    edited = [{**PAYLOAD[0], "description": "Nexus Bot, the collaboration bot"}, PAYLOAD[1]]
    assert not await syncs.unchanged(SCOPE, edited, registered("7", "8"))  # a command changed here
    assert not await syncs.unchanged(SCOPE, PAYLOAD, registered("7", "9"))  # updated on Discord's side since
    assert not await syncs.unchanged(SCOPE, PAYLOAD, [])  # Discord holds none (the bot was removed and invited)
    assert not await syncs.unchanged("global", PAYLOAD, registered("7", "8"))  # another scope was never synced


async def test_a_sync_replaces_the_last_one_of_its_scope(db: Database, clock: ManualClock) -> None:
    store = CommandSyncStore(db)
    syncs = CommandSyncService(db, clock)
    await syncs.synced(SCOPE, PAYLOAD, registered("7", "8"))
    clock.at += timedelta(minutes=5)
    await syncs.synced(SCOPE, PAYLOAD[:1], registered("9", "8")[:1])
    last = await store.get(SCOPE)
    assert last is not None
    assert (last.payload_hash, dict(last.versions)) == (payload_hash(PAYLOAD[:1]), {"1:nexus": "9"})
    assert last.synced_at == clock.now()
    assert await store.get("global") is None


def test_versions_are_keyed_by_type_and_name() -> None:
    menu = {"name": "Pair with me", "type": 2, "version": "5"}
    assert versions_of([*registered("7", "8"), menu]) == {"1:nexus": "7", "1:learn": "8", "2:Pair with me": "5"}
