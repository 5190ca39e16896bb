"""Layers point one way: cogs -> bot/services -> db. The core below the cogs never imports discord, the
database layer imports nothing above it, SQL stays in db/, and cogs reach data only through the services."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The discord-bound runtime above the cogs, and the entry point that starts it.
DISCORD_BOUND = {"app", "cli.py", "__main__.py"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def core_modules() -> list[str]:
    """Every module of bot/ outside the runtime (services and their subpackages included) and of db/."""
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.relative_to(ROOT / "bot").parts[0] not in DISCORD_BOUND:
            found.append(module_name(path))
    found += [module_name(p) for p in sorted((ROOT / "db").rglob("*.py"))]
    return found


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_discord() -> None:
    modules = core_modules()
    assert "bot.services.matching.scoring" in modules or "bot.services.matching" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"discord imported by the core: {out.stdout}"


def test_db_imports_nothing_above_it() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}: {name}"
        for p in (ROOT / "db").rglob("*.py")
        for name in imports_of(p)
        if name.split(".")[0] in {"bot", "cogs", "discord"}
    ]
    assert offenders == []


SQL = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE)


def test_no_sql_outside_db() -> None:
    offenders = []
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            if SQL.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_cogs_reach_data_only_through_the_services() -> None:
    """Issue 13: no cog imports a store or the database, reaches another cog by name, or builds a store."""
    offenders = []
    for path in (ROOT / "cogs").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in imports_of(path):
            if name == "db" or name.startswith("db."):
                offenders.append(f"{path.relative_to(ROOT)}: imports {name}")
        for needle in ("get_cog(", "record_interest", "Store("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_no_module_outgrows_a_file() -> None:
    """A module past ~500 lines becomes a package (issue 13), in every part of the project, tests included."""
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for part in ("bot", "cogs", "db", "sandbox", "bench", "tests")
        for p in (ROOT / part).rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 500} == {}
