"""The project catalog (/nexus catalog): the capstone projects learners can announce."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.stores._store import Store
from db.stores._values import FromRow


@dataclass(frozen=True)
class CatalogProject(FromRow):
    key: str
    name: str
    backend_variant: str
    frontend_variant: str
    is_custom: bool
    position: int
    active: bool

    def variant(self, track: str) -> str:
        return self.backend_variant if track == "backend" else self.frontend_variant


class CatalogStore(Store):
    async def list(self, *, include_inactive: bool = False) -> list[CatalogProject]:
        return await self._rows(
            CatalogProject,
            "SELECT * FROM project_catalog WHERE active = 1 OR ? ORDER BY position, name",
            (1 if include_inactive else 0,),
        )

    async def get(self, key: str) -> CatalogProject | None:
        return await self._row(CatalogProject, "SELECT * FROM project_catalog WHERE key = ?", (key,))

    async def add(
        self,
        key: str,
        name: str,
        backend_variant: str,
        frontend_variant: str,
        now: datetime,
        *,
        is_custom: bool = False,
    ) -> tuple[CatalogProject, bool]:
        """Insert a project, or re-activate and rename a removed one. Returns (project, created)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute("SELECT active FROM project_catalog WHERE key = ?", (key,))
            existing = await cur.fetchone()
            if existing is None:
                cur = await conn.execute("SELECT COALESCE(MAX(position), 0) FROM project_catalog WHERE is_custom = 0")
                top = await cur.fetchone()
                await conn.execute(
                    "INSERT INTO project_catalog "
                    "(key, name, backend_variant, frontend_variant, is_custom, position, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        name,
                        backend_variant,
                        frontend_variant,
                        int(is_custom),
                        (top[0] if top else 0) + 10,
                        now.isoformat(),
                    ),
                )
                created = True
            else:
                await conn.execute(
                    "UPDATE project_catalog SET name = ?, backend_variant = ?, frontend_variant = ?, active = 1 "
                    "WHERE key = ?",
                    (name, backend_variant, frontend_variant, key),
                )
                created = not existing["active"]
        project = await self.get(key)
        assert project is not None
        return project, created

    async def deactivate(self, key: str) -> bool:
        """Hide a project from new announcements; existing announcements keep pointing at it."""
        return await self.db.execute("UPDATE project_catalog SET active = 0 WHERE key = ? AND active = 1", (key,)) == 1
