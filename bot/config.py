"""Settings, read once at start from the environment (and `.env`), validated into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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
    # The web process (`nexus-bot web`): where it listens, the base of the links the bot hands out, and the
    # HMAC key of its signed links and session cookies (repr=False: never in a log line).
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_base_url: str = "http://127.0.0.1:8080"
    web_secret: str | None = field(default=None, repr=False)
    web_rate_limit: float = 20.0  # API requests per second per client (bursts of 3 s worth)
    # DATABASE_URL=postgresql://... selects PostgreSQL (repr=False: it may carry a password); None: SQLite.
    database_url: str | None = field(default=None, repr=False)
    # SHARD_COUNT / SHARD_IDS: this process runs these shards of that many (None: one unsharded process).
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @property
    def database_target(self) -> str | Path:
        """What db.engines.open_database opens: the PostgreSQL URL, else the SQLite path."""
        return self.database_url or self.database_path

    @property
    def database_label(self) -> str:
        """The database named in messages, without a password."""
        if self.database_url:
            from db.engines import redact_url

            return f"DATABASE_URL={redact_url(self.database_url)}"
        return f"DATABASE_PATH={self.database_path}"

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process runs the shard Discord sends this guild to: (guild_id >> 22) % shard_count."""
        if not self.shard_count or self.shard_ids is None:
            return True
        return (guild_id >> 22) % self.shard_count in self.shard_ids

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
            from dotenv import dotenv_values  # only with a .env: python-dotenv imports tempfile and shutil

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

    database_url = _env(env, "DATABASE_URL")
    if database_url is not None and not database_url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "DATABASE_URL must be a postgresql:// URL (postgresql://user:password@host:5432/nexus); "
            "leave it unset to use the SQLite file at DATABASE_PATH."
        )
    shard_count, shard_ids = _shards(env)

    clock_raw = _env(env, "NEXUS_CLOCK_FILE")
    web_host, web_port, web_base_url, web_secret = _web_settings(env)
    rate_raw = _env(env, "WEB_RATE_LIMIT") or "20"
    try:
        web_rate_limit = float(rate_raw)
    except ValueError:
        web_rate_limit = -1.0
    if not 0.1 <= web_rate_limit <= 100_000:
        raise ConfigError(f"WEB_RATE_LIMIT={rate_raw!r} must be requests per second per client, 0.1–100000 (e.g. 20).")
    return Settings(
        token=token,
        guild_id=guild_id,
        database_path=db_path,
        log_level=log_level,
        api_base=api_base.rstrip("/") if api_base else None,
        gateway_url=gateway_url,
        clock_file=Path(clock_raw) if clock_raw else None,
        staff_role_name=_env(env, "NEXUS_STAFF_ROLE") or "Staff",
        web_host=web_host,
        web_port=web_port,
        web_base_url=web_base_url,
        web_secret=web_secret,
        web_rate_limit=web_rate_limit,
        database_url=database_url,
        shard_count=shard_count,
        shard_ids=shard_ids,
        loop_stats_file=Path(stats_raw) if (stats_raw := _env(env, "NEXUS_LOOP_STATS")) else None,
    )


WEB_SECRET_MIN = 32


def _web_settings(env: Mapping[str, str | None]) -> tuple[str, int, str, str | None]:
    """WEB_HOST, WEB_PORT, WEB_BASE_URL (default http://WEB_HOST:WEB_PORT) and WEB_SECRET, checked."""
    host = _env(env, "WEB_HOST") or "127.0.0.1"
    if any(ch.isspace() or ch in "/?#@" for ch in host):
        raise ConfigError(f"WEB_HOST={host!r} is not a host name or address, e.g. 127.0.0.1 or 0.0.0.0.")
    port_raw = _env(env, "WEB_PORT") or "8080"
    if not port_raw.isdigit() or not 1 <= int(port_raw) <= 65535:
        raise ConfigError(f"WEB_PORT={port_raw!r} is not a port number (1–65535), e.g. 8080.")
    port = int(port_raw)
    base = _env(env, "WEB_BASE_URL") or f"http://{host}:{port}"
    if not base.startswith(("http://", "https://")) or any(ch.isspace() for ch in base):
        raise ConfigError(f"WEB_BASE_URL={base!r} must be an http(s) URL, e.g. https://nexus.example.org.")
    secret = _env(env, "WEB_SECRET")
    if secret is not None and len(secret) < WEB_SECRET_MIN:
        raise ConfigError(
            f"WEB_SECRET is too short ({len(secret)} characters): use at least {WEB_SECRET_MIN} random characters, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(32))".'
        )
    return host, port, base.rstrip("/"), secret


def _shards(env: Mapping[str, str | None]) -> tuple[int | None, tuple[int, ...] | None]:
    count_raw, ids_raw = _env(env, "SHARD_COUNT"), _env(env, "SHARD_IDS")
    if count_raw is None:
        if ids_raw is not None:
            raise ConfigError("SHARD_IDS needs SHARD_COUNT (how many shards in all), e.g. SHARD_COUNT=2 SHARD_IDS=0.")
        return None, None
    if not count_raw.isdigit() or not 1 <= int(count_raw) <= 1024:
        raise ConfigError(f"SHARD_COUNT={count_raw!r} must be a whole number from 1 to 1024, e.g. SHARD_COUNT=2.")
    count = int(count_raw)
    if ids_raw is None:
        return count, tuple(range(count))
    parts = [p.strip() for p in ids_raw.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise ConfigError(f"SHARD_IDS={ids_raw!r} must list shard numbers separated by commas, e.g. SHARD_IDS=0,1.")
    ids = tuple(sorted({int(p) for p in parts}))
    if ids[-1] >= count:
        raise ConfigError(
            f"SHARD_IDS={ids_raw!r}: shard {ids[-1]} does not exist with SHARD_COUNT={count} "
            f"(shards are numbered 0 to {count - 1})."
        )
    return count, ids
