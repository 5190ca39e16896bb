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


# One statement (one trip to the database) for every count; table names come from the constant above, never input.
COUNTS_SQL = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in COUNTED_TABLES)


async def table_counts(db: Database) -> dict[str, int]:
    row = await db.fetchone(COUNTS_SQL)
    values = tuple(row) if row is not None else (0,) * len(COUNTED_TABLES)
    return {label: int(n or 0) for label, n in zip(COUNTED_TABLES.values(), values, strict=True)}
