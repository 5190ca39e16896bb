"""The first week's scheduled steps of AnnouncementService: which digests and reminders to plan, the digest's
figures and who gets a reminder DM. Plain data out; the projects cog schedules, posts and sends."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.clock import Clock
from bot.scheduler import PlannedJob
from bot.services import first_week
from bot.services.catalog import CatalogService
from bot.services.cohort import Cohort, CohortService
from bot.services.questions import QuestionService
from bot.services.tracks import TRACK_NAMES
from db.stores.announcements import AnnouncementStore
from db.stores.first_week import FirstWeekStore
from db.stores.guild_settings import GuildSettings
from db.stores.questions import Question

SETTINGS_REFRESH_SECONDS = 30.0
DIGEST_JOB = "project_digest"
REMINDER_JOB = "project_reminder"


@dataclass(frozen=True)
class Digest:
    content: first_week.DigestContent
    unanswered: list[Question]


@dataclass(frozen=True)
class ReminderDm:
    channel_id: int | None
    day_number: int
    days_left_text: str


class FirstWeekJobs:
    """Mixed into AnnouncementService, which builds these stores and services."""

    store: AnnouncementStore
    first_week: FirstWeekStore
    questions: QuestionService
    clock: Clock
    cohort: CohortService
    catalog: CatalogService
    _planned_digests: set[tuple[Any, ...]]
    _planned_reminders: set[tuple[int, date, str]]
    _settings: list[GuildSettings]
    _settings_read_at: float

    async def planned_guilds(self) -> list[GuildSettings]:
        """Every server's settings for the scheduler's ticker, read at most once per `SETTINGS_REFRESH_SECONDS`."""
        if time.monotonic() - self._settings_read_at > SETTINGS_REFRESH_SECONDS:
            self._settings = await self.cohort.all()
            self._settings_read_at = time.monotonic()
        return self._settings

    # --- first-week planning ------------------------------------------------------------------

    def settings_changed(self) -> None:
        """Staff changed settings: the next tick reads them again (a new signature is planned anew)."""
        self._settings_read_at = 0.0

    def digest_plans(self, settings: GuildSettings, now: datetime) -> list[PlannedJob]:
        """One digest job per future day of the first week, once per settings signature."""
        if settings.channel_id is None or settings.cohort_start is None:
            return []
        signature = (settings.guild_id, settings.cohort_start, settings.first_week_days, settings.digest_hour)
        if signature in self._planned_digests:
            return []
        self._planned_digests.add(signature)
        week = first_week.FirstWeek(settings.cohort_start, settings.first_week_days)
        return [
            PlannedJob(
                DIGEST_JOB,
                due_at,
                {
                    "guild_id": settings.guild_id,
                    "day": day.isoformat(),
                    "hour": settings.digest_hour,
                    "cohort_start": settings.cohort_start.isoformat(),
                },
                f"digest:{settings.guild_id}:{day.isoformat()}:{settings.digest_hour:02d}",
            )
            # Only future digests: setting up mid-week doesn't flood the channel with past days.
            for day, due_at in week.digest_times(settings.digest_hour)
            if due_at > now
        ]

    def reminder_due(self, settings: GuildSettings, now: datetime) -> str | None:
        """The reminder kind to plan now ("day3", "last"), once per cohort and kind in this process."""
        if settings.channel_id is None or settings.cohort_start is None:
            return None
        week = first_week.FirstWeek(settings.cohort_start, settings.first_week_days)
        kind = week.due_reminder(now, settings.digest_hour)
        if kind is None or (settings.guild_id, settings.cohort_start, kind) in self._planned_reminders:
            return None
        return kind

    def reminders_planned(self, settings: GuildSettings, kind: str) -> None:
        assert settings.cohort_start is not None
        self._planned_reminders.add((settings.guild_id, settings.cohort_start, kind))

    async def reminder_targets(self, guild_id: int, cohort_start: date, learner_ids: Iterable[int]) -> list[int]:
        """Learners to remind: not announced, not opted out, and no failed DM this cohort."""
        skip = (
            await self.store.announced_user_ids(guild_id, cohort_start)
            | await self.first_week.opted_out(guild_id)
            | await self.first_week.failed_dm_users(guild_id, cohort_start)
        )
        return sorted(uid for uid in learner_ids if uid not in skip)

    async def digest_due(self, payload: dict[str, Any], due_at: datetime) -> tuple[Cohort, date] | None:
        """The cohort and day of a digest job still to post; None when settings changed since it was planned
        or the next day's digest covers it."""
        settings = await self.cohort.settings(int(payload["guild_id"]))
        if settings is None or settings.cohort_start is None or settings.channel_id is None:
            return None
        cohort = await self.cohort.require(settings.guild_id)
        week = cohort.week
        day = date.fromisoformat(payload["day"])
        stale_config = settings.cohort_start.isoformat() != payload["cohort_start"] or (
            settings.digest_hour != payload["hour"]
        )
        if stale_config or not week.start <= day <= week.last_day or week.stale_digest(day, due_at, self.clock.now()):
            return None
        return cohort, day

    async def digest(self, cohort: Cohort, day: date, learner_ids: set[int]) -> Digest | None:
        """Claim the day's digest and build it; None when it was posted already."""
        now = self.clock.now()
        previous = await self.first_week.previous_digest_at(cohort.guild_id, cohort.week.start, day)
        if not await self.first_week.claim_digest(cohort.guild_id, day, cohort.week.start, now):
            return None
        return await self.digest_content(cohort, previous, now, learner_ids)

    async def digest_content(
        self, cohort: Cohort, previous: datetime | None, now: datetime, learner_ids: set[int]
    ) -> Digest:
        week = cohort.week
        catalog = await self.catalog.by_key()
        new = await self.store.created_between(cohort.guild_id, week.start, previous or week.start_at, now)
        entries = [
            f"<@{a.user_id}> ({catalog[a.project_key].name if a.project_key in catalog else a.project_key}, "
            f"{TRACK_NAMES[a.track]})"
            for a in new
        ]
        counts = await self.store.counts(cohort.guild_id, week.start)
        announced = await self.store.announced_user_ids(cohort.guild_id, week.start)
        active = [(p.key, p.name) for p in catalog.values() if p.active]
        content = first_week.build_digest(
            week, now, entries, active, counts, len(announced & learner_ids), len(learner_ids)
        )
        # Collaboration (issue 6): questions nobody has solved after a day.
        stale = await self.questions.unanswered(cohort.guild_id, now)
        return Digest(content, stale)

    async def digest_posted(self, guild_id: int, day: date, message_id: int) -> None:
        await self.first_week.set_digest_message(guild_id, day, message_id)

    async def reminder(self, payload: dict[str, Any], is_learner: bool) -> ReminderDm | None:
        """The reminder DM a job should send now, claimed; None when it no longer applies."""
        guild_id, user_id, kind = int(payload["guild_id"]), int(payload["user_id"]), str(payload["kind"])
        cohort_start = date.fromisoformat(payload["cohort_start"])
        now = self.clock.now()
        settings = await self.cohort.settings(guild_id)
        if settings is None or settings.cohort_start != cohort_start:
            return None
        week = first_week.FirstWeek(settings.cohort_start, settings.first_week_days)
        if not week.is_active(now) or not is_learner:
            return None
        if await self.store.active_for(guild_id, cohort_start, user_id) is not None:
            return None
        if not await self.first_week.reminders_enabled(guild_id, user_id):
            return None
        if not await self.first_week.claim_reminder(guild_id, user_id, cohort_start, kind, now):
            return None
        return ReminderDm(settings.channel_id, week.day_number(now), first_week.days_left_text(week.days_left(now)))

    async def reminder_finished(self, payload: dict[str, Any], error: str | None = None) -> None:
        """The DM went out (error None) or failed: closed DMs are final for this cohort, never retried."""
        await self.first_week.finish_reminder(
            int(payload["guild_id"]),
            int(payload["user_id"]),
            date.fromisoformat(payload["cohort_start"]),
            str(payload["kind"]),
            "sent" if error is None else "failed",
            self.clock.now(),
            error,
        )
