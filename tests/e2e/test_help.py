"""/help lists, from the bot's own command tree, every command the member can use."""

from __future__ import annotations

from typing import Any

from sandbox.commands_doc import command_docs


async def test_help_lists_what_each_member_can_use(nexus: Any) -> None:
    await nexus.setup_guild()
    registered = command_docs(nexus.server.state.guild_commands[nexus.server.world.guild.id])
    # The bot's convention: staff commands say so first in their description (and carry the staff check).
    staff_only = {d.path for d in registered if d.description.startswith("Staff:")}
    assert {"nexus setup", "match run", "learn edit"} <= staff_only

    staff = await nexus.client.slash("erin", "help")
    assert staff.ephemeral and staff.embed["title"] == "Nexus Bot commands"
    for doc in registered:  # every registered command and subcommand, each with its description
        assert f"`/{doc.path}`: {doc.description}" in staff.text, doc.path
    assert "`/nexus setup`: Staff: configure the project channel, cohort dates and roles *(staff)*" in staff.text

    learner = await nexus.client.slash("alice", "help")
    assert learner.ephemeral
    listed = {doc.path for doc in registered if f"`/{doc.path}`:" in learner.text}
    assert listed == {doc.path for doc in registered} - staff_only
    assert "`/help`:" in learner.text and "*(staff)*" not in learner.text
