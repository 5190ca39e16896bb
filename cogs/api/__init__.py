"""/api: the pair's API contract: publish and pin it, diff versions, the Frontend partner's needs, templates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.api._cog import ApiCog

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(ApiCog(bot))
