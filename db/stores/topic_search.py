"""SQLite's side of topic search (FTS5): ranking and excerpts as plain functions of a sqlite3 connection.

They run on the reader connection's own thread (`Database.on_reader`), so a whole search, the "any word"
fallback and the first page's excerpts, costs one hand-off to the database thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from db.stores.topic_models import SearchHit

# bm25 column weights (title, aliases, summary, body): a word in the title says more than one in the body.
BM25_WEIGHTS = (10.0, 6.0, 3.0, 1.0)
# bm25 is computed for at most this many matches (in rowid order, curated topics first) so a query for a
# word in every topic stays within a few milliseconds at 100k topics; below it the ranking is exact.
SEARCH_SCAN_CAP = 300
# Snippet markers: control characters nobody types, replaced by the renderer after escaping markdown.
MARK_START = "\x02"
MARK_END = "\x03"

RANK_SQL = (
    f"WITH hits AS (SELECT rowid AS id, bm25(topics_fts, {', '.join(str(w) for w in BM25_WEIGHTS)}) AS score "
    "FROM topics_fts WHERE topics_fts MATCH ? LIMIT ?) "
    "SELECT id, score, (SELECT COUNT(*) FROM hits) AS matched FROM hits ORDER BY score, id LIMIT ?"
)
_SNIPPET = "snippet(topics_fts, -1, ?, ?, '…', ?)"
# One `rowid = ?` branch per topic: FTS5 seeks to each row, where `rowid IN (...)` scans every match.
_BRANCH = f"SELECT rowid AS id, {_SNIPPET} AS snip FROM topics_fts WHERE topics_fts MATCH ? AND rowid = ?"
_CHUNK = 50  # SQLite caps compound SELECTs at 500 branches

Ranked = tuple[tuple[SearchHit, ...], int]  # best first, matches looked at


def pinned(ids: Sequence[int], pin: int | None, limit: int) -> list[int]:
    """`ids` with `pin` (a topic named exactly as the query) moved or put first, at most `limit`."""
    if pin is None or not ids:
        return list(ids[:limit])
    return [pin, *(i for i in ids if i != pin)][:limit]


def rank(conn: sqlite3.Connection, match: str, limit: int, scan_cap: int) -> Ranked:
    rows = conn.execute(RANK_SQL, (match, scan_cap, limit)).fetchall()
    return tuple(SearchHit(r[0], r[1]) for r in rows), (rows[0][2] if rows else 0)


def _range_sql(count: int) -> str:
    # One pass over the matches between the lowest and highest id (a page of ranked hits lies within the
    # capped scan): FTS5 takes the rowid bounds, and CASE calls snippet() only for the wanted rows.
    marks = ", ".join("?" for _ in range(count))
    return (
        f"SELECT id, snip FROM (SELECT rowid AS id, CASE WHEN rowid IN ({marks}) THEN {_SNIPPET} END AS snip "
        "FROM topics_fts WHERE topics_fts MATCH ? AND rowid BETWEEN ? AND ? LIMIT ?) WHERE snip IS NOT NULL"
    )


def snippets(conn: sqlite3.Connection, match: str, topic_ids: Sequence[int], tokens: int) -> dict[int, str]:
    """Highlighted excerpts (MARK_START/MARK_END around matched words) of those topics that match."""
    found: dict[int, str] = {}
    wanted = list(dict.fromkeys(topic_ids))
    for first in range(0, len(wanted), _CHUNK):
        chunk = wanted[first : first + _CHUNK]
        params = (*chunk, MARK_START, MARK_END, tokens, match, min(chunk), max(chunk), SEARCH_SCAN_CAP + len(chunk))
        found.update((r[0], r[1]) for r in conn.execute(_range_sql(len(chunk)), params))
    # Not in the bounded pass: a pinned topic far from the others, or one the expression doesn't match.
    missing = [i for i in wanted if i not in found]
    for first in range(0, len(missing), _CHUNK):
        chunk = missing[first : first + _CHUNK]
        sql = " UNION ALL ".join(_BRANCH for _ in chunk)
        args = [value for i in chunk for value in (MARK_START, MARK_END, tokens, match, i)]
        found.update((r[0], r[1]) for r in conn.execute(sql, args))
    return found


def search_first(
    conn: sqlite3.Connection,
    matches: Sequence[str],
    limit: int,
    scan_cap: int,
    pin: int | None,
    page: int,
    tokens: int,
    on_fallback: Callable[[], object] | None = None,
) -> tuple[str | None, Ranked, dict[int, str]]:
    """The first expression with any match, its ranked hits, and the excerpts of the first `page` results.

    `on_fallback()` is called (on this thread) before trying any expression after the first."""
    for k, match in enumerate(matches):
        if k and on_fallback is not None:
            on_fallback()
        ranked = rank(conn, match, limit, scan_cap)
        if ranked[0]:
            shown = pinned([h.topic_id for h in ranked[0]], pin, limit)[:page]
            return match, ranked, snippets(conn, match, shown, tokens) if shown else {}
    return None, ((), 0), {}
