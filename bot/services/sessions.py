"""Study and pairing sessions: plan, post, RSVP, cancel, remind (discord-free; the cog renders and delivers).

`plan` validates what the member typed (the time, the zone, the project), `create` writes the session first,
the cog posts it and reports back with `posted` (which returns the reminder and start jobs to schedule) and
`event_created`. `rsvp` and `cancel` are one call each; `reminder`/`start` give a job what it must send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.scheduler import PlannedJob
from bot.services.catalog import CatalogService
from bot.services.projects import resolve_project
from bot.services.when import parse_when
from bot.services.zones import resolve_timezone, validate_timezone
from db.database import Database
from db.stores.jobs import JobStore
from db.stores.sessions import RSVP_STATUSES, Rsvps, SessionStore, StudySession, is_pair_thread, profile_timezone

__all__ = [
    "REMINDER_BEFORE",
    "REMINDER_KIND",
    "START_KIND",
    "Cancelled",
    "PlannedJob",
    "Rsvps",
    "SessionPlan",
    "SessionService",
    "StudySession",
    "job_key",
]

log = logging.getLogger(__name__)

REMINDER_KIND = "session.reminder"
START_KIND = "session.start"
REMINDER_BEFORE = timedelta(minutes=15)


def job_key(session_id: int, what: str = "") -> str:
    return f"session:{session_id}:{what}"


@dataclass(frozen=True)
class SessionPlan:
    """A validated `/session create`: what will be written once the cog knows where it is posted."""

    guild_id: int
    creator_id: int
    title: str
    starts_at: datetime
    duration_minutes: int
    zone_name: str
    topic: str | None
    project: str | None
    capacity: int | None
    notes: tuple[str, ...]  # how `when` (and an abbreviated zone) were read, for the reply
    has_reminder: bool


@dataclass(frozen=True)
class Cancelled:
    session: StudySession
    rsvps: Rsvps
    to_tell: tuple[int, ...]  # going, except whoever cancelled


class SessionService:
    def __init__(self, db: Database, clock: Clock, catalog: CatalogService) -> None:
        self.db = db
        self.clock = clock
        self.catalog = catalog
        self.store = SessionStore(db)
        self.jobs = JobStore(db)

    # --- look-ups --------------------------------------------------------------------------------

    async def member_zone(self, guild_id: int, user_id: int, timezone: str | None) -> tuple[ZoneInfo, str]:
        """The zone a member's times are read in: the option given, else their match profile's, else UTC.

        The second value says which one was used ("option", "profile" or "default"), so replies can say so.
        """
        if timezone:
            return validate_timezone(timezone, self.clock.now()), "option"
        stored = await profile_timezone(self.db, guild_id, user_id)
        if stored:
            try:
                return validate_timezone(stored), "profile"
            except InvalidInput:
                log.warning("Match profile of %s has an unknown zone %r", user_id, stored)
        return ZoneInfo("UTC"), "default"

    async def is_pair_thread(self, thread_id: int) -> bool:
        return await is_pair_thread(self.db, thread_id)

    async def project_names(self) -> list[str]:
        return [p.name for p in await self.catalog.active()]

    async def get(self, session_id: int) -> StudySession | None:
        return await self.store.get(session_id)

    async def rsvps(self, session_id: int) -> Rsvps:
        return await self.store.rsvps(session_id)

    async def find(self, guild_id: int, value: str) -> StudySession:
        """The session a `session` option names (`12`, `#12` or an autocomplete label)."""
        digits = value.strip().lstrip("#").split(" ", 1)[0]
        if not digits.isdigit():
            raise InvalidInput("Pick a session from the list (start typing its title).")
        session = await self.store.get(int(digits))
        if session is None or session.guild_id != guild_id:
            raise NotFound(f"There's no session #{digits}; see `/session list`.")
        return session

    async def choices(self, guild_id: int, user_id: int, staff: bool, current: str) -> list[tuple[str, str]]:
        """Upcoming sessions the member may cancel (staff: all) matching what they typed, as (label, value)."""
        sessions = await self.store.upcoming(
            guild_id, self.clock.now(), creator_id=None if staff else user_id, limit=100
        )
        wanted = current.strip().lower().lstrip("#")
        found = []
        for s in sessions:
            label = f"#{s.id} {s.title} — {s.starts_at:%a %d %b %H:%M} UTC"
            if not wanted or wanted in label.lower():
                found.append((label, str(s.id)))
        return found[:25]

    async def upcoming(self, guild_id: int, project: str | None = None) -> list[tuple[StudySession, Rsvps]]:
        """The next 15 sessions (of a project, if given), each with its answers."""
        sessions = await self.store.upcoming(guild_id, self.clock.now(), project=project, limit=15)
        return [(s, await self.store.rsvps(s.id)) for s in sessions]

    # --- create ----------------------------------------------------------------------------------

    async def plan(
        self,
        *,
        guild_id: int,
        creator_id: int,
        title: str,
        when: str,
        duration_minutes: int,
        timezone: str | None,
        topic: str | None,
        project: str | None,
        capacity: int | None,
    ) -> SessionPlan:
        """Validate a new session: `when` read in the member's zone, a project typo answered with the nearest."""
        now = self.clock.now()
        zone, source = await self.member_zone(guild_id, creator_id, timezone)
        parsed = parse_when(when, now, zone, zone_source=source)
        if project and project.strip():
            catalog = await self.catalog.active()
            project = resolve_project(project, catalog).name if catalog else project
        notes = [parsed.note]
        if timezone and (zone_note := resolve_timezone(timezone, now).note):
            notes.append(zone_note)  # which zone `WAT` or `UTC+1` was read as
        return SessionPlan(
            guild_id=guild_id,
            creator_id=creator_id,
            title=title.strip(),
            starts_at=parsed.at,
            duration_minutes=duration_minutes,
            zone_name=parsed.zone_name,
            topic=topic.strip() if topic else None,
            project=project.strip() if project else None,
            capacity=capacity,
            notes=tuple(notes),
            has_reminder=parsed.at - REMINDER_BEFORE > now,
        )

    async def create(self, plan: SessionPlan, channel_id: int) -> tuple[StudySession, Rsvps]:
        """Write the session (its host is going) before it is posted in `channel_id`."""
        session = await self.store.create(
            guild_id=plan.guild_id,
            creator_id=plan.creator_id,
            title=plan.title,
            starts_at=plan.starts_at,
            duration_minutes=plan.duration_minutes,
            timezone=plan.zone_name,
            topic=plan.topic,
            project=plan.project,
            capacity=plan.capacity,
            channel_id=channel_id,
            now=self.clock.now(),
        )
        return session, await self.store.rsvps(session.id)

    async def not_posted(self, session_id: int) -> None:
        """The post could not be made (or its id not saved): nothing was announced, so nothing is kept."""
        await self.store.delete(session_id)

    async def posted(self, session_id: int, channel_id: int, message_id: int) -> list[PlannedJob]:
        """Record the post; returns the reminder (unless it starts within 15 minutes) and start jobs."""
        await self.store.set_message(session_id, channel_id, message_id)
        session = await self.store.get(session_id)
        assert session is not None
        payload = {"session_id": session_id}
        jobs = []
        if session.starts_at - REMINDER_BEFORE > self.clock.now():
            jobs.append(
                PlannedJob(REMINDER_KIND, session.starts_at - REMINDER_BEFORE, payload, job_key(session_id, "reminder"))
            )
        jobs.append(PlannedJob(START_KIND, session.starts_at, payload, job_key(session_id, "start")))
        return jobs

    async def event_created(self, session_id: int, event_id: int) -> None:
        await self.store.set_event(session_id, event_id)

    async def thread_made(self, session_id: int, thread_id: int) -> None:
        await self.store.set_thread(session_id, thread_id)

    # --- answer, cancel --------------------------------------------------------------------------

    async def rsvp(self, session_id: int, user_id: int, status: str) -> tuple[StudySession, Rsvps]:
        """Record an answer (Conflict when full, cancelled or over); returns the session and all answers."""
        if status not in RSVP_STATUSES:
            raise InvalidInput("Press Going, Maybe or Not going.")
        return await self.store.rsvp(session_id, user_id, status, self.clock.now())

    async def cancel(self, guild_id: int, value: str, user_id: int, *, staff: bool) -> Cancelled:
        """Cancel a session (its host or staff) and drop its reminder and start jobs."""
        found = await self.find(guild_id, value)
        if found.creator_id != user_id and not staff:
            raise Forbidden(f"Only the host (<@{found.creator_id}>) or staff can cancel session #{found.id}.")
        if not await self.store.cancel(found.id, self.clock.now()):
            raise Conflict(f"Session #{found.id} is already cancelled.")
        await self.jobs.cancel_by_key_prefix(job_key(found.id))
        cancelled = await self.store.get(found.id)
        assert cancelled is not None
        rsvps = await self.store.rsvps(found.id)
        return Cancelled(cancelled, rsvps, tuple(uid for uid in rsvps.going if uid != user_id))

    # --- scheduled work --------------------------------------------------------------------------

    async def due(self, session_id: int, *, needs_channel: bool = False) -> tuple[StudySession, Rsvps] | None:
        """What a reminder or start job sends: the session and its answers, or None once it is cancelled."""
        session = await self.store.get(session_id)
        if session is None or session.cancelled or (needs_channel and session.channel_id is None):
            return None
        return session, await self.store.rsvps(session.id)
