"""Cleaning of free text typed by members, before it is validated, stored or shown."""

from __future__ import annotations

import re

from bot.errors import InvalidInput

# C0/C1 control characters except tab and newline: invisible, and SQLite's length() stops at NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """Normalise newlines, drop control characters and trim surrounding whitespace."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean_line(value: str) -> str:
    """One line of text: control characters dropped, every run of whitespace made one space, trimmed."""
    return _SPACES.sub(" ", _CONTROL.sub("", value)).strip()


def require_text(value: str, field: str, *, min_length: int = 1, max_length: int) -> str:
    """Cleaned text within the limits, or an InvalidInput naming the field and the limits."""
    cleaned = clean_text(value)
    if len(cleaned) < min_length:
        need = "some text" if min_length == 1 else f"at least {min_length} characters"
        raise InvalidInput(f"`{field}` needs {need} (spaces and invisible characters don't count).")
    if len(cleaned) > max_length:
        raise InvalidInput(f"`{field}` is {len(cleaned)} characters; keep it to {max_length}.")
    return cleaned
