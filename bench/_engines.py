"""Benchmarks on both engines: rows tagged with their engine, so `python -m bench` can print them side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ENGINES = ("sqlite", "postgres")


def tagged(rows: list[dict[str, Any]], engine: str) -> list[dict[str, Any]]:
    """The same figures, marked with their engine (PostgreSQL's named so in the one table)."""
    out = []
    for row in rows:
        figure = row["figure"] if engine == "sqlite" else f"{row['figure']} (postgres)"
        out.append({**row, "figure": figure, "engine": engine, "compare": row["figure"]})
    return out


def on_both(measure: Callable[[str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """`measure(engine)` on SQLite, then on PostgreSQL; a machine where no PostgreSQL server can be started gets
    one line saying so instead of the PostgreSQL figures."""
    rows = tagged(measure("sqlite"), "sqlite")
    try:
        rows += tagged(measure("postgres"), "postgres")
    except (ImportError, OSError) as exc:
        rows.append(
            {"figure": f"postgres: skipped, no server could be started ({exc})", "value": "-", "target": "info"}
        )
    return rows


def side_by_side(rows: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    """(bench, figure, sqlite value, postgres value) for every figure measured on both engines."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        if "engine" in row:
            found.setdefault((row["bench"], row["compare"]), {})[row["engine"]] = row["value"]
    return [(b, f, v["sqlite"], v["postgres"]) for (b, f), v in found.items() if set(v) == set(ENGINES)]
