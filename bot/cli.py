"""`nexus-bot` / `python -m bot`: run, web, sandbox, db migrate, db backup, db check, db copy, sync, bench."""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

import yarl

from bot.clock import make_clock
from bot.config import ConfigError, Settings, load_settings
from bot.logging import setup_logging
from bot.loopwatch import SLOW_CALLBACK_ENV
from bot.memory import limit_malloc_arenas
from db.database import Database, MigrationError
from db.engines import open_database as open_engine
from db.lock import DatabaseLock, DatabaseLocked

log = logging.getLogger("bot")

EXIT_CONFIG = 2
EXIT_CHECK_FAILED = 1


class StartupError(Exception):
    """A problem at start that one line explains (exit status 2, no traceback)."""


def point_at_api(settings: Settings) -> None:
    """Aim discord.py at a Discord-compatible server (the sandbox) when configured."""
    import discord.gateway
    import discord.http

    if settings.api_base:
        discord.http.Route.BASE = settings.api_base
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def hold_database(settings: Settings, *, running_bot: bool) -> DatabaseLock:
    """The database's one-writer lock, or a StartupError naming the process that holds it."""
    lock = DatabaseLock(settings.database_path)
    try:
        return lock.acquire()
    except DatabaseLocked as exc:
        if running_bot:
            raise StartupError(
                f"DATABASE_PATH={settings.database_path} is in use by another Nexus Bot ({exc.holder}): "
                f"one bot per database; stop that one first (lock file {exc.lock_path})."
            ) from None
        raise StartupError(
            f"DATABASE_PATH={settings.database_path} is in use by the running bot ({exc.holder}), which applied "
            "its migrations at start; stop it before `nexus-bot db migrate`."
        ) from None
    except OSError as exc:
        raise StartupError(
            f"DATABASE_PATH={settings.database_path}: cannot create the lock file {lock.path} ({exc.strerror})."
        ) from None


SQLITE_CORRUPT = 11


def damaged(settings: Settings, problem: str) -> StartupError:
    return StartupError(
        f"DATABASE_PATH={settings.database_path} is damaged ({' '.join(problem.split())}); "
        "restore your latest `nexus-bot db backup` copy in its place, or run `nexus-bot db check` for the full report."
    )


async def open_database(settings: Settings, *, migrate: bool = True, check: bool = True) -> Database:
    db = open_engine(settings.database_target)
    try:
        try:
            await db.connect()
        except (OSError, ConnectionError) as exc:
            if not settings.database_url:
                raise
            raise StartupError(f"{settings.database_label}: cannot connect ({exc}); is the server running?") from None
        if check:
            # Damaged pages found now stop the start; found later, they would fail writes one by one.
            problems = await db.quick_check()
            if problems:
                raise damaged(settings, problems[0])
        if migrate:
            await db.migrate()
    except StartupError:
        await db.close()
        raise
    except MigrationError as exc:
        await db.close()
        raise StartupError(f"{settings.database_label}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        await db.close()
        if settings.database_url:
            raise StartupError(f"{settings.database_label}: {exc}") from None
        if getattr(exc, "sqlite_errorcode", None) == SQLITE_CORRUPT:
            raise damaged(settings, str(exc)) from None
        raise StartupError(
            f"DATABASE_PATH={settings.database_path} is not a usable SQLite database ({exc}); "
            "point it at a new file or restore a backup."
        ) from None
    return db


async def claim_shards(settings: Settings, db: Database) -> None:
    """On PostgreSQL: refuse to run a shard another process on the same database already runs."""
    if db.dialect != "postgres":
        return  # and asyncpg stays unimported (~5 MB of the bot's memory)
    from db.engines.postgres import PostgresDatabase

    assert isinstance(db, PostgresDatabase)
    count = settings.shard_count or 1
    ids = settings.shard_ids if settings.shard_ids is not None else (0,)
    taken = await db.claim_shards(count, ids)
    if taken:
        listed = ", ".join(str(s) for s in taken)
        raise StartupError(
            f"shard {listed} of {count} already runs in another Nexus Bot on {settings.database_label}: "
            "give each process its own SHARD_IDS, or stop the other one first."
        )


def make_bot(settings: Settings, db: Database, clock: Any, **options: Any) -> Any:
    from bot.app.nexus_bot import NexusBot, ShardedNexusBot

    if settings.shard_count:
        return ShardedNexusBot(settings, db, clock, **options)
    return NexusBot(settings, db, clock, **options)


def log_pending_tasks() -> None:
    """`kill -USR2 <pid>`: log every pending asyncio task with its stack (where a stuck bot waits)."""
    import io

    for task in asyncio.all_tasks():
        out = io.StringIO()
        task.print_stack(limit=8, file=out)
        log.warning("Pending task %s:\n%s", task.get_name(), out.getvalue())


async def run_bot(settings: Settings) -> int:
    # A SQLite file takes one bot; on PostgreSQL several (sharded) processes share the database, and each
    # shard id is claimed in the database instead (PostgresDatabase.claim_shards).
    lock = None if settings.database_url else hold_database(settings, running_bot=True)
    try:
        if settings.clock_file is not None:
            log.warning("NEXUS_CLOCK_FILE is set: time is read from %s (tests and sandbox only)", settings.clock_file)
        point_at_api(settings)
        return await _run_locked(settings)
    finally:
        if lock is not None:
            lock.release()


async def _run_locked(settings: Settings) -> int:
    import discord

    db = await open_database(settings)
    try:
        await claim_shards(settings, db)
    except StartupError:
        await db.close()
        raise
    bot = make_bot(settings, db, make_clock(settings.clock_file))
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def request_stop(signame: str) -> None:
        if not stopping:
            log.info("Received %s: finishing in-flight interactions, then stopping", signame)
            stopping.append(loop.create_task(bot.close()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, request_stop, sig.name)
    loop.add_signal_handler(signal.SIGUSR2, log_pending_tasks)
    try:
        async with bot:
            await bot.start(settings.token)
    except discord.LoginFailure:
        raise StartupError(
            "DISCORD_TOKEN was refused by Discord: reset it on the Developer Portal's Bot page."
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise StartupError(
            "The Server Members intent is not enabled: Developer Portal → your application → Bot → "
            "Privileged Gateway Intents → turn on SERVER MEMBERS INTENT, then start again."
        ) from None
    finally:
        if stopping:
            await stopping[0]
        await db.close()
    log.info("Stopped cleanly")
    return 0


async def sync_commands(settings: Settings, global_sync: bool) -> int:
    import discord

    point_at_api(settings)
    db = await open_database(settings)
    bot = make_bot(settings, db, make_clock(settings.clock_file), sync_commands=False)
    try:
        async with bot:
            await bot.login(settings.token)
            await bot.scheduler.stop()
            if global_sync:
                synced = await bot.tree.sync()
                print(f"Synced {len(synced)} global commands (they can take up to an hour to appear).")
            elif settings.guild_id is not None:
                guild = discord.Object(settings.guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
                print(f"Synced {len(synced)} commands to guild {settings.guild_id}.")
            else:
                raise StartupError("Set DISCORD_GUILD_ID or use `nexus-bot sync --global`.")
    finally:
        await db.close()
    return 0


async def migrate_only(settings: Settings) -> int:
    if settings.database_url:  # several processes may share it: migrations run under an advisory lock
        db = await open_database(settings)
        version = await db.user_version()
        await db.close()
    else:
        with hold_database(settings, running_bot=False):
            db = await open_database(settings)
            version = await db.user_version()
            await db.close()
    print(f"{settings.database_label}: schema version {version}")
    return 0


async def backup(settings: Settings, target: str) -> int:
    if settings.database_url:
        raise StartupError(
            f"{settings.database_label}: `db backup` copies a SQLite file; back PostgreSQL up with "
            "`pg_dump --format=custom` (README, Scaling out)."
        )
    # Online, beside a running bot: no lock, and the source is copied as it is (not migrated).
    db = await open_database(settings, migrate=False, check=False)
    try:
        path = await db.backup(target)
    finally:
        await db.close()
    print(f"Backed up {settings.database_path} to {path}")
    return 0


async def check(settings: Settings) -> int:
    """`nexus-bot db check`: SQLite's full integrity_check (read-only, so it runs beside the bot)."""
    db = await open_database(settings, migrate=False, check=False)
    try:
        problems = await db.integrity_check_problems()
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    finally:
        await db.close()
    if not problems:
        print(f"{settings.database_path}: integrity check ok")
        return 0
    print(f"{settings.database_path}: integrity check found {len(problems)} problem(s):")
    for problem in problems:
        print(f"  {problem}")
    print("Restore your latest `nexus-bot db backup` copy in its place (with the bot stopped).")
    return EXIT_CHECK_FAILED


async def run_web(settings: Settings, *, ready: asyncio.Event | None = None) -> int:
    """`nexus-bot web`: the dashboard and API on WEB_HOST:WEB_PORT, reading the bot's database beside it.

    No writer lock (the bot holds it) and no migrations: it refuses a database the bot has not migrated yet."""
    from aiohttp import web

    from bot.services.container import Services
    from bot.web.app import RateLimiter, create_app, keep_index_fresh
    from db.database import discover_migrations

    if settings.database_url is None and not settings.database_path.exists():
        raise StartupError(
            f"DATABASE_PATH={settings.database_path} does not exist yet: start the bot (or `nexus-bot sandbox "
            "--database PATH`) once so it creates and migrates it."
        )
    db = await open_database(settings, migrate=False, check=False)
    try:
        if await db.user_version() != len(discover_migrations()):
            raise StartupError(
                f"{settings.database_label} is at schema version {await db.user_version()}, not "
                f"{len(discover_migrations())}: start the bot once (or `nexus-bot db migrate`) to migrate it."
            )
        services = Services.build(db, make_clock(settings.clock_file))
        await services.learning.refresh_index()
        app = create_app(
            services,
            services.clock,
            secret=settings.web_secret,
            secure_cookie=settings.web_base_url.startswith("https://"),
            limiter=RateLimiter(rate=settings.web_rate_limit, burst=max(1, round(3 * settings.web_rate_limit))),
        )
        # Long request lines reach the app (which refuses them in its JSON error shape) instead of aiohttp's parser.
        runner = web.AppRunner(app, access_log=None, handler_args={"max_line_size": 32768, "max_field_size": 32768})
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.web_host, settings.web_port)
            try:
                await site.start()
            except OSError as exc:
                raise StartupError(
                    f"WEB_HOST={settings.web_host} WEB_PORT={settings.web_port}: cannot listen ({exc.strerror})."
                ) from None
            log.info(
                "Web dashboard and API on http://%s:%s (links point at %s)%s",
                settings.web_host,
                settings.web_port,
                settings.web_base_url,
                "" if settings.web_secret else "; WEB_SECRET is not set, so the dashboard is off",
            )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            refresher = asyncio.create_task(keep_index_fresh(services))
            if ready is not None:
                ready.set()
            await stop.wait()
            refresher.cancel()
        finally:
            await runner.cleanup()
    finally:
        await db.close()
    log.info("Web stopped cleanly")
    return 0


async def copy_to(settings: Settings, url: str) -> int:
    """`nexus-bot db copy --to postgresql://...`: DATABASE_PATH's SQLite database into an empty PostgreSQL one."""
    import dataclasses

    from db.copy import CopyRefused, copy_database
    from db.engines import is_postgres_url, redact_url
    from db.engines.postgres import PostgresDatabase

    if not is_postgres_url(url):
        raise StartupError(f"--to {url!r} must be a postgresql:// URL, e.g. postgresql://nexus:secret@db:5432/nexus.")
    sqlite = dataclasses.replace(settings, database_url=None)
    with hold_database(sqlite, running_bot=False):  # the bot must be stopped: a copy of a moving target is stale
        source = await open_database(sqlite)
        target = PostgresDatabase(url)
        try:
            try:
                await target.connect()
            except (OSError, ConnectionError) as exc:
                raise StartupError(f"--to {redact_url(url)}: cannot connect ({exc}).") from None
            report = await copy_database(source, target)
        except CopyRefused as exc:
            raise StartupError(f"db copy to {redact_url(url)} refused: {exc}") from None
        finally:
            await target.close()
            await source.close()
    for table in report.tables:
        print(f"  {table.table:<24} {table.rows:>9} rows  sha256 {table.checksum[:16]}")
    print(
        f"Copied {report.rows} rows in {len(report.tables)} tables from {settings.database_path} to {redact_url(url)} "
        f"(schema version {report.version}); row counts and checksums match. Next: set DATABASE_URL to it and start "
        "the bot; keep the SQLite file as your backup."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nexus-bot", description="Nexus Bot for #ProDevProjectNexus")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (default)")
    sub.add_parser("web", help="serve the staff dashboard and public API (WEB_HOST:WEB_PORT) beside the bot")
    sandbox = sub.add_parser("sandbox", help="try the bot against a local Discord-compatible server")
    sandbox.add_argument("--script", help="run the commands in FILE, then exit (non-zero if any step failed)")
    sandbox.add_argument("--database", help="database file (default: a temporary one)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="apply pending migrations")
    backup_parser = db_sub.add_parser("backup", help="online backup to PATH (safe while the bot runs)")
    backup_parser.add_argument("path")
    db_sub.add_parser("check", help="full integrity check (safe while the bot runs)")
    copy_parser = db_sub.add_parser("copy", help="copy the SQLite database into an empty PostgreSQL one")
    copy_parser.add_argument("--to", required=True, metavar="URL", help="postgresql://user:password@host:5432/db")
    sync = sub.add_parser("sync", help="sync slash commands to DISCORD_GUILD_ID (or --global)")
    sync.add_argument("--global", dest="global_sync", action="store_true")
    bench = sub.add_parser("bench", help="run every benchmark and print one table")
    bench.add_argument("--quick", action="store_true")
    return parser


def run_async(main: Coroutine[Any, Any, int]) -> int:
    """Run on uvloop where it exists (Linux, macOS): its event loop and sockets cost a fraction of
    asyncio's per event, which is most of what a burst of interactions costs the bot."""
    if os.environ.get(SLOW_CALLBACK_ENV):  # naming slow callbacks needs asyncio's own (Python) handles
        return asyncio.run(main)
    try:
        import uvloop
    except ImportError:  # Windows: asyncio's own loop
        return asyncio.run(main)
    return uvloop.run(main)


def main(argv: Sequence[str] | None = None) -> int:
    limit_malloc_arenas()  # before any thread starts (bot/memory.py)
    # `kill -USR1 <pid>` prints every thread's stack: how to see where a stuck bot is stuck.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    if command == "sandbox":
        from sandbox.console import main as sandbox_main

        return sandbox_main(script=args.script, database=args.database)
    if command == "bench":
        from bench.__main__ import main as bench_main

        return bench_main(["--quick"] if args.quick else [])
    try:
        settings = load_settings(require_token=command in ("run", "sync"))
        setup_logging(settings.log_level, settings.token)
        if command == "run":
            return run_async(run_bot(settings))
        if command == "sync":
            return asyncio.run(sync_commands(settings, args.global_sync))
        if command == "web":
            return run_async(run_web(settings))
        if args.db_command == "migrate":
            return asyncio.run(migrate_only(settings))
        if args.db_command == "check":
            return asyncio.run(check(settings))
        if args.db_command == "copy":
            return asyncio.run(copy_to(settings, args.to))
        return asyncio.run(backup(settings, args.path))
    except (ConfigError, StartupError) as exc:
        print(f"nexus-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
