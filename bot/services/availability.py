"""Weekly availability windows: a small strict syntax, converted to UTC minute-of-week ranges.

Syntax (comma-separated items): ``<days> <start>-<end>``

* days: ``mon`` .. ``sun`` or full names (case-insensitive), ranges ``mon-fri``, lists ``mon/wed/fri``
  (list items may be ranges: ``mon-wed/sat``), or the words ``weekdays``, ``weekends``, ``daily``;
* times: ``18``, ``18:30``, ``7:30``, or 12-hour ``6pm``, ``10:30am`` (``mon 6pm-10pm``); a bare hour
  next to a 12-hour one takes the reading that makes the shorter window (``6-10pm`` is 18-22,
  ``11-1pm`` is 11-13); the end may be ``24``; an end before the start wraps past midnight into the
  next day (``fri 22-02``).

A misspelt day is refused with the nearest day word and the whole text corrected
(``wekdays 18-22`` → did you mean ``weekdays``?).

Local times are converted to UTC with the real offsets of the week that starts on the Monday of
``week_of`` (zoneinfo, so DST and non-hour offsets are exact). The result is a set of half-open
``[start, end)`` ranges of UTC minutes since Monday 00:00 UTC, merged, sorted, and split at the
week end (10080) so that nothing wraps.

Nothing here imports discord.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from bot.errors import InvalidInput

__all__ = [
    "DAY_NAMES",
    "MINUTES_PER_WEEK",
    "SYNTAX_HELP",
    "WeeklyWindows",
    "format_windows",
    "from_json",
    "intersect",
    "overlap_minutes",
    "parse_availability",
    "timezone_suggestions",
    "to_json",
    "validate_timezone",
]

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY  # 10080
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

SYNTAX_HELP = (
    "Format: `<days> <start>-<end>`, comma-separated. Days: mon..sun, ranges (mon-fri), lists (mon/wed/fri), "
    "weekdays, weekends, daily. Times: 18, 18:30, 6pm or 10:30am; end may be 24; an end before the start runs "
    "past midnight. "
    "Example: `weekdays 18-22, sat 10-14`"
)

_DAY_ALIASES: dict[str, int] = {}
for _i, _full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")):
    _DAY_ALIASES[_full] = _i
    _DAY_ALIASES[_full[:3]] = _i
# Common extra abbreviations.
_DAY_ALIASES.update({"tues": 1, "wednes": 2, "thur": 3, "thurs": 3})
_DAY_WORDS: dict[str, tuple[int, ...]] = {
    "weekdays": (0, 1, 2, 3, 4),
    "weekday": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "weekend": (5, 6),
    "daily": (0, 1, 2, 3, 4, 5, 6),
    "everyday": (0, 1, 2, 3, 4, 5, 6),
}

_CLOCK = r"\d{1,2}(?:[:.]\d{2})?(?:\s*[ap]\.?m\.?)?"
_ITEM_RE = re.compile(rf"^(?P<days>\S+)\s+(?P<start>{_CLOCK})\s*(?:-|–|—|\bto\b)\s*(?P<end>{_CLOCK})$", re.IGNORECASE)
_TIME_RE = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?:\s*(?P<ampm>[ap])\.?m\.?)?$")
_MAX_ITEMS = 30
_MAX_TEXT = 500


@dataclass(frozen=True)
class WeeklyWindows:
    """UTC minute-of-week ranges ``[start, end)``; Monday 00:00 UTC = 0; merged, sorted, within [0, 10080]."""

    ranges: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_ranges(cls, ranges: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> WeeklyWindows:
        """Normalise arbitrary ranges (may wrap past 10080 or be negative) into canonical form."""
        return cls(_normalise(ranges))

    @property
    def total_minutes(self) -> int:
        return sum(e - s for s, e in self.ranges)

    def __bool__(self) -> bool:
        return bool(self.ranges)


def _normalise(ranges: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    pieces: list[tuple[int, int]] = []
    for s, e in ranges:
        s, e = int(s), int(e)
        if e <= s:
            continue
        if e - s >= MINUTES_PER_WEEK:
            return ((0, MINUTES_PER_WEEK),)
        s0 = s % MINUTES_PER_WEEK
        e0 = s0 + (e - s)
        if e0 <= MINUTES_PER_WEEK:
            pieces.append((s0, e0))
        else:
            pieces.append((s0, MINUTES_PER_WEEK))
            pieces.append((0, e0 - MINUTES_PER_WEEK))
    pieces.sort()
    merged: list[list[int]] = []
    for s, e in pieces:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return tuple((s, e) for s, e in merged)


# ---------------------------------------------------------------------------------------------- parsing


def _bad(part: str, why: str, *, syntax: str = SYNTAX_HELP) -> InvalidInput:
    shown = part if len(part) <= 60 else part[:57] + "..."
    end = "" if why.endswith((".", "?")) else "."
    msg = f"Couldn't read availability `{shown}`: {why}{end} {syntax}"
    return InvalidInput(msg[:400])


class _UnknownDay(Exception):
    """A day token that is not a day; `nearest` is the closest day word, if any is close."""

    def __init__(self, token: str, nearest: str | None) -> None:
        super().__init__(token)
        self.token = token
        self.nearest = nearest


_DAY_CHOICES = (
    *(n for n in _DAY_ALIASES if len(n) == 3 or n.endswith("day")),
    *(w for w in _DAY_WORDS if w.endswith("s")),
    "daily",
)


def nearest_day(token: str) -> str | None:
    """The day word closest to a misspelt one (`wekdays` → `weekdays`, `tusday` → `tuesday`), or None."""
    low = token.lower()
    found = process.extract(low, _DAY_CHOICES, scorer=fuzz.ratio, score_cutoff=60, limit=5)
    # Ties go to the form of the same length (`fry` → `fri`, `fridy` → `friday`).
    best = max(found, key=lambda f: (f[1], -abs(len(f[0]) - len(low))), default=None)
    return best[0] if best else None


def _parse_day(token: str, item: str) -> int:
    day = _DAY_ALIASES.get(token)
    if day is None and token.endswith("s"):
        day = _DAY_ALIASES.get(token[:-1])  # "mondays"
    if day is None:
        raise _UnknownDay(token, nearest_day(token))
    return day


def _parse_days(spec: str, item: str) -> tuple[int, ...]:
    spec = spec.lower()
    if spec in _DAY_WORDS:
        return _DAY_WORDS[spec]
    if spec.rstrip("s") in ("everyday", "day"):
        return _DAY_WORDS["daily"]
    days: list[int] = []
    for part in spec.split("/"):
        if not part:
            raise _bad(item, "empty day in a `/` list")
        if part in _DAY_WORDS:
            days.extend(_DAY_WORDS[part])
            continue
        if "-" in part:
            first, _, last = part.partition("-")
            a, b = _parse_day(first, item), _parse_day(last, item)
            if b < a:  # e.g. sat-mon wraps over the week end
                days.extend([*range(a, 7), *range(0, b + 1)])
            else:
                days.extend(range(a, b + 1))
        else:
            days.append(_parse_day(part, item))
    return tuple(sorted(set(days)))


def _clock(text: str, item: str) -> tuple[int, int, str | None]:
    """(hour, minute, "a"/"p"/None) of a time token, checked for range."""
    m = _TIME_RE.match(text.replace(" ", "").lower())
    if m is None:
        raise _bad(item, f"`{text}` is not a time")
    hour, minute, ampm = int(m.group("h")), int(m.group("m") or 0), m.group("ampm")
    if minute > 59:
        raise _bad(item, f"`{text}` has minutes above 59")
    if ampm and not 1 <= hour <= 12:
        raise _bad(item, f"`{text}`: with am/pm the hour runs 1–12")
    return hour, minute, ampm


def _minutes(hour: int, minute: int, ampm: str | None, text: str, item: str, *, is_end: bool) -> int:
    if ampm:
        return (hour % 12 + (12 if ampm == "p" else 0)) * 60 + minute  # 12am is 0:00 (as an end: midnight)
    if hour == 24 and minute == 0 and is_end:
        return MINUTES_PER_DAY
    if hour > 23:
        raise _bad(item, f"`{text}` is not a valid hour" + ("" if is_end else " for a start"))
    return hour * 60 + minute


def _parse_times(start_text: str, end_text: str, item: str) -> tuple[int, int]:
    """Start and end minutes of the day; a bare hour beside a 12-hour one gets the shorter window's reading."""
    sh, sm, sa = _clock(start_text, item)
    eh, em, ea = _clock(end_text, item)
    if (sa is None) != (ea is None):
        bare_is_start = sa is None
        bare_hour = sh if bare_is_start else eh
        if 1 <= bare_hour <= 12:
            readings: list[tuple[int, int, int]] = []
            for guess in ("a", "p"):
                s = _minutes(sh, sm, sa or guess, start_text, item, is_end=False)
                e = _minutes(eh, em, ea or guess, end_text, item, is_end=True)
                if (length := (e - s) % MINUTES_PER_DAY) > 0:
                    readings.append((length, s, e))
            if readings:
                _, s, e = min(readings)
                return s, e
    start = _minutes(sh, sm, sa, start_text, item, is_end=False)
    end = _minutes(eh, em, ea, end_text, item, is_end=True)
    return start, end


def _monday(week_of: date) -> date:
    return week_of - timedelta(days=week_of.weekday())


def _week_base_utc(week_of: date) -> datetime:
    m = _monday(week_of)
    return datetime(m.year, m.month, m.day, tzinfo=UTC)


def _local_to_utc_minute(day: date, minute_of_day: int, tz: ZoneInfo, base: datetime) -> int:
    """Minutes since ``base`` (Monday 00:00 UTC) of a local wall-clock time (may be 24:00 → next day)."""
    d = day + timedelta(days=minute_of_day // MINUTES_PER_DAY)
    mod = minute_of_day % MINUTES_PER_DAY
    local = datetime(d.year, d.month, d.day, mod // 60, mod % 60, tzinfo=tz)
    delta = local.astimezone(UTC) - base
    return int(delta.total_seconds() // 60)


def _unknown_day(text: str, item: str, unknown: _UnknownDay) -> InvalidInput:
    """Name the nearest day word and repeat the whole text with it, so nothing valid has to be retyped."""
    if unknown.nearest is None:
        return _bad(item, f"unknown day `{unknown.token[:20]}`")
    fixed_item = re.sub(re.escape(unknown.token), unknown.nearest, item, count=1, flags=re.IGNORECASE)
    fixed = " ".join(text.replace(item, fixed_item, 1).split())
    retry = f" Try `{fixed}`." if len(fixed) <= 200 else ""
    why = f"unknown day `{unknown.token[:20]}`, did you mean `{unknown.nearest}`?{retry}"
    return _bad(item, why, syntax="Days: mon..sun, mon-fri, mon/wed/fri, weekdays, weekends, daily.")


def parse_availability(text: str, tz: ZoneInfo, week_of: date) -> WeeklyWindows:
    """Parse ``text`` as local weekly windows in ``tz`` and convert to UTC for the week of ``week_of``."""
    if text is None or not text.strip():
        raise InvalidInput(f"Availability is empty. {SYNTAX_HELP}"[:400])
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"Availability is too long (max {_MAX_TEXT} characters). {SYNTAX_HELP}"[:400])
    items = [p.strip() for p in text.split(",")]
    if len(items) > _MAX_ITEMS:
        raise InvalidInput(f"Too many availability items (max {_MAX_ITEMS}). {SYNTAX_HELP}"[:400])
    monday = _monday(week_of)
    base = _week_base_utc(week_of)
    raw: list[tuple[int, int]] = []
    for item in items:
        if not item:
            raise _bad(text.strip(), "there is an empty item between commas")
        norm = " ".join(item.split())
        m = _ITEM_RE.match(norm)
        if m is None:
            if not re.search(r"\d", norm):
                raise _bad(item, "a time range like `18-22` is missing")
            raise _bad(item, "expected `<days> <start>-<end>`")
        try:
            days = _parse_days(m.group("days"), item)
        except _UnknownDay as unknown:
            raise _unknown_day(text, item, unknown) from None
        start, end = _parse_times(m.group("start"), m.group("end"), item)
        if end == start:
            raise _bad(item, "start and end are the same")
        if end < start:
            end += MINUTES_PER_DAY  # wraps past midnight into the next day
        for day in days:
            d = monday + timedelta(days=day)
            s_utc = _local_to_utc_minute(d, start, tz, base)
            e_utc = _local_to_utc_minute(d, end, tz, base)
            if e_utc > s_utc:  # a window entirely inside a DST gap has no real duration
                raw.append((s_utc, e_utc))
    return WeeklyWindows.from_ranges(raw)


# ---------------------------------------------------------------------------------------------- arithmetic


def overlap_minutes(a: WeeklyWindows, b: WeeklyWindows) -> int:
    """Total minutes per week in which both ``a`` and ``b`` are free."""
    return sum(e - s for s, e in intersect(a, b).ranges)


def intersect(a: WeeklyWindows, b: WeeklyWindows) -> WeeklyWindows:
    """Windows in which both are free (two-pointer sweep over sorted ranges)."""
    out: list[tuple[int, int]] = []
    ra, rb = a.ranges, b.ranges
    i = j = 0
    while i < len(ra) and j < len(rb):
        s = max(ra[i][0], rb[j][0])
        e = min(ra[i][1], rb[j][1])
        if s < e:
            out.append((s, e))
        if ra[i][1] < rb[j][1]:
            i += 1
        else:
            j += 1
    return WeeklyWindows(tuple(out))


# ---------------------------------------------------------------------------------------------- formatting


def _hhmm(dt: datetime, *, end_of: date | None = None) -> str:
    if end_of is not None and dt.date() != end_of and dt.hour == 0 and dt.minute == 0:
        return "24:00"
    return f"{dt.hour:02d}:{dt.minute:02d}"


def _days_label(days: list[int]) -> str:
    ds = sorted(set(days))
    if ds == list(range(7)):
        return "Daily"
    if ds == [0, 1, 2, 3, 4]:
        return "Mon–Fri"
    if ds == [5, 6]:
        return "Sat–Sun"
    # compress consecutive runs of 3+ into ranges
    parts: list[str] = []
    run = [ds[0]]
    for d in ds[1:]:
        if d == run[-1] + 1:
            run.append(d)
            continue
        parts.append(_run_label(run))
        run = [d]
    parts.append(_run_label(run))
    return "/".join(parts)


def _run_label(run: list[int]) -> str:
    if len(run) >= 3:
        return f"{DAY_NAMES[run[0]]}–{DAY_NAMES[run[-1]]}"
    return "/".join(DAY_NAMES[d] for d in run)


def format_windows(w: WeeklyWindows, tz: ZoneInfo, week_of: date) -> str:
    """Human text of ``w`` in local time of ``tz``, e.g. ``"Mon–Fri 18:00–22:00, Sat 10:00–14:00"``.

    Days sharing the same times are grouped; a window that crosses local midnight once and lasts less
    than a day is shown as one item (``Fri 22:00–02:00``); longer spans are shown day by day.
    """
    if not w.ranges:
        return "no times"
    base = _week_base_utc(week_of)
    ranges = list(w.ranges)
    # re-join a range split at the week end
    if len(ranges) > 1 and ranges[0][0] == 0 and ranges[-1][1] == MINUTES_PER_WEEK:
        first = ranges.pop(0)
        last = ranges.pop()
        ranges.append((last[0], MINUTES_PER_WEEK + first[1]))
    monday = _monday(week_of)
    local_week_start = datetime(monday.year, monday.month, monday.day, tzinfo=tz).astimezone(UTC)
    week = timedelta(minutes=MINUTES_PER_WEEK)
    items: list[tuple[int, int, str, str]] = []  # (weekday, start minute, start text, end text)
    for s, e in ranges:
        if e - s >= MINUTES_PER_WEEK:
            return "Daily 00:00–24:00"
        # ranges are circular: show each start inside the local week (local Monday 00:00 + 7 days)
        start_utc = base + timedelta(minutes=s)
        if start_utc < local_week_start:
            start_utc += week
        elif start_utc >= local_week_start + week:
            start_utc -= week
        ls = start_utc.astimezone(tz)
        le = (start_utc + timedelta(minutes=e - s)).astimezone(tz)
        cursor = ls
        while True:
            next_midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time(), tzinfo=tz)
            short_wrap = (le - cursor) < timedelta(days=1) and le.date() == cursor.date() + timedelta(days=1)
            if le <= next_midnight or (short_wrap and cursor == ls):
                items.append(
                    (cursor.weekday(), cursor.hour * 60 + cursor.minute, _hhmm(cursor), _hhmm(le, end_of=cursor.date()))
                )
                break
            items.append((cursor.weekday(), cursor.hour * 60 + cursor.minute, _hhmm(cursor), "24:00"))
            cursor = next_midnight.astimezone(UTC).astimezone(tz)
    groups: dict[tuple[str, str], list[int]] = {}
    first_seen: dict[tuple[str, str], tuple[int, int]] = {}
    for day, minute, st, en in items:
        key = (st, en)
        groups.setdefault(key, []).append(day)
        first_seen[key] = min(first_seen.get(key, (day, minute)), (day, minute))
    ordered = sorted(groups, key=lambda k: (min(groups[k]), first_seen[k][1]))
    return ", ".join(f"{_days_label(groups[k])} {k[0]}–{k[1]}" for k in ordered)


# ---------------------------------------------------------------------------------------------- storage


def to_json(w: WeeklyWindows) -> str:
    """Compact JSON for storage: ``{"v": 1, "r": [[start, end], ...]}``."""
    return json.dumps({"v": 1, "r": [list(r) for r in w.ranges]}, separators=(",", ":"))


def from_json(s: str) -> WeeklyWindows:
    """Inverse of :func:`to_json`. Raises ``ValueError`` on malformed data (a storage bug, not user input)."""
    data = json.loads(s)
    if not isinstance(data, dict) or data.get("v") != 1 or not isinstance(data.get("r"), list):
        raise ValueError("not a WeeklyWindows JSON document")
    ranges: list[tuple[int, int]] = []
    for r in data["r"]:
        if not (isinstance(r, list) and len(r) == 2 and all(isinstance(x, int) for x in r)):
            raise ValueError(f"bad range {r!r}")
        if not 0 <= r[0] < r[1] <= MINUTES_PER_WEEK:
            raise ValueError(f"range out of bounds {r!r}")
        ranges.append((r[0], r[1]))
    return WeeklyWindows.from_ranges(ranges)


# ---------------------------------------------------------------------------------------------- time zones

# Time zones moved to bot.services.zones (offsets and abbreviations); re-exported for existing callers.
from bot.services.zones import timezone_suggestions, validate_timezone  # noqa: E402
