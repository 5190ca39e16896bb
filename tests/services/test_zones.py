"""Time zones as typed: UTC/GMT offsets and abbreviations map to a real zone with that offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.services.availability import timezone_suggestions as reexported_suggestions
from bot.services.availability import validate_timezone as reexported_validate
from bot.services.zones import (
    ABBREVIATIONS,
    PREFERRED_BY_OFFSET,
    parse_offset,
    resolve_timezone,
    timezone_choices,
    timezone_suggestions,
    validate_timezone,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # northern winter
JULY = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def offset_now(name: str, now: datetime = NOW) -> timedelta:
    return now.astimezone(ZoneInfo(name)).utcoffset() or timedelta(0)


@pytest.mark.parametrize(
    ("typed", "zone", "hours"),
    [
        ("UTC+1", "Africa/Lagos", 1),
        ("utc+1", "Africa/Lagos", 1),
        ("GMT+1", "Africa/Lagos", 1),
        ("UTC +01:00", "Africa/Lagos", 1),
        ("+0100", "Africa/Lagos", 1),
        ("UTC+2", "Africa/Maputo", 2),
        ("GMT+03:00", "Africa/Nairobi", 3),
        ("UTC+3", "Africa/Nairobi", 3),
        ("UTC−5", "America/Bogota", -5),  # a real minus sign
        ("utc+5:30", "Asia/Kolkata", 5.5),
        ("UTC+05:45", "Asia/Kathmandu", 5.75),
        ("UTC+0", "UTC", 0),
        ("WAT", "Africa/Lagos", 1),
        ("wat", "Africa/Lagos", 1),
        ("CAT", "Africa/Maputo", 2),
        ("EAT", "Africa/Nairobi", 3),
        ("SAST", "Africa/Johannesburg", 2),
        ("GMT", "Africa/Accra", 0),
    ],
)
def test_offsets_and_abbreviations_map_to_a_real_zone_with_that_offset(typed: str, zone: str, hours: float) -> None:
    choice = resolve_timezone(typed, NOW)
    assert choice.key == zone
    assert offset_now(zone) == timedelta(hours=hours)
    assert not choice.key.startswith("Etc/")
    if zone != "UTC":
        assert choice.note is not None and zone in choice.note and f"`{typed.strip()}`" in choice.note


def test_utc_plus_one_is_never_etc_gmt_plus_one() -> None:
    # The bug: Etc/GMT+1 is UTC-1 (POSIX sign), two hours off for West Africa Time.
    assert offset_now("Etc/GMT+1") == timedelta(hours=-1)
    assert validate_timezone("UTC+1", NOW) == ZoneInfo("Africa/Lagos")
    assert reexported_validate("UTC+1", NOW) == ZoneInfo("Africa/Lagos")
    for typed in ("UTC+1", "utc+1", "GMT+1", "WAT"):
        suggested = timezone_suggestions(typed, 25, NOW)
        assert suggested[0] == "Africa/Lagos"
        assert "Etc/GMT+1" not in suggested
        assert all(offset_now(z) == timedelta(hours=1) for z in suggested), suggested
    assert reexported_suggestions("UTC+1", 25, NOW)[0] == "Africa/Lagos"


@pytest.mark.parametrize("typed", ["UTC+1", "GMT+03:00", "utc-3", "UTC+5:30", "CAT", "EAT", "SAST", "EST"])
def test_suggestions_for_an_offset_have_only_that_offset(typed: str) -> None:
    wanted = offset_now(resolve_timezone(typed, NOW).key)
    suggested = timezone_suggestions(typed, 25, NOW)
    assert suggested and len(suggested) <= 25
    assert all(offset_now(z) == wanted for z in suggested), suggested


def test_dst_abbreviations_map_to_the_zone_that_follows_daylight_saving() -> None:
    for typed in ("EST", "EDT", "est"):
        choice = resolve_timezone(typed, NOW)
        assert choice.key == "America/New_York"
        assert choice.note is not None and "daylight saving" in choice.note
        assert "UTC-05:00" in choice.note and "UTC-04:00" in choice.note
    assert resolve_timezone("CET", NOW).key == "Europe/Berlin"
    # In July New York is UTC-4: suggestions follow the zone's offset on that day.
    assert all(offset_now(z, JULY) == timedelta(hours=-4) for z in timezone_suggestions("EDT", 25, JULY))


def test_every_preferred_and_abbreviated_zone_exists() -> None:
    for minutes, name in PREFERRED_BY_OFFSET.items():
        zone = ZoneInfo(name)
        assert {offset_now(name, NOW), offset_now(name, JULY)} == {timedelta(minutes=minutes)}, name
        assert zone.key == name
    for name in ABBREVIATIONS.values():
        ZoneInfo(name)


def test_offsets_without_a_preferred_zone_use_a_place_with_that_offset_now() -> None:
    # UTC+10:30 exists only as Adelaide's summer time (December) and Lord Howe's standard time.
    choice = resolve_timezone("UTC+10:30", NOW)
    assert offset_now(choice.key) == timedelta(hours=10, minutes=30)
    assert not choice.key.startswith("Etc/")
    # UTC-12 has no inhabited place: the Etc zone is the only one, and the note says its sign is flipped.
    twelve = resolve_timezone("UTC-12", NOW)
    assert twelve.key == "Etc/GMT+12" and twelve.note is not None and "flip" in twelve.note


@pytest.mark.parametrize("typed", ["UTC+15", "UTC-13", "UTC+1:20", "GMT+99"])
def test_impossible_offsets_are_refused_with_the_range(typed: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_timezone(typed, NOW)
    assert "UTC-12 to UTC+14" in str(exc.value)
    assert timezone_suggestions(typed, 25, NOW) == []


def test_etc_names_typed_on_purpose_are_kept_with_a_warning() -> None:
    choice = resolve_timezone("Etc/GMT+1", NOW)
    assert choice.key == "Etc/GMT+1"
    assert choice.note is not None and "UTC-01:00" in choice.note and "Africa/Lagos" in choice.note


def test_iana_names_keep_working_without_a_note() -> None:
    assert resolve_timezone("Africa/Lagos", NOW).note is None
    assert resolve_timezone(" america/new_york ", NOW).key == "America/New_York"
    assert resolve_timezone("UTC", NOW).note is None
    assert parse_offset("Africa/Lagos") is None
    assert parse_offset("UTC+1") == ("utc", 60)
    assert parse_offset("GMT-03:30") == ("gmt", -210)


def test_partial_offset_lists_one_zone_per_offset() -> None:
    plus = timezone_suggestions("utc+", 25, NOW)
    assert plus[:3] == ["Africa/Lagos", "Africa/Maputo", "Africa/Nairobi"]
    minus = timezone_suggestions("UTC-", 25, NOW)
    assert minus[0] == "Atlantic/Cape_Verde"
    assert all(offset_now(z) < timedelta(0) for z in minus)


def test_choice_labels_show_the_offset() -> None:
    assert timezone_choices("UTC+1", 3, NOW)[0] == ("Africa/Lagos · UTC+01:00", "Africa/Lagos")
    labels = dict((v, label) for label, v in timezone_choices("etc/gmt+1", 25, NOW))
    assert labels["Etc/GMT+1"] == "Etc/GMT+1 · UTC-01:00"
