"""Rows and column values as SQLite stores them (ISO-8601 text, 0/1 flags), turned into Python values."""

from __future__ import annotations

import sqlite3
import typing
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any, Generic, Self, TypeVar, cast

T = TypeVar("T")


def iso(moment: datetime) -> str:
    """How a moment is stored: ISO-8601 text in UTC, so text order is time order."""
    return moment.astimezone(UTC).isoformat()


def optional_datetime(value: str | None) -> datetime | None:
    """An ISO-8601 column that may be NULL (or empty) → datetime or None."""
    return datetime.fromisoformat(value) if value else None


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# What a field's declared type says about its stored form; other types are stored as they are.
_CONVERTERS: dict[object, Callable[[Any], Any]] = {
    datetime: datetime.fromisoformat,
    datetime | None: optional_datetime,
    date: date.fromisoformat,
    date | None: _optional_date,
    bool: bool,
}

_Plan = tuple[tuple[str, Callable[[Any], Any] | None], ...]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    """Once per class: listing a dataclass's fields and hints is slow next to reading a row."""
    hints = typing.get_type_hints(cls)
    return tuple((field.name, _CONVERTERS.get(hints[field.name])) for field in fields(cast(Any, cls)))


def dataclass_from_row(cls: type[T], row: sqlite3.Row, **converted: Any) -> T:
    """Build the dataclass `cls` from a row whose columns carry its field names. Dates, moments and
    flags are read by their declared type; `converted` gives the fields stored in another shape (JSON
    text, a column of another name)."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    values = {name: (convert(row[name]) if convert else row[name]) for name, convert in plan if name not in converted}
    return cls(**values, **converted)


class FromRow:
    """A stored row's dataclass, built from a row whose columns carry its field names."""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Self:
        return dataclass_from_row(cls, row)


class RowMemo(Generic[T]):
    """Immutable objects built from rows, kept by the row's values. A list read again and again (a suggestion pool
    every few seconds) gives back, for every row that did not change, the object built the last time: nothing is
    built again on the event loop, and no fresh copies are left for the garbage collector to walk."""

    def __init__(self, build: Callable[[Any], T], size: int = 20_000) -> None:
        self.build = build
        self.size = size
        self._built: dict[tuple[Any, ...], T] = {}

    def __call__(self, row: Any) -> T:
        key = tuple(row)
        built = self._built.get(key)
        if built is None:
            if len(self._built) >= self.size:
                self._built.clear()  # a few cohorts' rows: starting over now and then is cheaper than tracking recency
            built = self._built[key] = self.build(row)
        return built
