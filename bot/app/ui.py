"""Shared UI pieces: views that know their owner, error-safe components, embed helpers."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Self

import discord

from bot.app.tree import report_error, send_ephemeral
from bot.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

BRAND = discord.Colour.from_rgb(88, 101, 242)
SUCCESS = discord.Colour.green()
WARNING = discord.Colour.orange()
DANGER = discord.Colour.red()

# Discord's documented limits, used to trim user text before it reaches an embed.
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELD_VALUE_MAX = 1024
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000

# An interaction token lasts 15 minutes; a reply later than this goes elsewhere rather than risk a 401.
TOKEN_SAFE_AGE = timedelta(minutes=14)
INVALID_WEBHOOK_TOKEN = 50027


def clip(text: str, limit: int) -> str:
    """Shorten text to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clip_lines(lines: Sequence[str], limit: int, more: str = "") -> str:
    """As many whole lines as fit in `limit` characters, then "…and N more" (with `more`, e.g. where to see all)."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        left = len(lines) - i
        tail = f"…and {left} more" + (f" — {more}" if more else "")
        fits_all = used + len(line) + sum(len(x) + 1 for x in lines[i + 1 :]) <= limit
        if not fits_all and used + len(line) + 1 + len(tail) > limit:
            out.append(clip(tail, limit))
            break
        out.append(clip(line, limit))
        used += len(line) + 1
    return "\n".join(out)


def nexus_embed(title: str, description: str | None = None, colour: discord.Colour = BRAND) -> discord.Embed:
    return discord.Embed(
        title=clip(title, EMBED_TITLE_MAX),
        description=clip(description, EMBED_DESCRIPTION_MAX) if description else None,
        colour=colour,
    )


def progress_bar(fraction: float, width: int = 10) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled)


def timestamp(unix: float, style: str = "f") -> str:
    """A Discord timestamp: each reader sees it in their own time zone."""
    return f"<t:{int(unix)}:{style}>"


class SafeCallback:
    """Mixin for DynamicItems: errors in `handle` reach the user like command errors do."""

    async def handle(self, interaction: discord.Interaction[Any]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.handle(interaction)
        except Exception as exc:
            await report_error(interaction, exc)


class PersistentButton(SafeCallback, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"nexus:.+"):
    """A button that works on old messages and after a restart: its state is its custom id, which the subclass's
    `template=` parses (`nexus:<feature>:<action>:<id>`).

    `groups` names the template's groups that rebuild the button, in its constructor's order, each with how its
    text is read (`int`, `str`); the constructor takes the custom id and how the button looks; `handle` answers a
    press.
    """

    groups: ClassVar[tuple[tuple[str, Callable[[str], Any]], ...]] = ()

    def __init__(
        self,
        custom_id: str,
        *,
        label: str,
        style: discord.ButtonStyle,
        emoji: str | discord.PartialEmoji | None = None,
        disabled: bool = False,
    ) -> None:
        # Not `Button[Any](…)`: calling the subscripted alias costs a typing wrapper per button, and every re-rendered
        # post builds its buttons again.
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=style, emoji=emoji, custom_id=custom_id, disabled=disabled
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        rebuild: Callable[..., Self] = cls  # a subclass's own constructor, which takes its groups
        return rebuild(*(read(match[name]) for name, read in cls.groups))


class NexusView(discord.ui.View):
    """A view whose errors are answered like command errors."""

    message: discord.Message | discord.InteractionMessage | None = None

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                pass


class OwnedView(NexusView):
    """Only the member the view was made for may press its buttons."""

    def __init__(self, owner_id: int, *, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await send_ephemeral(
            interaction, "These buttons belong to someone else's command; run the command yourself to get your own."
        )
        return False


class NexusModal(discord.ui.Modal):
    """A form whose errors are answered like command errors; a refused form can be reopened with its text."""

    def fresh(self) -> NexusModal | None:
        """A new, empty copy of this form for "Edit and retry" (None: the form can't be retried)."""
        return None

    def refilled(self, values: list[str | None]) -> NexusModal | None:
        """A fresh copy whose text inputs hold `values`, in order."""
        clone = self.fresh()
        if clone is None:
            return None
        inputs = [c for c in clone.children if isinstance(c, discord.ui.TextInput)]
        for text_input, value in zip(inputs, values, strict=False):
            text_input.default = value
        return clone

    def typed(self) -> list[str | None]:
        return [c.value for c in self.children if isinstance(c, discord.ui.TextInput)]

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        if isinstance(error, RETRYABLE) and self.fresh() is not None:
            await offer_retry(interaction, error, self, self.typed())
            return
        await report_error(interaction, error)


async def offer_retry(
    interaction: discord.Interaction[Any], error: Exception, form: NexusModal, values: list[str | None]
) -> None:
    """Answer `error` with an **Edit and retry** button that opens `form` holding `values` (what was typed)."""
    view = RetryFormView(interaction.user.id, form, values)
    text = clip(f"{error}", CONTENT_MAX - 70) + "\nPress **Edit and retry** to fix it: what you typed is kept."
    try:
        if interaction.response.is_done():
            view.message = await interaction.followup.send(text, view=view, ephemeral=True, wait=True)
        else:
            await interaction.response.send_message(text, view=view, ephemeral=True)
            view.message = await interaction.original_response()
    except discord.HTTPException:
        log.warning("Could not offer a retry for interaction %s", interaction.id)
        await report_error(interaction, error)


#: Errors about what was typed; a form refused for one of these can be edited and sent again.
RETRYABLE = (InvalidInput, NotFound, Conflict)


class RetryFormView(OwnedView):
    """One button that reopens a refused form with what its owner typed."""

    def __init__(self, owner_id: int, form: NexusModal, values: list[str | None]) -> None:
        # Under the 15 minutes an interaction token lives, so the button can still be disabled on timeout.
        super().__init__(owner_id, timeout=840)
        self.form = form
        self.values = values

    @discord.ui.button(label="Edit and retry", style=discord.ButtonStyle.primary)
    async def retry(self, interaction: discord.Interaction[Any], button: discord.ui.Button[RetryFormView]) -> None:
        clone = self.form.refilled(self.values)
        if clone is None:  # pragma: no cover - the view is only made for retryable forms
            return
        await interaction.response.send_modal(clone)


def token_expiring(interaction: discord.Interaction[Any]) -> bool:
    """True once the interaction is old enough that editing its reply may fail (token lifetime 15 min)."""
    return discord.utils.utcnow() - interaction.created_at >= TOKEN_SAFE_AGE


def is_expired_token(exc: discord.HTTPException) -> bool:
    return exc.status == 401 or exc.code == INVALID_WEBHOOK_TOKEN


async def reply_late(
    interaction: discord.Interaction[Any],
    fallbacks: Sequence[discord.abc.Messageable | None],
    *,
    note: str,
    content: str | None = None,
    embed: discord.Embed | None = None,
) -> bool:
    """Edit a deferred reply; if its token has expired (or is about to), send the same to the first of
    `fallbacks` that takes it (a DM to the member, a staff channel...), headed by `note`. False if nobody got it.

    For work that can outlast the 15-minute interaction token: otherwise the member sees "thinking…" forever.
    """
    if not token_expiring(interaction):
        try:
            await interaction.edit_original_response(content=content, embed=embed)
            return True
        except discord.HTTPException as exc:
            if not is_expired_token(exc):
                raise
            log.info("Interaction %s: token expired (%s); replying elsewhere", interaction.id, exc)
    text = clip(f"{note}\n{content}" if content else note, CONTENT_MAX)
    for target in fallbacks:
        if target is None:
            continue
        try:
            if embed is None:
                await target.send(content=text)
            else:
                await target.send(content=text, embed=embed)
            return True
        except discord.HTTPException as exc:
            log.info("Interaction %s: late reply not delivered to %r: %s", interaction.id, target, exc)
    log.warning("Interaction %s: the late reply reached nobody", interaction.id)
    return False
