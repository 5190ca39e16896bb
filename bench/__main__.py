"""`python -m bench` (or `nexus-bot bench`): run every benchmark in bench/ and print one table.

Each benchmark module exposes `run(quick: bool) -> list[dict]` with rows
{"figure": str, "value": float | str, "target": str, "passed": bool | None}.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import sys
import time
from collections.abc import Sequence
from typing import Any

import bench
from bench._engines import side_by_side

# Order: cheap, pure benchmarks first; the ones that start bot processes last.
PREFERRED_ORDER = (
    "matching",
    "round_store",
    "search",
    "charts",
    "contracts",
    "integrity",
    "startup",
    "announce_burst",
    "crash",
    "load",
)


def benchmark_modules(only: Sequence[str] = ()) -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")]
    names = [n for n in names if not only or n in only]
    return sorted(names, key=lambda n: (PREFERRED_ORDER.index(n) if n in PREFERRED_ORDER else 99, n))


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    headers = ("benchmark", "figure", "value", "target", "result")
    table = [
        (
            r["bench"],
            r["figure"],
            format_value(r["value"]),
            r.get("target", ""),
            {True: "pass", False: "FAIL", None: "info"}[r.get("passed")],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(str(row[i])) for row in table)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def print_engines(rows: list[dict[str, Any]]) -> None:
    """The figures measured on both engines (announce burst, load, a round's database work), side by side."""
    pairs = side_by_side(rows)
    if not pairs:
        return
    print()
    print("Both engines (the same figure on SQLite and on PostgreSQL):")
    table = [(b, f, format_value(s), format_value(p)) for b, f, s, p in pairs]
    headers = ("benchmark", "figure", "sqlite", "postgres")
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def machine_line() -> str:
    import os

    return f"{platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()} · {platform.platform()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (what CI runs)")
    parser.add_argument("only", nargs="*", help="benchmark modules to run (default: all)")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    failed_to_run: list[str] = []
    for name in benchmark_modules(args.only):
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        started = time.perf_counter()
        print(f"running bench.{name} ...", file=sys.stderr, flush=True)
        try:
            for row in module.run(quick=args.quick):
                rows.append({"bench": name, **row})
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed_to_run.append(f"{name}: {type(exc).__name__}: {exc}")
        print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print(f"Machine: {machine_line()}")
    print_table(rows)
    print_engines(rows)
    for failure in failed_to_run:
        print(f"could not run {failure}")
    failures = [r for r in rows if r.get("passed") is False]
    print(
        f"{len(rows) - len(failures)} of {len(rows)} figures met their target; {len(failed_to_run)} benchmark(s) broke"
    )
    return 1 if failures or failed_to_run else 0


if __name__ == "__main__":
    sys.exit(main())
