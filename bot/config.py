"""Settings, read once at start from the environment (and `.env`), validated into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A missing or malformed setting; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Settings:
    # repr=False keeps the token out of any log line that prints the settings.
    token: str = field(repr=False)
    guild_id: int | None
    database_path: Path
    log_level: str = "INFO"
    api_base: str | None = None
    gateway_url: str | None = None
    clock_file: Path | None = None
    staff_role_name: str = "Staff"
    loop_stats_file: Path | None = None  # NEXUS_LOOP_STATS: benchmarks read event-loop stalls and GC pauses here


def _env(env: Mapping[str, str | None], key: str) -> str | None:
    value = env.get(key)
    if value is None:
        return None
    value = value.strip()
    return value or None


def load_settings(
    env: Mapping[str, str | None] | None = None, *, dotenv_path: str | Path | None = ".env", require_token: bool = True
) -> Settings:
    """Build settings from `env` (default: os.environ over `.env`). Raises ConfigError naming the bad setting."""
    if env is None:
        merged: dict[str, str | None] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            merged.update(dotenv_values(dotenv_path))
        merged.update(os.environ)
        env = merged

    token = _env(env, "DISCORD_TOKEN") or ""
    if not token and require_token:
        raise ConfigError(
            "DISCORD_TOKEN is not set: put your bot token in .env (see .env.example) "
            "or run `nexus-bot sandbox` to try the bot without Discord."
        )
    if token and (any(ch.isspace() for ch in token) or len(token) < 20):
        raise ConfigError("DISCORD_TOKEN looks malformed: copy it again from the Developer Portal's Bot page.")

    guild_raw = _env(env, "DISCORD_GUILD_ID")
    guild_id: int | None = None
    if guild_raw is not None:
        if not guild_raw.isdigit() or not 17 <= len(guild_raw) <= 20:
            raise ConfigError(
                f"DISCORD_GUILD_ID={guild_raw!r} is not a server id: enable Developer Mode in Discord, "
                "right-click the server and choose Copy Server ID (17–20 digits)."
            )
        guild_id = int(guild_raw)

    db_path = Path(_env(env, "DATABASE_PATH") or "data/nexus.db")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"DATABASE_PATH={str(db_path)!r}: cannot create its folder ({exc.strerror}).") from None
    if db_path.is_dir():
        raise ConfigError(f"DATABASE_PATH={str(db_path)!r} is a folder: give a file path such as data/nexus.db.")
    if not os.access(db_path.parent, os.W_OK):
        raise ConfigError(f"DATABASE_PATH={str(db_path)!r}: its folder is not writable by this user.")

    log_level = (_env(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL={log_level!r} is not one of {', '.join(LOG_LEVELS)}.")

    api_base = _env(env, "DISCORD_API_BASE")
    if api_base is not None and not api_base.startswith(("http://", "https://")):
        raise ConfigError(f"DISCORD_API_BASE={api_base!r} must be an http(s) URL ending in /api/v10.")
    gateway_url = _env(env, "DISCORD_GATEWAY_URL")
    if gateway_url is not None and not gateway_url.startswith(("ws://", "wss://")):
        raise ConfigError(f"DISCORD_GATEWAY_URL={gateway_url!r} must be a ws:// or wss:// URL.")

    clock_raw = _env(env, "NEXUS_CLOCK_FILE")
    return Settings(
        token=token,
        guild_id=guild_id,
        database_path=db_path,
        log_level=log_level,
        api_base=api_base.rstrip("/") if api_base else None,
        gateway_url=gateway_url,
        clock_file=Path(clock_raw) if clock_raw else None,
        staff_role_name=_env(env, "NEXUS_STAFF_ROLE") or "Staff",
        loop_stats_file=Path(stats_raw) if (stats_raw := _env(env, "NEXUS_LOOP_STATS")) else None,
    )
