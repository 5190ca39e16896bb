"""Database engines: SQLite (db.database.Database, the embedded default) and PostgreSQL (db.engines.postgres).

`open_database(target)` picks one: a `postgresql://` URL selects PostgreSQL, anything else is a SQLite file path.
"""

from __future__ import annotations

import re
from pathlib import Path

from db.database import Database


def is_postgres_url(value: str | Path | None) -> bool:
    return isinstance(value, str) and value.startswith(("postgresql://", "postgres://"))


def redact_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def open_database(target: str | Path) -> Database:
    """A not yet connected Database for a SQLite path or a PostgreSQL URL."""
    if is_postgres_url(target):
        from db.engines.postgres import PostgresDatabase  # asyncpg only when PostgreSQL is used

        return PostgresDatabase(str(target))
    return Database(target)
