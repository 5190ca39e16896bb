"""Onboarding and staff messages: the role picker, first-week welcomes, and staff announcements.

The commands live under /nexus (cogs/nexus.py calls the public methods here); this cog owns the
persistent buttons, the member-join listener and the scheduled-announcement job.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.app import alerts
from bot.app.checks import require_staff, role_facts, staff_role
from bot.app.ui import SUCCESS, WARNING, SafeCallback, clip, nexus_embed, timestamp
from bot.errors import BotMissingPermissions, Conflict, Forbidden, InvalidInput, NotConfigured, NotFound
from bot.services import roles, track_switch
from bot.services.cohort import NOT_SET_UP
from bot.services.projects import message_link
from bot.services.text import require_text
from bot.services.tracks import TRACK_NAMES, TRACKS, other_track
from bot.services.when import parse_when
from cogs._shared import inert_view, member_zone
from cogs.projects.rendering import announcement_embed, pair_view
from db.stores.announcements import Announcement, AnnouncementStore
from db.stores.catalog import CatalogStore
from db.stores.guild_settings import GuildSettings
from db.stores.jobs import Job
from db.stores.matching import MatchingStore
from db.stores.staff_posts import StaffPost, StaffPostStore

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

PUBLISH_KIND = "staff_post.publish"
NEXT_STEPS = (
    "**Next steps**\n"
    "1. Announce your capstone project with `/project announce` (first week).\n"
    "2. Join partner matching with `/match` to find a partner on the other track.\n"
    "3. Ask questions with `/ask` and plan study sessions with `/session create`."
)


def role_problem(guild: discord.Guild, role: discord.Role, staff: discord.Role | None) -> tuple[str, str] | None:
    """Why the role picker must not hand out `role`: (reason code, words staff can act on); None when it may.

    The rule itself is bot.services.roles.handout_problem, shared with /nexus setup.
    """
    me = guild.me
    if not me.guild_permissions.manage_roles:
        return "manage_roles", "I lack the Manage Roles permission: grant it to my role in Server Settings → Roles"
    facts = role_facts(guild, role, staff)
    problem = roles.handout_problem(facts)
    if problem is None:
        return None
    return problem.value, roles.explain(problem, facts, me.top_role.name)


def track_role(guild: discord.Guild, settings: GuildSettings | None, track: str) -> discord.Role | None:
    role_id = getattr(settings, f"{track}_role_id", None) if settings else None
    role = guild.get_role(role_id) if role_id else None
    return role or discord.utils.get(guild.roles, name=TRACK_NAMES[track])


def in_first_week(settings: GuildSettings, now: datetime) -> bool:
    if settings.cohort_start is None:
        return False
    today = now.date()
    return settings.cohort_start <= today < settings.cohort_start + timedelta(days=settings.first_week_days)


def staff_post_embed(post: StaffPost) -> discord.Embed:
    embed = nexus_embed(post.title, post.body)
    embed.set_footer(text="Staff announcement")
    return embed


class RoleButton(
    SafeCallback,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"nexus:onboard:role:(?P<track>backend|frontend)",
):
    """I'm Backend / I'm Frontend on the role picker; works across restarts."""

    def __init__(self, track: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"I'm {TRACK_NAMES[track]}",
                style=discord.ButtonStyle.primary if track == "backend" else discord.ButtonStyle.success,
                custom_id=f"nexus:onboard:role:{track}",
            )
        )
        self.track = track

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RoleButton:
        return cls(match["track"])

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        cog = interaction.client.get_cog("Onboarding")
        assert isinstance(cog, OnboardingCog)
        await cog.pick_track(interaction, self.track)


class MoveTrackButton(
    SafeCallback,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"nexus:onboard:move:(?P<track>backend|frontend):(?P<user>[0-9]{1,20})",
):
    """Move my announcement (and so my matching) to the track I just picked; only its learner may press."""

    def __init__(self, track: str, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Move my announcement to {TRACK_NAMES[track]}",
                style=discord.ButtonStyle.primary,
                custom_id=f"nexus:onboard:move:{track}:{user_id}",
            )
        )
        self.track = track
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoveTrackButton:
        return cls(match["track"], int(match["user"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.user_id:
            raise Forbidden("This button moves someone else's announcement; press a role picker button yourself.")
        cog = interaction.client.get_cog("Onboarding")
        assert isinstance(cog, OnboardingCog)
        await cog.move_track(interaction, self.track)


class CancelPostButton(
    SafeCallback, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"nexus:staffpost:cancel:(?P<id>\d+)"
):
    """Cancel one scheduled staff announcement (staff only, checked on press)."""

    def __init__(self, post_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Cancel #{post_id}",
                style=discord.ButtonStyle.danger,
                custom_id=f"nexus:staffpost:cancel:{post_id}",
            )
        )
        self.post_id = post_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelPostButton:
        return cls(int(match["id"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await require_staff(interaction)
        cog = interaction.client.get_cog("Onboarding")
        assert isinstance(cog, OnboardingCog)
        await cog.cancel_post(interaction, self.post_id)


class OnboardingCog(commands.Cog, name="Onboarding"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.posts = StaffPostStore(bot.db)
        self.announcements = AnnouncementStore(bot.db)
        self.matching = MatchingStore(bot.db)
        # (guild, role, reason) staff were already told about; a press that finds the role fine again forgets it.
        self._told: set[tuple[int, int, str]] = set()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RoleButton, MoveTrackButton, CancelPostButton)
        self.bot.scheduler.register(PUBLISH_KIND, self.run_publish)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RoleButton, MoveTrackButton, CancelPostButton)

    # --- role picker ---------------------------------------------------------------------------------

    async def post_role_picker(self, interaction: discord.Interaction[NexusBot], channel: discord.TextChannel) -> None:
        """Post the persistent I'm Backend / I'm Frontend message (called by /nexus rolepicker)."""
        assert interaction.guild is not None
        guild = interaction.guild
        settings = await self.bot.services.cohort.settings(guild.id)
        staff = staff_role(guild, settings, self.bot.settings.staff_role_name)
        problems = []
        for track in TRACKS:
            role = track_role(guild, settings, track)
            if role is None:
                problems.append(f"there is no {TRACK_NAMES[track]} role: create one or pick it with `/nexus setup`")
            elif (why := role_problem(guild, role, staff)) is not None:
                problems.append(why[1])
        perms = channel.permissions_for(guild.me)
        if not (perms.send_messages and perms.embed_links):
            problems.append(f"I need Send Messages and Embed Links in {channel.mention}")
        if problems:
            raise BotMissingPermissions(
                "I can't run a role picker yet:\n" + "\n".join(f"• {p}." for p in dict.fromkeys(problems))
            )
        embed = nexus_embed(
            "Which track are you on?",
            "Press a button to get your track's role (pressing the other one switches you).\n\n"
            "Backend learners build APIs and data; Frontend learners build the interface. "
            "Each capstone project pairs one of each.",
        )
        buttons = inert_view(RoleButton("backend"), RoleButton("frontend"))
        assert buttons is not None
        message = await channel.send(embed=embed, view=buttons)
        await self.bot.services.cohort.update(
            guild.id, self.bot.clock.now(), rolepicker_channel_id=channel.id, rolepicker_message_id=message.id
        )
        await interaction.response.send_message(
            f"Role picker posted: {message.jump_url}\nWelcomes for new members will point at it.", ephemeral=True
        )

    async def pick_track(self, interaction: discord.Interaction[Any], track: str) -> None:
        guild, member = interaction.guild, interaction.user
        if guild is None or not isinstance(member, discord.Member):
            raise InvalidInput("Use the role picker in the server.")
        settings = await self.bot.services.cohort.settings(guild.id)
        role = track_role(guild, settings, track)
        other = track_role(guild, settings, other_track(track))
        if role is None:
            await self._tell_staff(
                guild, settings, f"a learner pressed I'm {TRACK_NAMES[track]} but there is no such role"
            )
            raise NotConfigured(f"There's no {TRACK_NAMES[track]} role yet; staff have been told.")
        had_other = other is not None and other != role and other in member.roles
        # Checked on every press, not only at setup: roles gain permissions and move after setup.
        staff = staff_role(guild, settings, self.bot.settings.staff_role_name)
        for checked in (role, other) if had_other and other is not None else (role,):
            problem = role_problem(guild, checked, staff)
            if problem is None:
                self._told = {k for k in self._told if k[:2] != (guild.id, checked.id)}
                continue
            key = (guild.id, checked.id, problem[0])
            if key not in self._told:
                self._told.add(key)
                await self._tell_staff(
                    guild,
                    settings,
                    f"learners pressing I'm {TRACK_NAMES[track]} are refused until this is fixed: {problem[1]}",
                )
            raise NotConfigured(
                f"I can't give you the {TRACK_NAMES[track]} role right now. Staff have been told; try again later."
            )
        reason = f"Role picker: {member} chose {TRACK_NAMES[track]}"
        if role not in member.roles:
            await member.add_roles(role, reason=reason)
        if had_other and other is not None:
            await member.remove_roles(other, reason=reason)
        switched = f" (and no longer {other.name})" if had_other and other is not None else ""
        embed = nexus_embed(
            f"You're {TRACK_NAMES[track]}!", f"You now have the {role.name} role{switched}.\n\n{NEXT_STEPS}"
        )
        embed.colour = SUCCESS
        embeds = [embed]
        view: discord.ui.View | None = None
        behind = None
        if settings is not None and settings.cohort_start is not None:
            behind = await track_switch.left_behind(
                self.announcements, self.matching, guild.id, settings.cohort_start, member.id, track
            )
        if behind is not None:
            embeds.append(self._left_behind_embed(guild, behind, track))
            view = inert_view(MoveTrackButton(track, member.id)) if behind.movable else None
        await interaction.response.send_message(
            embeds=embeds,
            view=view or discord.utils.MISSING,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @staticmethod
    def _left_behind_embed(guild: discord.Guild, behind: track_switch.LeftBehind, track: str) -> discord.Embed:
        old, new = TRACK_NAMES[behind.old_track], TRACK_NAMES[track]
        a = behind.announcement
        link = message_link(guild.id, a.channel_id, a.message_id)
        title = clip(discord.utils.escape_markdown(a.title), 100)
        shown = f"[{title}]({link})" if link else f"**{title}**"
        what = "Your announcement and match profile are" if behind.has_profile else "Your announcement is"
        lines = [
            f"{what} still on **{old}**: your announcement {shown} is listed as {old}, and partner matching "
            f"(which takes your track from it) still looks for {new} partners for you."
        ]
        if behind.movable:
            lines.append(
                f"Press **Move my announcement to {new}** to update both: your post is edited in place. "
                f"If you picked {new} by mistake, press I'm {old} instead."
            )
        else:
            partners = ", ".join(f"<@{uid}>" for uid in behind.partner_ids)
            lines.append(
                f"You're paired with {partners}, and a pair is one Backend and one Frontend learner, so I won't "
                f"move it while you're paired. If you're really switching, end the pairing first with "
                f"`/match unpair`, then press I'm {new} again to move your announcement. If not, press I'm {old}."
            )
        return nexus_embed(f"Your announcement is still on {old}", "\n\n".join(lines), WARNING)

    async def move_track(self, interaction: discord.Interaction[Any], track: str) -> None:
        """The Move my announcement button: the announcement's track, then its post, edited in place."""
        guild, member = interaction.guild, interaction.user
        if guild is None or not isinstance(member, discord.Member):
            raise InvalidInput("Use this button in the server.")
        settings = await self.bot.services.cohort.settings(guild.id)
        if settings is None or settings.cohort_start is None:
            raise NotConfigured(NOT_SET_UP)
        role = track_role(guild, settings, track)
        if role is None or role not in member.roles:
            raise Conflict(
                f"You don't have the {TRACK_NAMES[track]} role any more, so your announcement stays as it is: press "
                f"I'm {TRACK_NAMES[track]} on the role picker first."
            )
        moved = await track_switch.move_announcement(
            self.announcements, guild.id, settings.cohort_start, member.id, track, self.bot.clock.now()
        )
        # Editing the post may wait on the channel's rate limit: acknowledge (this message is updated below).
        await interaction.response.defer()
        edited = await self._edit_announcement_post(guild, moved)
        link = message_link(guild.id, moved.channel_id, moved.message_id)
        where = (
            f"your post was edited: {link}"
            if edited
            else "I couldn't edit your post; run `/project edit` once to refresh it"
        )
        await interaction.edit_original_response(
            content=f"✅ Your announcement and partner matching are on **{TRACK_NAMES[track]}** now; {where}.",
            embeds=[],
            view=None,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def _edit_announcement_post(self, guild: discord.Guild, announcement: Announcement) -> bool:
        """Render the announcement as /project does and edit its post in place; False if that wasn't possible."""
        channel = guild.get_channel(announcement.channel_id) if announcement.channel_id else None
        if not isinstance(channel, discord.TextChannel) or announcement.message_id is None:
            return False
        catalog = {p.key: p for p in await CatalogStore(self.bot.db).list(include_inactive=True)}
        embed = announcement_embed(announcement, catalog.get(announcement.project_key))
        try:
            await channel.get_partial_message(announcement.message_id).edit(embed=embed, view=pair_view(announcement))
        except discord.HTTPException as exc:
            log.warning(
                "Announcement %s moved to %s but its post wasn't edited: %s", announcement.id, announcement.track, exc
            )
            return False
        return True

    async def _tell_staff(self, guild: discord.Guild, settings: GuildSettings | None, problem: str) -> None:
        """Staff learn about role problems in their review channel (and the log), not only the learner."""
        log.warning("Guild %s: %s", guild.id, problem)
        channel = guild.get_channel(settings.review_channel_id) if settings and settings.review_channel_id else None
        if isinstance(channel, discord.TextChannel):
            try:
                await channel.send(
                    f"⚠️ Role picker: {clip(problem, 1800)}.", allowed_mentions=discord.AllowedMentions.none()
                )
            except discord.HTTPException as exc:
                log.warning("Could not tell staff in %s: %s", channel.id, exc)

    # --- welcome -------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        settings = await self.bot.services.cohort.settings(member.guild.id)
        if settings is None or not settings.welcome_enabled or settings.channel_id is None:
            return
        if not in_first_week(settings, self.bot.clock.now()):
            return
        channel = member.guild.get_channel(settings.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        picker = (
            f"https://discord.com/channels/{member.guild.id}/{settings.rolepicker_channel_id}/"
            f"{settings.rolepicker_message_id}"
            if settings.rolepicker_channel_id and settings.rolepicker_message_id
            else None
        )
        step_one = f"pick your track with the role picker: {picker}" if picker else "ask staff for your track's role"
        text = (
            f"👋 Welcome to Project Nexus, {member.mention}! It's the first week: {step_one}, "
            "then announce your capstone project with `/project announce` and find a partner on the other track."
        )
        try:
            await channel.send(
                text, allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[member])
            )
        except discord.HTTPException as exc:
            log.warning("Could not welcome %s in %s: %s", member.id, channel.id, exc)

    # --- staff announcements ---------------------------------------------------------------------------

    async def announce(
        self,
        interaction: discord.Interaction[NexusBot],
        *,
        title: str,
        message: str,
        ping: discord.Role | None,
        at: str | None,
        timezone: str | None,
        channel: discord.TextChannel | None,
    ) -> None:
        """Post a staff announcement now, or store it for later (called by /nexus announce)."""
        assert interaction.guild is not None
        guild = interaction.guild
        title = require_text(title, "title", max_length=256)
        message = require_text(message, "message", max_length=4000)
        settings = await self.bot.services.cohort.settings(guild.id)
        target = channel or (guild.get_channel(settings.channel_id) if settings and settings.channel_id else None)
        if not isinstance(target, discord.TextChannel):
            raise NotConfigured("Name a `channel`, or set the project channel with `/nexus setup` first.")
        perms = target.permissions_for(guild.me)
        missing = [
            n for n, ok in (("Send Messages", perms.send_messages), ("Embed Links", perms.embed_links)) if not ok
        ]
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
        now = self.bot.clock.now()
        due = now
        note = ""
        if at:
            zone, source = await member_zone(self.bot, guild.id, interaction.user.id, timezone)
            parsed = parse_when(at, now, zone, zone_source=source)
            due, note = parsed.at, parsed.note
        post = await self.posts.create(
            guild_id=guild.id,
            author_id=interaction.user.id,
            channel_id=target.id,
            title=title.strip(),
            body=message.strip(),
            role_id=ping.id if ping else None,
            due_at=due,
            now=now,
        )
        if not at:
            # Posting may wait on the channel's rate limit: acknowledge first so Discord's 3 s window holds.
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.posts.claim(post.id)
            sent = await self._send_post(target, post)
            await self.posts.mark_posted(post.id, sent.id, self.bot.clock.now())
            await interaction.followup.send(f"Posted: {sent.jump_url}", ephemeral=True)
            return
        await self.bot.scheduler.schedule(PUBLISH_KIND, due, {"post_id": post.id}, f"staff_post:{post.id}:publish")
        await interaction.response.send_message(
            f"Announcement #{post.id} scheduled for {timestamp(due.timestamp(), 'F')} "
            f"({timestamp(due.timestamp(), 'R')}) in {target.mention}. {note}\n"
            "See or cancel it with `/nexus announcements`.",
            ephemeral=True,
        )

    async def _send_post(self, channel: discord.TextChannel, post: StaffPost) -> discord.Message:
        role = channel.guild.get_role(post.role_id) if post.role_id else None
        if role is not None:
            # Exactly the chosen role may be pinged; nobody else.
            return await channel.send(
                role.mention,
                embed=staff_post_embed(post),
                allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=[role]),
            )
        return await channel.send(embed=staff_post_embed(post), allowed_mentions=discord.AllowedMentions.none())

    async def run_publish(self, job: Job) -> None:
        post = await self.posts.get(int(job.payload["post_id"]))
        if post is None or not await self.posts.claim(post.id):
            return  # cancelled, or already posted
        guild = self.bot.get_guild(post.guild_id)
        channel = guild.get_channel(post.channel_id) if guild else None
        if not isinstance(channel, discord.TextChannel):
            await self.posts.mark_failed(post.id, "channel not found")
            log.warning("Staff post %s: channel %s not found", post.id, post.channel_id)
            if guild is not None:
                await self._tell_post_failed(guild, post, "its channel no longer exists")
            return
        try:
            sent = await self._send_post(channel, post)
        except discord.HTTPException as exc:
            await self.posts.mark_failed(post.id, f"{type(exc).__name__}: {exc}")
            await self._tell_post_failed(channel.guild, post, f"Discord refused it in {channel.mention} ({exc.text})")
            raise
        await self.posts.mark_posted(post.id, sent.id, self.bot.clock.now())

    async def _tell_post_failed(self, guild: discord.Guild, post: StaffPost, why: str) -> None:
        """A scheduled post nobody sees would otherwise fail in silence: the staff who wrote it learn why."""
        await alerts.tell_staff(
            self.bot,
            guild,
            f"⚠️ Scheduled announcement #{post.id} ({clip(post.title, 100)}) was not posted: {why}. "
            "Schedule it again with `/nexus announce` in a channel I can post in.",
            fallback_user_id=post.author_id,
        )

    async def list_posts(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Scheduled announcements with a cancel button each (called by /nexus announcements)."""
        assert interaction.guild is not None
        posts = await self.posts.scheduled(interaction.guild.id)
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
        await interaction.response.send_message(
            embed=embed, view=cancel_buttons or discord.utils.MISSING, ephemeral=True
        )

    async def cancel_post(self, interaction: discord.Interaction[Any], post_id: int) -> None:
        assert interaction.guild is not None
        post = await self.posts.get(post_id)
        if post is None or post.guild_id != interaction.guild.id:
            raise NotFound(f"There's no announcement #{post_id}.")
        if not await self.posts.cancel(post_id, interaction.guild.id):
            raise Conflict(f"Announcement #{post_id} is already {post.status}; only scheduled ones can be cancelled.")
        await self.bot.jobs.cancel_by_key_prefix(f"staff_post:{post_id}:")
        await interaction.response.send_message(
            f"Announcement #{post_id} ({clip(post.title, 100)}) cancelled; it won't be posted.", ephemeral=True
        )


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(OnboardingCog(bot))
