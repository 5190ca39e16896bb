"""Topic search: safe FTS5 queries, typo-tolerant name lookup and autocomplete ranking. No discord, no I/O.

`NameIndex` keeps every approved topic's title, slug and aliases in memory (one per process, rebuilt on
writes). Autocomplete ranks prefix matches over word-prefix and alias matches over fuzzy ones; fuzzy
matching is rapidfuzz over candidates picked by a trigram index, so it stays fast at 100k names.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from rapidfuzz import fuzz, process

from bot.services.excerpts import MARK_END, MARK_START, Highlighter
from bot.services.text import user_text
from db.stores.topics import pinned

if TYPE_CHECKING:
    from db.stores.topics import TopicCard, TopicStore

AUTOCOMPLETE_MAX = 25  # Discord's cap on autocomplete choices
CHOICE_NAME_MAX = 100  # Discord's cap on a choice's name and value
QUERY_MAX_CHARS = 200
QUERY_MAX_TOKENS = 12
FUZZY_CUTOFF = 60.0
DID_YOU_MEAN_CUTOFF = 62.0
RESOLVE_CUTOFF = 88.0
FUZZY_MAX_CHARS = 64  # names are at most 100 characters; comparing longer text only costs time
# Fuzzy matching scores only the names sharing the most trigrams with the query.
_TRIGRAM_CANDIDATES = 120
_PREFIX_SCAN_CAP = 1500  # keys looked at per keystroke; a one-letter prefix at 100k topics has more

# Tiers of autocomplete matches, best first.
TIER_EXACT, TIER_PREFIX, TIER_WORD, TIER_ALIAS, TIER_ALIAS_WORD, TIER_FUZZY = range(6)

# Words too common to search for: dropped from every query that has other words (they would make FTS5 walk
# a list of nearly every topic only to rank by the other words anyway).
STOPWORDS = frozenset(
    "a about after all also am an and any are as at be because been before being both but by can could did do "
    "does doing done during each for from had has have how i if in into is it its just me my no not of on once "
    "only or other our out over should so some such than that the their them then there these they this those "
    "through to too under until up use using very versus vs was we were what when where which while who whom "
    "why will with would you your".split()
)

# Control characters and lone surrogates (valid in JSON strings, not encodable for SQLite).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SPACE_LIKE = re.compile(r"[\s\-_/.]+")


def normalise(text: str) -> str:
    """Lowercase, accents removed, dashes/underscores/dots as spaces, single spaces: what names are compared on."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE_LIKE.sub(" ", stripped.casefold()).strip()


# --- full-text queries ------------------------------------------------------------------------


def query_terms(text: str) -> list[str]:
    """The user's words, as typed (control characters removed), at most QUERY_MAX_TOKENS of them."""
    cleaned = _CONTROL.sub(" ", text[:QUERY_MAX_CHARS])
    return [t for t in cleaned.split() if any(c.isalnum() for c in t)][:QUERY_MAX_TOKENS]


def quote(term: str) -> str:
    """An FTS5 string: inside double quotes every operator (AND, NEAR, *, -, ^, :, parentheses) is plain text."""
    return '"' + term.replace('"', '""') + '"'


def search_terms(text: str) -> list[str]:
    """The words a search looks for: the user's words without stopwords (all of them if that is all there is)."""
    terms = query_terms(text)
    return [t for t in terms if t.casefold() not in STOPWORDS] or terms


def build_match(text: str, *, any_word: bool = False) -> str | None:
    """A MATCH expression for any text: every word quoted, ANDed (or ORed without stopwords). None if no words."""
    return match_of(search_terms(text), any_word=any_word)


def match_of(terms: Sequence[str], *, any_word: bool = False) -> str | None:
    """`build_match` of words already picked by `search_terms`."""
    if not terms:
        return None
    return (" OR " if any_word else " ").join(quote(t) for t in terms)


# Markdown of staff-written topic text that a one-line excerpt can't keep (a fragment may cut a code span or
# bold in half): fences with their language and heading/quote/list starts become a space, inline code ticks
# go, bold/strike/spoiler pairs and links keep their text (a lone `**kwargs` or `__init__` stays as typed).
_SNIPPET_BREAKS = re.compile(r"```[\w+-]*|(?:^|(?<=\n))[ \t]*(?:#{1,3}|>{1,3}|-#|[-*+])[ \t]+")
_SNIPPET_MARKS = re.compile(r"`|(\*\*|~~|\|\|)(?=\S)([^*~|\n]+?)(?<=\S)\1")
_SNIPPET_LINKS = re.compile(r"\[([^\]\n]*)\]\([^)\s]*\)")


def render_snippet(snippet: str, limit: int = 300) -> str:
    """An excerpt (bot.services.excerpts) → one line of Discord markdown: words as plain text, matched ones in bold.

    Topic text is markdown; its markup is dropped rather than escaped, so the excerpt reads like the topic
    does (`res.json()`, not `res.json\\(\\)`), and what is left is escaped so it stays plain text.
    """
    text = _SNIPPET_MARKS.sub(lambda m: m[2] or "", _SNIPPET_BREAKS.sub(" ", snippet))
    text = _SNIPPET_LINKS.sub(r"\1", text)
    text = user_text(" ".join(text.split()))
    if len(text) > limit:
        text = text[: limit - 1].rstrip("\\ ") + "…"
        if text.count(MARK_START) > text.count(MARK_END):
            text += MARK_END
    return text.replace(MARK_START, "**").replace(MARK_END, "**").replace("****", "")


# --- names: autocomplete, resolve, did you mean -------------------------------------------------


class Named(Protocol):
    """What the index needs of a topic (db.stores.topics.TopicName fits)."""

    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def uses(self) -> int: ...


@dataclass(frozen=True)
class Suggestion:
    topic_id: int
    slug: str
    title: str
    tier: int
    score: float = 100.0
    alias: str | None = None  # the alias that matched, shown next to the title

    @property
    def label(self) -> str:
        """The autocomplete choice name (≤ 100 characters)."""
        text = f"{self.title} ({self.alias})" if self.alias else self.title
        return text if len(text) <= CHOICE_NAME_MAX else text[: CHOICE_NAME_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class IndexedTopic:
    """An approved topic as the name index holds it: enough for a button or an autocomplete choice."""

    topic_id: int
    slug: str
    title: str
    uses: int

    @property
    def order(self) -> tuple[int, int, str]:
        """Within a tier: most looked-up first, then shorter, then alphabetical."""
        return (-self.uses, len(self.title), self.title)


def _trigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class NameIndex:
    """Titles, slugs and aliases of approved topics, ranked for autocomplete and typo-tolerant lookup."""

    def __init__(self, topics: Iterable[Named]) -> None:
        self._topics: dict[int, IndexedTopic] = {}
        self._by_slug: dict[str, int] = {}
        self._order: dict[int, tuple[int, int, str]] = {}  # precomputed: ranking runs per keystroke
        self._exact: dict[str, int] = {}
        # name_idx → (normalised name, topic id, display text if alias else None)
        self._names: list[str] = []
        self._name_topic: list[int] = []
        self._name_alias: list[str | None] = []
        keys: list[tuple[str, int, int, int]] = []  # (key, tier, topic_id, name_idx): a name and its word starts
        # A slug or title outranks another topic's alias: `react` is React even if a topic has the alias "react".
        alias_exact: dict[str, int] = {}
        for topic in topics:
            self._topics[topic.id] = IndexedTopic(topic.id, topic.slug, topic.title, topic.uses)
            self._by_slug[topic.slug] = topic.id
            self._order[topic.id] = self._topics[topic.id].order
            self._exact.setdefault(topic.slug.casefold(), topic.id)
            names = [(topic.title, None), *((a, a) for a in topic.aliases)]
            if normalise(topic.slug) != normalise(topic.title):
                names.append((topic.slug, None))
            for raw, alias in names:
                norm = normalise(raw)
                if not norm:
                    continue
                (alias_exact if alias else self._exact).setdefault(norm, topic.id)
                idx = len(self._names)
                self._names.append(norm)
                self._name_topic.append(topic.id)
                self._name_alias.append(alias)
                full_tier, word_tier = (TIER_ALIAS, TIER_ALIAS_WORD) if alias else (TIER_PREFIX, TIER_WORD)
                keys.append((norm, full_tier, topic.id, idx))
                for m in re.finditer(r" ", norm):
                    keys.append((norm[m.end() :], word_tier, topic.id, idx))
        for name, topic_id in alias_exact.items():
            self._exact.setdefault(name, topic_id)
        keys.sort()
        self._keys = [k[0] for k in keys]
        # Each key's tier and name in two flat arrays, not a tuple per key (a third of the index's memory).
        self._key_tier = bytes(k[1] for k in keys)
        self._key_name = array("i", (k[3] for k in keys))
        self._popular: list[int] | None = None
        self._build_trigrams()

    def __len__(self) -> int:
        return len(self._topics)

    def _build_trigrams(self) -> None:
        # Flat (trigram id, name) pairs sorted once: far less memory than a Python list per trigram at 100k names.
        gram_ids: dict[str, int] = {}
        grams = array("i")
        owners = array("i")
        for idx, name in enumerate(self._names):
            for gram in _trigrams(name):
                grams.append(gram_ids.setdefault(gram, len(gram_ids)))
                owners.append(idx)
        gram_arr = np.frombuffer(grams, dtype=np.int32) if grams else np.zeros(0, dtype=np.int32)
        owner_arr = np.frombuffer(owners, dtype=np.int32) if owners else np.zeros(0, dtype=np.int32)
        order = np.argsort(gram_arr, kind="stable")
        # Trigram id → its names: owners[bounds[id] : bounds[id + 1]] (one array, not an array view per trigram).
        self._gram_ids = gram_ids
        self._gram_bounds = np.searchsorted(gram_arr[order], np.arange(len(gram_ids) + 1)).tolist()
        self._gram_owners = owner_arr[order]

    def by_slugs(self, slugs: Iterable[str]) -> list[IndexedTopic]:
        """The approved topics of these slugs, in their order (unknown ones left out): no database trip."""
        found = (self._by_slug.get(slug) for slug in slugs)
        return [self._topics[topic_id] for topic_id in found if topic_id is not None]

    def bump(self, topic_id: int) -> None:
        """Count a lookup in memory too, so an empty autocomplete shows popular topics first."""
        entry = self._topics.get(topic_id)
        if entry is not None:
            self._topics[topic_id] = IndexedTopic(entry.topic_id, entry.slug, entry.title, entry.uses + 1)
            self._order[topic_id] = self._topics[topic_id].order
            self._popular = None

    def _suggest(self, topic_id: int, tier: int, score: float = 100.0, alias: str | None = None) -> Suggestion:
        entry = self._topics[topic_id]
        return Suggestion(topic_id, entry.slug, entry.title, tier, score, alias)

    def _rank_key(self, topic_id: int, tier: int, score: float) -> tuple[int, float, tuple[int, int, str]]:
        return (tier, -score, self._order[topic_id])

    def popular(self, limit: int = AUTOCOMPLETE_MAX) -> list[Suggestion]:
        if self._popular is None or len(self._popular) < limit:
            entries = heapq.nsmallest(
                max(limit, AUTOCOMPLETE_MAX), self._topics.values(), key=lambda e: (-e.uses, e.title.casefold())
            )
            self._popular = [e.topic_id for e in entries]
        return [self._suggest(i, TIER_PREFIX) for i in self._popular[:limit]]

    def resolve(self, text: str) -> int | None:
        """The topic a name, slug or alias denotes exactly, or a clear fuzzy winner (typos)."""
        norm = normalise(text)
        if not norm:
            return None
        exact = self._exact.get(text.strip().casefold()) or self._exact.get(norm)
        if exact is not None:
            return exact
        best = self.fuzzy(norm, limit=2, cutoff=RESOLVE_CUTOFF)
        if best and (len(best) == 1 or best[0].score - best[1].score >= 5):
            return best[0].topic_id
        return None

    def exact(self, text: str) -> int | None:
        return self._exact.get(text.strip().casefold()) or self._exact.get(normalise(text))

    def complete(self, text: str, limit: int = AUTOCOMPLETE_MAX) -> list[Suggestion]:
        """Autocomplete: exact, then title prefix, word prefix, alias, alias word, then fuzzy; ≤ 25, unique."""
        limit = max(0, min(limit, AUTOCOMPLETE_MAX))
        query = normalise(text[:QUERY_MAX_CHARS])
        if not query:
            return self.popular(limit)
        best: dict[int, tuple[int, float, str | None]] = {}
        exact = self._exact.get(query)
        if exact is not None:
            best[exact] = (TIER_EXACT, 100.0, None)
        keys, key_tier, key_name, name_topic = self._keys, self._key_tier, self._key_name, self._name_topic
        start = bisect_left(keys, query)
        for pos in range(start, min(start + _PREFIX_SCAN_CAP, len(keys))):
            if not keys[pos].startswith(query):
                break
            idx = key_name[pos]
            tier, topic_id = key_tier[pos], name_topic[idx]
            if topic_id not in best or best[topic_id][0] > tier:
                best[topic_id] = (tier, 100.0, self._name_alias[idx])
        if len(best) < limit and len(query) >= 2:
            for s in self.fuzzy(query, limit=limit):
                if s.topic_id not in best:
                    best[s.topic_id] = (TIER_FUZZY, s.score, s.alias)
        order = self._order
        ranked = heapq.nsmallest(limit, best.items(), key=lambda kv: (kv[1][0], -kv[1][1], order[kv[0]]))
        return [self._suggest(topic_id, tier, score, alias) for topic_id, (tier, score, alias) in ranked]

    def fuzzy(self, text: str, limit: int = 5, cutoff: float = FUZZY_CUTOFF) -> list[Suggestion]:
        """Topics whose title or alias is closest to `text` (rapidfuzz WRatio), one per topic, best first."""
        query = normalise(text[:FUZZY_MAX_CHARS])
        if not query or not self._names:
            return []
        candidates = self._candidates(query)
        if not candidates:
            return []
        choices = [self._names[idx] for idx in candidates]
        matches = process.extract(
            query, choices, scorer=fuzz.WRatio, processor=None, limit=limit * 4, score_cutoff=cutoff
        )
        seen: dict[int, Suggestion] = {}
        for _name, score, pos in matches:
            idx = candidates[pos]
            topic_id = self._name_topic[idx]
            if topic_id not in seen:
                seen[topic_id] = self._suggest(topic_id, TIER_FUZZY, float(score), self._name_alias[idx])
        ordered = sorted(seen.values(), key=lambda s: self._rank_key(s.topic_id, 0, s.score))
        return ordered[:limit]

    def _candidates(self, query: str) -> Sequence[int]:
        """Names sharing the most trigrams with the query; none shared means nothing can score well."""
        ids, bounds, owners = self._gram_ids, self._gram_bounds, self._gram_owners
        found = [ids[g] for g in _trigrams(query) if g in ids]
        postings = [owners[bounds[g] : bounds[g + 1]] for g in found]
        if not postings:
            return []
        counts = np.bincount(np.concatenate(postings), minlength=len(self._names))
        hits = int(np.count_nonzero(counts))
        take = min(_TRIGRAM_CANDIDATES, hits)
        top = np.argpartition(-counts, take - 1)[:take] if take < len(counts) else np.arange(len(counts))
        return [int(i) for i in top if counts[i] > 0]

    def did_you_mean(self, text: str, limit: int = 3) -> list[Suggestion]:
        """Closest topic names for a search that found nothing; tries the whole text, then each word."""
        found = {s.topic_id: s for s in self.fuzzy(text, limit=limit, cutoff=DID_YOU_MEAN_CUTOFF)}
        if len(found) < limit:
            words = [w for w in dict.fromkeys(query_terms(text)) if len(w) >= 3 and w.casefold() not in STOPWORDS]
            for word in words[:4]:
                for s in self.fuzzy(word, limit=limit, cutoff=DID_YOU_MEAN_CUTOFF + 10):
                    found.setdefault(s.topic_id, s)
        return sorted(found.values(), key=lambda s: -s.score)[:limit]


# --- ranked search ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedSearch:
    topic_ids: tuple[int, ...]
    match: str | None  # the expression that found them
    mode: str  # "all": every word matched; "any": some words matched; "none": nothing
    truncated: bool
    suggestions: tuple[Suggestion, ...] = ()
    terms: tuple[str, ...] = ()  # the words looked for, which excerpts mark
    # The first results' topics, read with them, and their excerpts (a topic without one has no word in its
    # summary or body, e.g. a match on the title).
    page: tuple[TopicCard, ...] = ()
    snippets: Mapping[int, str] = field(default_factory=dict)

    @property
    def snippets_for(self) -> tuple[int, ...]:
        return tuple(t.id for t in self.page)


class Excerptable(Protocol):
    """What an excerpt is cut from (a TopicCard or a Topic)."""

    @property
    def id(self) -> int: ...
    @property
    def summary(self) -> str: ...
    @property
    def body(self) -> str: ...


def excerpts(terms: Sequence[str], topics: Iterable[Excerptable]) -> dict[int, str]:
    """Each topic's excerpt where the words are (summary first, then body), for the topics that have one."""
    highlighter = Highlighter(terms)
    if not highlighter:
        return {}
    found = {t.id: highlighter.excerpt(t.summary, t.body) for t in topics}
    return {k: v for k, v in found.items() if v is not None}


async def ranked_search(
    backend: TopicStore, index: NameIndex, text: str, limit: int = 50, *, page: int = 0
) -> RankedSearch:
    """bm25-ranked topics for any text: all words first, then any word; "did you mean" when nothing matches.

    A topic whose name is exactly the query (title, slug or alias) is put first. `page`: also that many first
    results' topics and their excerpts, in the same trip to the database.
    """
    first = index.exact(text)
    terms = tuple(search_terms(text))
    matches: list[str] = []
    if (every := match_of(terms)) is not None:
        matches.append(every)
        some = match_of(terms, any_word=True)
        if some is not None and some != every:  # one word: "any" would repeat the same query
            matches.append(some)
    early: list[tuple[Suggestion, ...]] = []

    def hints() -> tuple[Suggestion, ...]:
        return early[0] if early else tuple(index.did_you_mean(text))

    if matches:
        # Not every word matched: "did you mean" is worked out while the database tries any word.
        result = await backend.search_first(
            matches, limit, pin=first, page=page, on_fallback=lambda: early.append(hints())
        )
        if result.hits:
            ids = pinned([h.topic_id for h in result.hits], first, limit)
            any_word = result.match != matches[0]
            # Only a partial match hints at a typo worth suggesting a name for.
            mode = "any" if any_word else "all"
            return RankedSearch(
                tuple(ids),
                result.match,
                mode,
                result.truncated,
                hints() if any_word else (),
                terms,
                result.page,
                excerpts(terms, result.page),
            )
    if first is not None:
        return RankedSearch((first,), None, "all", False)
    return RankedSearch((), None, "none", False, hints())
