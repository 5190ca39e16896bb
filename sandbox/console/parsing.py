"""Console input: `name:value` options, slash command lines, durations, quoted words."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from typing import Any

JSONDict = dict[str, Any]

_OPTION = re.compile(r"(?:^|\s)([a-z][a-z0-9_-]*):")
_DURATION = re.compile(r"^(\d{1,6})\s*([mhd])$")
MAX_ADVANCE = timedelta(days=365)
QUIT = ("quit", "exit")
ROLES = {"backend": "Backend", "frontend": "Frontend", "staff": "Staff"}


class StepError(Exception):
    """A step that failed: the console says why and goes on; a script exits non-zero."""


def _inside_quotes(text: str, position: int) -> bool:
    quote: str | None = None
    for ch in text[:position]:
        if quote is None and ch in "\"'":
            quote = ch
        elif ch == quote:
            quote = None
    return quote is not None


def parse_options(text: str) -> dict[str, Any]:
    """`name:django level:"two words" flag:true` → {"name": "django", ...}; a value runs to the next `opt:`."""
    matches = [m for m in _OPTION.finditer(text) if not _inside_quotes(text, m.start(1))]
    if text.strip() and (not matches or text[: matches[0].start()].strip()):
        raise StepError(f"options are written name:value; could not read {text.strip()!r}")
    options: dict[str, Any] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        raw = text[match.end() : end].strip()
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
            raw = raw[1:-1]
        value: Any = raw
        if raw.lower() in ("true", "yes"):
            value = True
        elif raw.lower() in ("false", "no"):
            value = False
        options[match.group(1)] = value.lstrip("#@") if isinstance(value, str) and raw[:1] in "#@" else value
    return options


def split_command(text: str) -> tuple[str, dict[str, Any]]:
    """`/project list track:backend` → ("project list", {"track": "backend"})."""
    body = text.strip().removeprefix("/")
    first_option = _OPTION.search(body)
    path = body[: first_option.start()] if first_option else body
    options = parse_options(body[len(path) :]) if first_option else {}
    return " ".join(path.split()), options


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise StepError("durations look like 30m, 2h or 3d")
    amount, unit = int(match.group(1)), match.group(2)
    delta = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
    if delta > MAX_ADVANCE:
        raise StepError("advance at most 365d at a time")
    return delta


def split_words(text: str) -> list[str]:
    """Words, with "quoted phrases" kept together; StepError (not ValueError) on an unclosed quote."""
    try:
        return shlex.split(text)
    except ValueError:
        raise StepError('a quote is not closed: write it like click "Pair with me"') from None
