"""/match: partner matching (the cog is in _cog.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.matching._cog import MatchingCog

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(MatchingCog(bot))
