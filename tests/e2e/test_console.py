"""`nexus-bot sandbox --script`: the README's first command, run non-interactively."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sandbox.commands_doc import command_docs
from sandbox.console import QUIT, Console, humanize_mentions, open_console, parse_options, split_command
from tests.e2e.test_fuzz import LoopThread, sandbox_fuzzing

ROOT = Path(__file__).resolve().parents[2]


def run_script(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--script", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_tour_script_passes() -> None:
    result = run_script(ROOT / "sandbox" / "scripts" / "tour.txt")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Script finished: 0 failed step(s)." in result.stdout
    assert "its status reads: Announce your capstone: /project announce" in result.stdout
    assert "#prodevprojectnexus" in result.stdout  # mentions are shown by name


def test_failing_step_makes_the_script_exit_non_zero(tmp_path: Path) -> None:
    script = tmp_path / "bad.txt"
    script.write_text('/nexus about\nexpect "no such text anywhere"\n/nope\n')
    result = run_script(script)
    assert result.returncode == 1
    assert "2 failed step(s)" in result.stdout


def test_option_parsing() -> None:
    assert split_command("/project list track:backend looking_for_partner:true") == (
        "project list",
        {"track": "backend", "looking_for_partner": True},
    )
    assert parse_options('title:"My shop: v2" summary:two words here') == {
        "title": "My shop: v2",
        "summary": "two words here",
    }
    assert parse_options("channel:#general member:@bob") == {"channel": "general", "member": "bob"}


def test_mentions_are_humanized() -> None:
    names = {("#", 1): "general", ("@&", 2): "Staff", ("@", 3): "bob"}
    assert humanize_mentions("<#1> <@&2> <@3> <@!3> <@9>", names) == "#general @Staff @bob @bob <@9>"
    assert humanize_mentions("<t:1796256000:R>", names) == "Thu 03 Dec 2026 00:00 UTC"


# --- the console in-process: it survives any input, and --database restores the world ---------------


class Session:
    """A console on a real sandbox and bot, opened with `open_console` as `nexus-bot sandbox` does."""

    def __init__(self, database: Path | None = None) -> None:
        self.out = io.StringIO()
        self._context = open_console(database, out=self.out)

    async def __aenter__(self) -> Console:
        return await self._context.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        await self._context.__aexit__(None, None, None)


async def run(console: Console, line: str) -> str:
    """Run one line as typed at the prompt; what it printed."""
    assert await console.handle(line), f"{line!r} ended the console"
    return "\n".join(console.shown)


async def test_bad_lines_answer_in_one_line_and_the_prompt_comes_back() -> None:
    async with Session() as console:
        no_suggestions = await run(console, "complete /project list track:ba")
        assert (
            no_suggestions == "  ✗ option 'track' of /project list has no suggestions; its choices: backend, frontend"
        )
        assert await run(console, 'click "Python') == '  ✗ a quote is not closed: write it like click "Pair with me"'
        assert "no command /projet list; did you mean /project list?" in await run(console, "/projet list")
        assert "try `/learn topic name [share]`" in await run(console, "/learn topic django")
        assert "at most 365d" in await run(console, "advance 999999d")
        assert "did you mean 'click'?" in await run(console, "clik")
        console.out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")  # a strict terminal
        assert "unknown step" in await run(console, "\udcff\udcfe")  # bytes that are not UTF-8, as read
        assert "Django" in await run(console, "complete /learn topic name:dja")  # autocomplete still works
        assert await console.handle("quit") is False


async def test_help_lists_every_registered_command_with_its_options() -> None:
    async with Session() as console:
        shown = await run(console, "help")
        state = console.nexus.server.state
        for doc in command_docs(state.guild_commands[console.nexus.server.world.guild.id]):
            assert f"  {doc.usage}\n      {doc.description}" in shown
        assert "/nexus tips [channel] [hour] [off]" in shown and "/project list [project] [track]" in shown
        detail = await run(console, "help /project list")
        assert "share (optional, true/false): Post the list in the channel for everyone" in detail


async def test_threads_members_earlier_messages_and_channel_labels() -> None:
    async with Session() as console:
        announced = await run(
            console, 'as @alice /project announce project:ecommerce title:"Shop API" summary:"Carts."'
        )
        assert "— posted in #prodevprojectnexus:" in announced and "posted in a DM" not in announced
        server = console.nexus.server
        post = console.numbers[int(server.messages_in("prodevprojectnexus")[-1]["id"])]
        assert "@zed joined the server with the Frontend role" in await run(console, "add member zed frontend")
        assert server.world.member("zed").roles == [server.world.role("Frontend").id]
        assert "@zed is already a member" in await run(console, "add member zed")
        asked = await run(console, 'as @zed /ask question:"How do I paginate a Django queryset?"')
        assert "posted in thread #How do I paginate a Django queryset?:" in asked
        assert "Only the asker" in await run(console, 'as @bob in "How do I" /solved')
        assert "Solved" in await run(console, "as @zed in #how /solved")
        await run(console, "/project list")  # newer messages with buttons; the post is still pressable by number
        assert console.last is not None
        mine = console.numbers[int(console.last.messages[0]["id"])]
        pressed = await run(console, f'as @bob click {post} "Pair with me"')
        assert "✗" not in pressed and "/project announce" in pressed
        assert "was shown only to @alice" in await run(console, f'as @bob click {mine} "Next"')


async def test_database_restores_members_channels_threads_and_messages(tmp_path: Path) -> None:
    database = tmp_path / "nexus.db"
    async with Session(database) as console:
        await run(console, 'as @alice /project announce project:ecommerce title:"Shop API" summary:"Carts."')
        await run(console, "add member zed frontend")
        await run(console, 'as @zed /ask question:"How do I paginate a Django queryset?"')
        await run(console, "@zed")
        await run(console, "advance 1d")
        before = console.nexus.server
        guild_id, clock = before.world.guild.id, console.nexus.now()
        posts = [m["id"] for m in before.messages_in("prodevprojectnexus")]
        thread = before.threads()[0]
    assert (tmp_path / "nexus.db.sandbox.json").exists()

    async with Session(database) as console:
        after = console.nexus.server
        assert after.world.guild.id == guild_id and console.nexus.now() == clock and console.user == "zed"
        assert after.world.member("zed").roles == [after.world.role("Frontend").id]
        async with console.nexus.db() as db:
            row = await db.fetchone("SELECT guild_id, channel_id, message_id FROM announcements")
        assert row is not None
        assert row["guild_id"] == guild_id and str(row["message_id"]) in posts
        # The bot found its post where the database says it is: nothing was re-posted.
        assert [m["id"] for m in after.messages_in("prodevprojectnexus")] == posts
        assert [t["id"] for t in after.threads()] == [thread["id"]]
        assert "Shop API" in await run(console, "channel #prodevprojectnexus")
        assert "Solved" in await run(console, "in #how /solved")
        shown = await run(console, "channel #prodevprojectnexus")
        post = next(n for n, mid in console.by_number.items() if str(mid) == str(row["message_id"]))
        assert "Pair with me" in shown
        pressed = await run(console, f'as @bob click {post} "Pair with me"')  # a button from before the restart
        assert "✗" not in pressed


async def test_database_without_its_snapshot_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.write_bytes(b"")
    with pytest.raises(ValueError, match=r"old\.db\.sandbox\.json does not"):
        async with Session(database):
            pass


VERBS = ["click", "click 1", "click 99", "select", "select 1", "modal", "complete", "complete /learn topic name:"]
VERBS += ["complete /project list track:", "advance", "channel", "channel #", "threads", "dms", "dms @bob", "expect"]
VERBS += ["members", "add member", "add", "help", "help /", "as @bob", "as", "in #prodevprojectnexus", "in", "@bob"]
VERBS += ["/learn topic name:", "/project list", "/project board share:", "/nexus about", "/", "/project", "#", ""]
lines = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda verb, tail: f"{verb} {tail}",
        st.sampled_from(VERBS),
        st.one_of(st.text(max_size=30), st.text(alphabet=st.sampled_from("\"' :#@/|=\\-_[]019abz\n\t"), max_size=25)),
    ),
).filter(lambda line: line.strip().lower() not in QUIT)


@pytest.fixture(scope="module")
def fuzzed_console() -> Iterator[tuple[LoopThread, Console]]:
    runner = LoopThread()
    session = Session()
    console = runner.run(session.__aenter__())
    try:
        yield runner, console
    finally:
        runner.run(session.__aexit__())
        runner.stop()


@sandbox_fuzzing(max_examples=300)
@given(line=lines)
@example(line='click "Python')  # the two lines that used to end it
@example(line="complete /project list track:ba")
@example(line="/learn topic name:django")
@example(line='as @bob click "Pair with me"')
@example(line="in #prodevprojectnexus /project board")
def test_no_input_line_ends_the_console(fuzzed_console: tuple[LoopThread, Console], line: str) -> None:
    runner, console = fuzzed_console
    assert runner.run(console.handle(line)) is True
    errors = [text for text in console.shown if text.lstrip().startswith("✗")]
    assert all("\n" not in e for e in errors), errors
    assert console.nexus.bot is not None and console.nexus.bot.running
