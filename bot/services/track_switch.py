"""A learner switching track on the role picker: what is still on the old track, and moving it.

The announcement carries the learner's track; partner matching reads it from there (the match profile
has no track of its own), so moving the announcement moves both. A pair is one Backend and one Frontend
learner, so a paired learner's announcement is not moved: they end the pairing first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.errors import Conflict, InvalidInput, NotFound
from bot.services.tracks import TRACK_NAMES
from db.stores.announcements import Announcement, AnnouncementStore
from db.stores.matching import MatchingStore

# The matching feature's job that closes a pending request's message and tells its requester why.
REQUEST_MOOT_JOB = "match_request_moot"
TRACK_CHANGED = "track_changed"


@dataclass(frozen=True)
class LeftBehind:
    """What a learner who now holds `track`'s role still has on the other track."""

    announcement: Announcement
    has_profile: bool  # an opted-in /match profile, which follows the announcement's track
    partner_ids: tuple[int, ...]  # active pairs: while any exist the announcement is not moved

    @property
    def old_track(self) -> str:
        return self.announcement.track

    @property
    def movable(self) -> bool:
        return not self.partner_ids


def _track(track: str) -> str:
    if track not in TRACK_NAMES:
        raise InvalidInput("The track must be backend or frontend.")
    return track


async def left_behind(
    announcements: AnnouncementStore,
    matching: MatchingStore,
    guild_id: int,
    cohort_start: date,
    user_id: int,
    track: str,
) -> LeftBehind | None:
    """None when the learner's announcement (if any) is already on `track`."""
    track = _track(track)
    announcement = await announcements.active_for(guild_id, cohort_start, user_id)
    if announcement is None or announcement.track == track:
        return None
    profile = await matching.get_profile(guild_id, user_id)
    pairs = await matching.active_pairs_of(guild_id, user_id)
    return LeftBehind(
        announcement=announcement,
        has_profile=profile is not None and profile.status != "left",
        partner_ids=tuple(p.partner_of(user_id) for p in pairs),
    )


async def move_announcement(
    announcements: AnnouncementStore,
    guild_id: int,
    cohort_start: date,
    user_id: int,
    track: str,
    now: datetime,
) -> Announcement:
    """Put the learner's active announcement (and so their matching) on `track`; refuse while paired."""
    track = _track(track)
    announcement = await announcements.active_for(guild_id, cohort_start, user_id)
    if announcement is None:
        raise NotFound("You have no active announcement this cohort, so there's nothing to move: `/project announce`.")
    if announcement.track == track:
        raise Conflict(f"Your announcement is already on {TRACK_NAMES[track]}; nothing to change.")
    moved = await announcements.move_track_unless_paired(announcement.id, track, now)
    if moved is None:
        if await announcements.active_for(guild_id, cohort_start, user_id) is None:
            raise NotFound("Your announcement was withdrawn meanwhile, so there's nothing to move.")
        raise Conflict(
            f"You have a partner, and a pair is one Backend and one Frontend learner, so your announcement stays on "
            f"{TRACK_NAMES[announcement.track]}. End the pairing first with `/match unpair`, then press "
            f"I'm {TRACK_NAMES[track]} again to move it."
        )
    return moved


async def close_impossible_requests(
    announcements: AnnouncementStore, matching: MatchingStore, moved: Announcement, now: datetime
) -> list[int]:
    """After a learner's announcement `moved` to its track: their pending requests with a learner on that same
    track can never become a pair (one Backend, one Frontend), so they close, each requester told why by a job."""
    guild_id, cohort_start, user_id, track = moved.guild_id, moved.cohort_start, moved.user_id, moved.track
    doomed = []
    for request in await matching.pending_for(guild_id, user_id):
        other = request.addressee_id if request.requester_id == user_id else request.requester_id
        theirs = await announcements.active_for(guild_id, cohort_start, other)
        if theirs is not None and theirs.track == track:
            doomed.append(request.id)
    payload = {"mover_id": user_id, "track": track}
    return await matching.close_requests(doomed, TRACK_CHANGED, REQUEST_MOOT_JOB, payload, now)
