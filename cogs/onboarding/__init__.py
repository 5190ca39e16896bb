"""Onboarding: the role picker's buttons, the track switch they may offer, and first-week welcomes.

The staff side (/nexus rolepicker, /nexus announce and scheduled posts) lives in cogs/nexus/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot


async def setup(bot: NexusBot) -> None:
    from cogs.onboarding._cog import OnboardingCog

    await bot.add_cog(OnboardingCog(bot))
