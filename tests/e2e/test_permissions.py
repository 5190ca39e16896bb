"""Permission matrix: every staff command, dispatched by a plain learner, is refused on the server side.

The sandbox does not apply Discord's `default_permissions` (a member could always reach a command
some other way), so the bot's own check is what is tested. Nothing may change in the database.
"""

from __future__ import annotations

from typing import Any

from sandbox.fuzz import Fuzzer, command_leaves
from sandbox.nexus import NexusSandbox

PUBLIC_UNDER_NEXUS = {"nexus about"}
# Staff-only commands outside /nexus, as the issues name them.
STAFF_ELSEWHERE = {"match run", "match stats", "match unblock", "learn edit"}


def staff_paths(nexus: NexusSandbox) -> list[str]:
    paths = [path for path, _ in command_leaves(nexus)]
    return [p for p in paths if (p.startswith("nexus ") and p not in PUBLIC_UNDER_NEXUS) or p in STAFF_ELSEWHERE]


async def snapshot(nexus: NexusSandbox) -> dict[str, list[tuple[Any, ...]]]:
    async with nexus.db() as db:
        tables = [r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
        # `jobs` is also written by the scheduler's own planning (digests, reminders) in the background;
        # every staff action that schedules work records it in its feature's table too, which is compared.
        return {
            t: [tuple(r) for r in await db.fetchall(f'SELECT * FROM "{t}"')]
            for t in tables
            if not t.startswith(("topics_fts", "sqlite_")) and t != "jobs"
        }


async def test_every_staff_command_refuses_a_learner(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    paths = staff_paths(nexus)
    assert "nexus setup" in paths
    fuzzer = Fuzzer(nexus, learner="alice")
    leaves = dict(command_leaves(nexus))
    before = await snapshot(nexus)
    refused: list[str] = []
    for path in paths:
        options: dict[str, Any] = {}
        for option in leaves[path]:
            if option.get("required"):
                value = await fuzzer.plausible("erin", path, option, options)
                if value is not None:
                    options[option["name"]] = value
        result = await nexus.client.slash("alice", path, options=options)
        assert result.ephemeral, f"/{path}: refusal must be ephemeral\n{result.describe()}"
        text = result.text
        assert "Manage Server" in text and "Staff" in text, f"/{path} was not refused: {text!r}"
        assert result.modal is None, f"/{path} opened a modal for a learner"
        refused.append(path)
    assert await snapshot(nexus) == before
    assert len(refused) == len(paths)
