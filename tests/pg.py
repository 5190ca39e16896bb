"""The tests' PostgreSQL server: see sandbox/postgres.py (tests and benches share it)."""

from sandbox.postgres import admin_url, create_database, drop_database, postgres_database, postgres_url, url_for

__all__ = ["admin_url", "create_database", "drop_database", "postgres_database", "postgres_url", "url_for"]
