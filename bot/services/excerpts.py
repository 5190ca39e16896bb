"""Search excerpts: the passage of a topic where the searched words are, those words marked. No discord, no I/O.

The words are found the way the full-text index found the topic: a text word matches a searched word when
both stem alike (Porter, as FTS5's `porter` tokenizer and PostgreSQL's English configuration stem), case and
accents aside. Built from the topic's own summary and body, which the search reads anyway, so an excerpt
costs no second pass of the database over its index (FTS5's snippet() re-runs the query and tokenizes every
column of each row; here only the neighbourhood of each candidate word is looked at).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# Excerpt markers: control characters nobody types, replaced by the renderer after escaping markdown.
MARK_START = "\x02"
MARK_END = "\x03"
ELLIPSIS = "…"
EXCERPT_WORDS = 14  # words an excerpt shows (about one line of an embed field)
_LEAD_WORDS = 3  # words of context shown before the first marked word
_MAX_HITS = 12  # per searched word and text: enough to place a window, however often a body repeats a word
_CHARS_PER_WORD = 6

_TOKEN = re.compile(r"[^\W_]+")  # a word as the index's tokenizer (unicode61) sees one: letters and digits
_WORD = re.compile(r"\S+")  # a word as the reader sees one
_STEM_MIN, _STEM_MAX = 3, 64


@lru_cache(maxsize=50_000)
def stem(token: str) -> str:
    """The index's form of one lowercase token: accents removed, Porter-stemmed (as FTS5's porter tokenizer
    does, tokens shorter than 3 or longer than 64 characters are left as they are)."""
    if not token.isascii():
        token = "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))
    if len(token) < _STEM_MIN or len(token) > _STEM_MAX:
        return token
    return str(_stemmer().stemWord(token))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    # Imported on the first search (about 1 MB): a bot that never searches doesn't carry it.
    import Stemmer

    return Stemmer.Stemmer("porter")


def _folded(text: str) -> str:
    """Lowercase text with the same length as `text`, so positions found in one are positions in the other."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower()[:1] or c for c in text)  # the rare letter whose lowercase is longer (İ)


def _prefix(word_stem: str) -> str:
    """What every word with this stem begins with: Porter turns a final y into i (query → queri), may add an e
    (rating → rate) and turns -bility into -ble (possibility → possibl): cut those, then check each word found
    by stemming it."""
    if word_stem.endswith("ble"):
        return word_stem[:-3] or word_stem
    if word_stem.endswith("bl"):
        return word_stem[:-2] or word_stem
    if len(word_stem) >= _STEM_MIN and word_stem[-1] in "ie":
        return word_stem[:-1]
    return word_stem


# A searched word found in a text: (start, end, index of the searched word), in text order.
_Hit = tuple[int, int, int]


class Highlighter:
    """The searched words of one query, ready to find in any number of topics."""

    def __init__(self, terms: Iterable[str]) -> None:
        stems: dict[str, int] = {}
        for term in terms:
            for token in _TOKEN.findall(_folded(term)):
                stems.setdefault(stem(token), len(stems))
        self.stems = stems
        prefixes: dict[str, None] = {}
        for word_stem in stems:
            prefixes.setdefault(_prefix(word_stem))
        self._prefixes = tuple(prefixes)

    def __bool__(self) -> bool:
        return bool(self.stems)

    def _hits(self, text: str) -> list[_Hit]:
        # str.find per prefix, not one regex of all of them: several times faster on a topic's text (CPython's
        # regex engine tries the alternation at every position).
        folded = _folded(text)
        stems = self.stems
        found: list[_Hit] = []
        for prefix in self._prefixes:
            at, kept = folded.find(prefix), 0
            while at != -1 and kept < _MAX_HITS:
                if at and folded[at - 1].isalnum():  # inside a word
                    at = folded.find(prefix, at + 1)
                    continue
                token = _TOKEN.match(folded, at)
                if token is None:  # the prefix starts with a character the tokenizer drops
                    break
                end = token.end()
                term = stems.get(stem(token[0]))
                if term is not None:
                    found.append((at, end, term))
                    kept += 1
                at = folded.find(prefix, end)
        if len(self._prefixes) > 1:
            found = sorted(set(found))  # two prefixes may find the same word
        return found

    def excerpt(self, *texts: str, words: int = EXCERPT_WORDS) -> str | None:
        """The passage of `words` words with the most of the searched words among `texts` (an earlier text wins
        when it has as many different ones), marked with MARK_START/MARK_END; None when none of the words is
        in any of them (e.g. a match on the title only)."""
        most = 0  # different searched words in the best window so far
        chosen: tuple[str, list[_Hit], int] | None = None
        for text in texts:
            hits = self._hits(text)
            if not hits:
                continue
            anchor, distinct = _best_window(hits, words)
            if distinct > most:
                most, chosen = distinct, (text, hits, anchor)
                if distinct == len(self.stems):  # nothing later can show more of them
                    break
        if chosen is None:
            return None
        return _render(*chosen, words)


def _best_window(hits: list[_Hit], words: int) -> tuple[int, int]:
    """(index of the hit to start from, different words) of the window with the most different searched
    words, then the most hits; a window's reach estimated in characters (words of about six letters)."""
    reach = (words - _LEAD_WORDS) * _CHARS_PER_WORD
    best = (0, 0, 0)
    total = len(hits)
    for i, (first_start, _, _) in enumerate(hits):
        limit = first_start + reach
        terms: set[int] = set()
        j = i
        while j < total and hits[j][1] <= limit:  # no slice of the rest per hit: a body can have dozens
            terms.add(hits[j][2])
            j += 1
        if (len(terms), j - i) > best[1:]:
            best = (i, len(terms), j - i)
    return best[0], best[1]


def _word_start_before(text: str, at: int, count: int) -> int:
    """Where the `count`-th word before position `at` starts (0 when there are fewer words before it)."""
    start = at
    for _ in range(count):
        k = start - 1
        while k >= 0 and text[k].isspace():
            k -= 1
        if k < 0:
            return 0
        while k >= 0 and not text[k].isspace():
            k -= 1
        start = k + 1
    return 0 if start and not text[:start].strip() else start


def _render(text: str, hits: list[_Hit], anchor: int, words: int) -> str:
    start = _word_start_before(text, hits[anchor][0], _LEAD_WORDS)
    shown = 0
    end = len(text)
    for m in _WORD.finditer(text, start):
        shown += 1
        if shown == words:
            end = m.end()
            break
    out = [ELLIPSIS] if start else []
    cursor = start
    for hit_start, hit_end, _ in hits:
        if hit_start < start or hit_end > end:
            continue
        out += [text[cursor:hit_start], MARK_START, text[hit_start:hit_end], MARK_END]
        cursor = hit_end
    out.append(text[cursor:end])
    if text[end:].strip():
        out.append(ELLIPSIS)
    return "".join(out)
