"""The /project list pager. (The Pair with me button is rendered with cogs._shared.pair_button; partner
matching's DynamicItem answers its presses.)"""

from __future__ import annotations

from typing import Any

import discord

from bot.app.ui import OwnedView
from bot.services.announcements import PAGE_SIZE, AnnouncementService, ListQuery
from cogs.projects.rendering import list_embed


class AnnouncementListView(OwnedView):
    """Previous/Next pages of /project list. The member who ran the command turns the pages in place;
    on a shared list anyone else who presses gets their own ephemeral copy at the page they asked for."""

    def __init__(
        self, service: AnnouncementService, owner_id: int, query: ListQuery, total: int, *, shared: bool = False
    ) -> None:
        super().__init__(owner_id, timeout=600)
        self.service = service
        self.query = query
        self.total = total
        self.page = 0
        self.shared = shared
        self._sync_buttons()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id or not self.shared:
            return await super().interaction_check(interaction)
        # Everyone sees a shared post: one reader paging it would turn it for all, so they get their own copy.
        pressed = interaction.data.get("custom_id") if interaction.data else None
        view = AnnouncementListView(self.service, interaction.user.id, self.query, self.total)
        view.page = max(0, self.page + (1 if pressed == self.next.custom_id else -1))
        embed = await view.render()
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        view.message = await interaction.original_response()
        return False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    async def render(self) -> discord.Embed:
        page = await self.service.list_page(self.query, self.page)
        self.total, self.page = page.total, page.page
        self._sync_buttons()
        return list_embed(self.query, page, PAGE_SIZE)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.page = max(0, self.page - 1)
        await interaction.response.edit_message(embed=await self.render(), view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        await interaction.response.edit_message(embed=await self.render(), view=self)
