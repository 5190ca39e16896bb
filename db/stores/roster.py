"""The learner roster the bot last saw, kept beside the database for the web process.

Who holds a learner role is known only to the bot (from Discord's member list); the dashboard runs in another
process. The bot writes a snapshot per server (`<database>.roster.json`, replaced atomically) whenever it counts
learners for staff (`/nexus dashboard`, the daily digest); the web reads it, re-reading only when the file changed.
A file, not a table, so this needs no migration; a snapshot lost is rebuilt by the next `/nexus dashboard`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RosterEntry:
    user_id: int
    name: str
    track: str | None


@dataclass(frozen=True)
class Roster:
    guild_id: int
    taken_at: datetime
    learners: tuple[RosterEntry, ...]

    def ids(self) -> set[int]:
        return {e.user_id for e in self.learners}


def roster_path(database_path: str | Path) -> Path:
    return Path(f"{database_path}.roster.json")


class RosterStore:
    def __init__(self, database_path: str | Path) -> None:
        self.path = roster_path(database_path)
        self._stamp: tuple[int, int] | None = None
        self._data: dict[str, Any] = {}
        self._parsed: dict[int, Roster | None] = {}

    def _read(self) -> dict[str, Any]:
        try:
            info = self.path.stat()
        except OSError:
            return {}
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return self._data  # half-replaced or unreadable: keep the last good copy
            self._data = data if isinstance(data, dict) else {}
            self._stamp = stamp
            self._parsed = {}
        return self._data

    def file_stamp(self) -> tuple[int, int]:
        """(mtime_ns, size) of the snapshot file, (0, 0) when there is none: changes whenever the bot saves one."""
        try:
            info = self.path.stat()
        except OSError:
            return (0, 0)
        return (info.st_mtime_ns, info.st_size)

    def _write(self, guild_id: int, entry: dict[str, Any]) -> None:
        self._stamp = None
        data = dict(self._read())
        data[str(guild_id)] = entry
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self.path)

    async def save(self, guild_id: int, learners: Mapping[int, tuple[str, str | None]], now: datetime) -> None:
        """Replace the server's snapshot: {user_id: (display name, track or None)}."""
        entry = {
            "taken_at": now.isoformat(),
            "learners": [[uid, name, track] for uid, (name, track) in sorted(learners.items())],
        }
        await asyncio.to_thread(self._write, guild_id, entry)

    def get(self, guild_id: int) -> Roster | None:
        data = self._read()
        if guild_id not in self._parsed:
            self._parsed[guild_id] = self._parse(guild_id, data.get(str(guild_id)))
        return self._parsed[guild_id]

    @staticmethod
    def _parse(guild_id: int, entry: Any) -> Roster | None:
        if not isinstance(entry, dict):
            return None
        try:
            learners = tuple(
                RosterEntry(int(u), str(n), t if t in ("backend", "frontend") else None)
                for u, n, t in entry.get("learners", [])
            )
            return Roster(guild_id, datetime.fromisoformat(entry["taken_at"]), learners)
        except (KeyError, TypeError, ValueError):
            return None
