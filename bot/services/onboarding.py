"""Onboarding: role-picker decisions, the track switch it may start, and first-week welcomes (discord-free).

The cog gathers a role's facts from Discord (bot.app.checks.role_facts) and asks `role_refusal`; it applies
the roles and renders. Staff hear about one role problem once, until a press finds that role fine again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.clock import Clock
from bot.errors import NotConfigured
from bot.services import roles, track_switch
from bot.services.cohort import NOT_SET_UP, CohortService
from bot.services.track_switch import LeftBehind
from db.database import Database
from db.stores.announcements import Announcement, AnnouncementStore
from db.stores.guild_settings import GuildSettings
from db.stores.matching import MatchingStore

__all__ = ["Announcement", "LeftBehind", "OnboardingService", "Refusal", "Welcome", "in_first_week"]


def in_first_week(settings: GuildSettings, now: datetime) -> bool:
    if settings.cohort_start is None:
        return False
    today = now.date()
    return settings.cohort_start <= today < settings.cohort_start + timedelta(days=settings.first_week_days)


class Refusal(NamedTuple):
    """Why the role picker must not hand a role out: the (code, words staff can act on) of `handout_problem`, and
    whether to tell staff (once per problem)."""

    code: str
    explanation: str
    tell_staff: bool


@dataclass(frozen=True)
class Welcome:
    """A first-week welcome to post in `channel_id`; `picker_link` is the role picker's post, if any."""

    channel_id: int
    picker_link: str | None


class OnboardingService:
    def __init__(self, db: Database, clock: Clock, cohort: CohortService) -> None:
        self.clock = clock
        self.cohort = cohort
        self.announcements = AnnouncementStore(db)
        self.matching = MatchingStore(db)
        # (guild, role, reason) staff were already told about; a press that finds the role fine again forgets it.
        self._told: set[tuple[int, int, str]] = set()

    @staticmethod
    def handout_problem(
        facts: roles.RoleFacts, *, can_manage_roles: bool, bot_role_name: str
    ) -> tuple[str, str] | None:
        """Why the role picker must not hand out a role: (reason code, words staff can act on); None when it may.

        The rule itself is bot.services.roles.handout_problem, shared with /nexus setup.
        """
        if not can_manage_roles:
            return "manage_roles", "I lack the Manage Roles permission: grant it to my role in Server Settings → Roles"
        problem = roles.handout_problem(facts)
        if problem is None:
            return None
        return problem.value, roles.explain(problem, facts, bot_role_name)

    def role_refusal(
        self, guild_id: int, role_id: int, facts: roles.RoleFacts, *, can_manage_roles: bool, bot_role_name: str
    ) -> Refusal | None:
        """Whether a press may get this role now (checked on every press: roles change after setup); staff are
        told about one problem once, until a press finds that role fine again."""
        found = self.handout_problem(facts, can_manage_roles=can_manage_roles, bot_role_name=bot_role_name)
        if found is None:
            self._told = {k for k in self._told if k[:2] != (guild_id, role_id)}
            return None
        key = (guild_id, role_id, found[0])
        first = key not in self._told
        self._told.add(key)
        return Refusal(*found, tell_staff=first)

    async def left_behind(self, guild_id: int, user_id: int, track: str) -> LeftBehind | None:
        """What stays on the old track after a learner picked `track` (None when nothing, or not set up)."""
        settings = await self.cohort.settings(guild_id)
        if settings is None or settings.cohort_start is None:
            return None
        return await track_switch.left_behind(
            self.announcements, self.matching, guild_id, settings.cohort_start, user_id, track
        )

    async def move_track(self, guild_id: int, user_id: int, track: str) -> Announcement:
        """Move the learner's announcement (and so their matching) to `track`; refused while paired. Pending
        requests the new track makes impossible close (their requesters are told)."""
        settings = await self.cohort.settings(guild_id)
        if settings is None or settings.cohort_start is None:
            raise NotConfigured(NOT_SET_UP)
        now = self.clock.now()
        moved = await track_switch.move_announcement(
            self.announcements, guild_id, settings.cohort_start, user_id, track, now
        )
        await track_switch.close_impossible_requests(self.announcements, self.matching, moved, now)
        return moved

    async def welcome(self, guild_id: int) -> Welcome | None:
        """The welcome a member who joins now gets, or None (welcomes off, not set up, first week over)."""
        settings = await self.cohort.settings(guild_id)
        if settings is None or not settings.welcome_enabled or settings.channel_id is None:
            return None
        if not in_first_week(settings, self.clock.now()):
            return None
        picker = (
            f"https://discord.com/channels/{guild_id}/{settings.rolepicker_channel_id}/{settings.rolepicker_message_id}"
            if settings.rolepicker_channel_id and settings.rolepicker_message_id
            else None
        )
        return Welcome(settings.channel_id, picker)

    async def rolepicker_posted(self, guild_id: int, channel_id: int, message_id: int) -> None:
        await self.cohort.update(
            guild_id, self.clock.now(), rolepicker_channel_id=channel_id, rolepicker_message_id=message_id
        )
