"""Time parsing for sessions and scheduled posts: forms, zones with odd offsets, DST gaps and folds."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.services.when import format_offset, parse_when, resolve_local

# Tuesday 2026-12-01 09:00 UTC.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def z(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-12-01 18:00", "UTC", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01T18:00", "UTC", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        # Non-hour offsets: Kolkata +05:30, St John's −03:30 in winter, Lagos +01:00 without DST.
        ("2026-12-01 18:00", "Asia/Kolkata", datetime(2026, 12, 1, 12, 30, tzinfo=UTC)),
        ("2026-12-01 18:00", "America/St_Johns", datetime(2026, 12, 1, 21, 30, tzinfo=UTC)),
        ("2026-12-01 18:00", "Africa/Lagos", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("2026-12-01 6pm", "Asia/Kathmandu", datetime(2026, 12, 1, 12, 15, tzinfo=UTC)),
        ("2026-12-01 12am", "UTC", None),  # midnight today: already past
        ("in 2h", "Asia/Kolkata", datetime(2026, 12, 1, 11, 0, tzinfo=UTC)),
        ("in 90m", "UTC", datetime(2026, 12, 1, 10, 30, tzinfo=UTC)),
        ("in 1h30m", "UTC", datetime(2026, 12, 1, 10, 30, tzinfo=UTC)),
        ("in 2 hours and 15 minutes", "UTC", datetime(2026, 12, 1, 11, 15, tzinfo=UTC)),
        ("in 1 day", "UTC", datetime(2026, 12, 2, 9, 0, tzinfo=UTC)),
        ("tomorrow 18:00", "UTC", datetime(2026, 12, 2, 18, 0, tzinfo=UTC)),
        ("Tomorrow 18:00", "America/St_Johns", datetime(2026, 12, 2, 21, 30, tzinfo=UTC)),
        ("18:00 tomorrow", "Africa/Lagos", datetime(2026, 12, 2, 17, 0, tzinfo=UTC)),
        ("today 9:30", "UTC", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("18:00", "UTC", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("fri 18:00", "Africa/Lagos", datetime(2026, 12, 4, 17, 0, tzinfo=UTC)),
        ("friday 6:30pm", "UTC", datetime(2026, 12, 4, 18, 30, tzinfo=UTC)),
        # Same weekday as today: later today if still ahead, else next week; "next" always skips today.
        ("tue 10:00", "UTC", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("tue 8:00", "UTC", datetime(2026, 12, 8, 8, 0, tzinfo=UTC)),
        ("next tue 10:00", "UTC", datetime(2026, 12, 8, 10, 0, tzinfo=UTC)),
    ],
)
def test_forms(text: str, zone: str, expected: datetime | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInput, match="in the past"):
            parse_when(text, NOW, z(zone))
        return
    parsed = parse_when(text, NOW, z(zone), zone_source="option")
    assert parsed.at == expected
    assert parsed.at.tzinfo == UTC
    assert parsed.zone_name == zone


def test_today_and_tomorrow_follow_the_local_date() -> None:
    # 20:00 UTC on Dec 1 is already Dec 2 01:30 in Kolkata: "tomorrow" is Dec 3 there.
    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    assert parse_when("tomorrow 09:00", now, z("Asia/Kolkata")).at == datetime(2026, 12, 3, 3, 30, tzinfo=UTC)
    assert parse_when("today 09:00", now, z("Asia/Kolkata")).at == datetime(2026, 12, 2, 3, 30, tzinfo=UTC)


def test_note_names_zone_offset_and_source() -> None:
    parsed = parse_when("2026-12-01 18:00", NOW, z("Asia/Kolkata"), zone_source="profile")
    assert "Asia/Kolkata" in parsed.note and "UTC+05:30" in parsed.note and "match profile" in parsed.note
    default = parse_when("2026-12-01 18:00", NOW, None)
    assert default.zone_name == "UTC" and "timezone:" in default.note
    relative = parse_when("in 2h", NOW, z("America/St_Johns"))
    assert relative.relative and "Counted from now" in relative.note and "UTC-03:30" in relative.note


def test_spring_forward_gap_is_rejected_with_an_example() -> None:
    march = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="doesn't exist in America/New_York") as info:
        parse_when("2026-03-08 02:30", march, z("America/New_York"))
    assert "`2026-03-08 03:30`" in str(info.value)
    # The suggested example itself parses.
    assert parse_when("2026-03-08 03:30", march, z("America/New_York")).at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_fall_back_fold_is_rejected_with_an_example() -> None:
    october = datetime(2026, 10, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="ambiguous in America/New_York") as info:
        parse_when("2026-11-01 01:30", october, z("America/New_York"))
    assert "`2026-11-01 02:30`" in str(info.value) and "timezone:UTC" in str(info.value)


def test_st_johns_dst_transitions_at_non_hour_offsets() -> None:
    # Newfoundland springs forward at 02:00 local (−03:30 → −02:30) on 2026-03-08.
    march = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="doesn't exist"):
        parse_when("2026-03-08 02:15", march, z("America/St_Johns"))
    after = parse_when("2026-03-08 03:15", march, z("America/St_Johns"))
    assert after.at == datetime(2026, 3, 8, 5, 45, tzinfo=UTC)
    assert "UTC-02:30" in after.note
    # Falls back at 02:00 (−02:30 → −03:30) on 2026-11-01: 01:30 happens twice.
    with pytest.raises(InvalidInput, match="ambiguous"):
        parse_when("2026-11-01 01:30", datetime(2026, 10, 1, tzinfo=UTC), z("America/St_Johns"))


def test_europe_dst_and_relative_forms_ignore_the_gap() -> None:
    # Europe/London springs forward at 01:00 UTC on 2026-03-29; "in 2h" is absolute.
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert parse_when("in 2h", now, z("Europe/London")).at == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="doesn't exist"):
        parse_when("today 1:30", now, z("Europe/London"))
    # "tomorrow 18:00" across the change keeps the wall time (BST, UTC+1).
    assert parse_when("tomorrow 18:00", datetime(2026, 3, 28, 12, tzinfo=UTC), z("Europe/London")).at == datetime(
        2026, 3, 29, 17, 0, tzinfo=UTC
    )


def test_southern_hemisphere_fold() -> None:
    # Australia/Sydney falls back at 03:00 local on 2026-04-05.
    with pytest.raises(InvalidInput, match="ambiguous in Australia/Sydney"):
        parse_when("2026-04-05 02:30", datetime(2026, 3, 1, tzinfo=UTC), z("Australia/Sydney"))


def test_lord_howe_half_hour_dst() -> None:
    # Lord Howe moves by 30 minutes: 02:00 → 02:30 on 2026-10-04.
    with pytest.raises(InvalidInput, match="doesn't exist"):
        parse_when("2026-10-04 02:15", datetime(2026, 9, 1, tzinfo=UTC), z("Australia/Lord_Howe"))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "Say when"),
        ("whenever", "Couldn't read"),
        ("in soon", "as a delay"),
        ("in 0m", "as a delay"),
        ("2026-02-30 10:00", "not a calendar date"),
        ("25:00", "not a time of day"),
        ("13pm tomorrow", "1–12"),
        ("8:00", "tomorrow 08:00"),
        ("2026-11-30 10:00", "in the past"),
        ("2028-01-01 10:00", "days ahead"),
        ("x" * 80, "too long"),
    ],
)
def test_rejections_say_what_to_do(text: str, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        parse_when(text, NOW, z("UTC"))


def test_format_offset() -> None:
    assert format_offset(datetime(2026, 1, 1, tzinfo=z("Asia/Kolkata"))) == "UTC+05:30"
    assert format_offset(datetime(2026, 1, 1, tzinfo=z("America/St_Johns"))) == "UTC-03:30"
    assert format_offset(datetime(2026, 1, 1, tzinfo=UTC)) == "UTC+00:00"


ZONES = ["UTC", "Asia/Kolkata", "Africa/Lagos", "America/St_Johns", "America/New_York", "Australia/Lord_Howe"]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    minutes_ahead=st.integers(min_value=1, max_value=360 * 24 * 60),
)
def test_absolute_round_trip(zone: str, minutes_ahead: int) -> None:
    """Any future instant, written as its local wall time, parses back to itself unless DST makes it ambiguous."""
    instant = NOW + timedelta(minutes=minutes_ahead)
    local = instant.astimezone(z(zone))
    text = local.strftime("%Y-%m-%d %H:%M")
    try:
        parsed = parse_when(text, NOW, z(zone))
    except InvalidInput as exc:
        assert "ambiguous" in str(exc)
        return
    assert parsed.at == instant


def test_resolve_local_plain() -> None:
    assert resolve_local(datetime(2026, 7, 1, 12, 0), z("Asia/Kolkata")).utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize(
    ("text", "nearest", "fixed"),
    [
        ("wensday 18:00", "wednesday", "wednesday 18:00"),
        ("next firday 6pm", "friday", "next friday 6pm"),
        ("tomorow 18:00", "tomorrow", "tomorrow 18:00"),
    ],
)
def test_misspelt_day_words_suggest_the_nearest(text: str, nearest: str, fixed: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_when(text, NOW)
    assert f"did you mean `{nearest}`? Try `{fixed}`." in str(exc.value)
    assert parse_when(fixed, NOW).at > NOW


def test_twelve_hour_session_times() -> None:
    assert parse_when("tomorrow 6pm", NOW).at == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    assert parse_when("fri 10:30am", NOW, z("Africa/Lagos")).at == datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
