"""SQLite's side of topic search (FTS5): ranking as plain functions of a sqlite3 connection.

They run on the reader connection's own thread (`Database.on_reader`), so a whole search, the "any word"
fallback and the first page's topics (their text is what the excerpts are cut from), costs one hand-off to
the database thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from db.stores.topic_models import CARD_COLUMNS, SearchHit, TopicCard

# bm25 column weights (title, aliases, summary, body): a word in the title says more than one in the body.
BM25_WEIGHTS = (10.0, 6.0, 3.0, 1.0)
# bm25 is computed for at most this many matches (in rowid order, curated topics first) so a query for a
# word in every topic stays within a few milliseconds at 100k topics; below it the ranking is exact.
SEARCH_SCAN_CAP = 300
RANK_SQL = (
    f"WITH hits AS (SELECT rowid AS id, bm25(topics_fts, {', '.join(str(w) for w in BM25_WEIGHTS)}) AS score "
    "FROM topics_fts WHERE topics_fts MATCH ? LIMIT ?) "
    "SELECT id, score, (SELECT COUNT(*) FROM hits) AS matched FROM hits ORDER BY score, id LIMIT ?"
)

Ranked = tuple[tuple[SearchHit, ...], int]  # best first, matches looked at


def pinned(ids: Sequence[int], pin: int | None, limit: int) -> list[int]:
    """`ids` with `pin` (a topic named exactly as the query) moved or put first, at most `limit`."""
    if pin is None or not ids:
        return list(ids[:limit])
    return [pin, *(i for i in ids if i != pin)][:limit]


def rank(conn: sqlite3.Connection, match: str, limit: int, scan_cap: int) -> Ranked:
    rows = conn.execute(RANK_SQL, (match, scan_cap, limit)).fetchall()
    return tuple(SearchHit(r[0], r[1]) for r in rows), (rows[0][2] if rows else 0)


def cards_sql(count: int) -> str:
    return f"SELECT {CARD_COLUMNS} FROM topics WHERE id IN ({', '.join('?' for _ in range(count))})"


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=_HasId)


def in_order(found: Iterable[T], topic_ids: Sequence[int]) -> list[T]:
    """The topics (cards or whole rows) in the order of `topic_ids` (ids not found are left out)."""
    by_id = {t.id: t for t in found}
    return [by_id[i] for i in topic_ids if i in by_id]


def cards_by_id(conn: sqlite3.Connection, topic_ids: Sequence[int]) -> list[TopicCard]:
    rows = conn.execute(cards_sql(len(topic_ids)), tuple(topic_ids)).fetchall()
    return in_order((TopicCard(*r) for r in rows), topic_ids)


def search_first(
    conn: sqlite3.Connection,
    matches: Sequence[str],
    limit: int,
    scan_cap: int,
    pin: int | None,
    page: int,
    on_fallback: Callable[[], object] | None = None,
) -> tuple[str | None, Ranked, list[TopicCard]]:
    """The first expression with any match, its ranked hits, and the first `page` results' cards.

    `on_fallback()` is called (on this thread) before trying any expression after the first."""
    for k, match in enumerate(matches):
        if k and on_fallback is not None:
            on_fallback()
        ranked = rank(conn, match, limit, scan_cap)
        if ranked[0]:
            shown = pinned([h.topic_id for h in ranked[0]], pin, limit)[:page]
            return match, ranked, cards_by_id(conn, shown) if shown else []
    return None, ((), 0), []
