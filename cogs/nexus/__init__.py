"""/nexus: about the bot (public) and staff administration (setup, catalog, exports, staff posts, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot


async def setup(bot: NexusBot) -> None:
    from cogs.nexus._cog import NexusCog

    await bot.add_cog(NexusCog(bot))
