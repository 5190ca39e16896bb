from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.first_week import (
    FirstWeek,
    build_digest,
    count_table,
    days_left_text,
    name_list,
    progress_bar,
    progress_line,
)

START = date(2026, 12, 1)
WEEK = FirstWeek(START, 7)


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour, minutes=minute)


def test_day_numbers_and_days_left() -> None:
    assert WEEK.day_number(at(1, 0)) == 1
    assert WEEK.day_number(at(7, 23, 59)) == 7
    assert WEEK.day_number(at(8, 0)) == 8
    assert WEEK.day_number(datetime(2026, 11, 30, 23, tzinfo=UTC)) == 0
    assert WEEK.days_left(at(1)) == 7
    assert WEEK.days_left(at(6)) == 2
    assert WEEK.days_left(at(7)) == 1
    assert WEEK.days_left(at(8, 0)) == 0
    assert WEEK.days_left(datetime(2026, 11, 20, tzinfo=UTC)) == 7


def test_active_and_late_boundaries() -> None:
    assert not WEEK.is_active(at(1, 0) - timedelta(seconds=1))
    assert WEEK.is_active(at(1, 0))
    assert WEEK.is_active(at(8, 0) - timedelta(microseconds=1))
    assert not WEEK.is_active(at(8, 0))
    assert not WEEK.is_late(at(7, 23, 59))
    assert WEEK.is_late(at(8, 0))
    assert WEEK.end_at == datetime(2026, 12, 8, tzinfo=UTC)
    assert WEEK.last_day == date(2026, 12, 7)


def test_digest_times_one_per_day_at_hour() -> None:
    times = WEEK.digest_times(17)
    assert len(times) == 7
    assert times[0] == (START, datetime(2026, 12, 1, 17, tzinfo=UTC))
    assert times[-1] == (date(2026, 12, 7), datetime(2026, 12, 7, 17, tzinfo=UTC))


@pytest.mark.parametrize(
    ("days", "expected"),
    [(7, {"day3": 3, "last": 7}), (14, {"day3": 3, "last": 14}), (3, {"last": 3}), (2, {"last": 2}), (1, {"last": 1})],
)
def test_reminder_days(days: int, expected: dict[str, int]) -> None:
    assert FirstWeek(START, days).reminder_days() == expected


def test_due_reminder_picks_latest_while_week_is_on() -> None:
    assert WEEK.due_reminder(at(3, 16), 17) is None
    assert WEEK.due_reminder(at(3, 17), 17) == "day3"
    assert WEEK.due_reminder(at(5, 9), 17) == "day3"
    assert WEEK.due_reminder(at(7, 17), 17) == "last"
    assert WEEK.due_reminder(at(8, 0), 17) is None  # the week is over: no reminder any more
    assert WEEK.reminder_time("day3", 9) == datetime(2026, 12, 3, 9, tzinfo=UTC)


def test_stale_digest_only_when_a_later_one_covers_it() -> None:
    due = datetime(2026, 12, 2, 17, tzinfo=UTC)
    assert not WEEK.stale_digest(date(2026, 12, 2), due, due + timedelta(hours=23))
    assert WEEK.stale_digest(date(2026, 12, 2), due, due + timedelta(days=1))
    last_due = datetime(2026, 12, 7, 17, tzinfo=UTC)
    assert not WEEK.stale_digest(date(2026, 12, 7), last_due, last_due + timedelta(days=5))


def test_progress_line_matches_the_spec_example() -> None:
    assert progress_line(162, 200, 2) == "████████░░ 81% — 162 of 200 learners announced, 2 days left"
    assert progress_line(200, 200, 1).startswith("██████████ 100% — 200 of 200 learners announced, last day")
    assert progress_line(199, 200, 0, over=True).startswith("█████████░ 99%")
    assert progress_line(199, 200, 0, over=True).endswith("first week over")
    assert "no learners" in progress_line(0, 0, 3)


@given(st.integers(0, 5000), st.integers(1, 5000))
def test_progress_bar_full_only_when_everyone_announced(announced: int, total: int) -> None:
    announced = min(announced, total)
    bar = progress_bar(announced / total)
    assert len(bar) == 10
    assert (bar == "█" * 10) == (announced == total)


def test_days_left_text() -> None:
    assert days_left_text(3) == "3 days left"
    assert days_left_text(1) == "last day"
    assert days_left_text(0) == "first week over"


def test_name_list_cuts_with_count() -> None:
    names = [f"<@{10**17 + i}>" for i in range(500)]
    text = name_list(names, 200, more_hint=" (see /project list)")
    assert len(text) <= 200
    assert text.endswith("more (see /project list)")
    shown = text.count("<@")
    assert f"and {500 - shown} more" in text
    assert name_list(["a", "b"], 100) == "a, b"
    assert name_list([], 10) == ""


def test_count_table_lists_every_project_and_totals() -> None:
    projects = [("ecommerce", "E-Commerce"), ("job-board", "Job Board")]
    table = count_table(
        projects, {("ecommerce", "backend"): 120, ("ecommerce", "frontend"): 98, ("gone", "backend"): 1}
    )
    lines = table.splitlines()
    assert lines[2].split() == ["E-Commerce", "120", "98", "218"]
    assert lines[3].split() == ["Job", "Board", "0", "0", "0"]
    assert lines[4].split()[0] == "gone"  # counts of a removed project still add up
    assert lines[-1].split()[-1] == "219"


def test_build_digest_content() -> None:
    digest = build_digest(
        WEEK,
        at(3, 17),
        ["<@1> (E-Commerce, Backend)"],
        [("ecommerce", "E-Commerce")],
        {("ecommerce", "backend"): 1},
        1,
        4,
    )
    assert digest.title == "First week — day 3 of 7"
    assert digest.new_heading.endswith("(1)")
    assert "25% — 1 of 4 learners announced, 5 days left" in digest.progress
    empty = build_digest(WEEK, at(1, 17), [], [], {}, 0, 4)
    assert "No new announcements" in empty.new_text
