"""/project: announcements and the first week (commands in _cog, views in components, embeds in rendering,
posting and recovery in delivery)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot


async def setup(bot: NexusBot) -> None:
    from cogs.projects._cog import ProjectsCog

    await bot.add_cog(ProjectsCog(bot, bot.services.announcements))
