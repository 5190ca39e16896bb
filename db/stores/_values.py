"""Rows and column values as SQLite stores them (ISO-8601 text, 0/1 flags), turned into Python values."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import typing
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast

if TYPE_CHECKING:
    from db.database import Known

T = TypeVar("T")

# The longest a list of rows holds the event loop while its objects are built: a thousand announcements built cold
# (after a start, or once the memo starts over) took ~20 ms in one go, and every interaction waited behind it.
BUILD_SLICE_SECONDS = 0.002


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


async def built_in_slices(rows: Iterable[Any], build: Callable[[Any], T]) -> list[T]:
    """`build(row)` for every row, letting the event loop run between slices of `BUILD_SLICE_SECONDS` (a row
    is built in ~20 µs, or kept in ~1 µs by a `RowMemo`: a short list is one slice)."""
    out: list[T] = []
    slice_ends = time.perf_counter() + BUILD_SLICE_SECONDS
    for n, row in enumerate(rows, 1):
        out.append(build(row))
        if n % 16 == 0 and time.perf_counter() > slice_ends:
            await asyncio.sleep(0)
            slice_ends = time.perf_counter() + BUILD_SLICE_SECONDS
    return out


class FromRow:
    """A stored row's dataclass, built from a row whose columns carry its field names."""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Self:
        return dataclass_from_row(cls, row)


class RowMemo(Generic[T]):
    """Immutable objects built from rows, kept by the row's values. A list read again and again (a suggestion pool
    every few seconds) gives back, for every row that did not change, the object built the last time: nothing is
    built again on the event loop, and no fresh copies are left for the garbage collector to walk.

    Kept by (the row's identity, the hash of all its values), not by the values themselves: keeping every row's
    text as a key held ~600 bytes per row beside the object (its timestamps and JSON as stored). A changed row
    hashes differently (64-bit hash; a collision would need the same row at ~2^-64 odds), and `ident` (default: the
    first column, the id) keeps one row's hash from ever giving back another row's object."""

    def __init__(
        self,
        build: Callable[[Any], T],
        size: int = 20_000,
        ident: Callable[[Any], Any] | None = None,
        shared: tuple[str, ...] = (),
    ) -> None:
        self.build = build
        self.size = size
        self.ident: Callable[[Any], Any] = ident or _first_column
        # Columns whose values repeat from row to row (a zone, a status, the same availability): the kept objects
        # share one copy of each value instead of one per row as the driver hands them out.
        self.shared = shared
        self._values: dict[Any, Any] = {}
        self._built: dict[tuple[Any, int], T] = {}

    def __call__(self, row: Any) -> T:
        key = (self.ident(row), hash(tuple(row)))
        built = self._built.get(key)
        if built is None:
            if len(self._built) >= self.size:
                # a few cohorts' rows: starting over now and then is cheaper than tracking recency
                self._built.clear()
                self._values.clear()
            built = self._built[key] = self.build(self._sharing(row) if self.shared else row)
        return built

    def known(self, row: Any) -> T | None:
        """The object kept for this row's values, or None. Only reads, so it may run on a database thread
        (`Database.fetch_known`) while the event loop keeps more."""
        return self._built.get((self.ident(row), hash(tuple(row))))

    def kept_or_built(self, read: Known[T]) -> T:
        """A row of `Database.fetch_known(…, self.known)` as its object: the kept one, else built now."""
        return read.kept if read.kept is not None else self(read.row)

    def _sharing(self, row: Any) -> dict[str, Any]:
        values = dict(zip(row.keys(), tuple(row), strict=True))
        for column in self.shared:
            value = values[column]
            values[column] = self._values.setdefault(value, value)
        return values


def _first_column(row: Any) -> Any:
    return row[0]
