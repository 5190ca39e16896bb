"""Project announcements and the first week: the whole workflow behind /project, without Discord.

Each public operation is one user action (or one scheduled step): it validates (raising the UserError whose
text the member reads), decides, writes and returns plain data the cog renders and delivers. After posting
on Discord the cog reports back (`posted`, `post_failed`, `digest_posted`, `reminder_finished`).
What the service needs from Discord (a member's tracks, who holds a learner role) is passed in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.services import first_week, projects, track_switch
from bot.services.catalog import CatalogService
from bot.services.cohort import Cohort, CohortService
from bot.services.first_week_jobs import DIGEST_JOB, REMINDER_JOB, Digest, FirstWeekJobs, ReminderDm
from bot.services.questions import QuestionService
from bot.services.text import user_text
from bot.services.tracks import TRACK_NAMES
from bot.services.zones import resolve_timezone
from db.database import Database
from db.stores.announcements import (
    Announcement,
    AnnouncementStore,
    ListFilter,
    NewAnnouncement,
)
from db.stores.catalog import CatalogProject
from db.stores.first_week import FirstWeekStore
from db.stores.guild_settings import GuildSettings
from db.stores.matching import MatchingStore
from db.stores.questions import Question

# Re-exported for the cog, which renders them and never imports db.stores.
__all__ = [
    "DIGEST_JOB",
    "REMINDER_JOB",
    "Announcement",
    "AnnouncementService",
    "CatalogProject",
    "Digest",
    "GuildSettings",
    "ListFilter",
    "Question",
    "ReminderDm",
]

PAGE_SIZE = 10


def shows_looking(announcement: Announcement, full: bool) -> bool:
    """Looking for a partner, as every place shows it: asked for partners, and has a free slot (not `full`)."""
    return announcement.active and announcement.looking_for_partner and not full


def already_announced(existing: Announcement) -> Conflict:
    when = f"<t:{int(existing.created_at.timestamp())}:D>"
    title = user_text(existing.title)
    title = title if len(title) <= 200 else title[:199].rstrip() + "…"
    return Conflict(
        f"You already announced **{title}** on {when}. One announcement per cohort: "
        "use `/project edit` to change it, or `/project withdraw` to start over."
    )


@dataclass(frozen=True)
class Draft:
    """A validated /project announce, before any database work."""

    project: str
    title: str
    summary: str
    track: str | None
    stack: tuple[str, ...]
    repo: str | None
    timezone: str | None
    looking_for_partner: bool
    zone_note: str


@dataclass(frozen=True)
class Post:
    """What a post shows: the announcement, its project and whether the learner's partner slots are full."""

    announcement: Announcement
    project: CatalogProject | None
    full: bool

    @property
    def looking(self) -> bool:
        return shows_looking(self.announcement, self.full)


@dataclass(frozen=True)
class Announced:
    """`announce` outcome. `post` is what to post (None: `existing` needs its cut-short post finished)."""

    post: Post
    cohort: Cohort
    retry: bool = False


@dataclass(frozen=True)
class ListQuery:
    guild_id: int
    cohort_start: date
    flt: ListFilter
    description: str


@dataclass(frozen=True)
class ListPage:
    rows: list[Announcement]
    catalog: dict[str, CatalogProject]
    full: set[int]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Board:
    cohort_start: date
    week: first_week.FirstWeek
    progress: str
    table: str
    looking: dict[tuple[str, str], list[int]]
    total_looking: int
    names: dict[str, str]


class AnnouncementService(FirstWeekJobs):
    def __init__(
        self, db: Database, clock: Clock, cohort: CohortService, catalog: CatalogService, questions: QuestionService
    ) -> None:
        self.store = AnnouncementStore(db)
        self.matching = MatchingStore(db)  # pending requests a track change makes impossible (track_switch)
        self.first_week = FirstWeekStore(db)
        self.questions = questions
        self.clock = clock
        self.cohort = cohort
        self.catalog = catalog
        # Announcements this process wrote and is still posting: recovery and retries leave them alone.
        self.posting: set[int] = set()
        self._planned_digests: set[tuple[Any, ...]] = set()
        self._planned_reminders: set[tuple[int, date, str]] = set()
        self._settings: list[GuildSettings] = []
        self._settings_read_at = 0.0

    # --- posts -------------------------------------------------------------------------------

    async def post_state(self, announcement: Announcement) -> Post:
        project = await self.catalog.get(announcement.project_key)
        full = bool(await self.store.partners_full(announcement.guild_id, (announcement.user_id,)))
        return Post(announcement, project, full)

    async def get(self, announcement_id: int) -> Announcement | None:
        return await self.store.get(announcement_id)

    async def posted(self, announcement_id: int, channel_id: int, message_id: int, looking: bool | None = None) -> None:
        """The cog posted (or found) the announcement's message; `looking`: what the post shows, when it rendered
        it (None: as the announcement asks, which `announce` already recorded when slots are full)."""
        await self.store.set_message(announcement_id, channel_id, message_id)
        if looking is not None:
            await self.store.set_post_looking(announcement_id, looking)

    async def rendered(self, announcement_id: int, looking: bool) -> None:
        """The cog edited the post in place; it now shows this looking state."""
        await self.store.set_post_looking(announcement_id, looking)

    async def post_failed(self, announcement_id: int) -> None:
        """No post, no record: the learner can simply try again once staff fix the channel."""
        await self.store.delete(announcement_id)

    async def unposted(self) -> list[Announcement]:
        """Announcements cut short by a stop between their write and their post (not the ones posting now)."""
        return [a for a in await self.store.unposted() if a.id not in self.posting]

    async def stale_looking(self, guild_id: int | None, user_ids: Iterable[int] | None) -> list[Announcement]:
        return await self.store.stale_looking_posts(guild_id, user_ids)

    # --- /project announce --------------------------------------------------------------------

    def draft(
        self,
        project: str,
        title: str,
        summary: str,
        track: str | None,
        stack: str | None,
        repo: str | None,
        timezone: str | None,
        looking_for_partner: bool,
    ) -> Draft:
        """The pure checks, answered at once before any waiting."""
        clean_title = projects.validate_title(title)
        clean_summary = projects.validate_summary(summary)
        clean_stack = projects.parse_stack(stack)
        clean_repo = projects.validate_repo(repo)
        zone = resolve_timezone(timezone, self.clock.now()) if timezone and timezone.strip() else None
        return Draft(
            project,
            clean_title,
            clean_summary,
            track,
            clean_stack,
            clean_repo,
            zone.key if zone else None,
            looking_for_partner,
            f" {zone.note}" if zone and zone.note else "",
        )

    async def announce(
        self, guild_id: int, user_id: int, display_name: str, member_tracks: Iterable[str], draft: Draft
    ) -> Announced:
        """Write the learner's one announcement of the cohort. `retry`: an earlier try was cut short before
        its post and this one finishes it. The cog marks the id as posting until it reports back."""
        cohort = await self.cohort.require(guild_id)
        chosen = await self.catalog.resolve(draft.project)
        chosen_track = projects.default_track(draft.track, member_tracks)
        now = self.clock.now()
        # The database's unique index decides (no read first): one query less per announcement in a rush.
        written = await self.store.create(
            NewAnnouncement(
                guild_id=guild_id,
                user_id=user_id,
                cohort_start=cohort.week.start,
                project_key=chosen.key,
                track=chosen_track,
                title=draft.title,
                summary=draft.summary,
                stack=draft.stack,
                repo=draft.repo,
                timezone=draft.timezone,
                looking_for_partner=draft.looking_for_partner,
                display_name=display_name,
                late=cohort.week.is_late(now),
            ),
            now,
        )
        if written is None:
            again = await self.store.active_for(guild_id, cohort.week.start, user_id)
            if again is None:
                raise Conflict("You already announced; use /project edit.")
            if again.message_id is not None or again.id in self.posting:
                raise already_announced(again)
            return Announced(await self.post_state(again), cohort, retry=True)
        created, full = written
        self.posting.add(created.id)
        if full and created.looking_for_partner:
            await self.store.set_post_looking(created.id, False)
        return Announced(Post(created, chosen, full), cohort)

    def done_posting(self, announcement_id: int) -> None:
        self.posting.discard(announcement_id)

    # --- /project edit, withdraw, show --------------------------------------------------------

    def edit_values(
        self,
        track: str | None,
        title: str | None,
        summary: str | None,
        stack: str | None,
        repo: str | None,
        timezone: str | None,
        looking_for_partner: bool | None,
        has_project: bool,
    ) -> tuple[dict[str, object], str]:
        """The pure checks of /project edit: the columns to change and the time zone note."""
        values: dict[str, object] = {}
        if title is not None:
            values["title"] = projects.validate_title(title)
        if summary is not None:
            values["summary"] = projects.validate_summary(summary)
        if stack is not None:
            values["stack"] = () if stack.strip() == "-" else projects.parse_stack(stack)
        if repo is not None:
            values["repo"] = None if repo.strip() == "-" else projects.validate_repo(repo)
        zone_note = ""
        if timezone is not None:
            zone = resolve_timezone(timezone, self.clock.now()) if timezone.strip() else None
            values["timezone"] = zone.key if zone else None
            zone_note = f" {zone.note}" if zone and zone.note else ""
        if track is not None:
            values["track"] = projects.normalize_track(track)
        if looking_for_partner is not None:
            values["looking_for_partner"] = looking_for_partner
        if not has_project and not values:
            raise InvalidInput("Nothing to change: add at least one option, e.g. `/project edit summary:…`.")
        return values, zone_note

    async def edit(
        self, guild_id: int, user_id: int, display_name: str, project: str | None, values: dict[str, object]
    ) -> tuple[Cohort, Announcement]:
        cohort = await self.cohort.require(guild_id)
        values = dict(values)
        if project is not None:
            values["project_key"] = (await self.catalog.resolve(project)).key
        existing = await self.store.active_for(guild_id, cohort.week.start, user_id)
        if existing is None:
            raise NotFound("You haven't announced a project this cohort: use `/project announce` first.")
        values["display_name"] = display_name
        now = self.clock.now()
        updated = await self.store.update(existing.id, now, **values)
        if updated.track != existing.track:
            # A pair is one Backend and one Frontend learner: requests with the new track's learners close.
            await track_switch.close_impossible_requests(self.store, self.matching, updated, now)
        return cohort, updated

    async def withdraw_check(self, guild_id: int, user_id: int) -> Announcement:
        """The learner's active announcement, or the NotFound /project withdraw answers with."""
        cohort = await self.cohort.require(guild_id)
        existing = await self.store.active_for(guild_id, cohort.week.start, user_id)
        if existing is None:
            raise NotFound("You have no active announcement to withdraw; `/project announce` makes one.")
        return existing

    async def withdraw(self, announcement_id: int) -> Announcement:
        withdrawn = await self.store.withdraw(announcement_id, self.clock.now())
        if withdrawn is None:
            raise NotFound("Your announcement was already withdrawn; `/project announce` makes a new one.")
        return withdrawn

    async def show(self, guild_id: int, user_id: int, *, own: bool, name: str) -> Post:
        cohort = await self.cohort.require(guild_id)
        found = await self.store.active_for(guild_id, cohort.week.start, user_id)
        if found is None:
            if own:
                raise NotFound("You haven't announced a project yet: use `/project announce`.")
            raise NotFound(f"{name} hasn't announced a project this cohort.")
        return await self.post_state(found)

    # --- /project list ------------------------------------------------------------------------

    async def list_query(
        self, guild_id: int, project: str | None, track: str | None, looking_for_partner: bool | None
    ) -> ListQuery:
        cohort = await self.cohort.require(guild_id)
        chosen = projects.resolve_project(project, await self.catalog.all()) if project else None
        flt = ListFilter(chosen.key if chosen else None, track, looking_for_partner)
        parts = [chosen.name if chosen else "all projects"]
        if track:
            parts.append(TRACK_NAMES[track])
        if looking_for_partner is not None:
            parts.append("looking for a partner" if looking_for_partner else "not looking")
        return ListQuery(guild_id, cohort.week.start, flt, ", ".join(parts))

    async def list_page(self, query: ListQuery, page: int) -> ListPage:
        total = await self.store.count(query.guild_id, query.cohort_start, query.flt)
        pages = max(1, -(-total // PAGE_SIZE))
        page = max(0, min(page, pages - 1))
        rows = await self.store.page(
            query.guild_id, query.cohort_start, query.flt, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        full = await self.store.partners_full(query.guild_id, (a.user_id for a in rows))
        return ListPage(rows, await self.catalog.by_key(), full, total, page, pages)

    # --- /project board -----------------------------------------------------------------------

    async def progress(self, cohort: Cohort, learner_ids: set[int], now: datetime) -> str:
        announced = await self.store.announced_user_ids(cohort.guild_id, cohort.week.start)
        return first_week.progress_line(
            len(announced & learner_ids), len(learner_ids), cohort.week.days_left(now), over=cohort.week.is_over(now)
        )

    async def board(self, guild_id: int, learner_ids: set[int]) -> Board:
        cohort = await self.cohort.require(guild_id)
        now = self.clock.now()
        start = cohort.week.start
        active = await self.catalog.active()
        counts = await self.store.counts(guild_id, start)
        names = {p.key: p.name for p in await self.catalog.all()}
        listed = [(p.key, p.name) for p in active] + [
            (k, names.get(k, k)) for k in sorted({k for k, _ in counts} - {p.key for p in active})
        ]
        looking = await self.store.looking(guild_id, start, limit=200)
        total_looking = await self.store.count(guild_id, start, ListFilter(looking_for_partner=True))
        catalog = await self.catalog.by_key()
        by_group: dict[tuple[str, str], list[int]] = {}
        for a in looking:
            by_group.setdefault((a.project_key, a.track), []).append(a.user_id)
        ordered = dict(
            sorted(by_group.items(), key=lambda kv: (catalog[kv[0][0]].position if kv[0][0] in catalog else 0, kv[0]))
        )
        return Board(
            start,
            cohort.week,
            await self.progress(cohort, learner_ids, now),
            first_week.count_table(listed, counts),
            ordered,
            total_looking,
            names,
        )

    # --- /project reminders and members leaving ------------------------------------------------

    async def set_reminders(self, guild_id: int, user_id: int, enabled: bool) -> None:
        await self.first_week.set_reminders(guild_id, user_id, enabled, self.clock.now())

    async def member_left(self, guild_id: int, user_id: int) -> int:
        return await self.store.mark_left(guild_id, user_id, self.clock.now())

    async def member_returned(self, guild_id: int, user_id: int) -> int:
        return await self.store.mark_returned(guild_id, user_id)

    @staticmethod
    def with_message(announcement: Announcement, channel_id: int, message_id: int) -> Announcement:
        return dataclasses.replace(announcement, channel_id=channel_id, message_id=message_id)
