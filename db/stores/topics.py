"""Learning topics: curated and community topics, ranked full-text search, usage, review, tips of the day."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from random import Random

from db.database import Database
from db.errors import Conflict, NotFound
from db.stores.topic_models import (
    TOPIC_COLUMNS,
    Resource,
    SearchHit,
    SearchResult,
    SeededFile,
    SeedReport,
    ShippedTopic,
    Topic,
    TopicCard,
    TopicDraft,
    TopicName,
    draft_params,
    split_aliases,
)
from db.stores.topic_search import BM25_WEIGHTS, SEARCH_SCAN_CAP, cards_sql, in_order, pinned
from db.stores.topic_search import rank as fts_rank
from db.stores.topic_search import search_first as fts_search_first

# The rows live in topic_models.py, SQLite's search in topic_search.py; callers import them from here.
__all__ = [
    "BM25_WEIGHTS",
    "CATEGORIES",
    "SEARCH_SCAN_CAP",
    "Resource",
    "SearchHit",
    "SearchResult",
    "SeedReport",
    "ShippedTopic",
    "Topic",
    "TopicCard",
    "TopicDraft",
    "TopicName",
    "TopicStore",
    "pinned",
]

_RNG = Random()

CATEGORIES: tuple[str, ...] = ("technologies", "concepts", "challenges", "best-practices", "frontend")

# PostgreSQL's ts_rank_cd weights for {D, C, B, A} (body, summary, aliases, title): BM25_WEIGHTS scaled to 1.
_PG_WEIGHTS = "{" + ", ".join(str(w / BM25_WEIGHTS[0]) for w in reversed(BM25_WEIGHTS)) + "}"
# PostgreSQL: one quoted term of the sanitiser's expression ("" is a quote inside it), each weighted by its rarity.
_QUOTED_TERM = re.compile(r'"(?:[^"]|"")*"')
_PG_MAX_TERMS = 32


# One more lookup of an approved topic (`record_use`, `open_approved`).
_COUNT_USE = "UPDATE topics SET uses = uses + 1 WHERE id = ? AND status = 'approved'"


class TopicStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reads ------------------------------------------------------------------------------

    async def get(self, topic_id: int) -> Topic | None:
        row = await self.db.fetchone(f"SELECT {TOPIC_COLUMNS} FROM topics WHERE id = ?", (topic_id,))
        return Topic.from_row(row) if row else None

    async def by_slug(self, slug: str, *, approved_only: bool = True) -> Topic | None:
        sql = f"SELECT {TOPIC_COLUMNS} FROM topics WHERE slug = ?" + (
            " AND status = 'approved'" if approved_only else ""
        )
        row = await self.db.fetchone(sql, (slug,))
        return Topic.from_row(row) if row else None

    async def many(self, topic_ids: Sequence[int]) -> list[Topic]:
        """Topics by id, in the order given (missing ids are left out)."""
        if not topic_ids:
            return []
        marks = ", ".join("?" for _ in topic_ids)
        rows = await self.db.fetchall(f"SELECT {TOPIC_COLUMNS} FROM topics WHERE id IN ({marks})", tuple(topic_ids))
        return in_order((Topic.from_row(r) for r in rows), topic_ids)

    async def cards(self, topic_ids: Sequence[int]) -> list[TopicCard]:
        """What a list of results shows of the topics, in the order given (missing ids are left out)."""
        if not topic_ids:
            return []
        rows = await self.db.fetchall(cards_sql(len(topic_ids)), tuple(topic_ids))
        return in_order((TopicCard(*r) for r in rows), topic_ids)

    async def by_slugs(self, slugs: Sequence[str]) -> list[Topic]:
        """Approved topics by slug, in the order given (unknown slugs are left out)."""
        if not slugs:
            return []
        marks = ", ".join("?" for _ in slugs)
        rows = await self.db.fetchall(
            f"SELECT {TOPIC_COLUMNS} FROM topics WHERE status = 'approved' AND slug IN ({marks})", tuple(slugs)
        )
        by_slug = {r["slug"]: Topic.from_row(r) for r in rows}
        return [by_slug[s] for s in slugs if s in by_slug]

    async def names(self) -> list[TopicName]:
        rows = await self.db.fetchall(
            "SELECT id, slug, title, aliases, category, uses FROM topics WHERE status = 'approved' ORDER BY id"
        )
        return [
            TopicName(r["id"], r["slug"], r["title"], split_aliases(r["aliases"]), r["category"], r["uses"])
            for r in rows
        ]

    async def count(self, status: str = "approved") -> int:
        return int(await self.db.fetchval("SELECT COUNT(*) FROM topics WHERE status = ?", (status,)) or 0)

    async def slug_exists(self, slug: str) -> bool:
        return await self.db.fetchone("SELECT 1 FROM topics WHERE slug = ?", (slug,)) is not None

    async def popular(self, limit: int = 10) -> list[Topic]:
        rows = await self.db.fetchall(
            f"SELECT {TOPIC_COLUMNS} FROM topics WHERE status = 'approved' AND uses > 0 "
            "ORDER BY uses DESC, title LIMIT ?",
            (limit,),
        )
        return [Topic.from_row(r) for r in rows]

    async def random(self, category: str | None = None, rng: Random | None = None) -> Topic | None:
        """A uniformly random approved topic (optionally of one category), without ORDER BY random()."""
        if category is None:
            ids = await self.db.fetchall("SELECT id FROM topics WHERE status = 'approved'")
        else:
            ids = await self.db.fetchall(
                "SELECT id FROM topics WHERE status = 'approved' AND category = ?", (category,)
            )
        if not ids:
            return None
        return await self.get((rng or _RNG).choice(ids)["id"])

    async def pending_unposted(self, guild_id: int) -> list[Topic]:
        rows = await self.db.fetchall(
            f"SELECT {TOPIC_COLUMNS} FROM topics WHERE status = 'pending' AND guild_id = ? "
            "AND review_message_id IS NULL ORDER BY id",
            (guild_id,),
        )
        return [Topic.from_row(r) for r in rows]

    # --- search -----------------------------------------------------------------------------

    async def search(self, match: str, limit: int = 50, *, scan_cap: int = SEARCH_SCAN_CAP) -> SearchResult:
        """Approved topics matching an FTS5 expression (built by bot.services.search), best first by bm25.

        The expression must come from the sanitiser: raw user text may not be valid FTS5 syntax.
        """
        if self.db.dialect == "postgres":
            return await self._search_postgres(match, limit, scan_cap)
        hits, matched = await self.db.on_reader(lambda conn: fts_rank(conn, match, limit, scan_cap))
        return SearchResult(hits, matched, matched >= scan_cap)

    async def search_first(
        self,
        matches: Sequence[str],
        limit: int = 50,
        *,
        pin: int | None = None,
        page: int = 0,
        scan_cap: int = SEARCH_SCAN_CAP,
        on_fallback: Callable[[], None] | None = None,
    ) -> SearchResult:
        """`search` of the first expression that matches anything, with the first `page` results' topics
        (`pin`, a topic named exactly as the query, put first, as `pinned` orders them): one hand-off.

        `on_fallback` is called on the event loop once the first expression found nothing, while the database
        thread goes on with the next (work only a fallback needs then costs no time of its own)."""
        if self.db.dialect == "postgres":
            for k, match in enumerate(matches):
                if k and on_fallback is not None:
                    on_fallback()
                result = await self._search_postgres(match, limit, scan_cap)
                if result.hits:
                    shown = pinned([h.topic_id for h in result.hits], pin, limit)[:page]
                    cards = tuple(await self.cards(shown))
                    return SearchResult(result.hits, result.matched, result.truncated, match, cards)
            return SearchResult((), 0, False)
        loop = asyncio.get_running_loop()
        notify = None if on_fallback is None else partial(loop.call_soon_threadsafe, on_fallback)
        chosen, (hits, matched), found = await self.db.on_reader(
            lambda conn: fts_search_first(conn, matches, limit, scan_cap, pin, page, notify)
        )
        return SearchResult(hits, matched, matched >= scan_cap, chosen, tuple(found))

    async def _search_postgres(self, match: str, limit: int, scan_cap: int) -> SearchResult:
        # The FTS5 expression ("a" "b", or "a" OR "b") is also web-search syntax: websearch_to_tsquery reads it
        # (and anything else) without ever raising; it picks the matches. ts_rank_cd alone has no IDF (a common
        # word counted as much as a rare one), so the score is bm25's shape: per quoted term, its rarity (IDF from
        # document frequencies the GIN index counts) times its saturated weighted rank (normalisation 32:
        # rank/(rank+1), as bm25 saturates term frequency); negated, so a lower score is better on both engines.
        terms = [m[0] for m in _QUOTED_TERM.finditer(match)][:_PG_MAX_TERMS] or [match]
        values = ", ".join("(CAST(? AS TEXT))" for _ in terms)
        rows = await self.db.fetchall(
            "WITH q AS (SELECT websearch_to_tsquery('english', ?) AS query), "
            f"terms AS (SELECT websearch_to_tsquery('english', v.term) AS tq FROM (VALUES {values}) AS v(term)), "
            "n AS (SELECT COUNT(*) AS total FROM topics WHERE status = 'approved'), "
            # MATERIALIZED: computed once, not once per hit (a CTE used once is otherwise inlined).
            "weighted AS MATERIALIZED (SELECT terms.tq, ln(1 + (n.total - d.df + 0.5) / (d.df + 0.5)) AS idf "
            "FROM terms, n, "
            "LATERAL (SELECT COUNT(*) AS df FROM topics t WHERE t.status = 'approved' AND t.search @@ terms.tq) d), "
            "hits AS (SELECT t.id, t.search FROM topics t, q WHERE t.status = 'approved' AND t.search @@ q.query "
            "ORDER BY t.id LIMIT ?) "
            "SELECT h.id, -(SELECT COALESCE(SUM(w.idf * "
            f"ts_rank_cd('{_PG_WEIGHTS}', h.search, w.tq, 32)), 0) FROM weighted w) AS score, "
            "(SELECT COUNT(*) FROM hits) AS matched FROM hits h ORDER BY score, h.id LIMIT ?",
            (match, *terms, scan_cap, limit),
        )
        matched = rows[0]["matched"] if rows else 0
        return SearchResult(tuple(SearchHit(r["id"], float(r["score"])) for r in rows), matched, matched >= scan_cap)

    async def like_scan(self, words: Sequence[str]) -> list[int]:
        """Baseline for the benchmark only: every approved topic containing all words, by substring scan."""
        clauses = " AND ".join("(title || ' ' || aliases || ' ' || summary || ' ' || body) LIKE ?" for _ in words)
        rows = await self.db.fetchall(
            f"SELECT id FROM topics WHERE status = 'approved' AND {clauses or '1'}", tuple(f"%{w}%" for w in words)
        )
        return [r["id"] for r in rows]

    # --- writes -----------------------------------------------------------------------------

    async def record_use(self, topic_id: int) -> None:
        """One more lookup of an approved topic: a counter, committed before the topic is shown but without
        waiting for the disk."""
        await self.db.execute(_COUNT_USE, (topic_id,), durable=False)

    async def open_approved(self, topic_id: int) -> Topic | None:
        """An approved topic, read and its lookup counted in one statement (`record_use`'s counter, then the
        row as it is after it): None when the topic is not, or no longer, approved."""
        rows = await self.db.write_returning(f"{_COUNT_USE} RETURNING {TOPIC_COLUMNS}", (topic_id,), durable=False)
        return Topic.from_row(rows[0]) if rows else None

    async def create(
        self,
        slug: str,
        draft: TopicDraft,
        now: datetime,
        *,
        status: str = "pending",
        source: str = "community",
        author_id: int | None = None,
        guild_id: int | None = None,
    ) -> Topic:
        params = {
            **draft_params(draft),
            "slug": slug,
            "status": status,
            "source": source,
            "author_id": author_id,
            "guild_id": guild_id,
            "now": now.isoformat(),
        }
        try:
            topic_id = await self.db.insert(
                "INSERT INTO topics (slug, title, category, aliases, summary, body, key_points, resources, related, "
                "status, source, author_id, guild_id, created_at, updated_at) VALUES (:slug, :title, :category, "
                ":aliases, :summary, :body, :key_points, :resources, :related, :status, :source, :author_id, "
                ":guild_id, :now, :now)",
                params,
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise Conflict(f"A topic named `{slug}` already exists; pick a different title.") from None
            raise
        topic = await self.get(topic_id)
        assert topic is not None
        return topic

    async def bulk_create(self, items: Iterable[tuple[str, TopicDraft]], now: datetime) -> int:
        """Insert many approved community topics in one transaction (benchmarks, imports).

        On SQLite the full-text index is then merged into one b-tree (FTS5 'optimize', as SQLite advises after
        a bulk load): each transaction leaves a segment, and a query reads every segment's list of a word;
        at 10k topics a search is about a third faster on the merged index (python -m bench.search)."""
        stamp = now.isoformat()
        rows = [
            {**draft_params(draft), "slug": slug, "now": stamp}
            for slug, draft in items  # materialised first: the write lock is held only for the insert
        ]
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO topics (slug, title, category, aliases, summary, body, key_points, resources, related, "
                "status, source, created_at, updated_at) VALUES (:slug, :title, :category, :aliases, :summary, "
                ":body, :key_points, :resources, :related, 'approved', 'community', :now, :now)",
                rows,
            )
            if self.db.dialect == "sqlite" and rows:
                await conn.execute("INSERT INTO topics_fts (topics_fts) VALUES ('optimize')")
        return len(rows)

    async def set_review_message(self, topic_id: int, channel_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE topics SET review_channel_id = ?, review_message_id = ? WHERE id = ?",
            (channel_id, message_id, topic_id),
        )

    async def _review(self, topic_id: int, status: str, reviewer_id: int, reason: str | None, now: datetime) -> Topic:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE topics SET status = ?, reviewed_by = ?, review_reason = ?, updated_at = ? "
                "WHERE id = ? AND status = 'pending'",
                (status, reviewer_id, reason, now.isoformat(), topic_id),
            )
            changed = cur.rowcount == 1
        topic = await self.get(topic_id)
        if topic is None:
            raise NotFound("That suggested topic no longer exists.")
        if not changed:
            by = f" by <@{topic.reviewed_by}>" if topic.reviewed_by else ""
            raise Conflict(f"**{topic.title}** was already {topic.status}{by}; nothing to do.")
        return topic

    async def approve(self, topic_id: int, reviewer_id: int, now: datetime) -> Topic:
        """Publish a pending topic; Conflict if someone already reviewed it."""
        return await self._review(topic_id, "approved", reviewer_id, None, now)

    async def reject(self, topic_id: int, reviewer_id: int, reason: str, now: datetime) -> Topic:
        return await self._review(topic_id, "rejected", reviewer_id, reason, now)

    async def update_content(self, topic_id: int, draft: TopicDraft, now: datetime) -> Topic:
        """A staff edit. The topic becomes locally maintained: seeding never overwrites it again."""
        params = {**draft_params(draft), "id": topic_id, "now": now.isoformat()}
        changed = await self.db.execute(
            "UPDATE topics SET title = :title, category = :category, aliases = :aliases, summary = :summary, "
            "body = :body, key_points = :key_points, resources = :resources, related = :related, "
            "source = 'community', content_hash = NULL, updated_at = :now WHERE id = :id",
            params,
        )
        topic = await self.get(topic_id)
        if not changed or topic is None:
            raise NotFound("That topic no longer exists.")
        return topic

    async def seeded_files(self) -> dict[str, SeededFile]:
        """Every topic's slug with its source and, for curated ones, the hash of the file it was seeded from: a
        start parses only the files whose hash changed, and seeds from the same read."""
        rows = await self.db.fetchall("SELECT slug, source, content_hash, related FROM topics")
        return {r["slug"]: SeededFile(r["source"], r["content_hash"], tuple(json.loads(r["related"]))) for r in rows}

    async def seed_shipped(
        self, shipped: Sequence[ShippedTopic], now: datetime, seeded: Mapping[str, SeededFile] | None = None
    ) -> SeedReport:
        """Insert or update curated topics by slug; unchanged files (same hash) and community topics are skipped.
        `seeded`: what `seeded_files` just read, if the caller has it."""
        existing = seeded if seeded is not None else await self.seeded_files()
        stamp = now.isoformat()
        inserts: list[dict[str, object]] = []
        updates: list[dict[str, object]] = []
        unchanged = 0
        skipped: list[str] = []
        for item in shipped:
            params = {**draft_params(item.draft), "slug": item.slug, "hash": item.content_hash, "now": stamp}
            current = existing.get(item.slug)
            if current is None:
                inserts.append(params)
            elif current.source != "shipped":
                skipped.append(item.slug)
            elif current.content_hash == item.content_hash:
                unchanged += 1
            else:
                updates.append(params)
        if inserts or updates:  # an unchanged start-up writes nothing
            async with self.db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO topics (slug, title, category, aliases, summary, body, key_points, resources, "
                    "related, status, source, content_hash, created_at, updated_at) VALUES (:slug, :title, "
                    ":category, :aliases, :summary, :body, :key_points, :resources, :related, 'approved', "
                    # Another process starting at the same moment may have seeded it first (several shards).
                    "'shipped', :hash, :now, :now) ON CONFLICT (slug) DO NOTHING",
                    inserts,
                )
                # The source guard repeats the check above inside the transaction.
                await conn.executemany(
                    "UPDATE topics SET title = :title, category = :category, aliases = :aliases, "
                    "summary = :summary, body = :body, key_points = :key_points, resources = :resources, "
                    "related = :related, status = 'approved', content_hash = :hash, updated_at = :now "
                    "WHERE slug = :slug AND source = 'shipped'",
                    updates,
                )
        inserted, updated = len(inserts), len(updates)
        return SeedReport(inserted, updated, unchanged, tuple(skipped))

    # --- tip of the day ---------------------------------------------------------------------

    async def tip_for_day(self, guild_id: int, day: date) -> Topic | None:
        row = await self.db.fetchone(
            "SELECT topic_id FROM topic_tips WHERE guild_id = ? AND day = ?", (guild_id, day.isoformat())
        )
        return await self.get(row["topic_id"]) if row else None

    async def pick_tip(self, guild_id: int, day: date, now: datetime, rng: Random | None = None) -> Topic | None:
        """Choose and record the day's tip: a topic not yet shown in this cycle; a new cycle once all were shown.

        Returns None if the guild already had a tip that day (so a tip never posts twice) or no topic exists.
        """
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "SELECT 1 FROM topic_tips WHERE guild_id = ? AND day = ?", (guild_id, day.isoformat())
            )
            if await cur.fetchone() is not None:
                return None
            cur = await conn.execute("SELECT COALESCE(MAX(cycle), 1) FROM topic_tips WHERE guild_id = ?", (guild_id,))
            row = await cur.fetchone()
            cycle = int(row[0]) if row else 1
            query = (
                "SELECT id FROM topics WHERE status = 'approved' AND id NOT IN "
                "(SELECT topic_id FROM topic_tips WHERE guild_id = ? AND cycle = ?)"
            )
            cur = await conn.execute(query, (guild_id, cycle))
            candidates = [r[0] for r in await cur.fetchall()]
            if not candidates:
                cycle += 1
                cur = await conn.execute(query, (guild_id, cycle))
                candidates = [r[0] for r in await cur.fetchall()]
            if not candidates:
                return None
            topic_id = (rng or _RNG).choice(candidates)
            await conn.execute(
                "INSERT INTO topic_tips (guild_id, topic_id, day, cycle, shown_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, topic_id, day.isoformat(), cycle, now.isoformat()),
            )
        return await self.get(topic_id)
