"""Persistent buttons, views and the join form of /match."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.app.ui import (
    NexusModal,
    OwnedView,
    PersistentButton,
    clip,
)
from bot.errors import NotConfigured
from bot.services.matching.service import Pair
from cogs._shared import PAIR_BUTTON_TEMPLATE, inert_view, pair_button
from cogs.matching._base import (
    ANSWER_LABELS,
    ANSWER_STYLES,
    ANSWER_TEMPLATE,
    ASK_TEMPLATE,
    BUTTON_LABEL_MAX,
    CONFIRM_TIMEOUT,
    esc,
)

if TYPE_CHECKING:
    from cogs.matching._cog import MatchingCog
    from cogs.matching.pairs import PairsMixin


# The loaded matching cog, per bot: set by the cog when it loads, dropped when it unloads. Persistent
# buttons reach it here (no lookup by name) and reach the services through `interaction.client.services`.
_LOADED: dict[int, MatchingCog] = {}


def bind(cog: MatchingCog) -> None:
    _LOADED[id(cog.bot)] = cog


def unbind(cog: MatchingCog) -> None:
    if _LOADED.get(id(cog.bot)) is cog:
        del _LOADED[id(cog.bot)]


def matching_cog(interaction: discord.Interaction[Any]) -> MatchingCog:
    cog = _LOADED.get(id(interaction.client))
    if cog is None:
        raise NotConfigured("Partner matching is not available right now; try again in a minute.")
    return cog


# --- persistent buttons ---------------------------------------------------------------------------


class AskButton(PersistentButton, template=ASK_TEMPLATE):
    """Request on a /match suggest result: whoever presses it asks that learner (only they see the list)."""

    groups = (("user", int),)

    def __init__(self, user_id: int, label: str = "Request") -> None:
        super().__init__(
            f"nexus:match:ask:{user_id}",
            label=clip(label, BUTTON_LABEL_MAX),
            style=discord.ButtonStyle.primary,
            emoji="🤝",
        )
        self.user_id = user_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await matching_cog(interaction).send_request(interaction, self.user_id, source="suggest")


class AnswerButton(PersistentButton, template=ANSWER_TEMPLATE):
    """Accept / Decline / Block on a partner request; only the addressee may press (checked on press)."""

    groups = (("action", str), ("id", int))

    def __init__(self, action: str, request_id: int) -> None:
        super().__init__(f"nexus:match:{action}:{request_id}", label=ANSWER_LABELS[action], style=ANSWER_STYLES[action])
        self.action = action
        self.request_id = request_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        cog = matching_cog(interaction)
        if self.action == "accept":
            await cog.accept(interaction, self.request_id)
        elif self.action == "block":
            await cog.block(interaction, self.request_id)
        else:
            await cog.decline(interaction, self.request_id)


def answer_view(request_id: int) -> discord.ui.View:
    view = inert_view(*(AnswerButton(action, request_id) for action in ANSWER_LABELS))
    assert view is not None
    return view


class UnpairConfirm(OwnedView):
    """Confirm / Cancel before a pairing ends; only the learner who ran /match unpair may press."""

    def __init__(self, cog: PairsMixin, owner_id: int, pair: Pair, reason: str) -> None:
        super().__init__(owner_id, timeout=CONFIRM_TIMEOUT)
        self.cog = cog
        self.pair = pair
        self.reason = reason

    @discord.ui.button(label="End the pairing", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await self.cog.end_pairing(interaction, self.pair, self.reason)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        guild = self.cog.guild_of(interaction, self.pair.guild_id)
        partner = esc(self.cog.name_of(guild, self.pair.partner_of(self.owner_id)))
        await interaction.response.edit_message(
            content=f"Nothing changed: you and {partner} are still partners.", embed=None, view=None
        )


# --- the join form ---------------------------------------------------------------------------------


class JoinForm(NexusModal):
    """/match join's text options as a form, for "Edit and retry" after a typo (empty: keep what is saved)."""

    def __init__(self, cog: MatchingCog, max_partners: int | None) -> None:
        super().__init__(title="Partner matching profile", timeout=1800)
        self.cog = cog
        self.max_partners = max_partners
        self.timezone: discord.ui.TextInput[JoinForm] = discord.ui.TextInput(
            label="Time zone", placeholder="Africa/Lagos, UTC+1 or WAT", max_length=64, required=False
        )
        self.availability: discord.ui.TextInput[JoinForm] = discord.ui.TextInput(
            label="Availability (your time)", placeholder="weekdays 18-22, sat 10am-2pm", max_length=500, required=False
        )
        self.offers: discord.ui.TextInput[JoinForm] = discord.ui.TextInput(
            label="Offers (skills, comma-separated)", placeholder="django, postgres", max_length=300, required=False
        )
        self.wants: discord.ui.TextInput[JoinForm] = discord.ui.TextInput(
            label="Wants (skills, comma-separated)", placeholder="react, css", max_length=300, required=False
        )
        for item in (self.timezone, self.availability, self.offers, self.wants):
            self.add_item(item)

    def fresh(self) -> JoinForm:
        return JoinForm(self.cog, self.max_partners)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        def given(value: str) -> str | None:
            return value if value.strip() else None

        await self.cog.save_profile(
            interaction,
            given(self.timezone.value),
            given(self.availability.value),
            given(self.offers.value),
            given(self.wants.value),
            self.max_partners,
        )


class PairWithMeButton(PersistentButton, template=PAIR_BUTTON_TEMPLATE):
    """Pair with me on an announcement: a partner request to the announcer (checks: withdrawn, own, not looking)."""

    groups = (("id", int),)

    def __init__(self, announcement_id: int) -> None:
        plain = pair_button(announcement_id)  # as the projects cog renders it on announcement posts
        super().__init__(plain.custom_id or "", label=plain.label or "", style=plain.style, emoji=plain.emoji)
        self.announcement_id = announcement_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        target = await interaction.client.services.matching.pair_target(self.announcement_id, interaction.user.id)
        await matching_cog(interaction).send_request(interaction, target, source="announcement")
