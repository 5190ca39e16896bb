"""The first week of a cohort: which day it is, what is late, when to remind, what the digest says.

Pure rules over dates and counts; nothing here imports discord or touches the database.
Day 1 starts at 00:00 UTC on `cohort_start`; the week lasts `first_week_days` days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

REMINDER_DAY = 3
REMINDER_KINDS = ("day3", "last")


@dataclass(frozen=True)
class FirstWeek:
    start: date
    days: int = 7

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(0), UTC)

    @property
    def end_at(self) -> datetime:
        return self.start_at + timedelta(days=self.days)

    @property
    def last_day(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def day_number(self, now: datetime) -> int:
        """1 on the first day; 0 or less before it; more than `days` after the week."""
        return (now.astimezone(UTC).date() - self.start).days + 1

    def is_active(self, now: datetime) -> bool:
        return self.start_at <= now < self.end_at

    def is_over(self, now: datetime) -> bool:
        return now >= self.end_at

    def days_left(self, now: datetime) -> int:
        """Days still open for announcing, today included; 0 once the week is over."""
        if now < self.start_at:
            return self.days
        if self.is_over(now):
            return 0
        return self.days - self.day_number(now) + 1

    def is_late(self, at: datetime) -> bool:
        return self.is_over(at)

    def day_date(self, n: int) -> date:
        return self.start + timedelta(days=n - 1)

    def at_hour(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), UTC)

    def digest_times(self, hour: int) -> list[tuple[date, datetime]]:
        """One digest per day of the week, at `hour` UTC."""
        return [(self.day_date(n), self.at_hour(self.day_date(n), hour)) for n in range(1, self.days + 1)]

    def reminder_days(self) -> dict[str, int]:
        """Reminder kind → day number: day 3 and the last day (one reminder when they coincide)."""
        days = {"last": self.days}
        if REMINDER_DAY < self.days:
            days["day3"] = REMINDER_DAY
        return dict(sorted(days.items(), key=lambda kv: kv[1]))

    def reminder_time(self, kind: str, hour: int) -> datetime:
        return self.at_hour(self.day_date(self.reminder_days()[kind]), hour)

    def due_reminder(self, now: datetime, hour: int) -> str | None:
        """The reminder to send now: the latest one whose time has come, while the week is still on.

        After downtime that spanned both, only the later one goes out (one DM, not two at once).
        """
        if not self.is_active(now):
            return None
        due = [kind for kind in self.reminder_days() if self.reminder_time(kind, hour) <= now]
        return due[-1] if due else None

    def stale_digest(self, day: date, due_at: datetime, now: datetime) -> bool:
        """A missed digest whose successor is already due adds nothing: the next one covers its announcements."""
        return day < self.last_day and now >= due_at + timedelta(days=1)


# --- text ----------------------------------------------------------------------------------


def progress_bar(fraction: float, width: int = 10) -> str:
    """Rounded down, so a full bar means everyone."""
    filled = max(0, min(width, math.floor(fraction * width + 1e-9)))
    return "█" * filled + "░" * (width - filled)


def days_left_text(days_left: int, over: bool = False) -> str:
    if over or days_left <= 0:
        return "first week over"
    if days_left == 1:
        return "last day"
    return f"{days_left} days left"


def progress_line(announced: int, total: int, days_left: int, *, over: bool = False) -> str:
    """`████████░░ 81% — 162 of 200 learners announced, 2 days left`."""
    when = days_left_text(days_left, over)
    if total <= 0:
        return f"{progress_bar(0)} — no learners found yet (members with the Backend or Frontend role), {when}"
    announced = min(announced, total)
    percent = math.floor(100 * announced / total + 1e-9)
    noun = "learner" if total == 1 else "learners"
    return f"{progress_bar(announced / total)} {percent}% — {announced} of {total} {noun} announced, {when}"


def count_table(
    projects: Sequence[tuple[str, str]], counts: Mapping[tuple[str, str], int], *, name_width: int = 22
) -> str:
    """A monospace projects × tracks table (`projects` = [(key, name)]) for a code block.

    Projects nobody chose are still listed: a zero is news in the first week.
    """
    header = f"{'Project':<{name_width}} {'Back':>5} {'Front':>5} {'Total':>5}"
    lines = [header, "-" * len(header)]
    totals = [0, 0]
    known = {key for key, _ in projects}
    rows = list(projects) + sorted({(k, k) for k, _ in counts if k not in known})
    for key, name in rows:
        be, fe = counts.get((key, "backend"), 0), counts.get((key, "frontend"), 0)
        totals[0] += be
        totals[1] += fe
        shown = name if len(name) <= name_width else name[: name_width - 1] + "…"
        lines.append(f"{shown:<{name_width}} {be:>5} {fe:>5} {be + fe:>5}")
    lines.append("-" * len(header))
    lines.append(f"{'All projects':<{name_width}} {totals[0]:>5} {totals[1]:>5} {sum(totals):>5}")
    return "\n".join(lines)


def name_list(names: Sequence[str], limit_chars: int, *, more_hint: str = "") -> str:
    """Comma-separated names that fit in `limit_chars`, ending with `and N more` when cut."""
    if not names:
        return ""
    out: list[str] = []
    used = 0
    for i, name in enumerate(names):
        rest = len(names) - i - 1
        suffix = f" and {rest} more{more_hint}" if rest else ""
        length = used + (2 if out else 0) + len(name)
        # The list stops early when one more name would push the "and N more" tail over the limit.
        if length + len(suffix) > limit_chars:
            break
        out.append(name)
        used = length
    if len(out) == len(names):
        return ", ".join(out)
    if not out:
        return f"{len(names)} learners{more_hint}"[:limit_chars]
    return ", ".join(out) + f" and {len(names) - len(out)} more{more_hint}"


@dataclass(frozen=True)
class DigestContent:
    title: str
    new_heading: str
    new_text: str
    table: str
    progress: str


def build_digest(
    week: FirstWeek,
    now: datetime,
    new_entries: Sequence[str],
    projects: Sequence[tuple[str, str]],
    counts: Mapping[tuple[str, str], int],
    announced: int,
    learners: int,
    *,
    new_limit_chars: int = 1000,
) -> DigestContent:
    """The daily digest: new announcements since the previous digest, totals, progress, days left."""
    day = max(1, min(week.day_number(now), week.days))
    title = f"First week — day {day} of {week.days}"
    if new_entries:
        heading = f"New since the last digest ({len(new_entries)})"
        text = name_list(list(new_entries), new_limit_chars, more_hint=" (see /project list)")
    else:
        heading = "New since the last digest"
        text = "No new announcements. Use `/project announce` to say what you are building."
    progress = progress_line(announced, learners, week.days_left(now), over=week.is_over(now))
    return DigestContent(title, heading, text, count_table(projects, counts), progress)
