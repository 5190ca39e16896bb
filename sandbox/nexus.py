"""Nexus Bot in the sandbox: the server, a real bot subprocess, a shared test clock and its database.

Used by the end-to-end tests (tests/e2e/conftest.py), `nexus-bot sandbox` and the benchmarks.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import FileClock, advance_clock_file, write_clock_file
from db.database import Database
from db.engines import open_database
from sandbox.client import InteractionResult, SandboxClient
from sandbox.harness import BotProcess
from sandbox.server import SandboxServer
from sandbox.world import World

# A Monday morning early in a cohort; tests move time from here.
DEFAULT_START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class NexusSandbox:
    def __init__(
        self,
        workdir: Path | None = None,
        *,
        world: World | None = None,
        start_time: datetime | None = DEFAULT_START,
        log_level: str = "INFO",
        server_options: dict[str, Any] | None = None,
        extra_env: dict[str, str] | None = None,
        database_url: str | None = None,
    ) -> None:
        self._tmp = None if workdir is not None else tempfile.TemporaryDirectory(prefix="nexus-sandbox-")
        self.workdir = Path(workdir if workdir is not None else self._tmp.name)  # type: ignore[union-attr]
        self.db_path = self.workdir / "nexus.db"
        self.clock_file: Path | None = self.workdir / "clock" if start_time is not None else None
        if self.clock_file is not None and start_time is not None:
            write_clock_file(self.clock_file, start_time)
        self.log_level = log_level
        # A postgresql:// URL: the bot runs on PostgreSQL (DATABASE_URL) instead of the SQLite file db_path.
        self.database_url = database_url
        self.extra_env = {**(extra_env or {}), **({"DATABASE_URL": database_url} if database_url else {})}
        self.server = SandboxServer(world or World.default(), **(server_options or {}))
        if self.clock_file is not None:
            self.server.clock = FileClock(self.clock_file).now
        self.client = SandboxClient(self.server)
        self.bot: BotProcess | None = None
        self.restarts = 0

    @property
    def sandbox(self) -> SandboxServer:
        return self.server

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> NexusSandbox:
        await self.server.start()
        await self.start_bot()
        return self

    async def start_bot(self) -> None:
        self.bot = BotProcess.for_sandbox(
            self.server,
            database_path=self.db_path,
            clock_file=self.clock_file,
            log_level=self.log_level,
            extra_env=self.extra_env,
            log_path=self.workdir / f"bot-{self.restarts}.log",
        )
        await self.bot.start()
        await self.bot.wait_ready(self.server, timeout=60)

    async def wait_settled(self, timeout: float = 30) -> None:
        """Wait until the bot has finished starting (on_ready ran: it sets its presence last), as a
        bot that has been running a while would be."""
        await self.server.wait_presence(timeout)

    @property
    def sqlite_path(self) -> Path | None:
        return None if self.database_url else self.db_path

    async def wait_bot_gone(self) -> None:
        await self.server.wait_disconnected()

    async def stop_bot(self) -> int:
        assert self.bot is not None
        code = await self.bot.stop()
        await self.server.wait_disconnected()
        return code

    async def restart(self) -> int:
        """SIGINT, wait for a clean exit, start again on the same database. Returns the exit code."""
        code = await self.stop_bot()
        self.restarts += 1
        await self.start_bot()
        return code

    async def kill_and_restart(self) -> None:
        assert self.bot is not None
        self.bot.kill()
        await self.bot.wait()
        await self.server.wait_disconnected()
        self.restarts += 1
        await self.start_bot()

    async def close(self) -> None:
        try:
            if self.bot is not None and self.bot.running:
                await self.bot.stop()
        finally:
            await self.server.stop()
            if self._tmp is not None:
                self._tmp.cleanup()

    async def __aenter__(self) -> NexusSandbox:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- time ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        assert self.clock_file is not None, "this sandbox runs on real time"
        return FileClock(self.clock_file).now()

    def set_time(self, instant: datetime) -> None:
        assert self.clock_file is not None, "this sandbox runs on real time"
        write_clock_file(self.clock_file, instant)

    def advance(self, delta: timedelta) -> datetime:
        assert self.clock_file is not None, "this sandbox runs on real time"
        return advance_clock_file(self.clock_file, delta)

    # --- helpers -------------------------------------------------------------------------------

    @asynccontextmanager
    async def db(self) -> AsyncIterator[Database]:
        """The bot's database, opened alongside it (WAL lets both read and write safely)."""
        database = open_database(self.database_url or self.db_path)
        await database.connect()
        try:
            yield database
        finally:
            await database.close()

    async def setup_guild(self, staff: str = "erin", **options: Any) -> InteractionResult:
        """Run /nexus setup as staff with the project channel (plus any options given)."""
        options.setdefault("channel", "prodevprojectnexus")
        # `channel` is also the client's own keyword (where the command is typed), so pass options as a dict.
        result = await self.client.slash(staff, "nexus setup", options=options)
        assert not result.error_id_seen, result.describe()
        return result

    def bot_log(self) -> str:
        return self.bot.log_text() if self.bot else ""
