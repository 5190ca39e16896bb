"""Domain errors for services and cogs: their `str()` is the message the user reads, ephemerally.

The classes are defined in `db.errors` so that stores, which sit below `bot/`, can raise them from the
transaction that checks a rule; everything above the stores imports them from here.
"""

from db.errors import (
    BotMissingPermissions,
    Conflict,
    Forbidden,
    InvalidInput,
    NotConfigured,
    NotFound,
    UserError,
)

__all__ = [
    "BotMissingPermissions",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotConfigured",
    "NotFound",
    "UserError",
]
