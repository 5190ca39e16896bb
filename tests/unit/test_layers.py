"""The pure core and the database layer never import discord; SQL stays in db/."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_services_and_db_import_no_discord() -> None:
    modules = [f"bot.services.{p.stem}" for p in (ROOT / "bot" / "services").glob("*.py") if p.stem != "__init__"] + [
        f"db.{p.parent.name}.{p.stem}" if p.parent.name == "stores" else f"db.{p.stem}"
        for p in [*(ROOT / "db").glob("*.py"), *(ROOT / "db" / "stores").glob("*.py")]
        if p.stem != "__init__"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"discord imported by the core: {out.stdout}"


SQL = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE)


def test_no_sql_outside_db() -> None:
    offenders = []
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            if SQL.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_projects_cog_reaches_data_only_through_its_service() -> None:
    """Issue 13: the projects package imports no store, calls no other cog, keeps no fallback of its own."""
    offenders = []
    for path in (ROOT / "cogs" / "projects").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("db.stores", "get_cog(", "record_interest", "Store("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "cogs" / "projects").glob("*.py")}
    assert max(sizes.values()) <= 500, sizes
