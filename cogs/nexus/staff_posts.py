"""Staff announcements (now or scheduled), their cancel buttons and publish job, and the role picker post."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.app import alerts
from bot.app.checks import require_staff, staff_role
from bot.app.ui import WARNING, PersistentButton, clip, nexus_embed, timestamp
from bot.errors import BotMissingPermissions, InvalidInput
from bot.services.staff import PUBLISH_KIND, StaffPost
from bot.services.tracks import TRACK_NAMES, TRACKS
from bot.services.when import parse_when
from cogs._shared import inert_view, member_zone
from cogs.onboarding.components import RoleButton, role_problem, track_role
from cogs.onboarding.rendering import role_picker_embed

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
    from bot.scheduler import Job

log = logging.getLogger(__name__)


def staff_post_embed(post: StaffPost) -> discord.Embed:
    embed = nexus_embed(post.title, post.body)
    embed.set_footer(text="Staff announcement")
    return embed


class CancelPostButton(PersistentButton, template=r"nexus:staffpost:cancel:(?P<id>\d+)"):
    """Cancel one scheduled staff announcement (staff only, checked on press)."""

    groups = (("id", int),)

    def __init__(self, post_id: int) -> None:
        super().__init__(
            f"nexus:staffpost:cancel:{post_id}", label=f"Cancel #{post_id}", style=discord.ButtonStyle.danger
        )
        self.post_id = post_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await require_staff(interaction)
        assert interaction.guild is not None
        bot: NexusBot = interaction.client
        post = await bot.services.staff.cancel_post(interaction.guild.id, self.post_id)
        await interaction.response.send_message(
            f"Announcement #{self.post_id} ({clip(post.title, 100)}) cancelled; it won't be posted.", ephemeral=True
        )


async def post_role_picker(interaction: discord.Interaction[NexusBot], channel: discord.TextChannel) -> None:
    """Post the persistent I'm Backend / I'm Frontend message (/nexus rolepicker)."""
    assert interaction.guild is not None
    bot = interaction.client
    guild = interaction.guild
    settings = await bot.services.cohort.settings(guild.id)
    staff = staff_role(guild, settings, bot.settings.staff_role_name)
    problems = []
    for track in TRACKS:
        role = track_role(guild, settings, track)
        if role is None:
            problems.append(f"there is no {TRACK_NAMES[track]} role: create one or pick it with `/nexus setup`")
        elif (why := role_problem(bot, guild, role, staff)) is not None:
            problems.append(why[1])
    perms = channel.permissions_for(guild.me)
    if not (perms.send_messages and perms.embed_links):
        problems.append(f"I need Send Messages and Embed Links in {channel.mention}")
    if problems:
        raise BotMissingPermissions(
            "I can't run a role picker yet:\n" + "\n".join(f"• {p}." for p in dict.fromkeys(problems))
        )
    buttons = inert_view(RoleButton("backend"), RoleButton("frontend"))
    assert buttons is not None
    message = await channel.send(embed=role_picker_embed(), view=buttons)
    try:
        await bot.services.onboarding.rolepicker_posted(guild.id, channel.id, message.id)
    except Exception:
        # Unrecorded, the picker would be an orphan that welcomes never point at: take it down, then report.
        with contextlib.suppress(discord.HTTPException):
            await message.delete()
        raise
    await interaction.response.send_message(
        f"Role picker posted: {message.jump_url}\nWelcomes for new members will point at it.", ephemeral=True
    )


async def announce(
    interaction: discord.Interaction[NexusBot],
    *,
    title: str,
    message: str,
    ping: discord.Role | None,
    at: str | None,
    timezone: str | None,
    target: discord.TextChannel,
) -> None:
    """Post a staff announcement now, or store it for later (/nexus announce)."""
    assert interaction.guild is not None
    bot = interaction.client
    guild = interaction.guild
    perms = target.permissions_for(guild.me)
    missing = [n for n, ok in (("Send Messages", perms.send_messages), ("Embed Links", perms.embed_links)) if not ok]
    if missing:
        raise BotMissingPermissions(f"I can't post in {target.mention}: grant me {', '.join(missing)} there.")
    if ping is not None:
        if ping.is_default():
            raise InvalidInput("I don't ping @everyone; pick a role such as Backend or Frontend, or no ping.")
        if not ping.mentionable and not perms.mention_everyone:
            raise BotMissingPermissions(
                f"@{ping.name} isn't mentionable and I lack Mention Everyone in {target.mention}: make the role "
                "mentionable (Server Settings → Roles) or grant me that permission."
            )
    due = None
    note = ""
    if at:
        zone, source = await member_zone(bot, guild.id, interaction.user.id, timezone)
        parsed = parse_when(at, bot.clock.now(), zone, zone_source=source)
        due, note = parsed.at, parsed.note
    planned = await bot.services.staff.create_post(
        guild_id=guild.id,
        author_id=interaction.user.id,
        channel_id=target.id,
        title=title,
        message=message,
        role_id=ping.id if ping else None,
        due_at=due,
    )
    post = planned.post
    if planned.now:
        # Posting may wait on the channel's rate limit: acknowledge first so Discord's 3 s window holds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        sent = await send_post(target, post)
        await bot.services.staff.posted(post.id, sent.id)
        await interaction.followup.send(f"Posted: {sent.jump_url}", ephemeral=True)
        return
    await bot.scheduler.schedule(PUBLISH_KIND, post.due_at, {"post_id": post.id}, planned.job_key)
    await interaction.response.send_message(
        f"Announcement #{post.id} scheduled for {timestamp(post.due_at.timestamp(), 'F')} "
        f"({timestamp(post.due_at.timestamp(), 'R')}) in {target.mention}. {note}\n"
        "See or cancel it with `/nexus announcements`.",
        ephemeral=True,
    )


async def send_post(channel: discord.TextChannel, post: StaffPost) -> discord.Message:
    role = channel.guild.get_role(post.role_id) if post.role_id else None
    if role is not None:
        # Exactly the chosen role may be pinged; nobody else.
        return await channel.send(
            role.mention,
            embed=staff_post_embed(post),
            allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=[role]),
        )
    return await channel.send(embed=staff_post_embed(post), allowed_mentions=discord.AllowedMentions.none())


async def run_publish(bot: NexusBot, job: Job) -> None:
    staff = bot.services.staff
    post = await staff.claim(int(job.payload["post_id"]))
    if post is None:
        return  # cancelled, or already posted
    guild = bot.get_guild(post.guild_id)
    channel = guild.get_channel(post.channel_id) if guild else None
    if not isinstance(channel, discord.TextChannel):
        await staff.failed(post.id, "channel not found")
        log.warning("Staff post %s: channel %s not found", post.id, post.channel_id)
        if guild is not None:
            await tell_post_failed(bot, guild, post, "its channel no longer exists")
        return
    try:
        sent = await send_post(channel, post)
    except discord.HTTPException as exc:
        await staff.failed(post.id, f"{type(exc).__name__}: {exc}")
        await tell_post_failed(bot, channel.guild, post, f"Discord refused it in {channel.mention} ({exc.text})")
        raise
    await staff.posted(post.id, sent.id)


async def tell_post_failed(bot: NexusBot, guild: discord.Guild, post: StaffPost, why: str) -> None:
    """A scheduled post nobody sees would otherwise fail in silence: the staff who wrote it learn why."""
    await alerts.tell_staff(
        bot,
        guild,
        f"⚠️ Scheduled announcement #{post.id} ({clip(post.title, 100)}) was not posted: {why}. "
        "Schedule it again with `/nexus announce` in a channel I can post in.",
        fallback_user_id=post.author_id,
    )


async def list_posts(interaction: discord.Interaction[NexusBot]) -> None:
    """Scheduled announcements with a cancel button each (/nexus announcements)."""
    assert interaction.guild is not None
    posts = await interaction.client.services.staff.scheduled(interaction.guild.id)
    if not posts:
        await interaction.response.send_message(
            "No announcements are scheduled. Schedule one with `/nexus announce ... at:`.", ephemeral=True
        )
        return
    shown = posts[:25]
    lines = []
    for p in shown:
        ping = f" · pings <@&{p.role_id}>" if p.role_id else ""
        lines.append(
            f"**#{p.id} {clip(p.title, 80)}** — {timestamp(p.due_at.timestamp(), 'F')} "
            f"({timestamp(p.due_at.timestamp(), 'R')}) in <#{p.channel_id}>{ping}"
        )
    more = f"\n…and {len(posts) - len(shown)} more." if len(posts) > len(shown) else ""
    embed = nexus_embed("Scheduled announcements", clip("\n".join(lines), 4000) + more, WARNING)
    cancel_buttons = inert_view(*(CancelPostButton(p.id) for p in shown))
    await interaction.response.send_message(embed=embed, view=cancel_buttons or discord.utils.MISSING, ephemeral=True)
