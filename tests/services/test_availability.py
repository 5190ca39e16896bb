"""Availability syntax, time-zone conversion and window arithmetic."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.services.availability import (
    SYNTAX_HELP,
    WeeklyWindows,
    format_windows,
    from_json,
    intersect,
    overlap_minutes,
    parse_availability,
    timezone_suggestions,
    to_json,
    validate_timezone,
)

UTC0 = ZoneInfo("UTC")
JAN = date(2026, 1, 14)  # a Wednesday; its week starts Monday 2026-01-12
DAY = 1440


def p(text: str, tz: str = "UTC", week: date = JAN) -> WeeklyWindows:
    return parse_availability(text, ZoneInfo(tz), week)


# ------------------------------------------------------------------------------------------------ syntax


def test_basic_items_in_utc() -> None:
    w = p("weekdays 18-22, sat 10-14")
    assert w.ranges == (
        *((d * DAY + 18 * 60, d * DAY + 22 * 60) for d in range(5)),
        (5 * DAY + 600, 5 * DAY + 840),
    )
    assert w.total_minutes == 5 * 240 + 240


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon 9-10", [0]),
        ("Monday 9-10", [0]),
        ("TUESDAY 9-10", [1]),
        ("mon-fri 9-10", [0, 1, 2, 3, 4]),
        ("mon/wed/fri 9-10", [0, 2, 4]),
        ("mon-tue/sun 9-10", [0, 1, 6]),
        ("weekdays 9-10", [0, 1, 2, 3, 4]),
        ("weekends 9-10", [5, 6]),
        ("daily 9-10", list(range(7))),
        ("sat-mon 9-10", [0, 5, 6]),
    ],
)
def test_day_forms(text: str, days: list[int]) -> None:
    assert p(text).ranges == tuple((d * DAY + 540, d * DAY + 600) for d in days)


def test_minutes_end_24_and_merge() -> None:
    assert p("daily 7:30-9").ranges[0] == (450, 540)
    assert p("mon 20-24").ranges == ((1200, 1440),)
    assert p("mon 20-24, tue 0-2").ranges == ((1200, 1560),)  # adjacent windows merge
    assert p("mon 9-12, mon 10-11, mon 11:30-13").ranges == ((540, 780),)


def test_wrap_past_midnight() -> None:
    assert p("fri 22-02").ranges == ((4 * DAY + 1320, 5 * DAY + 120),)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("mon 18", "mon 18"),  # no range
        ("mon 25-26", "25"),  # bad hour
        ("mon 10:61-12", "10:61"),  # bad minutes
        ("mon 24-2", "24"),  # 24 only as an end
        ("mon 10-10", "mon 10-10"),  # empty window
        ("mon 18-22,, tue 1-2", "mon 18-22,, tue 1-2"),  # empty item
        ("18-22", "18-22"),  # no days
        ("mon 13pm-2pm", "13pm"),  # 12-hour times run 1-12
        ("xyz 1-2", "xyz"),  # unknown day, nothing close
        ("mon//wed 1-2", "mon//wed 1-2"),
    ],
)
def test_bad_input_quotes_part_and_shows_syntax(text: str, quoted: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        p(text)
    msg = str(exc.value)
    assert quoted in msg
    assert SYNTAX_HELP in msg
    assert "weekdays 18-22, sat 10-14" in msg
    assert len(msg) <= 400


@pytest.mark.parametrize("text", ["", "   ", "x" * 600])
def test_empty_or_huge_input(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        p(text)
    assert SYNTAX_HELP in str(exc.value) and len(str(exc.value)) <= 400


# ------------------------------------------------------------------------------------------------ time zones


def test_dst_week_in_march_differs_by_one_hour_from_january() -> None:
    ny = "America/New_York"
    jan = p("weekdays 18-22", ny, date(2026, 1, 12))  # EST, UTC-5
    mar = p("weekdays 18-22", ny, date(2026, 3, 9))  # EDT, UTC-4 (DST began Sun 2026-03-08)
    assert jan.ranges[0] == (23 * 60, 27 * 60)
    assert mar.ranges[0] == (22 * 60, 26 * 60)
    assert [s - 60 for s, _ in jan.ranges] == [s for s, _ in mar.ranges]
    # the week across the switch: Mon-Sat still EST, Sunday already EDT
    across = p("daily 12-13", ny, date(2026, 3, 2))
    assert [s % DAY for s, _ in across.ranges] == [17 * 60] * 6 + [16 * 60]


def test_non_hour_offsets_are_exact() -> None:
    assert p("mon 9-10", "Asia/Kolkata").ranges == ((3 * 60 + 30, 4 * 60 + 30),)  # UTC+5:30
    assert p("mon 9-10", "Africa/Lagos").ranges == ((8 * 60, 9 * 60),)  # UTC+1
    assert p("mon 9-10", "America/St_Johns", date(2026, 1, 12)).ranges == ((12 * 60 + 30, 13 * 60 + 30),)  # -3:30
    assert p("mon 9-10", "America/St_Johns", date(2026, 7, 13)).ranges == ((11 * 60 + 30, 12 * 60 + 30),)  # -2:30
    assert p("mon 9-10", "Asia/Kathmandu").ranges == ((3 * 60 + 15, 4 * 60 + 15),)  # +5:45


def test_wrap_around_week_end() -> None:
    # Sun 22:00-02:00 at UTC+3 is Sun 19:00-23:00 UTC: stays at the end of the week
    assert p("sun 22-02", "Europe/Moscow").ranges == ((6 * DAY + 19 * 60, 6 * DAY + 23 * 60),)
    # Mon 01:00-03:00 at UTC+3 is Sun 22:00-24:00 UTC: wraps to the end of the week
    assert p("mon 1-3", "Europe/Moscow").ranges == ((6 * DAY + 22 * 60, 7 * DAY),)
    # In UTC the Sunday window is split at the week end
    assert p("sun 22-02").ranges == ((0, 120), (6 * DAY + 1320, 7 * DAY))
    # UTC-5: Sun 22-02 local = Mon 03:00-07:00 UTC
    assert p("sun 22-02", "America/New_York").ranges == ((180, 420),)


def test_format_round_trip_in_local_time() -> None:
    for tz in ("UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Moscow", "America/New_York"):
        z = ZoneInfo(tz)
        w = parse_availability("weekdays 18-22, sat 10-14", z, JAN)
        assert format_windows(w, z, JAN) == "Mon–Fri 18:00–22:00, Sat 10:00–14:00"
        w2 = parse_availability("sun 22-02, wed 7:30-9", z, JAN)
        assert format_windows(w2, z, JAN) == "Wed 07:30–09:00, Sun 22:00–02:00"
    assert format_windows(p("mon 9-10, wed 9-10, fri 9-10"), UTC0, JAN) == "Mon/Wed/Fri 09:00–10:00"
    assert format_windows(p("daily 0-24"), UTC0, JAN) == "Daily 00:00–24:00"
    assert format_windows(WeeklyWindows(), UTC0, JAN) == "no times"


def test_validate_timezone() -> None:
    assert validate_timezone("Africa/Lagos") == ZoneInfo("Africa/Lagos")
    assert validate_timezone(" america/new_york ") == ZoneInfo("America/New_York")
    with pytest.raises(InvalidInput) as exc:
        validate_timezone("Europe/Londn")
    assert "Europe/London" in str(exc.value)
    with pytest.raises(InvalidInput) as exc:
        validate_timezone("lagos")
    assert "Africa/Lagos" in str(exc.value)
    with pytest.raises(InvalidInput):
        validate_timezone("../../etc/passwd")


def test_timezone_suggestions() -> None:
    assert timezone_suggestions("Africa/La")[0] == "Africa/Lagos"
    assert "Europe/London" in timezone_suggestions("lon")
    assert timezone_suggestions("kolk") == ["Asia/Kolkata"]
    assert timezone_suggestions("new_y")[0] == "America/New_York"
    assert timezone_suggestions("new york")[0] == "America/New_York"
    assert len(timezone_suggestions("")) == 25
    assert len(timezone_suggestions("a", limit=5)) == 5
    assert timezone_suggestions("zzzzzz") == []
    # prefix matches rank above substring matches
    res = timezone_suggestions("asia")
    assert all(r.startswith("Asia/") for r in res[:10])


# ------------------------------------------------------------------------------------------------ arithmetic


def test_overlap_and_intersect() -> None:
    a = p("weekdays 18-22, sat 10-14")
    b = p("mon 20-23, sat 13-15, sun 1-2")
    assert overlap_minutes(a, b) == 120 + 60
    assert intersect(a, b).ranges == ((1200, 1320), (5 * DAY + 780, 5 * DAY + 840))
    assert overlap_minutes(a, b) == overlap_minutes(b, a)
    assert overlap_minutes(a, a) == a.total_minutes
    assert overlap_minutes(a, WeeklyWindows()) == 0
    # across the week end
    assert overlap_minutes(p("sun 22-02"), p("mon 0-1")) == 60


def test_from_ranges_normalises() -> None:
    assert WeeklyWindows.from_ranges([(10070, 10090), (5, 20)]).ranges == ((0, 20), (10070, 10080))
    assert WeeklyWindows.from_ranges([(-10, 10)]).ranges == ((0, 10), (10070, 10080))
    assert WeeklyWindows.from_ranges([(0, 20000)]).ranges == ((0, 10080),)


def test_json_round_trip() -> None:
    w = p("weekdays 18-22, sat 10-14, sun 22-02", "Asia/Kolkata")
    assert from_json(to_json(w)) == w
    assert from_json(to_json(WeeklyWindows())) == WeeklyWindows()
    for bad in ('{"v": 2, "r": []}', '{"v": 1, "r": [[5, 1]]}', '{"v": 1, "r": [[0, 99999]]}', "[]"):
        with pytest.raises(ValueError):
            from_json(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon 6pm-10pm", "Mon 18:00–22:00"),
        ("sat 10am-2pm", "Sat 10:00–14:00"),
        ("weekdays 6-10pm", "Mon–Fri 18:00–22:00"),  # the bare start takes the end's pm
        ("mon 9-5pm", "Mon 09:00–17:00"),  # the shorter reading: 9am, not 9pm
        ("mon 11-1pm", "Mon 11:00–13:00"),
        ("fri 10-2am", "Fri 22:00–02:00"),  # 10pm to 2am, past midnight
        ("mon 10pm-12am", "Mon 22:00–24:00"),
        ("mon 12am-2am", "Mon 00:00–02:00"),
        ("mon 12pm-1pm", "Mon 12:00–13:00"),
        ("Mon 6 PM - 10 PM", "Mon 18:00–22:00"),
        ("mon 6:30pm to 9pm", "Mon 18:30–21:00"),
        ("mon 6pm-22", "Mon 18:00–22:00"),
        ("mondays 9-10", "Mon 09:00–10:00"),
    ],
)
def test_twelve_hour_times(text: str, expected: str) -> None:
    assert format_windows(p(text), UTC0, JAN) == expected


@pytest.mark.parametrize(
    ("text", "nearest", "fixed"),
    [
        ("wekdays 18-22", "weekdays", "weekdays 18-22"),
        ("weekdays 18-22, satt 10-14", "sat", "weekdays 18-22, sat 10-14"),
        ("mon-fry 1-2", "fri", "mon-fri 1-2"),
        ("tusday 9-10", "tuesday", "tuesday 9-10"),
        ("Weekneds 9-10", "weekends", "weekends 9-10"),
    ],
)
def test_misspelt_day_suggests_the_nearest_and_the_corrected_text(text: str, nearest: str, fixed: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        p(text)
    msg = str(exc.value)
    assert f"did you mean `{nearest}`?" in msg
    assert f"Try `{fixed}`." in msg
    assert len(msg) <= 400
    p(fixed)  # the suggestion itself parses
