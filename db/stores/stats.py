"""Row counts for /nexus about, over whichever feature tables exist."""

from __future__ import annotations

from db.database import Database

# table → label shown to users; a feature adds its table here when it lands.
COUNTED_TABLES: dict[str, str] = {
    "announcements": "announcements",
    "pairs": "pairs",
    "topics": "learning topics",
    "study_sessions": "study sessions",
    "questions": "questions",
    "guild_settings": "configured servers",
}


async def table_counts(db: Database) -> dict[str, int]:
    existing = await db.table_names()
    counts: dict[str, int] = {}
    for table, label in COUNTED_TABLES.items():
        if table in existing:
            # Table names come from the constant above, never from input.
            counts[label] = int(await db.fetchval(f"SELECT COUNT(*) FROM {table}") or 0)
    return counts
