"""Save and restore the sandbox's world and state, so `nexus-bot sandbox --database PATH` survives a restart.

The bot's database refers to the guild, members, channels, threads and messages by id; a new
`World.default()` would have new ids and none of the posts. The snapshot (a JSON file beside the
database, `PATH.sandbox.json`) keeps them: the guild with its roles, channels and members, the
threads and DM channels, every channel message (not ephemeral replies: their interactions are over),
thread members, scheduled events, attachments, the test clock and the console's own settings.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.server import SandboxServer
from sandbox.state import State, StoredFile, StoredMessage
from sandbox.world import Channel, Guild, Member, Role, SnowflakeGenerator, User, World

JSONDict = dict[str, Any]
VERSION = 1


def snapshot_path(database: Path) -> Path:
    return database.with_name(database.name + ".sandbox.json")


@dataclass
class Snapshot:
    world: World
    state: JSONDict
    clock: datetime | None
    console: JSONDict = field(default_factory=dict)


# --- world ----------------------------------------------------------------------------------------


def world_to_json(world: World) -> JSONDict:
    guild = world.guild
    return {
        "application_id": world.application_id,
        "application_name": world.application_name,
        "application_flags": world.application_flags,
        "large_threshold": world.large_threshold,
        "token": world.token,
        "bot": asdict(world.bot),
        "guild": {
            "id": guild.id,
            "name": guild.name,
            "owner_id": guild.owner_id,
            "locale": guild.locale,
            "roles": [asdict(r) for r in guild.roles.values()],
            "channels": [
                {**asdict(c), "role_overwrites": [[rid, a, d] for rid, (a, d) in c.role_overwrites.items()]}
                for c in guild.channels.values()
            ],
            "members": [
                {"user": asdict(m.user), "roles": m.roles, "nick": m.nick, "joined_at": m.joined_at.isoformat()}
                for m in guild.members.values()
            ],
        },
    }


def world_from_json(data: JSONDict) -> World:
    g = data["guild"]
    guild = Guild(id=g["id"], name=g["name"], owner_id=g["owner_id"], locale=g.get("locale", "en-US"))
    for raw in g["roles"]:
        guild.roles[raw["id"]] = Role(**raw)
    for raw in g["channels"]:
        overwrites = {rid: (allow, deny) for rid, allow, deny in raw.pop("role_overwrites")}
        guild.channels[raw["id"]] = Channel(**raw, role_overwrites=overwrites)
    for raw in g["members"]:
        user = User(**raw["user"])
        joined = datetime.fromisoformat(raw["joined_at"])
        guild.members[user.id] = Member(user=user, roles=list(raw["roles"]), nick=raw.get("nick"), joined_at=joined)
    return World(
        application_id=data["application_id"],
        application_name=data["application_name"],
        bot=User(**data["bot"]),
        home=guild,
        token=data["token"],
        snowflake=SnowflakeGenerator(),  # time-based: new ids still sort after the restored ones
        application_flags=data["application_flags"],
        large_threshold=data["large_threshold"],
    )


# --- state ----------------------------------------------------------------------------------------


def _file_json(f: StoredFile) -> JSONDict:
    return {"id": f.id, "filename": f.filename, "data": base64.b64encode(f.data).decode(), "type": f.content_type}


def _file_from(raw: JSONDict) -> StoredFile:
    return StoredFile(raw["id"], raw["filename"], base64.b64decode(raw["data"]), raw["type"])


def state_to_json(state: State) -> JSONDict:
    messages = [
        {
            "payload": m.payload,
            "sent": m.sent,
            "edits": m.edits,
            "files": [f.id for f in m.files],
            "deleted": m.deleted,
            "interaction_id": m.interaction_id,
        }
        for channel in state.messages.values()
        for m in channel.values()
        if not m.ephemeral
    ]
    return {
        "channels": list(state.channels.values()),
        "dm_channels": [[user, channel] for user, channel in state.dm_channels.items()],
        "messages": messages,
        "files": [_file_json(f) for f in state.files.values()],
        "thread_members": [[thread, sorted(users)] for thread, users in state.thread_members.items()],
        "scheduled_events": [
            [guild, list(events.values())] for guild, events in state.scheduled_events.items() if events
        ],
    }


def restore_state(state: State, data: JSONDict) -> None:
    for channel in data["channels"]:
        state.channels[int(channel["id"])] = channel
    state.dm_channels.update({int(u): int(c) for u, c in data["dm_channels"]})
    for raw in data["files"]:
        stored_file = _file_from(raw)
        state.files[stored_file.id] = stored_file
    for raw in data["messages"]:
        message = StoredMessage(
            payload=raw["payload"],
            sent=raw["sent"],
            edits=raw["edits"],
            files=[state.files[i] for i in raw["files"] if i in state.files],
            deleted=raw["deleted"],
            interaction_id=raw["interaction_id"],
        )
        state.message_index[message.id] = message
        state.messages.setdefault(message.channel_id, {})[message.id] = message
    for thread, users in data["thread_members"]:
        state.thread_members[int(thread)] = {int(u) for u in users}
    for guild, events in data["scheduled_events"]:
        state.scheduled_events[int(guild)] = {int(e["id"]): e for e in events}


# --- files ----------------------------------------------------------------------------------------


def save(path: Path, server: SandboxServer, clock: datetime | None, console: JSONDict | None = None) -> None:
    """Write the snapshot atomically (a crash mid-write leaves the previous one)."""
    data = {
        "version": VERSION,
        "clock": clock.isoformat() if clock else None,
        "console": console or {},
        "world": world_to_json(server.world),
        "state": state_to_json(server.state),
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def load(path: Path) -> Snapshot:
    """Read a snapshot; ValueError (with the path) if it is not one this version wrote."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
        clock = datetime.fromisoformat(data["clock"]) if data.get("clock") else None
        return Snapshot(world_from_json(data["world"]), data["state"], clock, data.get("console") or {})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a sandbox snapshot this version can read ({exc})") from None
