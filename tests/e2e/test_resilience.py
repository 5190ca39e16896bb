"""Discord faults injected by the sandbox, and secrets: the bot stays up and keeps its token to itself."""

from __future__ import annotations

import json

from sandbox.harness import BotProcess
from sandbox.nexus import NexusSandbox

CALLBACK = "/interactions/{interaction_id}/{token}/callback"


def op_counts(nexus: NexusSandbox) -> dict[int, int]:
    counts: dict[int, int] = {}
    for payload in nexus.server.gateway_log:
        counts[payload.get("op", -1)] = counts.get(payload.get("op", -1), 0) + 1
    return counts


async def about_works(nexus: NexusSandbox) -> None:
    result = await nexus.client.slash("alice", "nexus about", timeout=20)
    assert result.embed is not None and result.embed["title"] == "Nexus Bot"
    assert len(result.record.callbacks) >= 1


async def test_server_errors_on_the_callback_are_retried_once_answered(nexus: NexusSandbox) -> None:
    fault = nexus.server.inject_fault("POST", CALLBACK, 502, times=1)
    result = await nexus.client.slash("alice", "nexus about", timeout=20)
    assert fault.hits == 1
    # exactly one successful acknowledgement (the retry), never a second answer
    assert len([c for c in result.record.callbacks if c[0] < 300]) == 1, result.describe()


async def test_rate_limited_callback_waits_and_retries(nexus: NexusSandbox) -> None:
    fault = nexus.server.inject_rate_limit("POST", CALLBACK, retry_after=0.3)
    result = await nexus.client.slash("alice", "nexus about", timeout=20)
    assert fault.hits == 1
    ok = [c for c in result.record.callbacks if c[0] < 300]
    assert len(ok) == 1, result.describe()


async def test_gateway_reconnect_request_resumes(nexus: NexusSandbox) -> None:
    await nexus.server.gateway_reconnect()
    await nexus.server.wait_until(lambda: op_counts(nexus).get(6, 0) >= 1, 20, "a RESUME")
    await about_works(nexus)
    assert op_counts(nexus).get(2, 0) == 1  # resumed, not re-identified


async def test_invalid_session_reidentifies(nexus: NexusSandbox) -> None:
    await nexus.server.gateway_invalidate(resumable=False)
    await nexus.server.wait_until(lambda: op_counts(nexus).get(2, 0) >= 2, 30, "a new IDENTIFY")
    await nexus.server.wait_ready(30, commands=False)
    await about_works(nexus)


async def test_abrupt_close_reconnects_and_misses_nothing(nexus: NexusSandbox) -> None:
    await nexus.server.gateway_close(code=4000)
    await nexus.server.wait_until(lambda: op_counts(nexus).get(6, 0) >= 1, 20, "a RESUME")
    await about_works(nexus)
    assert nexus.bot is not None and nexus.bot.running


async def test_token_never_logged_or_sent(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    await nexus.client.slash("alice", "nexus about")
    await nexus.client.slash("alice", "nexus setup", options={"channel": "general"})  # refused: error path too
    token = nexus.server.token
    assert token not in nexus.bot_log()
    for request in nexus.server.requests:
        assert token not in json.dumps(request.json, default=str), request.route
        assert all(token.encode() not in data for _, data in request.files)
    for payload in nexus.server.gateway_log:
        if payload.get("op") not in (2, 6):  # IDENTIFY and RESUME must carry the token to Discord
            assert token not in json.dumps(payload)


async def test_second_bot_on_the_same_database_refuses_to_start_until_the_first_is_gone(
    nexus: NexusSandbox,
) -> None:
    assert nexus.bot is not None and nexus.bot.pid is not None
    first_pid = nexus.bot.pid
    second = BotProcess.for_sandbox(
        nexus.server,
        database_path=nexus.db_path,
        clock_file=nexus.clock_file,
        log_path=nexus.workdir / "second-bot.log",
    )
    await second.start()
    assert await second.wait(timeout=60) == 2
    lines = [line for line in second.log_text().splitlines() if line.strip()]
    assert len(lines) == 1 and f"pid {first_pid}" in lines[0], second.log_text()
    assert len(nexus.server.identify_log) == 1  # it never reached Discord
    await about_works(nexus)  # the first one still answers, alone

    # A crash releases the lock with the process: the next start succeeds at once.
    await nexus.kill_and_restart()
    await about_works(nexus)
