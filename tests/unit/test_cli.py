"""Start-up failures: one clear line, exit status 2, no traceback, no token."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
