"""Start-up failures: one clear line, exit status 2, no traceback, no token."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.lock import DatabaseLock
from tests.db.test_database import damage_middle_pages

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz012345"


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "NEXUS_"))}
    base.update(env)
    # cwd is tmp_path so a developer's own .env is not read.
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**base, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "DISCORD_TOKEN is not set"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "not-a-guild"}, "DISCORD_GUILD_ID"),
        ({"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": "/proc/nexus/n.db"}, "DATABASE_PATH"),
    ],
)
def test_bad_configuration_exits_2_with_one_line(tmp_path: Path, env: dict[str, str], needle: str) -> None:
    result = run_bot(tmp_path, "run", **env)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr + result.stdout


def test_database_that_is_not_sqlite_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    result = run_bot(tmp_path, "db", "migrate", DATABASE_PATH=str(bad))
    assert result.returncode == 2
    assert "DATABASE_PATH" in result.stderr and "Traceback" not in result.stderr


def test_db_migrate_and_backup(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "n.db"
    migrated = run_bot(tmp_path, "db", "migrate", DATABASE_PATH=str(db_path))
    assert migrated.returncode == 0, migrated.stderr
    assert "schema version" in migrated.stdout
    backup = run_bot(tmp_path, "db", "backup", str(tmp_path / "b.db"), DATABASE_PATH=str(db_path))
    assert backup.returncode == 0, backup.stderr
    assert (tmp_path / "b.db").stat().st_size > 0


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_db_migrate_refuses_while_a_bot_holds_the_database_and_backup_still_works(tmp_path: Path) -> None:
    db_path = tmp_path / "n.db"
    assert run_bot(tmp_path, "db", "migrate", DATABASE_PATH=str(db_path)).returncode == 0
    with DatabaseLock(db_path):  # what a running bot holds
        migrate = run_bot(tmp_path, "db", "migrate", DATABASE_PATH=str(db_path))
        assert migrate.returncode == 2
        line = one_line(migrate)
        assert f"pid {os.getpid()}" in line and "stop it before" in line
        second_bot = run_bot(tmp_path, "run", DATABASE_PATH=str(db_path), DISCORD_TOKEN=TOKEN)
        assert second_bot.returncode == 2
        assert f"pid {os.getpid()}" in one_line(second_bot)
        backup = run_bot(tmp_path, "db", "backup", str(tmp_path / "b.db"), DATABASE_PATH=str(db_path))
        assert backup.returncode == 0, backup.stderr
        check = run_bot(tmp_path, "db", "check", DATABASE_PATH=str(db_path))
        assert check.returncode == 0 and "integrity check ok" in check.stdout, check.stdout + check.stderr
    assert run_bot(tmp_path, "db", "migrate", DATABASE_PATH=str(db_path)).returncode == 0


def test_damaged_database_is_refused_at_start_and_db_check_reports_it(tmp_path: Path) -> None:
    db_path = tmp_path / "n.db"
    assert run_bot(tmp_path, "db", "migrate", DATABASE_PATH=str(db_path)).returncode == 0
    damage_middle_pages(db_path, add_rows=2000)
    for args, env in ((("db", "migrate"), {}), (("run",), {"DISCORD_TOKEN": TOKEN})):
        result = run_bot(tmp_path, *args, DATABASE_PATH=str(db_path), **env)
        assert result.returncode == 2
        line = one_line(result)
        assert "DATABASE_PATH" in line and "nexus-bot db backup" in line and "nexus-bot db check" in line
    check = run_bot(tmp_path, "db", "check", DATABASE_PATH=str(db_path))
    assert check.returncode == 1 and "problem" in check.stdout, check.stdout + check.stderr
    assert "Traceback" not in check.stderr
