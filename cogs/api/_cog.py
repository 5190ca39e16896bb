"""The /api commands: parse, one service call, render, deliver. The contract service does the work."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import Forbidden, InvalidInput
from bot.services.contracts.paths import METHODS
from bot.services.contracts.service import ContractService
from cogs._shared import inert_view
from cogs.api.components import AcknowledgeButton
from cogs.api.delivery import deliver, download, find_thread
from cogs.api.rendering import need_post, need_reply, publish_reply, status_embed, template_embed

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

METHOD_CHOICES = [app_commands.Choice(name=method, value=method) for method in METHODS[:5]]


def _guild(interaction: discord.Interaction[Any]) -> discord.Guild:
    if interaction.guild is None:
        raise InvalidInput("Use /api in the server, not in a DM.")
    return interaction.guild


class ApiCog(commands.GroupCog, name="Api", group_name="api", group_description="The pair's API contract"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.service: ContractService = bot.services.contracts
        self._session: aiohttp.ClientSession | None = None
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AcknowledgeButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AcknowledgeButton)
        if self._session is not None:
            await self._session.close()
        self.service.close()

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    # --- autocomplete ---------------------------------------------------------------------------------------------

    async def _path_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        method = getattr(interaction.namespace, "method", None)
        paths = await self.service.path_choices(interaction.guild.id, interaction.user.id, current, method)
        return [app_commands.Choice(name=path, value=path) for path in paths]

    async def _template_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=key, value=key) for key in self.service.template_choices(current)]

    # --- commands -------------------------------------------------------------------------------------------------

    @app_commands.command(name="publish", description="Backend partner: publish your OpenAPI contract in your thread")
    @app_commands.describe(file="OpenAPI 3.0/3.1 document, JSON or YAML, up to 1 MB (drf-spectacular, FastAPI...)")
    @app_commands.guild_only()
    async def publish(self, interaction: discord.Interaction[NexusBot], file: discord.Attachment) -> None:
        """Validate, store as the next version, pin it in the pair's thread (edited in place later), diff it."""
        guild = _guild(interaction)
        # Cheap refusals first: who may publish, and the size Discord reports (nothing is downloaded for those).
        await self.service.backend_pairs(guild.id, interaction.user.id)
        self.service.check_upload(file.filename, file.size)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await download(self.session(), file)
        published = await self.service.publish(guild.id, interaction.user.id, data, file.filename)
        done, problems = await deliver(self.bot, guild, published)
        await interaction.followup.send(publish_reply(published, done, problems), ephemeral=True)

    @app_commands.command(name="need", description="Frontend partner: an endpoint your screens need")
    @app_commands.describe(
        method="HTTP method",
        path="Path, e.g. /api/products/{id}/ (suggestions come from your partner's contract and the template)",
        note="What the screen does with it (optional)",
    )
    @app_commands.choices(method=METHOD_CHOICES)
    @app_commands.autocomplete(path=_path_choices)
    @app_commands.guild_only()
    async def need(
        self,
        interaction: discord.Interaction[NexusBot],
        method: app_commands.Choice[str],
        path: app_commands.Range[str, 1, 200],
        note: app_commands.Range[str, 0, 200] = "",
    ) -> None:
        """Record a need; it shows as met or missing against each partner's latest contract."""
        guild = _guild(interaction)
        added = await self.service.add_need(guild.id, interaction.user.id, method.value, path, note)
        numbers = await self.service.latest_numbers(guild.id, [backend_id for backend_id, _ in added.against])
        await interaction.response.send_message(need_reply(added, numbers), ephemeral=True)
        if added.new:
            for thread_id in added.thread_ids:
                thread = await find_thread(self.bot, guild, thread_id)
                if thread is None:
                    continue
                try:
                    await thread.send(need_post(added, interaction.user.id, numbers))
                except discord.HTTPException:
                    log.warning("need %s: could not post in thread %s", added.need.id, thread_id)

    @app_commands.command(name="template", description="A reference OpenAPI contract for a catalog project")
    @app_commands.describe(project="Catalog project (ecommerce, social-feed, ...)")
    @app_commands.autocomplete(project=_template_choices)
    async def template(
        self, interaction: discord.Interaction[NexusBot], project: app_commands.Range[str, 1, 60]
    ) -> None:
        """The template as a YAML file to start from, with what it contains."""
        info, data, summary = self.service.template(project)
        await interaction.response.send_message(
            embed=template_embed(info.key, summary),
            file=discord.File(io.BytesIO(data), filename=info.filename),
            ephemeral=True,
        )

    @app_commands.command(name="status", description="Your pair's API contract: version, needs, unacknowledged changes")
    @app_commands.describe(member="A partner of yours (default: you)")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction[NexusBot], member: discord.Member | None = None) -> None:
        """Version and age, needs met or missing, breaking changes not acknowledged (with Acknowledge)."""
        guild = _guild(interaction)
        target = member or interaction.user
        if target.id != interaction.user.id:
            partners = await self.service.partner_ids(guild.id, interaction.user.id)
            if target.id not in partners:
                raise Forbidden(
                    "You can see your own contracts and your partners' ones; run `/api status` without `member`."
                )
        contracts = await self.service.status(guild.id, target.id)
        buttons = [
            AcknowledgeButton(item.contract.id, pending[-1].number, f"Acknowledge v{pending[-1].number}")
            for item in contracts
            if item.contract is not None and (pending := item.unacknowledged.get(interaction.user.id))
        ][:5]
        view = inert_view(*buttons)
        await interaction.response.send_message(
            embed=status_embed(contracts, target.id, self.service.now()),
            view=view or discord.utils.MISSING,
            ephemeral=True,
        )
