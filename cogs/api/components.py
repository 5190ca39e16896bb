"""The Acknowledge button: a persistent DynamicItem, so it works on old notices and after a restart."""

from __future__ import annotations

from typing import Any

import discord

from bot.app.ui import PersistentButton, clip

ACK_TEMPLATE = r"nexus:api:ack:(?P<contract>[0-9]{1,20}):(?P<number>[0-9]{1,6})"


class AcknowledgeButton(PersistentButton, template=ACK_TEMPLATE):
    """A Frontend partner acknowledges a contract's breaking changes up to a version (checked on press)."""

    groups = (("contract", int), ("number", int))

    def __init__(self, contract_id: int, number: int, label: str = "Acknowledge") -> None:
        super().__init__(
            f"nexus:api:ack:{contract_id}:{number}",
            label=clip(label, 80),
            style=discord.ButtonStyle.success,
            emoji="✅",
        )
        self.contract_id = contract_id
        self.number = number

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        outcome = await interaction.client.services.contracts.acknowledge(
            self.contract_id, self.number, interaction.user.id
        )
        backend = f"<@{outcome.contract.backend_id}>"
        if outcome.new:
            text = (
                f"Acknowledged: you've seen the breaking changes in {backend}'s contract up to version "
                f"{outcome.number}. `/api status` shows your needs against it."
            )
        else:
            text = f"You had already acknowledged {backend}'s contract up to version {outcome.number} (or later)."
        await interaction.response.send_message(text, ephemeral=True)
