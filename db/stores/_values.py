"""Column values as SQLite stores them (ISO-8601 text) and back; shared by the stores."""

from __future__ import annotations

from datetime import datetime


def optional_datetime(value: str | None) -> datetime | None:
    """An ISO-8601 column that may be NULL (or empty) → datetime or None."""
    return datetime.fromisoformat(value) if value else None
