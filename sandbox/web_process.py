"""`nexus-bot web` as a real subprocess on a database file (beside a running bot, or alone), for tests and benches."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType

import aiohttp

SECRET = "test-secret-" + "s" * 32
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebProcess:
    def __init__(
        self,
        database: Path,
        *,
        clock_file: Path | None = None,
        secret: str | None = SECRET,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = database.with_name(f"web-{self.port}.log")
        self.env = {
            **os.environ,
            "DATABASE_PATH": str(database),
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(self.port),
            "LOG_LEVEL": "INFO",
        }
        self.env.pop("DISCORD_TOKEN", None)
        if secret:
            self.env["WEB_SECRET"] = secret
        if clock_file is not None:
            self.env["NEXUS_CLOCK_FILE"] = str(clock_file)
        self.env.update(extra_env or {})
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 30) -> WebProcess:
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "web", env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT
            )
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"nexus-bot web exited {self.proc.returncode}: {self.log()}")
                try:
                    async with session.get(f"{self.base_url}/api/v1/guilds") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"nexus-bot web did not answer in {timeout} s: {self.log()}")
                await asyncio.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode or 0

    async def __aenter__(self) -> WebProcess:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
