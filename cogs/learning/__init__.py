"""/learn: curated learning topics with typo-tolerant lookup, ranked search, suggestions, review and daily tips."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.learning._cog import LearningCog

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(LearningCog(bot))
