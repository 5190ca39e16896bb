"""/help: every command the member can use, read from the bot's own command tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import is_staff, is_staff_command
from bot.app.ui import EMBED_FIELD_VALUE_MAX, clip, nexus_embed

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

# Discord allows 25 fields per embed and 6,000 characters across a message's embeds: one embed per
# message, a little under the total; a longer list continues in followups.
FIELDS_PER_EMBED = 25
CHARS_PER_EMBED = 5500


@dataclass(frozen=True)
class HelpLine:
    section: str  # the top-level command, e.g. "/project"
    text: str
    staff: bool


def help_lines(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> list[HelpLine]:
    """One line per command and subcommand registered in `tree` (global ones, then this guild's own)."""
    roots: list[Any] = list(tree.get_commands())
    if guild is not None:
        names = {c.name for c in roots}
        roots += [c for c in tree.get_commands(guild=guild) if c.name not in names]
    lines: list[HelpLine] = []
    for root in roots:
        if isinstance(root, app_commands.ContextMenu):
            where = "a member" if root.type is discord.AppCommandType.user else "a message"
            lines.append(HelpLine("Apps menu", f"**{root.name}**: right-click {where} → Apps", False))
            continue
        leaves = [root] if isinstance(root, app_commands.Command) else list(root.walk_commands())
        for leaf in leaves:
            if not isinstance(leaf, app_commands.Command) or (guild is None and leaf.guild_only):
                continue
            text = f"`/{leaf.qualified_name}`: {clip(leaf.description, 100)}"
            lines.append(HelpLine(f"/{root.name}", text, is_staff_command(leaf)))
    return lines


def help_embeds(lines: list[HelpLine], *, staff: bool) -> list[discord.Embed]:
    """Pack the lines into fields (≤1,024 characters) and embeds (≤25 fields, ≤5,500 characters), one per message."""
    fields: list[tuple[str, str, str]] = []  # (section, field name, value)
    for line in lines:
        if line.staff and not staff:
            continue
        text = line.text + (" *(staff)*" if line.staff else "")
        last = fields[-1] if fields else None
        if last is not None and last[0] == line.section and len(last[2]) + 1 + len(text) <= EMBED_FIELD_VALUE_MAX:
            fields[-1] = (last[0], last[1], last[2] + "\n" + text)
        else:
            continued = any(section == line.section for section, _, _ in fields)
            fields.append((line.section, line.section + (" (continued)" if continued else ""), text))
    intro = "Commands you can use here; Discord shows each one's options as you type it."
    embeds = [nexus_embed("Nexus Bot commands", intro)]
    size = len(intro) + 20
    for _, name, value in fields:
        if len(embeds[-1].fields) >= FIELDS_PER_EMBED or size + len(name) + len(value) > CHARS_PER_EMBED:
            embeds.append(nexus_embed("Nexus Bot commands (continued)"))
            size = 40
        embeds[-1].add_field(name=name, value=value, inline=False)
        size += len(name) + len(value)
    return embeds


class HelpCog(commands.Cog, name="Help"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="List every Nexus Bot command you can use, one line each")
    async def help(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Every command and subcommand you can use here (staff commands only for staff)."""
        lines = help_lines(self.bot.tree, interaction.guild)
        staff = await is_staff(interaction)
        first, *more = help_embeds(lines, staff=staff)
        await interaction.response.send_message(embed=first, ephemeral=True)
        for embed in more:
            await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(HelpCog(bot))
