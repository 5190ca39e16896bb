"""Time zones as learners type them: IANA names, UTC/GMT offsets and common abbreviations.

People write ``UTC+1`` for "one hour ahead of UTC". The IANA zone ``Etc/GMT+1`` is the opposite
(POSIX sign: UTC−1), so an offset is never mapped to an ``Etc/`` name when a real place has it:
``UTC+1`` is Africa/Lagos, ``UTC+3`` Africa/Nairobi, and other offsets the zone of a place that
has that offset now (without daylight saving where one exists). Abbreviations map to the zone
the cohort means (WAT → Africa/Lagos, EST → America/New_York, which follows daylight saving).
Whenever the zone is not literally what was typed, :attr:`ZoneChoice.note` says which one was
chosen, so replies can tell the learner. Nothing here imports discord.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import InvalidInput

__all__ = [
    "ABBREVIATIONS",
    "PREFERRED_BY_OFFSET",
    "ZoneChoice",
    "format_utc_offset",
    "parse_offset",
    "resolve_timezone",
    "timezone_choices",
    "timezone_suggestions",
    "validate_timezone",
]

#: Offset in minutes → the zone an offset means, chosen for the cohort (African learners first).
#: Every one has that offset all year; one that no longer does (tzdata change) is skipped.
PREFERRED_BY_OFFSET: dict[int, str] = {
    -660: "Pacific/Pago_Pago",
    -600: "Pacific/Honolulu",
    -570: "Pacific/Marquesas",
    -540: "Pacific/Gambier",
    -480: "Pacific/Pitcairn",
    -420: "America/Phoenix",
    -360: "America/Costa_Rica",
    -300: "America/Bogota",
    -240: "America/Santo_Domingo",
    -180: "America/Sao_Paulo",
    -120: "America/Noronha",
    -60: "Atlantic/Cape_Verde",
    0: "UTC",
    60: "Africa/Lagos",
    120: "Africa/Maputo",
    180: "Africa/Nairobi",
    210: "Asia/Tehran",
    240: "Asia/Dubai",
    270: "Asia/Kabul",
    300: "Asia/Karachi",
    330: "Asia/Kolkata",
    345: "Asia/Kathmandu",
    360: "Asia/Dhaka",
    390: "Asia/Yangon",
    420: "Asia/Bangkok",
    480: "Asia/Singapore",
    525: "Australia/Eucla",
    540: "Asia/Tokyo",
    570: "Australia/Darwin",
    600: "Australia/Brisbane",
    660: "Pacific/Guadalcanal",
    720: "Pacific/Tarawa",
    780: "Pacific/Tongatapu",
    840: "Pacific/Kiritimati",
}

#: Abbreviation → zone. Those with daylight saving (EST, CET, ...) map to the zone that follows it.
ABBREVIATIONS: dict[str, str] = {
    "wat": "Africa/Lagos",
    "cat": "Africa/Maputo",
    "eat": "Africa/Nairobi",
    "sast": "Africa/Johannesburg",
    "gmt": "Africa/Accra",
    "eet": "Africa/Cairo",
    "eest": "Africa/Cairo",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "wet": "Europe/Lisbon",
    "west": "Europe/Lisbon",
    "msk": "Europe/Moscow",
    "est": "America/New_York",
    "edt": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "akst": "America/Anchorage",
    "hst": "Pacific/Honolulu",
}

_MIN_OFFSET, _MAX_OFFSET = -12 * 60, 14 * 60
_OFFSET_RE = re.compile(
    r"^(?P<prefix>utc|gmt|z)?\s*(?P<sign>[+\-\u2212])\s*(?P<h>\d{1,2})(?:(?::|\.|h)?(?P<m>\d{2}))?$"
)
_PARTIAL_OFFSET_RE = re.compile(r"^(?:utc|gmt)\s*(?P<sign>[+\-\u2212])?$")
_ETC_RE = re.compile(r"^etc/gmt(?P<sign>[+-])(?P<h>\d{1,2})$")
_EXCLUDED_ZONES = {"localtime", "Factory", "posixrules"}


@dataclass(frozen=True)
class ZoneChoice:
    """The zone a typed value stands for; `note` says which zone was chosen when it isn't the text typed."""

    zone: ZoneInfo
    typed: str
    note: str | None = None

    @property
    def key(self) -> str:
        return self.zone.key


# ---------------------------------------------------------------------------------------------- offsets


def format_utc_offset(minutes: int) -> str:
    """`UTC+01:00`, `UTC-03:30`, `UTC+00:00`."""
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _offset_minutes(zone: ZoneInfo, moment: datetime) -> int:
    offset = moment.astimezone(zone).utcoffset() or timedelta(0)
    return int(offset.total_seconds()) // 60


def _year_offsets(zone: ZoneInfo, year: int) -> tuple[int, int]:
    return (
        _offset_minutes(zone, datetime(year, 1, 15, 12, tzinfo=UTC)),
        _offset_minutes(zone, datetime(year, 7, 15, 12, tzinfo=UTC)),
    )


def parse_offset(text: str) -> tuple[str, int] | None:
    """`UTC+1`, `GMT+03:00`, `utc-5:30`, `+0100` → (prefix, minutes east of UTC); None if not an offset.

    Raises InvalidInput for an offset no place on Earth has (beyond −12:00..+14:00, odd minutes).
    """
    cleaned = " ".join((text or "").strip().lower().split())
    m = _OFFSET_RE.match(cleaned)
    if m is None:
        return None
    hours, mins = int(m.group("h")), int(m.group("m") or 0)
    minutes = hours * 60 + mins
    if m.group("sign") != "+":
        minutes = -minutes
    shown = (text or "").strip()[:20]
    if mins not in (0, 15, 30, 45) or not _MIN_OFFSET <= minutes <= _MAX_OFFSET:
        raise InvalidInput(
            f"`{shown}` is not a UTC offset any place uses: offsets run from UTC-12 to UTC+14 in whole hours "
            "(a few places use :30 or :45). Example: `UTC+1` for West Africa, or an IANA name like Africa/Lagos."
        )
    return (m.group("prefix") or "utc"), minutes


@lru_cache(maxsize=1)
def _place_zones() -> tuple[str, ...]:
    """Zones of real places (one per country area, zone.tab), for suggestions by offset."""
    try:
        text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
        names = {line.split("\t")[2] for line in text.splitlines() if line and not line.startswith("#")}
    except (OSError, ModuleNotFoundError, IndexError):  # pragma: no cover - tzdata is a dependency
        names = {r[0] for r in _zone_index()[2] if r[3]}
    known = set(_zone_index()[0])
    return tuple(sorted(n for n in names if n in known))


@lru_cache(maxsize=8)
def _zones_by_offset(day: str) -> dict[int, tuple[str, ...]]:
    """Offset now (minutes) → place zones, those without daylight saving first, Africa first, then by name."""
    moment = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    keyed: dict[int, list[tuple[int, int, str]]] = {}
    for name in _place_zones():
        zone = ZoneInfo(name)
        now_offset = _offset_minutes(zone, moment)
        jan, jul = _year_offsets(zone, moment.year)
        rank = (0 if jan == jul else 1, 0 if name.startswith("Africa/") else 2 if name.startswith("Antarctica/") else 1)
        keyed.setdefault(now_offset, []).append((*rank, name))
    return {k: tuple(n for *_, n in sorted(v)) for k, v in keyed.items()}


def _zone_for_offset(prefix: str, minutes: int, now: datetime) -> ZoneInfo | None:
    if minutes == 0:
        return ZoneInfo("Africa/Accra" if prefix == "gmt" else "UTC")
    preferred = PREFERRED_BY_OFFSET.get(minutes)
    if preferred is not None:
        zone = ZoneInfo(preferred)
        if set(_year_offsets(zone, now.year)) == {minutes}:
            return zone
    places = _zones_by_offset(now.date().isoformat()).get(minutes, ())
    if places:
        return ZoneInfo(places[0])
    if minutes % 60 == 0:
        # No inhabited place has it (UTC-12): the Etc zone, whose name flips the sign, is the only one.
        return ZoneInfo(f"Etc/GMT{'+' if minutes < 0 else '-'}{abs(minutes) // 60}")
    return None


def _describe(zone: ZoneInfo, now: datetime) -> str:
    """` (UTC+01:00)` or `, which follows daylight saving (UTC-05:00 standard, UTC-04:00 summer time)`."""
    jan, jul = _year_offsets(zone, now.year)
    if jan == jul:
        return f" ({format_utc_offset(jan)})"
    winter = datetime(now.year, 1, 15, 12, tzinfo=UTC).astimezone(zone)
    standard, summer = (jan, jul) if not winter.dst() else (jul, jan)
    std, dst = format_utc_offset(standard), format_utc_offset(summer)
    return f", which follows daylight saving ({std} standard, {dst} summer time)"


# ---------------------------------------------------------------------------------------------- IANA names


@lru_cache(maxsize=1)
def _zone_index() -> tuple[tuple[str, ...], dict[str, str], tuple[tuple[str, str, str, bool], ...]]:
    names = tuple(
        sorted(
            n
            for n in available_timezones()
            if n not in _EXCLUDED_ZONES and not n.startswith(("posix/", "right/", "SystemV/"))
        )
    )
    lower = {n.lower(): n for n in names}
    # (name, lower name, lower name with spaces for '_' and '/', is_canonical region zone)
    rows = tuple(
        (
            n,
            n.lower(),
            n.lower().replace("_", " "),
            "/" in n and not n.startswith(("Etc/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/")),
        )
        for n in names
    )
    return names, lower, rows


def resolve_timezone(name: str, now: datetime | None = None) -> ZoneChoice:
    """The zone for an IANA name (case-insensitive), a UTC/GMT offset or an abbreviation.

    Unknown → InvalidInput with close names. `now` (default: the system time) decides which place
    has an offset without a preferred zone.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    typed = (name or "").strip()
    shown = typed[:60]
    low = " ".join(typed.lower().split())
    if (offset := parse_offset(typed)) is not None:
        prefix, minutes = offset
        zone = _zone_for_offset(prefix, minutes, now)
        if zone is None:
            near = [_zone_for_offset(prefix, minutes + d, now) for d in (-15, 15, -30, 30)]
            hint = ", ".join(dict.fromkeys(f"{z.key}{_describe(z, now)}" for z in near if z))
            raise InvalidInput(f"No place uses `{shown}` now. Nearest: {hint or 'none'}; or give an IANA name.")
        if zone.key == "UTC":
            return ZoneChoice(zone, typed)
        etc = " (the only zone at that offset; Etc names flip the sign)" if zone.key.startswith("Etc/") else ""
        return ZoneChoice(zone, typed, f"`{shown}` read as {zone.key}{_describe(zone, now)}{etc}.")
    if low in ABBREVIATIONS:
        zone = ZoneInfo(ABBREVIATIONS[low])
        return ZoneChoice(zone, typed, f"`{shown}` read as {zone.key}{_describe(zone, now)}.")
    cleaned = typed.replace(" ", "_")
    _, lower, _ = _zone_index()
    canonical = lower.get(cleaned.lower())
    if canonical is not None:
        try:
            zone = ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed but unloadable
            pass
        else:
            return ZoneChoice(zone, typed, _etc_warning(zone, now))
    suggestions = _close_zones(cleaned)
    hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
    raise InvalidInput(
        f"Unknown time zone `{shown}`.{hint} Use an IANA name such as Africa/Lagos or Europe/London, "
        "or an offset like `UTC+1`."
    )


def _etc_warning(zone: ZoneInfo, now: datetime) -> str | None:
    """Etc/GMT+1 is UTC-1: say so, and name the place zone with the offset people usually mean."""
    m = _ETC_RE.match(zone.key.lower())
    if m is None or m.group("h") == "0":
        return None
    actual = _offset_minutes(zone, now)
    meant = _zone_for_offset("utc", -actual, now)
    instead = f" If you meant {format_utc_offset(-actual)}, use {meant.key}." if meant else ""
    return f"{zone.key} is {format_utc_offset(actual)}: Etc/ names flip the sign.{instead}"


def validate_timezone(name: str, now: datetime | None = None) -> ZoneInfo:
    """The ZoneInfo for an IANA name, offset (`UTC+1`) or abbreviation (`WAT`); unknown → InvalidInput."""
    return resolve_timezone(name, now).zone


def _close_zones(cleaned: str) -> list[str]:
    names, lower, _ = _zone_index()
    q = cleaned.lower()
    if not q:
        return []
    out: list[str] = []
    # City-only input ("lagos", "new york") → zones whose last component matches.
    for n in names:
        if n.lower().rsplit("/", 1)[-1] == q and n not in out:
            out.append(n)
    for m in difflib.get_close_matches(q, list(lower), n=3, cutoff=0.6):
        if lower[m] not in out:
            out.append(lower[m])
    if len(out) < 3:
        cities = {n.lower().rsplit("/", 1)[-1]: n for n in names if "/" in n}
        for m in difflib.get_close_matches(q, list(cities), n=3, cutoff=0.6):
            if cities[m] not in out:
                out.append(cities[m])
    return out[:3]


# ---------------------------------------------------------------------------------------------- autocomplete


@lru_cache(maxsize=512)
def _suggest_cached(q: str, limit: int) -> tuple[str, ...]:
    _, _, rows = _zone_index()
    if not q:
        popular = [r[0] for r in rows if r[3]]
        return tuple(popular[:limit])
    qs = q.replace("_", " ")
    scored: list[tuple[int, int, str]] = []
    for name, low, spaced, canonical in rows:
        if low == q:
            rank = 0
        elif low.startswith(q) or spaced.startswith(qs):
            rank = 1
        elif any(part.startswith(qs) for part in spaced.replace("/", " ").split(" ")[1:]) or any(
            part.startswith(q) for part in low.split("/")[1:]
        ):
            rank = 2
        elif qs in spaced or q in low:
            rank = 3
        else:
            continue
        scored.append((rank, 0 if canonical else 1, name))
    scored.sort()
    return tuple(n for _, _, n in scored[:limit])


def _with_offset(first: str | None, minutes: int, now: datetime, limit: int) -> list[str]:
    """`first`, then the place zones whose offset is `minutes` now (never an Etc name with another offset)."""
    out = [first] if first else []
    for name in _zones_by_offset(now.date().isoformat()).get(minutes, ()):
        if name not in out:
            out.append(name)
    return out[:limit]


def timezone_suggestions(prefix: str, limit: int = 25, now: datetime | None = None) -> list[str]:
    """Zone names for autocomplete.

    An offset (`UTC+1`) or abbreviation (`WAT`) gives only zones with that offset now, the chosen one
    first. Otherwise IANA names: exact, then prefix, then word-prefix (``lon`` → Europe/London), then
    substring; region zones (``Europe/London``) rank above legacy aliases (``US/Eastern``, ``Etc/GMT+3``).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    limit = max(0, int(limit))
    typed = " ".join((prefix or "").strip().lower().split())[:64]
    try:
        offset = parse_offset(typed)
    except InvalidInput:
        return []
    if offset is not None:
        zone = _zone_for_offset(*offset, now)
        return _with_offset(zone.key if zone else None, offset[1], now, limit)
    if typed in ABBREVIATIONS:
        zone = ZoneInfo(ABBREVIATIONS[typed])
        return _with_offset(zone.key, _offset_minutes(zone, now), now, limit)
    if m := _PARTIAL_OFFSET_RE.match(typed):
        if m.group("sign"):
            # `utc+` / `utc-`: one zone per offset on that side, nearest to UTC first.
            sign = 1 if m.group("sign") == "+" else -1
            offsets = sorted((o for o in PREFERRED_BY_OFFSET if o * sign > 0), key=abs)
            picks = [z.key for o in offsets if (z := _zone_for_offset("utc", o, now)) is not None]
            return picks[:limit]
    return list(_suggest_cached(typed.replace(" ", "_"), limit))


def timezone_choices(prefix: str, limit: int = 25, now: datetime | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs for autocomplete: the label shows the zone's offset now (`Africa/Lagos · UTC+01:00`)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    out: list[tuple[str, str]] = []
    for name in timezone_suggestions(prefix, limit, now):
        try:
            label = f"{name} · {format_utc_offset(_offset_minutes(ZoneInfo(name), now))}"
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed but unloadable
            label = name
        out.append((label[:100], name))
    return out
