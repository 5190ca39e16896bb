from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from sandbox.client import SandboxClient
from sandbox.harness import BotProcess
from sandbox.server import SandboxServer
from sandbox.world import Perm


async def test_pong_bot_end_to_end(sandbox: SandboxServer, pong_bot: BotProcess, client: SandboxClient) -> None:
    commands = sandbox.state.guild_commands[sandbox.world.guild.id]
    assert [c["name"] for c in commands] == ["ping"]
    res = await client.slash("alice", "ping")
    assert res.type == 4
    assert res.content == "pong"
    assert not res.ephemeral
    assert sandbox.messages_in("prodevprojectnexus")[-1]["content"] == "pong"
    assert sandbox.rejections == [], [str(r) for r in sandbox.rejections]
    rc = await pong_bot.stop(signal.SIGINT)
    assert rc == 0, pong_bot.log_text()[-3000:]
    await sandbox.wait_disconnected(timeout=10)


async def test_kill_and_fail_fast(sandbox: SandboxServer, pong_bot: BotProcess, tmp_path: Path) -> None:
    pong_bot.kill()
    assert await pong_bot.wait(timeout=10) == -signal.SIGKILL
    await sandbox.wait_disconnected(timeout=10)
    broken = BotProcess.for_sandbox(
        sandbox, [sys.executable, "-c", "print('boom'); raise SystemExit(3)"], log_path=tmp_path / "broken.log"
    )
    await broken.start()
    with pytest.raises(AssertionError, match="exited with 3"):
        await broken.wait_ready(sandbox, timeout=10)
    assert "boom" in broken.log_text()


async def test_default_permissions_optional(sandbox: SandboxServer, pong_bot: BotProcess) -> None:
    ping = sandbox.state.guild_commands[sandbox.world.guild.id][0]
    ping["default_member_permissions"] = str(Perm.MANAGE_GUILD)
    assert (await SandboxClient(sandbox).slash("alice", "ping")).content == "pong"  # bypassed by default
    strict = SandboxClient(sandbox, enforce_default_permissions=True)
    with pytest.raises(PermissionError):
        await strict.slash("alice", "ping")
    assert (await strict.slash("erin", "ping")).content == "pong"  # Staff has Manage Server
