"""Run a bot as a subprocess pointed at a ``SandboxServer``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Awaitable, Mapping, Sequence
from pathlib import Path
from typing import IO

from sandbox.server import SandboxServer

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def bot_env(
    sandbox: SandboxServer,
    *,
    database_path: str | Path | None = None,
    clock_file: str | Path | None = None,
    log_level: str = "INFO",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment variables the bot reads, pointing at ``sandbox``."""
    env = {
        "DISCORD_TOKEN": sandbox.token,
        "DISCORD_GUILD_ID": str(sandbox.world.guild.id),
        "DISCORD_API_BASE": sandbox.api_base,
        "DISCORD_GATEWAY_URL": sandbox.gateway_url,
        "LOG_LEVEL": log_level,
    }
    if database_path is not None:
        env["DATABASE_PATH"] = str(database_path)
    if clock_file is not None:
        env["NEXUS_CLOCK_FILE"] = str(clock_file)
    env.update(extra or {})
    return env


class BotProcess:
    """A bot subprocess. Its stdout+stderr go to ``log_path``."""

    def __init__(
        self,
        args: Sequence[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        log_path: str | Path | None = None,
        inherit_env: bool = True,
    ) -> None:
        self.args = list(args) if args is not None else [sys.executable, "-m", "bot", "run"]
        base = dict(os.environ) if inherit_env else {}
        base.pop("PYTHONSTARTUP", None)
        base["PYTHONUNBUFFERED"] = "1"
        base["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), base.get("PYTHONPATH", "")) if p)
        self.env = {**base, **(env or {})}
        self.cwd = str(cwd) if cwd is not None else str(PROJECT_ROOT)
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="bot-", suffix=".log")
            os.close(fd)
            log_path = name
        self.log_path = Path(log_path)
        self.proc: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None

    @classmethod
    def for_sandbox(
        cls,
        sandbox: SandboxServer,
        args: Sequence[str] | None = None,
        *,
        database_path: str | Path | None = None,
        clock_file: str | Path | None = None,
        log_level: str = "INFO",
        extra_env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        log_path: str | Path | None = None,
    ) -> BotProcess:
        env = bot_env(sandbox, database_path=database_path, clock_file=clock_file, log_level=log_level, extra=extra_env)
        return cls(args, env=env, cwd=cwd, log_path=log_path)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self) -> None:
        self._log_file = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            *self.args,
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
        logger.info("started bot pid %s: %s (log %s)", self.proc.pid, " ".join(self.args), self.log_path)

    async def wait(self, timeout: float | None = None) -> int:
        assert self.proc is not None, "not started"
        rc = await asyncio.wait_for(self.proc.wait(), timeout)
        self._close_log()
        return rc

    async def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int:
        """Send ``sig`` and wait for exit (SIGKILL after ``timeout``). Returns the exit code."""
        if self.proc is None:
            raise RuntimeError("not started")
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                logger.warning("bot pid %s ignored signal %s; killing", self.proc.pid, sig)
                # Ask for a stack dump first (the bot registers faulthandler on SIGUSR1) to show where it hung.
                with contextlib.suppress(ProcessLookupError):
                    self.proc.send_signal(signal.SIGUSR2)  # asyncio tasks
                    await asyncio.sleep(0.3)
                    self.proc.send_signal(signal.SIGUSR1)  # threads
                    await asyncio.sleep(0.3)
                self.proc.kill()
                await self.proc.wait()
        self._close_log()
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def wait_ready(self, sandbox: SandboxServer, timeout: float = 30, *, commands: bool = True) -> None:
        """``sandbox.wait_ready`` that fails fast (with the log tail) if the process exits first."""
        await self.wait_for(sandbox.wait_ready(timeout, commands=commands), timeout)

    async def wait_for(self, readiness: Awaitable[None], timeout: float, name: str = "bot") -> None:
        """Await `readiness`, failing fast (with the log tail) if the process exits first."""
        assert self.proc is not None, "not started"
        ready = asyncio.ensure_future(readiness)
        exited = asyncio.ensure_future(self.proc.wait())
        try:
            done, _ = await asyncio.wait({ready, exited}, timeout=timeout + 1, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
        if ready in done:
            ready.result()
            return
        ready.cancel()
        await asyncio.gather(ready, return_exceptions=True)
        state = f"exited with {self.proc.returncode}" if self.proc.returncode is not None else "not ready"
        raise AssertionError(f"{name} {state} before it was ready; log tail:\n{self.log_text()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL (simulates a crash)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.running:
            await self.stop()
