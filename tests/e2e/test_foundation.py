"""The first slice through every layer: /nexus about, staff setup, clean shutdown, crash safety."""

from __future__ import annotations

import signal
import sqlite3

from sandbox.nexus import NexusSandbox


async def test_about_answers_ephemerally_with_version_and_counts(nexus: NexusSandbox) -> None:
    result = await nexus.client.slash("alice", "nexus about")
    assert result.ephemeral
    embed = result.embed
    assert embed is not None and embed["title"] == "Nexus Bot"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Version"] == "0.1.0"
    assert "Uptime" in fields and "Gateway latency" in fields
    assert "configured servers" in fields["In the database"]


async def test_once_started_the_bot_shows_how_to_announce_in_its_status(nexus: NexusSandbox) -> None:
    await nexus.wait_settled()
    presence = nexus.server.presence
    assert presence is not None and presence["status"] == "online"
    assert presence["activities"] == [
        {"type": 4, "name": "Custom Status", "state": "Announce your capstone: /project announce"}
    ]


async def test_a_new_session_after_discord_drops_the_old_one_gets_the_status_back(nexus: NexusSandbox) -> None:
    await nexus.wait_settled()
    await nexus.server.gateway_invalidate(resumable=False)  # discord.py must IDENTIFY again
    await nexus.server.wait_until(lambda: len(nexus.server.identify_log) == 2, 15, "a second IDENTIFY")
    presence = await nexus.server.wait_presence(timeout=15)
    assert presence["activities"][0]["state"] == "Announce your capstone: /project announce"
    result = await nexus.client.slash("alice", "nexus about")
    assert result.embed is not None and result.embed["title"] == "Nexus Bot"


async def test_commands_synced_to_the_guild_only(nexus: NexusSandbox) -> None:
    guild_commands = nexus.server.state.guild_commands[nexus.server.world.guild.id]
    assert "nexus" in {c["name"] for c in guild_commands}
    assert not nexus.server.state.global_commands


async def test_a_restart_registers_the_commands_only_when_discord_no_longer_holds_them(nexus: NexusSandbox) -> None:
    """Discord rate-limits command registration: an unchanged restart sends no PUT, and the commands still
    answer. Commands Discord lost (the bot removed from the server and invited again) are registered again."""
    state, guild_id = nexus.server.state, nexus.server.world.guild.id
    syncs, registered = state.command_syncs, [dict(c) for c in state.guild_commands[guild_id]]
    await nexus.restart()
    assert state.command_syncs == syncs and state.guild_commands[guild_id] == registered
    assert "Commands unchanged since the last sync" in nexus.bot_log()
    about = await nexus.client.slash("alice", "nexus about")
    assert about.embed is not None and about.embed["title"] == "Nexus Bot"

    state.guild_commands[guild_id] = []
    await nexus.restart()
    assert state.command_syncs == syncs + 1
    assert [c["name"] for c in state.guild_commands[guild_id]] == [c["name"] for c in registered]
    assert (await nexus.client.slash("alice", "nexus about")).embed is not None


async def test_setup_is_staff_only_and_refusal_names_what_is_needed(nexus: NexusSandbox) -> None:
    refused = await nexus.client.slash("alice", "nexus setup", options={"channel": "prodevprojectnexus"})
    assert refused.ephemeral
    assert "Staff" in refused.content and "Manage Server" in refused.content
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM guild_settings") == 0
    ok = await nexus.setup_guild()
    assert ok.ephemeral and ok.embed is not None and ok.embed["title"] == "Nexus Bot is set up"
    async with nexus.db() as db:
        row = await db.fetchone("SELECT channel_id, cohort_start FROM guild_settings")
    assert row is not None and row["channel_id"] == nexus.server.channel_id("prodevprojectnexus")
    assert row["cohort_start"] == nexus.now().date().isoformat()


async def test_setup_rejects_bad_date_and_missing_channel_permission(nexus: NexusSandbox) -> None:
    bad = await nexus.client.slash(
        "erin", "nexus setup", options={"channel": "prodevprojectnexus", "cohort_start": "2026-13-45"}
    )
    assert bad.ephemeral and "YYYY-MM-DD" in bad.content
    nexus.server.set_bot_channel_permissions("general", deny=1 << 11)  # Send Messages
    denied = await nexus.client.slash("erin", "nexus setup", options={"channel": "general"})
    assert denied.ephemeral and "Send Messages" in denied.content


async def test_sigint_exits_zero_and_restart_keeps_data(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    assert await nexus.restart() == 0
    assert "Stopped cleanly" in (nexus.workdir / "bot-0.log").read_text()
    result = await nexus.client.slash("alice", "nexus about")
    assert result.embed is not None
    fields = {f["name"]: f["value"] for f in result.embed["fields"]}
    assert "1 configured servers" in fields["In the database"]


async def test_sigterm_also_exits_zero(nexus: NexusSandbox) -> None:
    assert nexus.bot is not None
    assert await nexus.bot.stop(signal.SIGTERM) == 0


async def test_sigkill_mid_write_leaves_database_intact(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    for _ in range(3):
        await nexus.kill_and_restart()
    with sqlite3.connect(nexus.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM guild_settings").fetchone()[0] == 1


async def test_token_never_logged(nexus: NexusSandbox) -> None:
    await nexus.client.slash("alice", "nexus about")
    assert nexus.server.token not in nexus.bot_log()
