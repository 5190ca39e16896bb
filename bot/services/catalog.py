"""The project catalog: one cache for every feature, refreshed when staff change it."""

from __future__ import annotations

import time
from datetime import datetime

from bot.services import projects as project_rules
from db.database import Database
from db.stores.catalog import CatalogProject, CatalogStore

# Another process (a restore, a later second writer) can change the catalog; re-read it at least this often.
REFRESH_SECONDS = 60.0


class CatalogService:
    def __init__(self, db: Database) -> None:
        self.store = CatalogStore(db)
        self._projects: list[CatalogProject] | None = None
        self._read_at = 0.0

    async def all(self) -> list[CatalogProject]:
        """Every project, removed ones included (old announcements still point at them)."""
        if self._projects is None or time.monotonic() - self._read_at > REFRESH_SECONDS:
            self._projects = await self.store.list(include_inactive=True)
            self._read_at = time.monotonic()
        return self._projects

    def forget(self) -> None:
        """Read the catalog again on the next call (another writer changed it)."""
        self._projects = None

    async def active(self) -> list[CatalogProject]:
        """The projects learners can announce now."""
        return [p for p in await self.all() if p.active]

    async def by_key(self) -> dict[str, CatalogProject]:
        return {p.key: p for p in await self.all()}

    async def get(self, key: str) -> CatalogProject | None:
        return (await self.by_key()).get(key)

    async def resolve(self, value: str) -> CatalogProject:
        """An active project from a key, a name or a typo; InvalidInput names the nearest ones."""
        return project_rules.resolve_project(value, await self.active())

    async def choices(self, current: str, limit: int = 25) -> list[CatalogProject]:
        """Autocomplete: the active projects matching what the member typed."""
        return project_rules.project_choices(current, await self.active(), limit)

    async def add(
        self, key: str, name: str, backend_variant: str, frontend_variant: str, now: datetime
    ) -> tuple[CatalogProject, bool]:
        project, created = await self.store.add(key, name, backend_variant, frontend_variant, now)
        self._projects = None
        return project, created

    async def remove(self, key: str) -> bool:
        removed = await self.store.deactivate(key)
        self._projects = None
        return removed
