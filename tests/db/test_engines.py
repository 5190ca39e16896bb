"""The PostgreSQL engine: migrations in step with SQLite's, SQL translation, and rules under several processes."""

from __future__ import annotations

from pathlib import Path

from db.database import MIGRATIONS_DIR, discover_migrations
from db.engines import is_postgres_url, open_database
from db.engines.postgres import POSTGRES_MIGRATIONS_DIR, PostgresDatabase, missing_twins, redact_url
from db.engines.sql import translate


def test_every_migration_has_a_postgres_twin_with_the_same_number_and_name() -> None:
    sqlite = [(m.version, m.path.name) for m in discover_migrations(MIGRATIONS_DIR)]
    postgres = [(m.version, m.path.name) for m in discover_migrations(POSTGRES_MIGRATIONS_DIR)]
    missing = missing_twins()
    assert not missing, f"add db/migrations/postgres/ twins (or remove strays): {missing}"
    assert postgres == sqlite


def test_a_missing_twin_is_named(tmp_path: Path) -> None:
    root = tmp_path
    (root / "postgres").mkdir()
    (root / "0001_a.sql").write_text("")
    (root / "0002_b.sql").write_text("")
    (root / "postgres" / "0001_a.sql").write_text("")
    assert missing_twins(root, root / "postgres") == ["0002_b.sql"]


def test_placeholders_become_numbered_outside_literals_and_casts() -> None:
    t = translate("SELECT '?', \"a?\", x::text FROM t WHERE a = ? AND b = ? -- what?\n AND c = ?")
    assert t.sql == "SELECT '?', \"a?\", x::text FROM t WHERE a = $1 AND b = $2 -- what?\n AND c = $3"
    assert t.positional == 3 and t.returns_rows
    named = translate("SELECT :a, :b, :a")
    assert named.sql == "SELECT $1, $2, $1" and named.arguments({"a": 1, "b": 2}) == [1, 2]
    insert = translate("INSERT INTO jobs (kind) VALUES (?)")
    assert insert.insert_table == "jobs" and not insert.returns_rows
    assert translate("INSERT INTO jobs (kind) VALUES (?) RETURNING id").returns_rows


def test_urls_select_postgres_and_passwords_stay_out_of_messages() -> None:
    assert is_postgres_url("postgresql://u:p@h/db") and not is_postgres_url("data/nexus.db")
    assert isinstance(open_database("postgresql://u:secret@h/db"), PostgresDatabase)
    assert redact_url("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert "secret" not in repr(open_database("postgresql://u:secret@h/db"))
