from pathlib import Path

import pytest

from bot.clock import FileClock, write_clock_file
from bot.config import ConfigError, load_settings
from bot.logging import RedactTokenFilter

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz012345"


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(tmp_path / "d" / "n.db"), **extra}


def test_defaults_and_folder_created(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path, DISCORD_GUILD_ID="123456789012345678"))
    assert settings.guild_id == 123456789012345678
    assert settings.database_path.parent.is_dir()
    assert settings.log_level == "INFO"
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN is not set"),
        ({"DISCORD_TOKEN": "short"}, "DISCORD_TOKEN looks malformed"),
        ({"DISCORD_GUILD_ID": "abc"}, "DISCORD_GUILD_ID"),
        ({"DISCORD_GUILD_ID": "123"}, "DISCORD_GUILD_ID"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DISCORD_API_BASE": "ftp://x"}, "DISCORD_API_BASE"),
        ({"DISCORD_GATEWAY_URL": "http://x"}, "DISCORD_GATEWAY_URL"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path: Path, extra: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as info:
        load_settings(env(tmp_path, **extra))
    assert TOKEN not in str(info.value)


def test_database_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DATABASE_PATH"):
        load_settings(env(tmp_path, DATABASE_PATH=str(tmp_path)))


def test_database_path_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="DATABASE_PATH"):
        load_settings(env(tmp_path, DATABASE_PATH=str(blocker / "n.db")))


def test_redaction_filter_hides_token() -> None:
    import logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", (TOKEN,), None)
    RedactTokenFilter(TOKEN).filter(record)
    assert TOKEN not in record.getMessage()


def test_file_clock_rereads_and_survives_garbage(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    path = tmp_path / "clock"
    start = datetime(2026, 12, 1, tzinfo=UTC)
    write_clock_file(path, start)
    clock = FileClock(path)
    assert clock.now() == start
    write_clock_file(path, start + timedelta(days=3))
    assert clock.now() == start + timedelta(days=3)
    path.write_text("not a time")
    assert clock.now() == start + timedelta(days=3)
