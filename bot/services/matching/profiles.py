"""/match join, leave and pause: a learner's matching profile. Every option is parsed and checked here; the cog
passes what was typed and renders the outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput, NotFound
from bot.services import pairing
from bot.services.availability import SYNTAX_HELP, parse_availability, to_json, validate_timezone
from bot.services.directory import MemberDirectory
from bot.services.matching.core import MatchingCore, Someone
from bot.services.skills import parse_skills
from bot.services.zones import resolve_timezone
from db.stores.matching import MatchProfile, MatchRequest, NewProfile

T = TypeVar("T")


@dataclass(frozen=True)
class Left:
    """/match leave: the requests it withdrew (their messages to close) and the pairs that stay."""

    cancelled: list[MatchRequest]
    pairs_kept: int


@dataclass(frozen=True)
class Joined:
    """/match join saved: the profile, the learner, and what the reply should add."""

    profile: MatchProfile
    me: Someone
    defaulted: bool  # no availability given and the default is what is stored
    zone_note: str  # how a typed zone was read ("UTC+1 → Africa/Lagos"), or ""
    capacity_changed: bool  # max_partners was given (posts follow the learner's free slots)


def collect(problems: list[str], check: Callable[[], T]) -> T | None:
    """Run one input check; its InvalidInput text joins `problems` so every mistake is told at once."""
    try:
        return check()
    except InvalidInput as error:
        problems.append(str(error))
        return None


class ProfilesFlow(MatchingCore):
    async def join(
        self,
        directory: MemberDirectory,
        cohort_start: date,
        user_id: int,
        *,
        timezone: str | None = None,
        availability: str | None = None,
        offers: str | None = None,
        wants: str | None = None,
        max_partners: int | None = None,
    ) -> Joined:
        """/match join with the options as typed: every mistake at once (InvalidInput), else opted in (again)
        with the given fields changed; suggestion pools follow at once."""
        now = self.clock.now()
        # Pure validation first, every option at once: mistakes are answered before anything is stored.
        problems: list[str] = []
        zone_choice = collect(problems, lambda: resolve_timezone(timezone, now)) if timezone else None
        offered = collect(problems, lambda: parse_skills(offers)) if offers is not None else None
        wanted = collect(problems, lambda: parse_skills(wants)) if wants is not None else None
        if availability:
            syntax_zone = zone_choice.zone if zone_choice else ZoneInfo("UTC")
            collect(problems, lambda: parse_availability(availability, syntax_zone, pairing.week_of(now)))
        if max_partners is not None and not 1 <= max_partners <= 5:
            problems.append(f"`max_partners` must be between 1 and 5; got {max_partners}.")
        if problems:
            raise InvalidInput("\n".join(problems))
        me = await self.someone(directory, cohort_start, user_id, now, me=True)
        base = me.profile or pairing.default_profile(directory.guild_id, me.user_id, me.announcement, now)
        zone = zone_choice.key if zone_choice else base.timezone
        text = " ".join(availability.split()) if availability else base.availability_text
        windows = parse_availability(text, validate_timezone(zone), pairing.week_of(now))
        if not windows:
            raise InvalidInput(f"Those windows add up to no time at all. {SYNTAX_HELP}")
        changes: dict[str, Any] = {"timezone": zone, "availability_text": text, "availability": to_json(windows)}
        if offered is not None:
            changes["offers"] = tuple(sorted(offered))
        if wanted is not None:
            changes["wants"] = tuple(sorted(wanted))
        if max_partners is not None:
            changes["max_partners"] = max_partners
        new = NewProfile(
            directory.guild_id,
            me.user_id,
            zone,
            text,
            to_json(windows),
            tuple(sorted(offered or ())),
            tuple(sorted(wanted or ())),
            max_partners or 1,
        )
        self.forget_pools()
        profile = await self.store.join(new, now, **changes)
        defaulted = not availability and profile.availability_text == pairing.DEFAULT_AVAILABILITY
        note = zone_choice.note if zone_choice is not None and zone_choice.note else ""
        return Joined(profile, me, defaulted, note, max_partners is not None)

    async def leave(self, guild_id: int, user_id: int) -> Left:
        """Opt out: not suggested nor matched; pending requests either way are withdrawn, pairs stay."""
        self.forget_pools()
        cancelled = await self.store.leave(guild_id, user_id, self.clock.now())
        kept = len(await self.store.active_pairs_of(guild_id, user_id))
        return Left(cancelled, kept)

    async def pause(self, guild_id: int, user_id: int, until: str) -> datetime:
        """Pause until a day (`YYYY-MM-DD`, in the learner's zone); returns when it ends (UTC)."""
        now = self.clock.now()
        profile = await self.store.get_profile(guild_id, user_id)
        if profile is None or profile.status == "left":
            raise NotFound("You are not opted in to partner matching; `/match join` opts you in.")
        resume = pairing.parse_pause_until(until.split(" ")[0], profile.timezone, now)
        self.forget_pools()
        await self.store.pause(guild_id, user_id, resume, now)
        return resume

    async def profile(self, guild_id: int, user_id: int) -> MatchProfile | None:
        return await self.store.get_profile(guild_id, user_id)

    async def profiles(self, guild_id: int) -> list[MatchProfile]:
        return await self.store.profiles(guild_id)
