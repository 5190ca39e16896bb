"""What every store shares: the one database, and reading rows as the store's frozen dataclasses."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from db.stores._values import RowMemo, built_in_slices

if TYPE_CHECKING:
    from db.database import Database, Params


class Stored(Protocol):
    """A stored row's dataclass: `from_row` builds one from a row of its table."""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Self: ...


S = TypeVar("S", bound=Stored)
T = TypeVar("T")


class Store:
    """A store: plain parameterised SQL on the one database, rows returned as frozen dataclasses."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _row(self, kind: type[S], sql: str, params: Params = ()) -> S | None:
        """The query's first row as a `kind`, or None when there is none."""
        row = await self.db.fetchone(sql, params)
        return kind.from_row(row) if row else None

    async def _rows(self, kind: type[S], sql: str, params: Params = ()) -> list[S]:
        """The query's rows as `kind`s, in the query's order."""
        return await built_in_slices(await self.db.fetchall(sql, params), kind.from_row)

    async def _kept_rows(self, memo: RowMemo[T], sql: str, params: Params = ()) -> list[T]:
        """The query's rows as objects, the unchanged ones as `memo` kept them: those are recognised on the
        reader's thread as they are read and never held as rows (a pool re-read every few seconds held all
        its rows at once: a few MB each time, and the peak RSS with them)."""
        return await built_in_slices(await self.db.fetch_known(sql, params, memo.known), memo.kept_or_built)
