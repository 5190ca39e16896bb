"""Rows and column values as SQLite stores them (ISO-8601 text, 0/1 flags), turned into Python values."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar, cast

T = TypeVar("T")


def optional_datetime(value: str | None) -> datetime | None:
    """An ISO-8601 column that may be NULL (or empty) → datetime or None."""
    return datetime.fromisoformat(value) if value else None


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def dataclass_from_row(cls: type[T], row: sqlite3.Row, **converted: Any) -> T:
    """Build the dataclass `cls` from a row whose columns carry its field names. `converted` gives the
    fields whose stored form differs (dates as ISO text, flags as 0/1, JSON text)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:  # once per class: listing a dataclass's fields is slow next to reading a row
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cast(Any, cls)))
    return cls(**{name: row[name] for name in names if name not in converted}, **converted)
