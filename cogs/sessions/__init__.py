"""/session: study and pairing sessions with RSVPs, reminders, a start message and Discord scheduled events."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot


async def setup(bot: NexusBot) -> None:
    from cogs.sessions._cog import SessionsCog

    await bot.add_cog(SessionsCog(bot))
