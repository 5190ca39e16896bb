"""Discord side of /api: downloading an upload with a cap, pinning the contract in each thread, posting notices."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.services.contracts.document import MAX_BYTES, ContractRejected
from bot.services.contracts.service import Published, shown_name
from cogs._shared import inert_view, only_pinging
from cogs.api.components import AcknowledgeButton
from cogs.api.rendering import contract_embed, notice_text

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=30)
CHUNK = 64 * 1024
MAX_PINS = 30003  # Discord's "Maximum number of pins reached (50)"


async def download(session: aiohttp.ClientSession, attachment: discord.Attachment) -> bytes:
    """The attachment's bytes, stopping as soon as it passes 1 MB (whatever size Discord reported)."""
    name = shown_name(attachment.filename)
    too_big = ContractRejected(
        f"`{name}` is over 1 MB; a contract can be at most 1 MB. Upload the OpenAPI document alone."
    )
    if attachment.size > MAX_BYTES:
        raise too_big
    data = bytearray()
    try:
        async with session.get(attachment.url, timeout=DOWNLOAD_TIMEOUT) as response:
            if response.status != 200:
                raise ContractRejected(f"Discord didn't hand over `{name}` (HTTP {response.status}); upload it again.")
            if (response.content_length or 0) > MAX_BYTES:
                raise too_big
            async for chunk in response.content.iter_chunked(CHUNK):
                data.extend(chunk)
                if len(data) > MAX_BYTES:
                    raise too_big
    except (aiohttp.ClientError, TimeoutError):
        log.warning("download of attachment %s failed", attachment.id, exc_info=True)
        raise ContractRejected(f"Downloading `{name}` from Discord failed; upload it again.") from None
    return bytes(data)


async def find_thread(bot: NexusBot, guild: discord.Guild, thread_id: int) -> discord.Thread | None:
    thread = guild.get_thread(thread_id)
    if thread is not None:
        return thread
    try:
        channel = await bot.fetch_channel(thread_id)
    except (discord.NotFound, discord.Forbidden):
        return None
    return channel if isinstance(channel, discord.Thread) else None


async def deliver(bot: NexusBot, guild: discord.Guild, published: Published) -> tuple[list[str], list[str]]:
    """Edit (or post and pin) the contract in each thread, then the change notice. Returns (done, problems)."""
    services = bot.services.contracts
    embed = contract_embed(published.summary, published.version, published.contract.backend_id)
    done: list[str] = []
    problems: list[str] = []
    for thread_id, frontend_ids in published.threads.items():
        thread = await find_thread(bot, guild, thread_id)
        if thread is None:
            problems.append(f"I can't reach the thread <#{thread_id}> any more, so the contract isn't shown there.")
            continue
        try:
            post = published.posts.get(thread_id)
            message: discord.Message | discord.PartialMessage | None = None
            if post is not None:
                try:
                    message = await thread.get_partial_message(post.message_id).edit(embed=embed)
                    done.append(f"The pinned contract in <#{thread_id}> now shows version {published.version.number}.")
                except discord.NotFound:
                    message, post = None, None  # deleted by someone: post it again
            pinned = post.pinned if post is not None else False
            if message is None:
                message = await thread.send(embed=embed)
                done.append(f"Posted the contract in <#{thread_id}>.")
            if not pinned:
                pinned = await _pin(message, thread_id, problems)
            await services.record_post(published.contract.id, thread_id, message.id, pinned)
            text = notice_text(published, frontend_ids)
            if text is not None:
                breaking = published.diff is not None and bool(published.diff.breaking)
                view = (
                    inert_view(AcknowledgeButton(published.contract.id, published.version.number)) if breaking else None
                )
                await thread.send(
                    text,
                    allowed_mentions=only_pinging(*(discord.Object(uid) for uid in frontend_ids))
                    if breaking
                    else discord.AllowedMentions.none(),
                    view=view or discord.utils.MISSING,
                )
        except discord.Forbidden:
            problems.append(f"I'm not allowed to post in <#{thread_id}>; ask staff to check my permissions there.")
        except discord.HTTPException:
            log.exception("contract %s: delivery to thread %s failed", published.contract.id, thread_id)
            problems.append(f"Discord refused the update in <#{thread_id}>; publish again in a minute.")
    return done, problems


async def _pin(message: discord.Message | discord.PartialMessage, thread_id: int, problems: list[str]) -> bool:
    try:
        await message.pin(reason="API contract")
        return True
    except discord.Forbidden:
        problems.append(f"I couldn't pin it in <#{thread_id}> (I need the Pin Messages permission there).")
    except discord.HTTPException as error:
        if error.code == MAX_PINS:
            problems.append(f"<#{thread_id}> already has 50 pinned messages; unpin one and publish again to pin it.")
        else:
            raise
    return False
