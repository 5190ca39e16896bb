"""Staff tools behind /nexus: setup, the catalog, exports, figures and scheduled staff posts (discord-free)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.services import pairing
from bot.services import projects as project_rules
from bot.services.catalog import CatalogService
from bot.services.cohort import CohortService
from bot.services.projects import Csv
from bot.services.text import require_text
from db.database import Database
from db.stores.announcements import AnnouncementStore
from db.stores.catalog import CatalogProject
from db.stores.first_week import FirstWeekStore
from db.stores.guild_settings import GuildSettings
from db.stores.jobs import JobStore
from db.stores.matching import MatchingStore
from db.stores.staff_posts import StaffPost, StaffPostStore
from db.stores.stats import table_counts

__all__ = ["EXPORTS", "PUBLISH_KIND", "CatalogProject", "Csv", "PlannedPost", "StaffPost", "StaffService", "parse_date"]

PUBLISH_KIND = "staff_post.publish"
EXPORTS = ("announcements", "partner_interest", "reminders", "pairs", "unmatched")


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"`{option}` must be a date like 2026-12-01 (YYYY-MM-DD); got `{value}`.") from None


def publish_key(post_id: int) -> str:
    return f"staff_post:{post_id}:publish"


@dataclass(frozen=True)
class PlannedPost:
    """A stored staff post: post it now (`now` True, already claimed) or schedule `PUBLISH_KIND` at `due_at`."""

    post: StaffPost
    now: bool
    job_key: str


class StaffService:
    def __init__(self, db: Database, clock: Clock, cohort: CohortService, catalog: CatalogService) -> None:
        self.db = db
        self.clock = clock
        self.cohort = cohort
        self.catalog = catalog
        self.posts = StaffPostStore(db)
        self.announcements = AnnouncementStore(db)
        self.first_week = FirstWeekStore(db)
        self.matching = MatchingStore(db)
        self.jobs = JobStore(db)

    # --- figures, setup ------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        """What the database holds, for /nexus about (label → rows)."""
        return await table_counts(self.db)

    async def setup(
        self, guild_id: int, channel_id: int, cohort_start: str | None, values: Mapping[str, object]
    ) -> GuildSettings:
        """Apply /nexus setup: the channel, the cohort's first day (default today on first setup), the rest as
        given (None = keep). Role safety is checked by the cog from Discord's facts before this is called."""
        existing = await self.cohort.settings(guild_id)
        now = self.clock.now()
        update: dict[str, object] = {"channel_id": channel_id}
        if cohort_start is not None:
            update["cohort_start"] = parse_date(cohort_start, "cohort_start")
        elif existing is None or existing.cohort_start is None:
            update["cohort_start"] = now.date()
        update.update({k: v for k, v in values.items() if v is not None})
        return await self.cohort.update(guild_id, now, **update)

    async def configure(self, guild_id: int, values: Mapping[str, object]) -> GuildSettings:
        return await self.cohort.update(guild_id, self.clock.now(), **values)

    # --- catalog -------------------------------------------------------------------------------

    async def catalog_choices(self, current: str) -> list[CatalogProject]:
        return project_rules.project_choices(current, await self.catalog.active())

    async def catalog_add(
        self, name: str, backend_variant: str | None, frontend_variant: str | None, key: str | None
    ) -> tuple[CatalogProject, bool]:
        clean = project_rules.validate_catalog_name(name)
        project_key = project_rules.catalog_key(clean, key)
        backend = project_rules.validate_catalog_name(backend_variant or f"{clean} Backend")
        frontend = project_rules.validate_catalog_name(frontend_variant or f"{clean} Frontend")
        return await self.catalog.add(project_key, clean, backend, frontend, self.clock.now())

    async def catalog_remove(self, value: str) -> CatalogProject:
        active = await self.catalog.active()
        found = project_rules.resolve_project(value, active)
        if len(active) <= 1:
            raise InvalidInput("That's the last project in the catalog: add another with `/nexus catalog add` first.")
        await self.catalog.remove(found.key)
        return found

    async def catalog_all(self) -> list[CatalogProject]:
        return await self.catalog.all()

    # --- exports -------------------------------------------------------------------------------

    async def export(self, guild_id: int, what: str, member_names: Mapping[int, str]) -> Csv:
        """One CSV of this server's records; `member_names` are the names the server shows now."""
        now = self.clock.now()
        if what == "announcements":
            catalog = await self.catalog.all()
            return project_rules.announcements_csv(
                await self.announcements.all_for_export(guild_id), catalog, guild_id, now
            )
        if what == "partner_interest":
            return project_rules.interest_csv(await self.announcements.interest_in_guild(guild_id), now)
        if what in ("pairs", "unmatched"):
            mine = [a for a in await self.announcements.all_for_export(guild_id) if a.withdrawn_at is None]
            names = {a.user_id: a.display_name for a in mine}
            names.update(member_names)
            if what == "pairs":
                return pairing.pairs_csv(await self.matching.pairs_for_export(guild_id), names, now)
            projects = {a.user_id: (a.project_key, a.track) for a in mine}
            return pairing.unmatched_csv(await self.matching.last_real_round(guild_id), names, projects, now)
        if what == "reminders":
            return project_rules.reminders_csv(await self.first_week.reminders(guild_id), now)
        raise InvalidInput(f"Pick one of: {', '.join(EXPORTS)}.")

    # --- staff posts ---------------------------------------------------------------------------

    async def create_post(
        self,
        *,
        guild_id: int,
        author_id: int,
        channel_id: int,
        title: str,
        message: str,
        role_id: int | None,
        due_at: datetime | None,
    ) -> PlannedPost:
        """Store a staff announcement; one without `due_at` is claimed at once for posting now."""
        title = require_text(title, "title", max_length=256)
        message = require_text(message, "message", max_length=4000)
        now = self.clock.now()
        post = await self.posts.create(
            guild_id=guild_id,
            author_id=author_id,
            channel_id=channel_id,
            title=title.strip(),
            body=message.strip(),
            role_id=role_id,
            due_at=due_at or now,
            now=now,
        )
        if due_at is None:
            await self.posts.claim(post.id)
        return PlannedPost(post, due_at is None, publish_key(post.id))

    async def claim(self, post_id: int) -> StaffPost | None:
        """The post a publish job must send, claimed so it goes out once; None if cancelled or already out."""
        post = await self.posts.get(post_id)
        if post is None or not await self.posts.claim(post.id):
            return None
        return post

    async def posted(self, post_id: int, message_id: int) -> None:
        await self.posts.mark_posted(post_id, message_id, self.clock.now())

    async def failed(self, post_id: int, error: str) -> None:
        await self.posts.mark_failed(post_id, error)

    async def scheduled(self, guild_id: int) -> list[StaffPost]:
        return await self.posts.scheduled(guild_id)

    async def cancel_post(self, guild_id: int, post_id: int) -> StaffPost:
        """Cancel a scheduled post of this server, and its publish job."""
        post = await self.posts.get(post_id)
        if post is None or post.guild_id != guild_id:
            raise NotFound(f"There's no announcement #{post_id}.")
        if not await self.posts.cancel(post_id, guild_id):
            raise Conflict(f"Announcement #{post_id} is already {post.status}; only scheduled ones can be cancelled.")
        await self.jobs.cancel_by_key_prefix(f"staff_post:{post_id}:")
        return post
