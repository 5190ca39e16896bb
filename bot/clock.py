"""The one clock. Everything time-based asks it for "now".

With NEXUS_CLOCK_FILE set, "now" is the ISO-8601 instant written in that file, re-read on every
call, so tests and the sandbox can move time forward without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stays where it is set (tests, benches): `at` moves only when told."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class FileClock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = datetime.now(UTC)
        self._stamp: tuple[int, int] | None = None

    def now(self) -> datetime:
        try:
            # A stat is far cheaper than reading: re-read only when the file changed.
            info = self.path.stat()
            stamp = (info.st_mtime_ns, info.st_ino)
            if stamp == self._stamp:
                return self._last
            text = self.path.read_text().strip()
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (OSError, ValueError):
            # A half-written file during a test's update: keep the last good instant.
            return self._last
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        self._last = value.astimezone(UTC)
        self._stamp = stamp
        return self._last


def write_clock_file(path: Path, instant: datetime) -> None:
    """Atomically set the time a FileClock reads (used by tests, the sandbox and benches)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(instant.astimezone(UTC).isoformat())
    tmp.replace(path)


def advance_clock_file(path: Path, delta: timedelta) -> datetime:
    """Move the time a FileClock reads on by `delta`; the new instant."""
    instant = FileClock(path).now() + delta
    write_clock_file(path, instant)
    return instant


def make_clock(clock_file: Path | None) -> Clock:
    return FileClock(clock_file) if clock_file else SystemClock()
