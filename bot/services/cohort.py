"""The cohort of a server: its settings, its project channel and its first week, resolved in one place.

Every feature asks this service, so "not set up yet" reads the same everywhere and the settings are read
from the database at most once per `REFRESH_SECONDS` per guild (staff changes through `update` are seen
at once).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from bot.errors import NotConfigured
from bot.services import first_week
from db.database import Database
from db.stores.guild_settings import GuildSettings, GuildSettingsStore

REFRESH_SECONDS = 30.0

NOT_SET_UP = (
    "The bot isn't set up in this server yet: staff need to run "
    "`/nexus setup channel:#prodevprojectnexus` (Manage Server or the staff role)."
)
# What a command says when the channel staff set was deleted (the cog finds that out from Discord).
CHANNEL_GONE = (
    "The project channel configured by staff no longer exists: staff need to run "
    "`/nexus setup channel:<channel>` again."
)


@dataclass(frozen=True)
class Cohort:
    """A configured server: the settings every feature needs, with the first week they define."""

    settings: GuildSettings
    channel_id: int
    week: first_week.FirstWeek

    @property
    def guild_id(self) -> int:
        return self.settings.guild_id


class CohortService:
    def __init__(self, db: Database) -> None:
        self.store = GuildSettingsStore(db)
        self._cache: dict[int, tuple[float, GuildSettings]] = {}

    async def settings(self, guild_id: int, *, fresh: bool = False) -> GuildSettings | None:
        """The server's settings, or None before the first `/nexus setup`.

        `fresh` reads the row now: permission checks use it, so a staff role changed by any writer counts at
        once. A server that is not set up is never cached, so the first setup is seen immediately.
        """
        cached = self._cache.get(guild_id)
        if not fresh and cached is not None and time.monotonic() - cached[0] < REFRESH_SECONDS:
            return cached[1]
        settings = await self.store.get(guild_id)
        if settings is None:
            self._cache.pop(guild_id, None)
        else:
            self._cache[guild_id] = (time.monotonic(), settings)
        return settings

    async def require(self, guild_id: int) -> Cohort:
        """The configured cohort, or the one NotConfigured every command answers with."""
        settings = await self.settings(guild_id)
        if settings is None or settings.channel_id is None or settings.cohort_start is None:
            raise NotConfigured(NOT_SET_UP)
        return Cohort(
            settings, settings.channel_id, first_week.FirstWeek(settings.cohort_start, settings.first_week_days)
        )

    async def update(self, guild_id: int, now: datetime, **values: object) -> GuildSettings:
        """Change settings (staff); the cache holds the new row at once."""
        settings = await self.store.update(guild_id, now, **values)
        self._cache[guild_id] = (time.monotonic(), settings)
        return settings

    async def all(self) -> list[GuildSettings]:
        return await self.store.all()

    def forget(self, guild_id: int | None = None) -> None:
        """Drop cached settings (all guilds when None), e.g. after another writer changed them."""
        if guild_id is None:
            self._cache.clear()
        else:
            self._cache.pop(guild_id, None)
