"""Server-side permission checks. Discord's default_permissions only hides commands; these enforce."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.app.tree import StaffOnly
from bot.services.roles import RoleFacts

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
    from db.stores.guild_settings import GuildSettings


def staff_role(guild: discord.Guild, settings: GuildSettings | None, fallback_name: str) -> discord.Role | None:
    """The role that makes its members staff: the one set with /nexus setup, else the one named like
    `fallback_name` (default "Staff"). @everyone never counts: it would make every member staff."""
    if settings is not None and settings.staff_role_id is not None and settings.staff_role_id != guild.id:
        return guild.get_role(settings.staff_role_id)
    role = discord.utils.get(guild.roles, name=fallback_name)
    return None if role is None or role.is_default() else role


def role_facts(guild: discord.Guild, role: discord.Role, staff: discord.Role | None) -> RoleFacts:
    """What bot.services.roles needs to decide whether the role picker may hand `role` out."""
    return RoleFacts(
        name=role.name,
        permissions=role.permissions.value,
        is_default=role.is_default(),
        managed=role.managed,
        position=role.position,
        bot_top_position=guild.me.top_role.position,
        is_staff_role=staff is not None and role.id == staff.id,
    )


async def is_staff(interaction: discord.Interaction[Any]) -> bool:
    member = interaction.user
    if not isinstance(member, discord.Member) or interaction.guild is None:
        return False
    if member.guild_permissions.manage_guild:
        return True
    bot: NexusBot = interaction.client
    settings = await bot.services.cohort.settings(interaction.guild.id, fresh=True)
    role = staff_role(interaction.guild, settings, bot.settings.staff_role_name)
    return role is not None and any(r.id == role.id for r in member.roles)


async def staff_requirement(interaction: discord.Interaction[Any]) -> str:
    """Names what a member needs to count as staff in this guild."""
    bot: NexusBot = interaction.client
    role_name = bot.settings.staff_role_name
    if interaction.guild is not None:
        settings = await bot.services.cohort.settings(interaction.guild.id, fresh=True)
        role = staff_role(interaction.guild, settings, role_name)
        role_name = role.name if role else role_name
    return f"the @{role_name} role or the Manage Server permission"


async def require_staff(interaction: discord.Interaction[Any]) -> None:
    """Raise StaffOnly unless the member is staff (for buttons and modals, where checks don't apply)."""
    if not await is_staff(interaction):
        raise StaffOnly(f"Only staff can do this: you need {await staff_requirement(interaction)}.")


async def _staff_predicate(interaction: discord.Interaction[Any]) -> bool:
    await require_staff(interaction)
    return True


def staff_only() -> Any:
    """App command check: staff role (from /nexus setup) or Manage Server, verified on the server side."""
    return app_commands.check(_staff_predicate)


def is_staff_command(command: app_commands.Command[Any, ..., Any]) -> bool:
    """True if `command` carries the staff_only() check (itself or a parent group's default permissions)."""
    if _staff_predicate in command.checks:
        return True
    node: Any = command
    while node is not None:
        if node.default_permissions is not None and node.default_permissions.value:
            return True
        node = node.parent
    return False
