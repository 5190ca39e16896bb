"""The Going / Maybe / Not going buttons on a session post."""

from __future__ import annotations

from typing import Any

import discord

from bot.app.ui import PersistentButton, clip
from bot.services.text import user_text
from cogs.sessions import delivery
from cogs.sessions.rendering import RSVP_ACTIONS, RSVP_WORDS, session_embed, session_view


class RsvpButton(PersistentButton, template=r"nexus:session:(?P<action>going|maybe|no):(?P<id>\d+)"):
    """Going / Maybe / Not going on a session post; works across restarts."""

    groups = (("id", int), ("action", str))

    def __init__(self, session_id: int, action: str, *, disabled: bool = False) -> None:
        status, label, style = RSVP_ACTIONS[action]
        super().__init__(f"nexus:session:{action}:{session_id}", label=label, style=style, disabled=disabled)
        self.session_id = session_id
        self.status = status

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        sessions = interaction.client.services.sessions
        session, rsvps = await sessions.rsvp(self.session_id, interaction.user.id, self.status)
        await interaction.response.edit_message(embed=session_embed(session, rsvps), view=session_view(session))
        follow = f"You're {RSVP_WORDS[self.status]} for **{clip(user_text(session.title), 200)}**."
        if self.status == "going":
            follow += " I'll remind you 15 minutes before (by DM, or a mention if your DMs are closed)."
        await interaction.followup.send(follow, ephemeral=True)
        # Presses at the same moment answer in any order, so an earlier count could land last: whoever finds the
        # post behind the database after their own edit brings it up to date (the last to check sees the total).
        latest = await sessions.rsvps(self.session_id)
        if latest != rsvps:
            await delivery.refresh_post(interaction.client, session, latest)
