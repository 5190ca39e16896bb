"""Domain errors. Their `str()` is the message the user reads, ephemerally.

They live in db/ (the lowest layer) because stores raise some of them inside the transaction that checks
the rule; `bot.errors` re-exports them for services and cogs. Nothing here imports discord.
"""

from __future__ import annotations


class UserError(Exception):
    """An error caused by what the user asked; its message tells them what to do next."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(UserError):
    """An option value failed validation."""


class NotFound(UserError):
    """The thing the user named does not exist."""


class Conflict(UserError):
    """The request clashes with existing state (already announced, already paired, ...)."""


class Forbidden(UserError):
    """The member lacks the role or permission the action needs."""


class NotConfigured(UserError):
    """Staff have not run /nexus setup (or a needed part of it) yet."""


class BotMissingPermissions(UserError):
    """The bot itself lacks a Discord permission in the target channel."""
