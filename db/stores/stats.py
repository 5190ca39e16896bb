"""Row counts for /nexus about."""

from __future__ import annotations

from db.database import Database

# table → label shown to users (every migrated database has them all).
COUNTED_TABLES: dict[str, str] = {
    "announcements": "announcements",
    "pairs": "pairs",
    "topics": "learning topics",
    "study_sessions": "study sessions",
    "questions": "questions",
    "guild_settings": "configured servers",
}


async def table_counts(db: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, label in COUNTED_TABLES.items():
        # Table names come from the constant above, never from input.
        counts[label] = int(await db.fetchval(f"SELECT COUNT(*) FROM {table}") or 0)
    return counts
