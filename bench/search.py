"""Learning-topic search benchmark: ``python -m bench.search [--quick]``.

Builds topic stores of 1k, 10k and 100k synthetic topics and times, at the store level:

* search: the full `/learn search` path as `LearningService.search` runs it (bm25 query, "any word" fallback,
  the first page's five topics, all in one hand-off to the database thread; then their excerpts, cut in
  Python from the topics' text, and "did you mean");
* ranking without excerpts: the same without the first page (`/learn` related topics, the web API's ranking);
* our statements on plain sqlite3: the statements of the search run synchronously on a plain connection,
  what the engine itself spends on our search (the rest of ours is the hand-off and Python);
* autocomplete: `NameIndex.complete` per keystroke of titles, aliases and typos;
* topic fetch: `TopicStore.by_slug`;
* baseline: a `LIKE '%word%'` scan returning every matching topic (what an unindexed content scan costs);
* floor: the bare engine, i.e. one `MATCH … ORDER BY bm25() LIMIT 50` per query on a plain synchronous
  sqlite3 connection to the same file (the all-words expression, then the any-word one if it found
  nothing, as the search does), with the same queries: what FTS5 itself costs, without our thread hop,
  fallbacks, "did you mean", first page or excerpts; our search p50/p99 are shown as a ratio to it (target ≤ 2×);

then the end-to-end autocomplete round trip through the sandbox (a real bot process, 1k topics).
Store-level figures are percentiles over queries of each query's median of three runs (a busy machine's
scheduler hiccups are not the query's cost); the LIKE baseline and the round trips are single runs.

The corpus is synthetic but realistic: each topic is written around one of the curated topics in
content/topics/ (its own word distribution, 75 %) mixed with the vocabulary of all of them (25 %),
so topic-specific words are rare and programme words ("django", "api") are common, as in real notes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bot.services.search import NameIndex, build_match, ranked_search
from bot.services.topic_content import load_topics
from db.database import Database
from db.stores.topic_search import search_first as fts_search_first
from db.stores.topics import BM25_WEIGHTS, CATEGORIES, SEARCH_SCAN_CAP, TopicDraft, TopicStore

SEED = 20261201
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
E2E_TOPICS = 1_000
FIRST_PAGE = 5  # /learn search shows five results a page

DOMAINS = [
    "e-commerce checkout",
    "product catalogue",
    "shopping cart",
    "social media feed",
    "comment threads",
    "movie recommendations",
    "ratings",
    "job board",
    "job applications",
    "online poll",
    "vote counting",
    "user profiles",
]
PATTERNS = [
    "{A} for the {d}",
    "{A} and {B}",
    "How to use {a} in a {d}",
    "Debugging {a} {b}",
    "{A} {B} patterns",
    "{A}: {b} pitfalls",
]
QUESTIONS = [
    "how do I split a risky migration",
    "what is caching and when do I use redis",
    "debug django middleware",
    "what goes in a dockerfile",
    "jwt refresh token",
    "n+1 queries select_related",
    "cursor pagination",
    "rate limiting api",
    "react state management",
    "graphql vs rest",
    "celery retry task",
    "environment variables secrets",
    "postgres index slow query",
    "ci pipeline github actions",
    "cachng stratgies",
    "djnago middlewre",
    'c++ * - "unbalanced',
    "docker compose volumes",
    "optimistic updates",
    "accessibility forms",
]

WORD = re.compile(r"[a-z][a-z0-9+]+")


class Corpus:
    """Word distributions learned from the curated topics, used to write synthetic ones."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = np.random.default_rng(seed)
        shipped = load_topics().topics
        self.themes = []
        background: Counter[str] = Counter()
        for topic in shipped:
            d = topic.draft
            words = WORD.findall(" ".join([d.title, d.summary, d.body, *d.key_points]).lower())
            counts = Counter(words)
            background.update(counts)
            vocab = np.array(list(counts), dtype=object)
            cdf = np.cumsum([counts[w] for w in vocab], dtype=float)
            keywords = [w for w, _ in counts.most_common(40) if len(w) > 3][:12] or list(vocab[:12])
            self.themes.append((d.category, vocab, cdf / cdf[-1], keywords, d.aliases))
        self.bg_vocab = np.array(list(background), dtype=object)
        bg_cdf = np.cumsum([background[w] for w in self.bg_vocab], dtype=float)
        self.bg_cdf = bg_cdf / bg_cdf[-1]

    def _words(self, theme: int, n: int) -> str:
        _, vocab, cdf, _, _ = self.themes[theme]
        own = int(n * 0.75)
        # Inverse-CDF sampling: one searchsorted per text instead of a weighted choice per word.
        picks = np.concatenate(
            [
                vocab[np.minimum(np.searchsorted(cdf, self.rng.random(own)), len(vocab) - 1)],
                self.bg_vocab[
                    np.minimum(np.searchsorted(self.bg_cdf, self.rng.random(n - own)), len(self.bg_vocab) - 1)
                ],
            ]
        )
        return " ".join(picks[self.rng.permutation(n)])

    def topic(self, i: int) -> tuple[str, TopicDraft]:
        theme = int(self.rng.integers(len(self.themes)))
        category, _, _, keywords, aliases = self.themes[theme]
        a, b = (str(w) for w in self.rng.choice(keywords, 2, replace=False))
        pattern = PATTERNS[int(self.rng.integers(len(PATTERNS)))]
        domain = DOMAINS[int(self.rng.integers(len(DOMAINS)))]
        title = pattern.format(A=a.capitalize(), B=b, a=a, b=b, d=domain)[:80]
        own_aliases = tuple(dict.fromkeys(f"{alias} {i}" for alias in aliases[: int(self.rng.integers(0, 3))]))
        summary = self._words(theme, int(self.rng.integers(18, 35))).capitalize()[:299] + "."
        body = self._words(theme, int(self.rng.integers(150, 300)))
        draft = TopicDraft(
            title=title,
            category=category if category in CATEGORIES else "concepts",
            summary=summary,
            body=body,
            aliases=own_aliases,
        )
        return f"s{i}", draft

    def topics(self, n: int) -> Iterator[tuple[str, TopicDraft]]:
        for i in range(n):
            yield self.topic(i)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int = 3) -> float:
    """Milliseconds for one call: the median of `repeat` runs, so one scheduler hiccup on a busy machine
    doesn't count as the query's cost (the percentiles are over queries, not over noise)."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def timed_sync(fn: Callable[[], Any], repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


async def build_store(path: Path, n: int) -> tuple[Database, TopicStore, float]:
    db = await Database(path).connect()
    await db.migrate()
    store = TopicStore(db)
    started = time.perf_counter()
    await store.seed_shipped(load_topics().topics, NOW)
    corpus = Corpus()
    batch = 5_000
    for start in range(0, n, batch):
        await store.bulk_create((corpus.topic(i) for i in range(start, min(n, start + batch))), NOW)
    return db, store, time.perf_counter() - started


def search_queries(names: NameIndex, titles: list[str], count: int, seed: int) -> list[str]:
    """Curated learner questions, titles and keywords of real topics, and typos, in a fixed shuffled mix."""
    rng = np.random.default_rng(seed)
    shipped = load_topics().topics
    pool = list(QUESTIONS)
    for topic in shipped:
        pool.append(topic.draft.title)
        pool.extend(topic.draft.aliases[:2])
    pool.extend(titles[:: max(1, len(titles) // 200)])
    return [pool[int(i)] for i in rng.integers(len(pool), size=count)]


def keystrokes(pool: list[str], count: int, seed: int) -> list[str]:
    """Every prefix of names as typed, plus a typo in some of them."""
    rng = np.random.default_rng(seed)
    out: list[str] = [""]
    while len(out) < count:
        name = pool[int(rng.integers(len(pool)))].lower()
        if rng.random() < 0.3 and len(name) > 4:
            k = int(rng.integers(1, len(name) - 2))
            name = name[:k] + name[k + 1] + name[k] + name[k + 2 :]  # swapped letters
        out.extend(name[:j] for j in range(1, min(len(name), 24) + 1))
    return out[:count]


async def measure_size(n: int, workdir: Path) -> dict[str, Any]:
    db, store, build_s = await build_store(workdir / f"topics-{n}.db", n)
    try:
        topics = await store.names()
        started = time.perf_counter()
        names = NameIndex(topics)
        index_s = time.perf_counter() - started
        titles = [t.title for t in topics]
        slugs = [t.slug for t in topics]
        queries = search_queries(names, titles, 400 if n <= 10_000 else 300, SEED + n)

        async def full_search(text: str) -> None:
            # What LearningService.search does for /learn search: ranked ids and the first page's excerpts.
            await ranked_search(store, names, text, 50, page=FIRST_PAGE)

        # The four figures are taken query by query, back to back, so a busy machine moves them together.
        bare, ours_sync = BareFts5(workdir / f"topics-{n}.db"), SameStatements(workdir / f"topics-{n}.db", names)
        try:
            for q in queries[:30]:  # warm the page cache and the statement caches
                await full_search(q)
                await ranked_search(store, names, q, 50)
                bare(q)
                ours_sync(q)
            gc.collect()
            search_ms, ranking_ms, floor_ms, engine_ms = [], [], [], []
            for q in queries:
                search_ms.append(await timed(partial(full_search, q)))
                ranking_ms.append(await timed(partial(ranked_search, store, names, q, 50)))
                floor_ms.append(timed_sync(partial(bare, q)))
                engine_ms.append(timed_sync(partial(ours_sync, q)))
        finally:
            bare.conn.close()
            ours_sync.conn.close()

        typed = keystrokes([*titles[:2000], *(a for t in topics[:2000] for a in t.aliases)], 3000, SEED + 1)
        complete_ms = [timed_sync(partial(names.complete, text)) for text in typed]

        rng = np.random.default_rng(SEED + 2)
        fetch_ms = [await timed(partial(store.by_slug, slugs[int(i)])) for i in rng.integers(len(slugs), size=1000)]

        like_queries = queries[: 40 if n < 100_000 else 25]
        like_ms = [
            await timed(partial(store.like_scan, [w for w in q.lower().split() if w.isalnum()][:4] or [q]), 1)
            for q in like_queries
        ]
        return {
            "n": n,
            "build_s": build_s,
            "index_s": index_s,
            "search": search_ms,
            "complete": complete_ms,
            "fetch": fetch_ms,
            "like": like_ms,
            "floor": floor_ms,
            "ranking": ranking_ms,
            "engine": engine_ms,
        }
    finally:
        await db.close()


class _Plain:
    """One query of the text on a plain synchronous sqlite3 connection with the bot's read pragmas."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA mmap_size = 268435456")
        self.conn.execute("PRAGMA cache_size = -32768")


class BareFts5(_Plain):
    """The engine's own cost per query: bm25-ordered MATCH on a plain sqlite3 connection (see the module doc)."""

    SQL = (
        "SELECT rowid FROM topics_fts WHERE topics_fts MATCH ? "
        f"ORDER BY bm25(topics_fts, {', '.join(str(w) for w in BM25_WEIGHTS)}) LIMIT 50"
    )

    def __call__(self, text: str) -> None:
        for any_word in (False, True):
            match = build_match(text, any_word=any_word)
            if match is None or self.conn.execute(self.SQL, (match,)).fetchall():
                return


class SameStatements(_Plain):
    """Our search's own statements (ranking, fallback, first page's topics) on a plain synchronous sqlite3
    connection: what the engine spends on our search, without the hand-off, "did you mean" or the objects
    built on the event loop's side."""

    def __init__(self, path: Path, names: NameIndex) -> None:
        super().__init__(path)
        self.conn.row_factory = sqlite3.Row  # as the bot's reader reads the page's topics
        self.names = names

    def __call__(self, text: str) -> None:
        every, some = build_match(text), build_match(text, any_word=True)
        matches = [m for m in dict.fromkeys((every, some)) if m is not None] if every else []
        fts_search_first(self.conn, matches, 50, SEARCH_SCAN_CAP, self.names.exact(text), FIRST_PAGE)


async def measure_e2e(workdir: Path, samples: int = 300, *, validate: bool = False) -> list[float]:
    """Autocomplete round trips through the sandbox: interaction created → choices received by the client.

    `validate`: the sandbox also checks every bot request against Discord's OpenAPI schema (test
    instrumentation that real Discord doesn't run in the round trip; it costs several ms per request).
    """
    from sandbox.client import SandboxClient
    from sandbox.harness import BotProcess
    from sandbox.server import SandboxServer
    from sandbox.world import World

    db_path = workdir / "e2e.db"
    if not db_path.exists():
        built, _store, _ = await build_store(db_path, E2E_TOPICS)
        await built.close()
    async with Database(db_path) as db:
        titles = [t.title for t in await TopicStore(db).names()]
    server = SandboxServer(World.default(), ack_window=3.0, rate_limits=False, validate_openapi=validate)
    await server.start()
    log_path = workdir / f"bot-{'validated' if validate else 'plain'}.log"
    bot = BotProcess.for_sandbox(server, database_path=db_path, log_path=log_path, log_level="WARNING")
    try:
        await bot.start()
        await bot.wait_ready(server, timeout=60)
        client = SandboxClient(server)
        typed = keystrokes(titles, samples + 20, SEED + 3)
        for text in typed[:20]:  # warm-up
            await client.autocomplete("alice", "learn topic", focused="name", value=text)
        rtt = []
        for text in typed[20:]:
            t0 = time.perf_counter()
            choices = await client.autocomplete("alice", "learn topic", focused="name", value=text)
            rtt.append((time.perf_counter() - t0) * 1000)
            assert len(choices) <= 25
        return rtt
    finally:
        if bot.running:
            await bot.stop()
        await server.stop()


def _row(figure: str, value: float | str, target: str = "—", passed: bool | None = None) -> dict[str, Any]:
    return {"figure": figure, "value": value, "target": target, "passed": passed}


def rows_for(m: dict[str, Any]) -> list[dict[str, Any]]:
    n = m["n"]
    label = f"{n // 1000}k topics"
    s50, s99 = percentile(m["search"], 50), percentile(m["search"], 99)
    c50, c99 = percentile(m["complete"], 50), percentile(m["complete"], 99)
    f50, f99 = percentile(m["fetch"], 50), percentile(m["fetch"], 99)
    l50, l99 = percentile(m["like"], 50), percentile(m["like"], 99)
    b50, b99 = percentile(m["floor"], 50), percentile(m["floor"], 99)
    r50, r99 = (s50 / b50 if b50 else float("inf")), (s99 / b99 if b99 else float("inf"))
    k50, k99 = percentile(m["ranking"], 50), percentile(m["ranking"], 99)
    e50, e99 = percentile(m["engine"], 50), percentile(m["engine"], 99)
    rows = [_row(f"search {label}: build store (s)", round(m["build_s"], 1))]
    if n == 10_000:
        rows += [
            _row(f"search {label}: search p50 (ms)", round(s50, 3)),
            _row(f"search {label}: search p99 (ms)", round(s99, 3), "≤ 3 ms", s99 <= 3),
            _row(f"search {label}: autocomplete p50 (ms)", round(c50, 3)),
            _row(f"search {label}: autocomplete p99 (ms)", round(c99, 3), "≤ 5 ms", c99 <= 5),
        ]
    elif n == 100_000:
        rows += [
            _row(f"search {label}: search p50 (ms)", round(s50, 3), "≤ 5 ms", s50 <= 5),
            _row(f"search {label}: search p99 (ms)", round(s99, 3), "≤ 50 ms", s99 <= 50),
            _row(f"search {label}: autocomplete p50 (ms)", round(c50, 3)),
            _row(f"search {label}: autocomplete p99 (ms)", round(c99, 3)),
        ]
    else:
        rows += [
            _row(f"search {label}: search p50 (ms)", round(s50, 3)),
            _row(f"search {label}: search p99 (ms)", round(s99, 3)),
            _row(f"search {label}: autocomplete p50 (ms)", round(c50, 3)),
            _row(f"search {label}: autocomplete p99 (ms)", round(c99, 3)),
        ]
    rows += [
        _row(f"search {label}: bare FTS5 bm25 p50 / p99 (ms)", f"{b50:.3f} / {b99:.3f}", "floor"),
        _row(f"search {label}: search p50 ratio to bare FTS5", round(r50, 2), "≤ 2×", r50 <= 2),
        _row(f"search {label}: search p99 ratio to bare FTS5", round(r99, 2), "≤ 2×", r99 <= 2),
        _row(f"search {label}: our statements on plain sqlite3 p50 / p99 (ms)", f"{e50:.3f} / {e99:.3f}"),
        _row(f"search {label}: ranking without excerpts p50 / p99 (ms)", f"{k50:.3f} / {k99:.3f}"),
        _row(f"search {label}: ranking without excerpts p50 / p99 ratio to bare", f"{k50 / b50:.2f} / {k99 / b99:.2f}"),
        _row(f"search {label}: topic fetch p50 (ms)", round(f50, 3)),
        _row(f"search {label}: topic fetch p99 (ms)", round(f99, 3)),
        _row(f"search {label}: LIKE scan p50 (ms)", round(l50, 3)),
        _row(f"search {label}: LIKE scan p99 (ms)", round(l99, 3)),
    ]
    speedup = l50 / s50 if s50 else float("inf")
    if n == 100_000:
        rows.append(_row(f"search {label}: speed-up vs LIKE (p50)", round(speedup, 1), "≥ 10×", speedup >= 10))
    else:
        rows.append(_row(f"search {label}: speed-up vs LIKE (p50)", round(speedup, 1)))
    return rows


async def _run(quick: bool, sizes: tuple[int, ...] | None = None, e2e: bool = True) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nexus-bench-search-") as tmp:
        workdir = Path(tmp)
        for n in sizes or (QUICK_SIZES if quick else SIZES):
            m = await measure_size(n, workdir)
            rows += rows_for(m)
            print(f"  search: {n:,} topics measured", file=sys.stderr, flush=True)
        if e2e:
            label = f"search e2e autocomplete ({E2E_TOPICS // 1000}k topics)"
            rtt = await measure_e2e(workdir)
            p50, p99 = percentile(rtt, 50), percentile(rtt, 99)
            rows += [
                _row(f"{label} p50 (ms)", round(p50, 3)),
                _row(f"{label} p99 (ms)", round(p99, 3), "≤ 25 ms", p99 <= 25),
            ]
            checked = await measure_e2e(workdir, 150, validate=True)
            rows.append(_row(f"{label} p50 with OpenAPI checks (ms)", round(percentile(checked, 50), 3)))
            rows.append(_row(f"{label} p99 with OpenAPI checks (ms)", round(percentile(checked, 99), 3)))
    return rows


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows for the ``python -m bench`` aggregator (quick = 1k and 10k only)."""
    return asyncio.run(_run(quick))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k topics only")
    parser.add_argument("--sizes", help="comma-separated sizes, e.g. 1000,10000")
    parser.add_argument("--no-e2e", action="store_true", help="skip the sandbox round trip")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None
    rows = asyncio.run(_run(args.quick, sizes, not args.no_e2e))
    width = max(len(r["figure"]) for r in rows)
    print(f"{'figure'.ljust(width)}  {'value':>10}  {'target':<8}  result")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 8}  ------")
    for r in rows:
        result = {True: "pass", False: "FAIL", None: "info"}[r["passed"]]
        print(f"{r['figure'].ljust(width)}  {r['value']!s:>10}  {r['target']:<8}  {result}")
    failed = [r for r in rows if r["passed"] is False]
    print(f"{len(rows) - len(failed)} of {len(rows)} figures met their target")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
