"""Turning the stores' SQLite-style SQL into PostgreSQL's: `?` and `:name` placeholders become `$n`.

Quoted strings, quoted identifiers, comments and `::` casts are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INSERT_TABLE = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"^\s*([A-Za-z]+)")


@dataclass(frozen=True)
class Translated:
    sql: str
    # For `:name` placeholders: the name of each $n, in order; None for positional `?` placeholders.
    names: tuple[str, ...] | None
    positional: int
    insert_table: str | None
    returns_rows: bool

    def arguments(self, params: Sequence[Any] | Mapping[str, Any]) -> list[Any]:
        if self.names is not None:
            if not isinstance(params, Mapping):
                raise TypeError("named placeholders need a dict of parameters")
            return [params[name] for name in self.names]
        if isinstance(params, Mapping):
            raise TypeError("positional placeholders need a sequence of parameters")
        values = list(params)
        if len(values) != self.positional:
            raise ValueError(f"the statement has {self.positional} placeholder(s), {len(values)} given")
        return values


# PostgreSQL's wire protocol counts a statement's parameters in 16 bits.
MAX_PARAMETERS = 32767


def inline_integers(sql: str, values: Sequence[Any]) -> str:
    """`sql` (with `?` placeholders) with every value written in as a literal, for a statement with more
    parameters than PostgreSQL takes (`IN (?, ?, ...)` over a whole cohort). Integers (and NULL) only, so no
    text ever becomes SQL."""
    literals = []
    for value in values:
        if value is None:
            literals.append("NULL")
        elif isinstance(value, bool | int):
            literals.append(str(int(value)))
        else:
            raise ValueError(f"a statement with more than {MAX_PARAMETERS} parameters may only pass integers")
    return _rewrite(sql, lambda k: literals[k - 1])[0]


@lru_cache(maxsize=4096)
def translate(sql: str) -> Translated:
    text, names, positional = _rewrite(sql, lambda k: f"${k}")
    first = _FIRST_WORD.match(text)
    word = first.group(1).upper() if first else ""
    table = _INSERT_TABLE.match(text)
    returning = bool(_RETURNING.search(text))
    return Translated(
        sql=text,
        names=tuple(names) if names else None,
        positional=positional,
        insert_table=table.group(1).lower() if table and not returning else None,
        returns_rows=word in ("SELECT", "WITH", "VALUES", "SHOW", "EXPLAIN") or returning,
    )


def _rewrite(sql: str, positional_text: Any) -> tuple[str, list[str], int]:
    out: list[str] = []
    names: list[str] = []
    slots: dict[str, int] = {}
    positional = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # doubled quote inside the literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            positional += 1
            out.append(positional_text(positional))
            i += 1
        elif ch == ":" and sql.startswith("::", i):
            out.append("::")
            i += 2
        elif ch == ":" and (match := _NAME.match(sql, i + 1)):
            name = match.group(0)
            if name not in slots:
                names.append(name)
                slots[name] = len(names)
            out.append(f"${slots[name]}")
            i = match.end()
        else:
            out.append(ch)
            i += 1
    if positional and names:
        raise ValueError("a statement uses either ? or :name placeholders, not both")
    return "".join(out), names, positional
