"""What every matching workflow shares: the stores, who is who (`Someone`), the pools, and the stored links the
one pairing rule (rules.py) reads. Discord-free; names and membership come through a `MemberDirectory`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.services import pairing, request_limits
from bot.services.catalog import CatalogService
from bot.services.directory import MemberDirectory
from bot.services.matching.pool_index import pool_index_steps
from bot.services.matching.pools import LoopTurns, PoolCache, run_in_slices
from bot.services.matching.reasons import PairCode, Refused, refusal
from bot.services.matching.rules import Link, Links, Purpose, pair_problem
from bot.services.matching.scoring import SUGGEST_VECTOR_MIN, Learner
from bot.services.text import user_text
from bot.services.tracks import TRACK_NAMES
from db.database import Database
from db.stores.announcements import Announcement, AnnouncementStore, ListFilter
from db.stores.catalog import CatalogProject
from db.stores.matching import MatchingStore, MatchProfile, NewProfile

# Seconds a suggestion pool is reused. Blocks and your own pairs are re-read on every call; a candidate who
# filled up meanwhile is refused clearly when asked, and matching writes clear the pools at once.
POOL_TTL = 15.0
ANNOUNCEMENTS_MAX = 10_000
BUILT_KEPT = 50_000  # learners whose last built Someone is kept for the next pool build

# Refusals about the two projects or tracks are input mistakes; the rest are conflicts with what is stored.
_INPUT_CODES = {PairCode.SAME_TRACK, PairCode.OTHER_PROJECT}


def esc(text: str) -> str:
    """Member-typed text as shown in content and embeds: markdown and mentions inert."""
    return user_text(text)


@dataclass(frozen=True, slots=True)
class Someone:
    """A learner as matching sees them: announcement, profile (if opted in) and their Learner."""

    user_id: int
    name: str
    announcement: Announcement
    project: CatalogProject | None
    profile: MatchProfile | None
    learner: Learner

    @property
    def is_custom(self) -> bool:
        return bool(self.project and self.project.is_custom)

    @property
    def project_label(self) -> str:
        return pairing.project_label(self.announcement, self.project.name if self.project else None, self.is_custom)

    @property
    def track(self) -> str:
        return TRACK_NAMES.get(self.announcement.track, self.announcement.track)

    def context(self) -> pairing.PairContext:
        return pairing.PairContext(self.learner, self.project_label, self.announcement.title, f"<@{self.user_id}>")


def name_in(directory: MemberDirectory, user_id: int, fallback: str = "") -> str:
    """The member's display name; else the stored name; else a mention (rendered, never pings)."""
    return directory.display_name(user_id) or fallback or f"<@{user_id}>"


class MatchingCore:
    def __init__(self, db: Database, clock: Clock, catalog: CatalogService) -> None:
        self.clock = clock
        self.store = MatchingStore(db)
        self.announcements = AnnouncementStore(db)
        self.catalog = catalog
        # (guild, project, track) → candidates, built once at a time (pools.py)
        self._pools: PoolCache[list[Someone]] = PoolCache(POOL_TTL)
        # (guild, user) → the Someone a pool built last, with the week it was built for (see `_someone_in_pool`)
        self._built: dict[tuple[int, int], tuple[date, Someone]] = {}

    # --- who is who ------------------------------------------------------------------------------

    async def someone(
        self,
        directory: MemberDirectory,
        cohort_start: date,
        user_id: int,
        now: datetime,
        catalog: dict[str, CatalogProject] | None = None,
        *,
        me: bool,
    ) -> Someone:
        """The learner's announcement and profile; without an announcement, a clear error."""
        announcement = await self.announcements.active_for(directory.guild_id, cohort_start, user_id)
        name = name_in(directory, user_id, announcement.display_name if announcement else "")
        if announcement is None:
            if me:
                raise NotFound(
                    "Matching uses your project and track from your announcement, and you haven't announced yet: "
                    "run `/project announce` first, then try again."
                )
            raise NotFound(
                f"{esc(name)} hasn't announced a project yet, so I can't tell what they build; "
                "ask them to run `/project announce`."
            )
        catalog = catalog if catalog is not None else await self.catalog.by_key()
        project = catalog.get(announcement.project_key)
        profile = await self.store.get_profile(directory.guild_id, user_id)
        basis: MatchProfile | NewProfile = profile or pairing.default_profile(
            directory.guild_id, user_id, announcement, now
        )
        learner = pairing.build_learner(
            basis, announcement, bool(project and project.is_custom), now, name, project.name if project else ""
        )
        return Someone(user_id, name, announcement, project, profile, learner)

    async def pool(
        self,
        directory: MemberDirectory,
        cohort_start: date,
        now: datetime,
        project_key: str | None = None,
        track: str | None = None,
        *,
        include_paused: bool = False,
    ) -> tuple[list[Someone], list[Announcement]]:
        """Opted-in learners looking for a partner (with an announcement, still in the server), plus every
        active announcement of the cohort (for counts)."""
        announcements = await self.announcements.page(
            directory.guild_id,
            cohort_start,
            ListFilter(project_key=project_key, track=track),
            limit=ANNOUNCEMENTS_MAX,
            offset=0,
            reuse=True,
        )
        by_user = {a.user_id: a for a in announcements if a.left_guild_at is None}
        catalog = await self.catalog.by_key()
        out: list[Someone] = []
        # Learners built cold after a start: a hundred at a time held the loop up to 10 ms under the load
        # (NEXUS_LOOP_SLOW_MS), so they are built in slices.
        turns = LoopTurns()
        for profile in await self.store.profiles(directory.guild_id, by_user):
            await turns.take_if_due()
            announcement = by_user[profile.user_id]
            if not (include_paused or profile.is_looking(now)) or not directory.is_member(profile.user_id):
                continue
            name = name_in(directory, profile.user_id, announcement.display_name)
            out.append(self._someone_in_pool(directory.guild_id, profile, announcement, catalog, name, now))
        return out, announcements

    def _someone_in_pool(
        self,
        guild_id: int,
        profile: MatchProfile,
        announcement: Announcement,
        catalog: dict[str, CatalogProject],
        name: str,
        now: datetime,
    ) -> Someone:
        """The learner as the pool built them last time when nothing they are built from changed (the stores give
        back the same row objects for unchanged rows): a pool rebuilt every few seconds builds only what changed,
        and leaves no thousand fresh copies for the garbage collector."""
        week = pairing.week_of(now)  # availability is re-read in each week's UTC offsets
        project = catalog.get(announcement.project_key)
        key = (guild_id, profile.user_id)
        built = self._built.get(key)
        if built is not None:
            built_week, someone = built
            if (
                built_week == week
                and someone.profile is profile
                and someone.announcement is announcement
                and someone.name == name
                and someone.project == project
            ):
                return someone
        label = project.name if project else ""
        is_custom = bool(project and project.is_custom)
        learner = pairing.build_learner(profile, announcement, is_custom, now, name, label)
        someone = Someone(profile.user_id, name, announcement, project, profile, learner)
        if len(self._built) >= BUILT_KEPT:
            self._built.clear()
        self._built[key] = (week, someone)
        return someone

    async def candidates(
        self, directory: MemberDirectory, cohort_start: date, now: datetime, project_key: str, track: str
    ) -> list[Someone]:
        """The pool for suggestions: one project and track, cached briefly (see `POOL_TTL`)."""
        found = await self._pools.get(
            (directory.guild_id, project_key, track),
            lambda: self._looking_pool(directory, cohort_start, now, project_key, track),
        )
        # Pauses end with the clock, not with the cache: decide who is looking now.
        looking = [s for s in found if s.profile is not None and s.profile.is_looking(now)]
        if len(looking) > SUGGEST_VECTOR_MIN:
            # A big pool is scored against its encoding (pool_index.py): built here, in slices, not in one go.
            await run_in_slices(pool_index_steps([s.learner for s in looking]))
        return looking

    async def _looking_pool(
        self, directory: MemberDirectory, cohort_start: date, now: datetime, project_key: str, track: str
    ) -> list[Someone]:
        found, _ = await self.pool(directory, cohort_start, now, project_key, track, include_paused=True)
        return found

    async def announced(self, guild_id: int, cohort_start: date) -> list[Announcement]:
        """Every active announcement of the cohort (for /match stats)."""
        return await self.announcements.page(guild_id, cohort_start, ListFilter(), limit=ANNOUNCEMENTS_MAX, offset=0)

    def forget_pools(self) -> None:
        self._pools.clear()

    # --- may A pair with B? (the rule is rules.pair_problem; here is what it reads) -----------------

    async def links(self, guild_id: int, now: datetime, user_id: int | None = None) -> Links:
        """What is stored between learners of the guild (or only `user_id`'s): blocks, recent declines, pairs."""
        since = now - request_limits.REASK_COOLDOWN
        blocks = await self.store.blocks(guild_id, user_id)
        declined = await self.store.declined_pairs(guild_id, since, user_id)
        pairs = (
            await self.store.active_pairs(guild_id)
            if user_id is None
            else await self.store.active_pairs_of(guild_id, user_id)
        )
        return Links(
            {frozenset((b.user_a, b.user_b)): b for b in blocks},
            frozenset(declined),
            frozenset(frozenset(p.members) for p in pairs),
        )

    async def excluded_pairs(
        self, guild_id: int, now: datetime, user_id: int | None = None, purpose: Purpose = Purpose.ROUND
    ) -> set[frozenset[int]]:
        """Pairs a suggestion or a round must not propose: those the rule's stored part refuses."""
        return (await self.links(guild_id, now, user_id)).excluded(purpose)

    async def link_between(self, guild_id: int, me: int, them: int, now: datetime) -> Link:
        base = (await self.links(guild_id, now, me)).link(me, them)
        pending = await self.store.pending_between(guild_id, them, me) is not None
        return Link(base.block, base.declined_recently, base.partners, pending)

    async def check_pair(self, guild_id: int, me: Someone, them: Someone, now: datetime, purpose: Purpose) -> None:
        """The one decision whether `me` may pair with `them` (rules.pair_problem); raises the user's reason."""
        link = await self.link_between(guild_id, me.user_id, them.user_id, now)
        code = pair_problem(me.learner, me.profile, them.learner, them.profile, link, now, purpose)
        if code is None:
            return
        full = me if code is PairCode.ME_FULL else them
        accepting = purpose is Purpose.ACCEPT
        refused = Refused(
            code,
            name=esc(full.name) if accepting and code in (PairCode.ME_FULL, PairCode.THEM_FULL) else esc(them.name),
            track="Backend" if me.announcement.track == "backend" else "Frontend",
            title=user_text(them.announcement.title),
            paused_until=int(them.profile.paused_until.timestamp())
            if them.profile is not None and them.profile.paused_until is not None
            else 0,
            capacity=full.profile.max_partners if full.profile is not None else 1,
        )
        raise (InvalidInput if code in _INPUT_CODES else Conflict)(refusal(refused, accepting=accepting))
