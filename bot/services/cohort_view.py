"""The cohort as the web shows it: read-only figures for the public API, the staff dashboard and the charts.

Discord-free. The web process (bot/web/) reads only through this service and the others in `Services`; the bot
uses `chart_progress` for the PNG on `/project board` and the digest, and `save_roster` to leave the learner list
(known only from Discord's member list) where the web process can read it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.errors import NotFound
from bot.services.catalog import CatalogService
from bot.services.charts import FirstWeekProgress
from bot.services.cohort import Cohort, CohortService
from bot.services.excerpts import MARK_END, MARK_START
from bot.services.learning import LearningService
from bot.services.pair_health import ANSWERS, HealthCounts, PairHealthService, PairStatus, met_rate_text
from bot.services.search import RankedSearch
from bot.services.sessions import SessionService
from bot.services.tracks import TRACKS
from db.database import Database
from db.stores.announcements import Announcement, AnnouncementStore
from db.stores.matching import MatchingStore
from db.stores.roster import Roster, RosterStore
from db.stores.sessions import Rsvps, StudySession
from db.stores.topics import Topic, TopicCard
from db.stores.web_reads import WebReadStore

__all__ = ["Announcement", "CohortViewService", "Dashboard", "Progress", "Rsvps", "StudySession", "Topic", "TopicCard"]


@dataclass(frozen=True)
class ProjectCounts:
    key: str
    name: str
    backend_variant: str
    frontend_variant: str
    active: bool
    counts: Mapping[str, int]  # track → announced


@dataclass(frozen=True)
class Progress:
    """First-week progress of one server: the chart's data plus the figures around it."""

    cohort: Cohort
    chart: FirstWeekProgress
    day_number: int
    roster_taken_at: datetime | None  # None: the bot has not counted learners for the web yet
    pairs: Mapping[str, int]

    @property
    def percent(self) -> int:
        c = self.chart
        return 0 if c.learners <= 0 else (100 * min(c.announced, c.learners)) // c.learners


@dataclass(frozen=True)
class PairView:
    id: int
    backend: str
    frontend: str
    project: str
    origin: str
    days: int
    health: str  # "partner left", "partner withdrew", or the pair-health state (bot.services.pair_health.STATES)
    kind: str = "partner"  # partner | async | buddy
    checkin: str = ""  # the latest check-in's answers, e.g. "day 3: Ada: We've met · Bob: no answer"
    inactive: str | None = None  # the name of the partner found inactive

    @property
    def needs_attention(self) -> bool:
        return self.health in ("partner left", "partner withdrew", "inactive partner", "no thread yet")


@dataclass(frozen=True)
class Dashboard:
    progress: Progress
    not_announced: list[tuple[str, str | None]]  # (name, track)
    unmatched: list[tuple[str, str]]  # (name, reason)
    unmatched_round: int | None
    pairs: list[PairView]
    health: HealthCounts  # check-ins across the server's pairs (asked, met, inactive)
    sessions: list[tuple[StudySession, Rsvps]]
    pending_topics: list[Topic]

    @property
    def met_rate(self) -> str:
        return met_rate_text(self.health)


def checkin_text(status: PairStatus, name: Callable[[int], str]) -> str:
    """The latest check-in's answers, each partner's own: "day 3: Ada: We've met · Bob: no answer"."""
    if status.day is None:
        return ""
    said = (f"{name(uid)}: {ANSWERS.get(a, a) if a else 'no answer'}" for uid, a in sorted(status.answers.items()))
    return f"day {status.day}: " + " · ".join(said)


def learner_track(tracks: Sequence[str]) -> str | None:
    return tracks[0] if len(tracks) == 1 else None


class CohortViewService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        cohort: CohortService,
        catalog: CatalogService,
        learning: LearningService,
        sessions: SessionService,
        pair_health: PairHealthService,
    ) -> None:
        self.clock = clock
        self.cohort = cohort
        self.catalog = catalog
        self.learning = learning
        self.sessions = sessions
        self.pair_health = pair_health
        self.announcements = AnnouncementStore(db)
        self.matching = MatchingStore(db)
        self.reads = WebReadStore(db)
        self.roster = RosterStore(db)
        # guild → its last snapshot: 5k learners are read again only when the bot has saved a new one.
        self._rosters: dict[int, Roster] = {}

    # --- what the bot writes for the web -------------------------------------------------------------

    async def save_roster(self, guild_id: int, learners: Mapping[int, tuple[str, Sequence[str]]]) -> None:
        """The learners the bot sees now: {user_id: (display name, tracks)}."""
        await self.roster.save(
            guild_id, {uid: (name, learner_track(tracks)) for uid, (name, tracks) in learners.items()}, self.clock.now()
        )

    async def version(self) -> tuple[object, ...]:
        """Changes whenever anything the web shows may have: a commit to the database (a new roster snapshot is one),
        the topic index rebuilt, or the clock's minute (days left, upcoming sessions)."""
        now = self.clock.now().replace(second=0, microsecond=0)
        return (await self.reads.data_version(), id(self.learning.index), now)

    # --- servers, catalog, announcements ---------------------------------------------------------------

    async def guilds(self) -> list[Cohort]:
        """Every server with a project channel and a cohort, in id order."""
        found = []
        for settings in await self.cohort.all():
            if settings.channel_id is not None and settings.cohort_start is not None:
                found.append(await self.cohort.require(settings.guild_id))
        return sorted(found, key=lambda c: c.guild_id)

    async def require(self, guild_id: int) -> Cohort:
        settings = await self.cohort.settings(guild_id)
        if settings is None or settings.channel_id is None or settings.cohort_start is None:
            raise NotFound(f"No server {guild_id} is set up with Nexus Bot; GET /api/v1/guilds lists them.")
        return await self.cohort.require(guild_id)

    async def catalog_counts(self, guild_id: int) -> tuple[Cohort, list[ProjectCounts]]:
        cohort = await self.require(guild_id)
        counts = await self.announcements.counts(guild_id, cohort.week.start)
        projects = [
            ProjectCounts(
                p.key,
                p.name,
                p.backend_variant,
                p.frontend_variant,
                p.active,
                {t: counts.get((p.key, t), 0) for t in TRACKS},
            )
            for p in await self.catalog.all()
            if p.active or any(counts.get((p.key, t)) for t in TRACKS)
        ]
        return cohort, projects

    async def posted_announcements(self, guild_id: int, after_id: int, limit: int) -> list[Announcement]:
        cohort = await self.require(guild_id)
        return await self.reads.posted_announcements(guild_id, cohort.week.start, after_id, limit)

    # --- first-week progress -------------------------------------------------------------------------------

    async def chart_progress(self, cohort: Cohort, learners: Mapping[int, str | None] | None) -> FirstWeekProgress:
        """The chart's data: announced per project and track; `learners` = {user_id: track or None}."""
        now = self.clock.now()
        start = cohort.week.start
        counts = await self.announcements.counts(cohort.guild_id, start)
        active = await self.catalog.active()
        learners = learners or {}
        announced = await self.announcements.announced_user_ids(cohort.guild_id, start)
        per_track = {t: sum(1 for track in learners.values() if track == t) for t in TRACKS}
        return FirstWeekProgress(
            projects=[(p.key, p.name) for p in active],
            counts=counts,
            announced=len(announced & set(learners)),
            learners=len(learners),
            days_left=cohort.week.days_left(now),
            over=cohort.week.is_over(now),
            track_learners=per_track if sum(per_track.values()) == len(learners) and learners else {},
        )

    async def roster_of(self, guild_id: int) -> Roster | None:
        taken_at = await self.roster.taken_at(guild_id)
        cached = self._rosters.get(guild_id)
        if taken_at is not None and cached is not None and cached.taken_at == datetime.fromisoformat(taken_at):
            return cached
        roster = await self.roster.get(guild_id)
        if roster is None:
            self._rosters.pop(guild_id, None)
        else:  # the snapshot read, not the one checked: a save in between is seen on the next call
            self._rosters[guild_id] = roster
        return roster

    async def progress(self, guild_id: int, roster: Roster | None = None) -> Progress:
        """`roster`: the server's snapshot when the caller has read it already (else it is read here)."""
        cohort = await self.require(guild_id)
        roster = roster or await self.roster_of(guild_id)
        learners = {e.user_id: e.track for e in roster.learners} if roster else None
        chart = await self.chart_progress(cohort, learners)
        return Progress(
            cohort,
            chart,
            cohort.week.day_number(self.clock.now()),
            roster.taken_at if roster else None,
            await self.reads.pair_counts(guild_id),
        )

    # --- topics and sessions --------------------------------------------------------------------------------

    async def topics_page(self, after_slug: str, limit: int, category: str | None) -> list[Topic]:
        return await self.reads.topics_after(after_slug, limit, category)

    async def search(self, query: str) -> RankedSearch:
        """Ranked as `/learn search` ranks them (the same LearningService.search)."""
        return await self.learning.search(query)

    async def search_hits(
        self, result: RankedSearch, offset: int, limit: int
    ) -> tuple[list[TopicCard], dict[int, str]]:
        page = await self.learning.results(result, offset, limit)
        # Plain text for the web: the match markers dropped, one line.
        plain = {k: " ".join(v.replace(MARK_START, "").replace(MARK_END, "").split()) for k, v in page.snippets.items()}
        return page.topics, plain

    async def upcoming_sessions(self, guild_id: int) -> list[tuple[StudySession, Rsvps]]:
        await self.require(guild_id)
        return await self.sessions.upcoming(guild_id)

    # --- the staff dashboard ----------------------------------------------------------------------------------

    async def dashboard(self, guild_id: int) -> Dashboard:
        roster = await self.roster_of(guild_id)
        progress = await self.progress(guild_id, roster)
        cohort = progress.cohort
        names = {e.user_id: e.name for e in roster.learners} if roster else {}
        mine = await self.reads.cohort_members(guild_id, cohort.week.start)
        active = {uid for uid, (_, is_active) in mine.items() if is_active}
        for uid, (name, _) in mine.items():
            names.setdefault(uid, name or f"member {uid}")
        not_announced = sorted(
            ((e.name, e.track) for e in (roster.learners if roster else ()) if e.user_id not in active),
            key=lambda x: x[0].casefold(),
        )
        last = await self.matching.last_real_round(guild_id)
        unmatched = [
            (names.get(int(uid), f"member {uid}"), str(reason))
            for uid, reason in ((last.summary or {}).get("unmatched", {}) if last else {}).items()
        ]
        now = self.clock.now()
        learner_ids = roster.ids() if roster else None
        pair_views = []
        catalog = await self.catalog.by_key()
        active_pairs = await self.matching.active_pairs(guild_id)
        statuses = await self.pair_health.statuses(active_pairs)

        def name_of(uid: int) -> str:
            return names.get(uid, f"member {uid}")

        for p in active_pairs:
            status = statuses[p.id]
            health = status.state
            gone = [uid for uid in (p.backend_id, p.frontend_id) if learner_ids is not None and uid not in learner_ids]
            withdrew = [uid for uid in (p.backend_id, p.frontend_id) if uid not in active]
            if gone:
                health = "partner left"
            elif withdrew:
                health = "partner withdrew"
            pair_views.append(
                PairView(
                    p.id,
                    name_of(p.backend_id),
                    name_of(p.frontend_id),
                    catalog[p.project].name if p.project in catalog else p.project,
                    p.origin,
                    max(0, (now - p.created_at).days),
                    health,
                    status.kind,
                    checkin_text(status, name_of),
                    name_of(status.inactive_id) if status.inactive_id is not None else None,
                )
            )
        return Dashboard(
            progress,
            not_announced,
            sorted(unmatched, key=lambda x: x[0].casefold()),
            last.number if last else None,
            pair_views,
            await self.pair_health.counts(guild_id),
            await self.sessions.upcoming(guild_id),
            await self.reads.pending_topics(guild_id),
        )

    def today(self) -> date:
        return self.clock.now().date()
