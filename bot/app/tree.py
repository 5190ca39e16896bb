"""The command tree with the bot's one error handler."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.app import alerts
from bot.errors import UserError
from db.database import is_storage_full

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

UNKNOWN_INTERACTION = 10062


class StaffOnly(app_commands.CheckFailure):
    """Raised by the staff check; its message names the role or permission needed."""


def user_message_for(error: BaseException) -> str | None:
    """The text a user should read for an expected error, or None for an unexpected one."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        inner = error.__cause__
        if isinstance(error, app_commands.TransformerError) and not isinstance(inner, UserError):
            return f"`{error.value}` is not a valid value for this option."
        error = inner
    if isinstance(error, UserError | StaffOnly):
        return str(error)
    if isinstance(error, app_commands.TransformerError):
        return f"`{error.value}` is not a valid value for this option."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in the server, not in DMs."
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {', '.join(p.replace('_', ' ').title() for p in error.missing_permissions)} permission."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the {missing} permission here; ask staff to grant it."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use this command here."
    if isinstance(error, discord.Forbidden):
        return "Discord refused: I lack a permission for that here. Ask staff to check my role's permissions."
    return None


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Answer ephemerally, as the initial response or a followup, whichever is still possible."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not deliver an error reply for interaction %s", interaction.id)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Turn any error into an ephemeral reply; unexpected ones get an error id and a logged traceback."""
    original = error.__cause__ if isinstance(error, app_commands.CommandInvokeError) and error.__cause__ else error
    if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
        # Discord expired the interaction (not acknowledged within 3 s): nobody can be answered any more.
        log.warning("Interaction %s expired before it was answered (%s)", interaction.id, _describe(interaction))
        return
    if is_storage_full(original):
        # A known failure with a known fix: the member reads what happened, staff learn once.
        log.error("Storage full: %s by user %s could not save", _describe(interaction), interaction.user.id)
        await send_ephemeral(interaction, alerts.STORAGE_FULL_REPLY)
        await alerts.storage_full(interaction.client, interaction.guild)
        return
    text = user_message_for(error)
    if text is None:
        error_id = secrets.token_hex(4)
        original = error.__cause__ if isinstance(error, app_commands.CommandInvokeError) and error.__cause__ else error
        log.error(
            "Unexpected error (error id %s) in %s by user %s",
            error_id,
            _describe(interaction),
            interaction.user.id if interaction.user else "?",
            exc_info=(type(original), original, original.__traceback__),
        )
        text = f"Something went wrong on my side. Staff can look it up with error id `{error_id}`."
    await send_ephemeral(interaction, text)


def _describe(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: dict[str, object] = dict(interaction.data or {})
    return f"component {data.get('custom_id', '?')}"


class NexusTree(app_commands.CommandTree["NexusBot"]):  # type: ignore[name-defined]  # forward ref, import cycle
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)
