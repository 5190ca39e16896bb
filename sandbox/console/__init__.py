"""`nexus-bot sandbox`: try Nexus Bot without Discord.

Starts the local Discord-compatible server and the real bot against it, configures the sample server
as staff, then reads commands (interactively or from `--script FILE`):

    /learn topic name:django                 run a slash command as the current member (@alice)
    as @bob /match status                    run one command as another member
    in #thread-name /solved                  run a command in a channel or thread (quote names with spaces)
    click "Pair with me"                     press a button on the last message that has it
    click 3 "Next"                           press a button on message [3]
    select "Pick a category" concepts        choose option values in a select menu (select 3 "..." on [3])
    modal Title=My topic | Summary=...       fill in and submit the last modal
    complete /learn topic name:dja           show autocomplete choices
    advance 2d                               move the bot's clock forward (30m, 2h, 3d; at most 365d)
    channel #prodevprojectnexus              show the channel's (or a thread's) recent messages
    threads                                  list the threads the bot opened
    dms @bob                                 show the DMs the bot sent to @bob
    members                                  list the members and their roles
    add member NAME [backend|frontend|staff] a new member joins the server
    @bob                                     become @bob for the following commands
    expect "some text"                       (scripts) fail unless the last step showed it
    help                                     this list, then every slash command and its options
    help /project list                       one command's options in detail
    quit

Messages are numbered [N] as they are shown. With `--database PATH` the bot's database and the
sandbox world (members, channels, threads, messages, the clock) are kept in PATH and
PATH.sandbox.json, and restored the next time.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox import snapshot
from sandbox.console.parsing import (
    MAX_ADVANCE,
    QUIT,
    ROLES,
    StepError,
    parse_duration,
    parse_options,
    split_command,
    split_words,
)
from sandbox.console.rendering import (
    humanize_mentions,
    one_line,
    render_components,
    render_embed,
    render_message,
    render_modal,
    render_result,
)
from sandbox.console.session import VERBS, Console
from sandbox.nexus import NexusSandbox

__all__ = [
    "MAX_ADVANCE",
    "QUIT",
    "ROLES",
    "VERBS",
    "Console",
    "StepError",
    "humanize_mentions",
    "main",
    "one_line",
    "open_console",
    "parse_duration",
    "parse_options",
    "render_components",
    "render_embed",
    "render_message",
    "render_modal",
    "render_result",
    "split_command",
    "split_words",
]


@asynccontextmanager
async def open_console(database: str | Path | None = None, *, out: Any = sys.stdout) -> AsyncIterator[Console]:
    """The sandbox, the bot and a console on them. With `database`, the world is restored from (and
    saved to) the snapshot beside it, so members, channels, threads and messages match the database."""
    db_path = Path(database).resolve() if database else None
    saved: snapshot.Snapshot | None = None
    snapshot_file = snapshot.snapshot_path(db_path) if db_path else None
    if snapshot_file is not None and snapshot_file.exists():
        if db_path is not None and not db_path.exists():
            raise ValueError(
                f"{snapshot_file} is there but its database {db_path} is not: restore the database, "
                "or delete the snapshot to start afresh"
            )
        saved = snapshot.load(snapshot_file)
    elif db_path is not None and db_path.exists():
        raise ValueError(
            f"{db_path} exists but {snapshot_file} does not: the sandbox can't restore the members, channels and "
            "messages that database refers to; pass a new --database path"
        )
    start = saved.clock if saved and saved.clock else datetime.now(UTC).replace(microsecond=0)
    nexus = NexusSandbox(None, world=saved.world if saved else None, start_time=start, log_level="WARNING")
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        nexus.db_path = db_path
    if saved is not None:
        snapshot.restore_state(nexus.server.state, saved.state)
    print("Starting the sandbox and Nexus Bot ...", file=out, flush=True)
    async with nexus:
        console = Console(nexus, out=out, snapshot_file=snapshot_file)
        if saved is None:
            setup = await nexus.setup_guild()
            assert setup.embed is not None, setup.describe()
        else:
            console.user = str(saved.console.get("user") or console.user)
            console.restored = True
        console.mark_all_seen()
        await nexus.wait_settled()
        console.mark_all_seen()
        console.save()
        try:
            yield console
        finally:
            console.save()


async def _run_console(script: str | None, database: str | None) -> int:
    try:
        context = open_console(database)
        console = await context.__aenter__()
    except ValueError as exc:
        print(f"  ✗ {exc}", flush=True)
        return 2
    try:
        nexus = console.nexus
        activities = (nexus.server.presence or {}).get("activities") or [{}]
        print(f"Nexus Bot is online, its status reads: {activities[0].get('state', '')}")
        if console.snapshot_file is not None:
            print(f"Database {nexus.db_path}; the sandbox world is kept in {console.snapshot_file}.")
        if console.restored:
            messages = sum(len(m) for m in nexus.server.state.messages.values())
            members = len(nexus.server.world.guild.members)
            print(f"Restored: {members} members, {len(nexus.server.threads())} threads, {messages} messages.")
        else:
            print("Ready. Server 'ProDev', channel #prodevprojectnexus, set up by @erin (staff).")
        print(f"You are @{console.user}. Type help for what you can do, quit to leave.\n", flush=True)
        if script is not None:
            try:
                lines = Path(script).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError as exc:
                print(f"  ✗ cannot read the script: {one_line(str(exc))}", flush=True)
                return 2
            for number, line in enumerate(lines, 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                print(f"» {line}", flush=True)
                if not await console.handle(line, where=f"line {number}: "):
                    break
            print(f"\nScript finished: {console.failures} failed step(s).")
            return 1 if console.failures else 0
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, input, f"@{console.user}> ")
            except EOFError:
                break
            except UnicodeDecodeError:
                print("  ✗ that line is not valid UTF-8 text; type it again", flush=True)
                continue
            if not await console.handle(line):
                break
        return 0
    finally:
        await context.__aexit__(None, None, None)


def main(script: str | None = None, database: str | None = None) -> int:
    try:
        return asyncio.run(_run_console(script, database))
    except KeyboardInterrupt:
        return 0
