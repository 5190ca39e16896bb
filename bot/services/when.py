"""Parse the `when` of a study session or a scheduled post into an aware UTC instant.

Accepted forms (case-insensitive):

* absolute: ``2026-12-01 18:00`` (also ``2026-12-01T18:00``, ``2026-12-01 6pm``);
* relative: ``in 2h``, ``in 90m``, ``in 1h30m``, ``in 2 hours``, ``in 1 day``;
* ``today 9:30``, ``tomorrow 18:00`` (also ``18:00 tomorrow``);
* weekdays: ``fri 18:00``, ``friday 6pm``, ``next fri 18:00`` (the next such day whose time is still ahead);
* a bare time ``18:00`` means today.

Local forms are read in a time zone (given, from the creator's profile, or UTC). Wall times that
happen twice (DST fall-back) or never (spring-forward) are rejected with a valid example, as are past
times. Nothing here imports discord.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from bot.errors import InvalidInput

__all__ = ["FORMS_HELP", "ParsedTime", "format_offset", "parse_when", "resolve_local"]

FORMS_HELP = (
    "Use `2026-12-01 18:00`, `tomorrow 18:00`, `today 9:30`, `fri 18:00` or `in 2h` / `in 90m` "
    "(local forms use the `timezone` option, else your match profile's zone, else UTC)."
)

# Where the zone came from → how the note names it.
ZONE_SOURCES: dict[str, str] = {
    "option": "the timezone you gave",
    "profile": "your match profile's time zone",
    "default": "the default; add `timezone:` to use yours",
}

MAX_AHEAD = timedelta(days=366)
MAX_TEXT = 60

_WEEKDAYS: dict[str, int] = {}
for _i, _name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")):
    _WEEKDAYS[_name] = _i
    _WEEKDAYS[_name[:3]] = _i
_WEEKDAYS.update({"tues": 1, "wed": 2, "thur": 3, "thurs": 3})

_TIME = r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>am|pm)?"
_ABSOLUTE_RE = re.compile(rf"^(?P<date>\d{{4}}-\d{{1,2}}-\d{{1,2}})(?:\s+|t){_TIME}$")
_DAYWORD_RE = re.compile(rf"^(?P<word>today|tomorrow|tmrw|tmr)\s+(?:at\s+)?{_TIME}$")
_DAYWORD_AFTER_RE = re.compile(rf"^{_TIME}\s+(?P<word>today|tomorrow|tmrw|tmr)$")
_WEEKDAY_RE = re.compile(rf"^(?:next\s+)?(?P<day>[a-z]+)\s+(?:at\s+)?{_TIME}$")
_BARE_TIME_RE = re.compile(rf"^(?:at\s+)?{_TIME}$")
_RELATIVE_RE = re.compile(r"^in\s+(?P<rest>.+)$")
_RELATIVE_PART_RE = re.compile(r"(\d+)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m)(?:\s*,\s*|\s+and\s+|\s*)")
_UNIT_MINUTES = {"d": 1440, "h": 60, "m": 1}


@dataclass(frozen=True)
class ParsedTime:
    """The instant (aware UTC), the zone the text was read in, and a one-line note saying so."""

    at: datetime
    zone_name: str
    zone_source: str
    relative: bool
    note: str

    @property
    def local(self) -> datetime:
        return self.at.astimezone(ZoneInfo(self.zone_name))


def format_offset(moment: datetime) -> str:
    """`UTC+05:30`, `UTC-02:30`, `UTC+00:00` for an aware datetime."""
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _example(local: datetime) -> str:
    return local.strftime("%Y-%m-%d %H:%M")


def _is_unique(naive: datetime, zone: ZoneInfo) -> bool:
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    return first.utcoffset() == second.utcoffset()


def _nearby_valid(naive: datetime, zone: ZoneInfo) -> datetime:
    """The first whole wall-clock hour after `naive` that exists exactly once (for error examples)."""
    candidate = naive
    for _ in range(6):
        candidate += timedelta(hours=1)
        if _is_unique(candidate, zone):
            return candidate
    return candidate  # pragma: no cover - no zone has a 6-hour transition


def resolve_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach `zone` to a wall time, rejecting times that are skipped or repeated by a DST change."""
    first = naive.replace(tzinfo=zone, fold=0)
    if _is_unique(naive, zone):
        return first
    zone_name = zone.key
    when = naive.strftime("%H:%M on %Y-%m-%d")
    suggestion = _example(_nearby_valid(naive, zone))
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise InvalidInput(
            f"{when} doesn't exist in {zone_name}: the clocks jump forward then. "
            f"Pick another time, e.g. `{suggestion}`."
        )
    raise InvalidInput(
        f"{when} is ambiguous in {zone_name}: it happens twice when the clocks go back. "
        f"Pick a time outside that hour, e.g. `{suggestion}`, or give it in UTC with `timezone:UTC`."
    )


def _parse_clock(match: re.Match[str], text: str) -> tuple[int, int]:
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    ampm = match.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"`{text}`: with am/pm the hour runs 1–12. {FORMS_HELP}")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInput(f"`{text}`: {hour:02d}:{minute:02d} is not a time of day (00:00–23:59). {FORMS_HELP}")
    return hour, minute


def _parse_relative(rest: str, text: str) -> timedelta:
    position, minutes = 0, 0
    for part in _RELATIVE_PART_RE.finditer(rest):
        if part.start() != position:
            break
        position = part.end()
        minutes += int(part.group(1)) * _UNIT_MINUTES[part.group(2)[0]]
    if position != len(rest) or minutes <= 0:
        raise InvalidInput(f"Couldn't read `{text}` as a delay; write it like `in 2h`, `in 90m` or `in 1h30m`.")
    return timedelta(minutes=minutes)


def _misspelt_day(word: str, text: str) -> None:
    """`wensday 18:00`, `tomorow 6pm`: refuse with the nearest day word and the text corrected; others fall through."""
    words = [*(n for n in _WEEKDAYS if len(n) > 4), "today", "tomorrow"]
    found = process.extractOne(word, words, scorer=fuzz.ratio, score_cutoff=70)
    if found is None:
        return
    fixed = text.replace(word, found[0], 1)
    raise InvalidInput(f"`{word[:20]}` is not a day: did you mean `{found[0]}`? Try `{fixed[:MAX_TEXT]}`.")


def _local_form(text: str, today: date) -> tuple[date, re.Match[str], str] | None:
    """(date, time match, kind) for the local forms, or None if none matches."""
    if m := _ABSOLUTE_RE.match(text):
        try:
            return date.fromisoformat("-".join(p.zfill(2) for p in m.group("date").split("-"))), m, "absolute"
        except ValueError:
            raise InvalidInput(f"`{m.group('date')}` is not a calendar date; write it as YYYY-MM-DD.") from None
    if m := _DAYWORD_RE.match(text) or _DAYWORD_AFTER_RE.match(text):
        return today + timedelta(days=0 if m.group("word") == "today" else 1), m, "dayword"
    if (m := _WEEKDAY_RE.match(text)) and m.group("day") not in _WEEKDAYS and m.group("day") != "at":
        _misspelt_day(m.group("day"), text)
    if (m := _WEEKDAY_RE.match(text)) and m.group("day") in _WEEKDAYS:
        ahead = (_WEEKDAYS[m.group("day")] - today.weekday()) % 7
        if text.startswith("next ") and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead), m, "weekday"
    if m := _BARE_TIME_RE.match(text):
        return today, m, "bare"
    return None


def parse_when(
    text: str,
    now: datetime,
    zone: ZoneInfo | None = None,
    *,
    zone_source: str = "default",
    max_ahead: timedelta = MAX_AHEAD,
) -> ParsedTime:
    """Read `text` relative to `now` (aware) in `zone` (default UTC); the result is aware UTC, in the future."""
    zone = zone or ZoneInfo("UTC")
    now = now.astimezone(UTC)
    cleaned = " ".join((text or "").strip().lower().split())
    shown = (text or "").strip()[:MAX_TEXT]
    if not cleaned:
        raise InvalidInput(f"Say when. {FORMS_HELP}")
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput(f"`{shown}…` is too long for a time. {FORMS_HELP}")

    relative = False
    kind = "relative"
    if m := _RELATIVE_RE.match(cleaned):
        at = (now + _parse_relative(m.group("rest"), shown)).replace(second=0, microsecond=0)
        relative = True
    else:
        local_now = now.astimezone(zone)
        form = _local_form(cleaned, local_now.date())
        if form is None:
            raise InvalidInput(f"Couldn't read `{shown}` as a time. {FORMS_HELP}")
        day, match, kind = form
        hour, minute = _parse_clock(match, shown)
        naive = datetime(day.year, day.month, day.day, hour, minute)
        if kind == "weekday" and naive <= local_now.replace(tzinfo=None):
            # "fri 18:00" said on a Friday evening means next week's Friday.
            naive += timedelta(days=7)
        at = resolve_local(naive, zone).astimezone(UTC)

    if at <= now:
        local = at.astimezone(zone)
        hint = f"`tomorrow {local:%H:%M}`" if kind in ("bare", "dayword") else "`tomorrow 18:00` or `in 2h`"
        raise InvalidInput(
            f"`{shown}` is in the past ({local:%Y-%m-%d %H:%M} {zone.key}). Give a future time, e.g. {hint}."
        )
    if at - now > max_ahead:
        raise InvalidInput(f"`{shown}` is more than {max_ahead.days} days ahead; plan something sooner.")

    local = at.astimezone(zone)
    source = ZONE_SOURCES.get(zone_source, zone_source)
    if relative:
        note = f"Counted from now: {local:%Y-%m-%d %H:%M} {zone.key} ({format_offset(local)})."
    else:
        note = f"Read as {local:%Y-%m-%d %H:%M} {zone.key} ({format_offset(local)}), {source}."
    return ParsedTime(at=at, zone_name=zone.key, zone_source=zone_source, relative=relative, note=note)
