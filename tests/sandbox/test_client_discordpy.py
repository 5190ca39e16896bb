"""The client API against a real discord.py bot running in-process (components, modals, autocomplete, files)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer


class PairView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Pair with me", style=discord.ButtonStyle.primary, custom_id="nexus:pair:join:1")
    async def pair(self, interaction: discord.Interaction, button: discord.ui.Button[PairView]) -> None:
        await interaction.response.edit_message(content=f"paired with {interaction.user.name}", view=None)

    @discord.ui.select(
        custom_id="nexus:pair:track:1",
        placeholder="Track",
        options=[discord.SelectOption(label="Backend", value="be"), discord.SelectOption(label="Frontend", value="fe")],
    )
    async def track(self, interaction: discord.Interaction, select: discord.ui.Select[PairView]) -> None:
        await interaction.response.send_message(f"track {select.values[0]}", ephemeral=True)


class IdeaModal(discord.ui.Modal, title="New idea"):
    name: discord.ui.TextInput[IdeaModal] = discord.ui.TextInput(label="Title", max_length=50)
    body: discord.ui.TextInput[IdeaModal] = discord.ui.TextInput(
        label="Details", style=discord.TextStyle.paragraph, required=False
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"idea: {self.name.value} / {self.body.value or '-'}")


def make_bot(guild_id: int) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)
    project = app_commands.Group(name="project", description="Projects")

    @project.command(name="announce", description="Announce a project")
    @app_commands.describe(project="Project", track="Track")
    @app_commands.choices(
        track=[
            app_commands.Choice(name="Backend", value="backend"),
            app_commands.Choice(name="Frontend", value="frontend"),
        ]
    )
    async def announce(interaction: discord.Interaction, project: str, track: app_commands.Choice[str]) -> None:
        await interaction.response.send_message(
            embed=discord.Embed(title=f"{project} ({track.value})", description="Join us"), view=PairView()
        )

    @project.command(name="pair", description="Pair with someone")
    async def pair(interaction: discord.Interaction, partner: discord.Member, role: discord.Role) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(f"{partner.name} as {role.name}", ephemeral=True)

    @app_commands.command(name="export", description="Export CSV")
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(
            content="here", attachments=[discord.File(io.BytesIO(b"a,b\n"), filename="export.csv")]
        )

    @app_commands.command(name="idea", description="Submit an idea")
    async def idea(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(IdeaModal())

    @app_commands.command(name="learn", description="Learn a topic")
    async def learn(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(f"topic {topic}", ephemeral=True)

    @learn.autocomplete("topic")
    async def topic_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        topics = ["django", "docker", "react"]
        return [app_commands.Choice(name=t.title(), value=t) for t in topics if t.startswith(current)]

    @app_commands.command(name="boom", description="Fails")
    async def boom(interaction: discord.Interaction) -> None:
        raise RuntimeError("kaput")

    @app_commands.command(name="thread", description="Open a thread and DM")
    async def thread(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        t = await interaction.channel.create_thread(name="pair-alice", type=discord.ChannelType.private_thread)
        await t.add_user(interaction.user)
        await t.send("welcome to your pair thread")
        await interaction.user.send("check the thread")
        await interaction.followup.send("thread opened", ephemeral=True)

    @bot.tree.error
    async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await interaction.response.send_message("Something broke (error id DEADBEEF)", ephemeral=True)

    async def setup_hook() -> None:
        bot.add_view(PairView())
        commands: tuple[app_commands.Command[Any, Any, Any] | app_commands.Group, ...] = (
            project,
            export,
            idea,
            learn,
            boom,
            thread,
        )
        for cmd in commands:
            bot.tree.add_command(cmd, guild=discord.Object(guild_id))
        await bot.tree.sync(guild=discord.Object(guild_id))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


@pytest.fixture
async def live(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    old_base, old_gw = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = sandbox.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sandbox.gateway_url)
    bot = make_bot(sandbox.world.guild.id)
    task = asyncio.create_task(bot.start(sandbox.token))
    try:
        await sandbox.wait_ready(timeout=15)
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        yield SandboxClient(sandbox)
    finally:
        await bot.close()
        await asyncio.gather(task, return_exceptions=True)
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gw


async def test_subcommand_embed_button_and_select(sandbox: SandboxServer, live: SandboxClient) -> None:
    res = await live.slash("alice", "project announce", project="ecommerce", track="Backend")
    assert res.type == 4 and not res.ephemeral
    assert res.embed is not None and res.embed["title"] == "ecommerce (backend)"
    assert [b["label"] for b in res.buttons()] == ["Pair with me"]
    picked = await live.select("bob", res, ["Frontend"])
    assert picked.ephemeral and picked.content == "track fe"
    clicked = await live.click("bob", res, "Pair with me")
    assert clicked.type == 7
    assert clicked.message is not None and clicked.message["content"] == "paired with bob"
    assert clicked.message["components"] == []
    assert sandbox.messages_in("prodevprojectnexus")[-1]["content"] == "paired with bob"
    assert sandbox.rejections == [], [str(r) for r in sandbox.rejections]


async def test_resolved_options_defer_and_followup(sandbox: SandboxServer, live: SandboxClient) -> None:
    res = await live.slash("alice", "project pair", partner="carol", role="Backend")
    assert res.deferred and res.ephemeral
    assert [m["content"] for m in res.followups] == ["carol as Backend"]


async def test_modal_round_trip(sandbox: SandboxServer, live: SandboxClient) -> None:
    res = await live.slash("alice", "idea")
    assert res.type == 9 and res.modal is not None and res.modal["title"] == "New idea"
    submitted = await live.submit_modal("alice", res, {"Title": "Bot for standups"})
    assert submitted.content == "idea: Bot for standups / -"
    with pytest.raises(AssertionError, match="longer than max_length"):
        await live.submit_modal("alice", res, {"Title": "x" * 51})


async def test_autocomplete(live: SandboxClient) -> None:
    choices = await live.autocomplete("alice", "learn", focused="topic", value="d")
    assert [c["value"] for c in choices] == ["django", "docker"]


async def test_attachment_edit_and_error_id(sandbox: SandboxServer, live: SandboxClient) -> None:
    res = await live.slash("alice", "export")
    assert res.content == "here"
    assert [(f.filename, f.data) for f in res.files] == [("export.csv", b"a,b\n")]
    broken = await live.slash("bob", "boom")
    assert broken.error_id_seen and broken.ephemeral
    assert not res.error_id_seen


async def test_threads_and_dms(sandbox: SandboxServer, live: SandboxClient) -> None:
    res = await live.slash("alice", "thread")
    assert res.followups[0]["content"] == "thread opened"
    [thread] = sandbox.threads("prodevprojectnexus")
    assert thread["name"] == "pair-alice" and thread["type"] == 12
    assert sandbox.world.user("alice").id in sandbox.state.thread_members[int(thread["id"])]
    assert (await sandbox.wait_for_message("pair-alice"))["content"] == "welcome to your pair thread"
    assert [m["content"] for m in sandbox.dms_to("alice")] == ["check the thread"]
    assert sandbox.rejections == [], [str(r) for r in sandbox.rejections]


async def test_client_refuses_unknown_input(live: SandboxClient) -> None:
    with pytest.raises(AssertionError, match="not one of the choices"):
        await live.slash("alice", "project announce", project="x", track="Mobile")
    with pytest.raises(AssertionError, match="unknown options"):
        await live.slash("alice", "learn", topic="x", level=3)
    with pytest.raises(AssertionError, match="needs a subcommand"):
        await live.slash("alice", "project")


async def test_discordpy_resumes_after_reconnect_and_close(sandbox: SandboxServer, live: SandboxClient) -> None:
    identifies = len(sandbox.identify_log)
    await sandbox.gateway_reconnect()
    await sandbox.wait_until(lambda: any(p.get("op") == 6 for p in sandbox.gateway_log), 10, "RESUME")
    await sandbox.wait_ready(timeout=10)
    res = await live.slash("alice", "learn", topic="django")
    assert res.content == "topic django"
    await sandbox.gateway_close(4000)
    await sandbox.wait_until(lambda: sum(p.get("op") == 6 for p in sandbox.gateway_log) >= 2, 10, "second RESUME")
    await sandbox.wait_ready(timeout=10)
    sandbox.add_member("frank", roles=["Backend"])
    res = await live.slash("alice", "project pair", partner="frank", role="Backend")
    assert res.followups[0]["content"] == "frank as Backend"
    assert len(sandbox.identify_log) == identifies  # resumed, never re-identified


async def test_discordpy_retries_429_and_5xx(sandbox: SandboxServer, live: SandboxClient) -> None:
    sandbox.inject_rate_limit("POST", "/channels/{channel_id}/messages", retry_after=0.05)
    res = await live.slash("alice", "thread")
    assert res.followups[0]["content"] == "thread opened"
    statuses = [r.status for r in sandbox.requests if r.route == "POST /channels/{channel_id}/messages"]
    assert statuses[:2] == [429, 200]
