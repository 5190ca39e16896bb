"""Glue between stored profiles/announcements and the matching core, plus the words a pair reads.

Builds `Learner`s (availability re-read for the current week, so DST is always right), checks the hard
rules of an explicit request, and writes the pair thread intro, the round summary and the advice for
learners left unmatched. Nothing here imports discord.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import Conflict, InvalidInput
from bot.services.availability import (
    WeeklyWindows,
    format_windows,
    from_json,
    intersect,
    parse_availability,
    to_json,
    validate_timezone,
)
from bot.services.matching import (
    PROJECTS,
    Learner,
    MatchResult,
    ScoreBreakdown,
    Unmatched,
    UnmatchedCode,
    advice,
    reason_text,
    rules,
)
from bot.services.matching.reasons import Refused, refusal
from bot.services.projects import Csv, write_csv
from bot.services.text import user_text
from db.stores.announcements import Announcement
from db.stores.matching import MatchProfile, MatchRound, NewProfile, Pair

REQUEST_TTL = timedelta(hours=72)
# Assumed for learners who never said when they are free: typical evening and weekend study time.
DEFAULT_AVAILABILITY = "weekdays 18-22, weekends 10-18"
MAX_PAUSE_DAYS = 90

FIRST_STEPS: tuple[str, ...] = (
    "Agree on the endpoints: list the resources, URLs and JSON shapes the frontend needs (an OpenAPI sketch "
    "or a shared doc is enough to start).",
    "Share your repo links here and add each other as collaborators.",
    "Book a first session in your shared free time (`/session create` can schedule it) to walk through both plans.",
)

# Catalog keys that the matching core knows under another name (only used for its labels).
_CORE_KEYS = {"social-feed": "social-media-feed", "online-poll": "online-poll-system"}

# Announcement stack words that reveal an API style preference, for the "both prefer REST" component.
_STACK_WORDS: dict[str, str] = {
    "rest": "rest",
    "restful": "rest",
    "rest api": "rest",
    "drf": "rest",
    "django rest framework": "rest",
    "fastapi": "rest",
    "express": "rest",
    "openapi": "rest",
    "swagger": "rest",
    "axios": "rest",
    "graphql": "graphql",
    "graphene": "graphql",
    "strawberry": "graphql",
    "apollo": "graphql",
    "apollo client": "graphql",
    "relay": "graphql",
    "urql": "graphql",
    "hasura": "graphql",
    "grpc": "grpc",
    "websocket": "websocket",
    "websockets": "websocket",
    "channels": "websocket",
    "django channels": "websocket",
    "socket.io": "websocket",
}


def stack_preferences(stack: Iterable[str]) -> frozenset[str]:
    """API styles named in an announcement's stack list (`["Django", "DRF"]` → {"rest"})."""
    found: set[str] = set()
    for item in stack:
        word = " ".join(item.lower().replace("-", " ").split())
        if word in _STACK_WORDS:
            found.add(_STACK_WORDS[word])
    return frozenset(found)


# Learners kept by the thousand in the suggestion pools share their (few distinct) tag and stack sets.
@functools.lru_cache(maxsize=4096)
def _tag_set(tags: tuple[str, ...]) -> frozenset[str]:
    return frozenset(tags)


@functools.lru_cache(maxsize=4096)
def _stack_set(stack: tuple[str, ...]) -> frozenset[str]:
    return stack_preferences(stack)


def week_of(now: datetime) -> date:
    return now.astimezone(UTC).date()


@functools.lru_cache(maxsize=32_768)
def _windows_in_week(text: str, timezone: str, week: date) -> WeeklyWindows:
    # Parsing is pure and the result frozen: every suggestion and round reuses it for the whole day.
    return parse_availability(text, validate_timezone(timezone), week)


def windows_for(timezone: str, text: str, stored_json: str, now: datetime) -> WeeklyWindows:
    """The learner's windows this week: re-parsed from their local text so DST changes are followed."""
    try:
        return _windows_in_week(text or DEFAULT_AVAILABILITY, timezone, week_of(now))
    except InvalidInput:
        # A zone or text valid when saved but no longer parseable (tzdata change): keep what was stored.
        try:
            return from_json(stored_json)
        except ValueError:
            return WeeklyWindows()


def default_profile(guild_id: int, user_id: int, announcement: Announcement | None, now: datetime) -> NewProfile:
    """A profile for a learner who never ran /match join: zone from the announcement, default availability."""
    zone = "UTC"
    if announcement is not None and announcement.timezone:
        try:
            zone = validate_timezone(announcement.timezone).key
        except InvalidInput:
            zone = "UTC"
    windows = parse_availability(DEFAULT_AVAILABILITY, ZoneInfo(zone), week_of(now))
    return NewProfile(guild_id, user_id, zone, DEFAULT_AVAILABILITY, to_json(windows))


def core_project(announcement: Announcement, is_custom: bool) -> tuple[str, str | None]:
    """(project, custom title) as the matching core buckets them: custom projects match on their title."""
    if is_custom:
        return "other", announcement.title
    return _CORE_KEYS.get(announcement.project_key, announcement.project_key), None


def build_learner(
    profile: MatchProfile | NewProfile,
    announcement: Announcement,
    is_custom: bool,
    now: datetime,
    display_name: str = "",
    project_name: str = "",
) -> Learner:
    project, title = core_project(announcement, is_custom)
    capacity = profile.max_partners
    return Learner(
        user_id=profile.user_id,
        track="backend" if announcement.track == "backend" else "frontend",
        project=project,
        custom_title=title,
        tz_name=profile.timezone,
        windows=windows_for(
            profile.timezone,
            profile.availability_text,
            profile.availability_json,
            now,
        ),
        offers=_tag_set(tuple(profile.offers)),
        wants=_tag_set(tuple(profile.wants)),
        stack=_stack_set(tuple(announcement.stack)),
        capacity=capacity,
        display_name=display_name or announcement.display_name,
        project_name=project_name,
    )


def project_label(announcement: Announcement, catalog_name: str | None, is_custom: bool) -> str:
    """What a pair's project reads as: the catalog name, or the learner's own title for custom projects."""
    if is_custom:
        return announcement.title
    return catalog_name or PROJECTS.get(announcement.project_key, announcement.project_key)


def request_problem(
    me: Announcement,
    other: Announcement,
    me_custom: bool,
    other_custom: bool,
    other_name: str,
) -> str | None:
    """Why an explicit request between two announcements breaks the tracks-and-project part of the one pairing
    rule (`matching.rules`), in words, or None if it is allowed. Requests may join two custom ("Other") projects
    with different titles (that is the explicit case); catalog projects must be the same, and tracks must differ.
    """

    def key(a: Announcement, custom: bool) -> tuple[str, str]:
        project, title = core_project(a, custom)
        return (project, " ".join((title or "").split()).casefold())

    code = rules.tracks_and_project(
        me.track, key(me, me_custom), other.track, key(other, other_custom), rules.Purpose.REQUEST
    )
    if code is None:
        return None
    track = "Backend" if me.track == "backend" else "Frontend"
    return refusal(Refused(code, name=other_name, track=track, title=user_text(other.title)))


# --- words shown to learners ----------------------------------------------------------------------


def local_time(tz_name: str, now: datetime) -> str:
    """`Mon 10:05 (Africa/Lagos, UTC+01:00)`: the wall clock a learner sees right now."""
    zone = ZoneInfo(tz_name)
    local = now.astimezone(zone)
    offset = local.utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"{local:%a %H:%M} ({tz_name}, UTC{sign}{hh:02d}:{mm:02d})"


def overlap_lines(a: Learner, b: Learner, now: datetime) -> tuple[str, str]:
    """The two learners' shared weekly free time, written in each one's own time zone."""
    shared = intersect(a.windows, b.windows)
    week = week_of(now)
    return (
        format_windows(shared, ZoneInfo(a.tz_name), week),
        format_windows(shared, ZoneInfo(b.tz_name), week),
    )


def hours_text(minutes: int) -> str:
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes / 60:.1f} h"


def reasons_text(breakdown: ScoreBreakdown) -> str:
    return " · ".join(breakdown.reasons)


@dataclass(frozen=True)
class PairContext:
    """Everything the pair intro shows about one of the two learners."""

    learner: Learner
    project_label: str
    title: str
    mention: str


def intro_lines(a: PairContext, b: PairContext, breakdown: ScoreBreakdown, now: datetime) -> list[tuple[str, str]]:
    """(heading, text) sections of the pair thread's intro."""
    overlap_a, overlap_b = overlap_lines(a.learner, b.learner, now)
    sections = [
        (
            "Projects",
            f"{a.mention} ({_track(a.learner)}): **{user_text(a.title)}** — {user_text(a.project_label)}\n"
            f"{b.mention} ({_track(b.learner)}): **{user_text(b.title)}** — {user_text(b.project_label)}",
        ),
        (
            "Local times now",
            f"{a.mention}: {local_time(a.learner.tz_name, now)}\n{b.mention}: {local_time(b.learner.tz_name, now)}",
        ),
        (
            f"Shared free time ({hours_text(breakdown.overlap_minutes)}/week)",
            f"{a.mention}'s time: {overlap_a}\n{b.mention}'s time: {overlap_b}",
        ),
        (f"Why you were matched ({breakdown.score}/100)", user_text(reasons_text(breakdown))),
        ("Three first steps", "\n".join(f"{i}. {step}" for i, step in enumerate(FIRST_STEPS, 1))),
    ]
    return sections


def _track(learner: Learner) -> str:
    return "Backend" if learner.track == "backend" else "Frontend"


def unmatched_advice(code: UnmatchedCode | None) -> str:
    """What a learner left unmatched can do next, given the core's reason code."""
    return advice(code)


def parse_pause_until(value: str, tz_name: str, now: datetime) -> datetime:
    """`2026-12-14` → the start of that day in the learner's zone, as UTC; must be in the next 90 days."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"`until` must be a date like 2026-12-14 (YYYY-MM-DD); got `{value[:30]}`.") from None
    zone = ZoneInfo(tz_name)
    until = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    if until <= now:
        raise InvalidInput("`until` must be a day in the future; `/match leave` stops matching for good.")
    if until - now > timedelta(days=MAX_PAUSE_DAYS):
        raise InvalidInput(f"Pause for at most {MAX_PAUSE_DAYS} days; use `/match leave` to stop for longer.")
    return until


def pause_choices(tz_name: str, now: datetime) -> list[tuple[str, str]]:
    """(label, value) pairs for the pause date autocomplete: a few useful days ahead."""
    today = now.astimezone(ZoneInfo(tz_name)).date()
    out: list[tuple[str, str]] = []
    for days, label in ((1, "tomorrow"), (3, "in 3 days"), (7, "in a week"), (14, "in two weeks")):
        day = today + timedelta(days=days)
        out.append((f"{day.isoformat()} ({label}, {day:%a})", day.isoformat()))
    next_monday = today + timedelta(days=7 - today.weekday())
    out.append((f"{next_monday.isoformat()} (next Monday)", next_monday.isoformat()))
    return sorted(set(out), key=lambda c: c[1])


# --- rounds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundSummary:
    pairs_per_project: dict[str, int]
    average_score: float
    unmatched: dict[int, str]
    total_pairs: int
    pool: int
    unmatched_codes: dict[int, str] = field(default_factory=dict)  # user_id → UnmatchedCode value

    def to_json(self) -> dict[str, object]:
        return {
            "pairs_per_project": self.pairs_per_project,
            "average_score": round(self.average_score, 1),
            "unmatched": {str(k): v for k, v in self.unmatched.items()},
            "unmatched_codes": {str(k): v for k, v in self.unmatched_codes.items()},
            "total_pairs": self.total_pairs,
            "pool": self.pool,
        }


def round_summary(
    result: MatchResult,
    project_of: Mapping[int, str],
    pool: int,
    extra_unmatched: Mapping[int, Unmatched] | None = None,
    failed_pairs: Sequence[tuple[int, int, int]] = (),
) -> RoundSummary:
    """Counts per project label, average score and everyone left over with the reason in words."""
    failed = set(failed_pairs)
    made = [p for p in result.pairs if p not in failed]
    per: dict[str, int] = defaultdict(int)
    for backend_id, _, _ in made:
        per[project_of.get(backend_id, "?")] += 1
    reasons = dict(result.reasons)
    reasons.update(extra_unmatched or {})
    paired = {uid for b, f, _ in made for uid in (b, f)}
    for uid in paired:
        reasons.pop(uid, None)
    average = sum(s for _, _, s in made) / len(made) if made else 0.0
    unmatched = {uid: reason_text(r) for uid, r in reasons.items()}
    codes = {uid: r.code.value for uid, r in reasons.items()}
    return RoundSummary(dict(sorted(per.items())), average, unmatched, len(made), pool, codes)


def median_hours(minutes: Sequence[int]) -> float | None:
    import statistics  # here, not at start: it brings decimal and fractions (≈ 0.45 MB) for one median

    return statistics.median(minutes) / 60 if minutes else None


def ensure_capacity(profile: MatchProfile | None, who: str) -> None:
    """Refuse early (before any message is sent) when a learner has no free partner slot."""
    if profile is not None and profile.active_pairs >= profile.max_partners:
        raise Conflict(
            f"{who} already {'have' if who == 'You' else 'has'} as many partners as "
            f"{'you' if who == 'You' else 'they'} asked for ({profile.max_partners})."
            + (" Raise it with `/match join max_partners:<n>` to look for another." if who == "You" else "")
        )


# --- exports (/nexus export what:pairs, what:unmatched) ---------------------------------------------


def _when(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def pairs_csv(rows: Iterable[tuple[Pair, int | None]], names: Mapping[int, str], stamp: datetime) -> Csv:
    """Every pair (active and ended), with the round that made it; cells are spreadsheet-safe."""
    text, n = write_csv(
        (
            "pair_id",
            "backend_id",
            "backend_name",
            "frontend_id",
            "frontend_name",
            "project",
            "score",
            "origin",
            "round",
            "status",
            "created_at",
            "ended_at",
            "end_reason",
            "thread_id",
            "kind",
        ),
        (
            (
                p.id,
                p.backend_id,
                names.get(p.backend_id, ""),
                p.frontend_id,
                names.get(p.frontend_id, ""),
                p.project,
                "" if p.score is None else p.score,
                p.origin,
                "" if number is None else number,
                p.status,
                _when(p.created_at),
                _when(p.ended_at),
                p.end_reason or "",
                p.thread_id or "",
                p.kind,
            )
            for p, number in rows
        ),
    )
    return Csv(f"pairs-{stamp:%Y%m%d-%H%M}.csv", text, n)


def unmatched_csv(
    round_: MatchRound | None,
    names: Mapping[int, str],
    projects: Mapping[int, tuple[str, str]],
    stamp: datetime,
) -> Csv:
    """Everyone the latest real round left without a partner, with the reason they were sent."""
    unmatched = (round_.summary or {}).get("unmatched", {}) if round_ is not None else {}
    text, n = write_csv(
        ("round", "finished_at", "user_id", "name", "project", "track", "reason"),
        (
            (
                round_.number if round_ is not None else "",
                _when(round_.finished_at) if round_ is not None else "",
                uid,
                names.get(int(uid), ""),
                *projects.get(int(uid), ("", "")),
                reason,
            )
            for uid, reason in unmatched.items()
        ),
    )
    return Csv(f"unmatched-{stamp:%Y%m%d-%H%M}.csv", text, n)
