"""/session: study and pairing sessions with RSVPs, reminders, a start message and Discord scheduled events."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import is_staff
from bot.app.ui import CONTENT_MAX, DANGER, EMBED_FIELD_VALUE_MAX, SafeCallback, clip, nexus_embed, timestamp
from bot.errors import BotMissingPermissions, Conflict, Forbidden, InvalidInput, NotFound
from bot.services.projects import resolve_project
from bot.services.text import user_text
from bot.services.when import parse_when
from bot.services.zones import resolve_timezone
from cogs._shared import configured_channel, member_zone, timezone_autocomplete
from db.stores.catalog import CatalogStore
from db.stores.jobs import Job
from db.stores.sessions import Rsvps, SessionStore, StudySession, is_pair_thread

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

REMINDER_KIND = "session.reminder"
START_KIND = "session.start"
REMINDER_BEFORE = timedelta(minutes=15)
# The programme's projects, offered when the project catalog feature isn't installed.
DEFAULT_PROJECTS = (
    "E-Commerce",
    "Social Media Feed",
    "Movie Recommendation",
    "Job Board",
    "Online Poll System",
    "Other",
)

# Button action (in the custom_id) → stored RSVP status, label, style.
RSVP_ACTIONS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "going": ("going", "Going", discord.ButtonStyle.success),
    "maybe": ("maybe", "Maybe", discord.ButtonStyle.secondary),
    "no": ("not_going", "Not going", discord.ButtonStyle.danger),
}
RSVP_WORDS = {"going": "going", "maybe": "a maybe", "not_going": "not going"}
_LEARN_SLUG = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def job_key(session_id: int, what: str = "") -> str:
    return f"session:{session_id}:{what}"


def format_minutes(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def mention_list(user_ids: Iterable[int], limit: int = EMBED_FIELD_VALUE_MAX) -> str:
    """Mentions that fit in `limit` characters, then "+N more"."""
    ids = list(user_ids)
    out: list[str] = []
    for i, uid in enumerate(ids):
        piece = f"<@{uid}>"
        rest = len(ids) - i
        if len(" ".join([*out, piece])) + len(f" +{rest} more") > limit:
            return " ".join(out) + f" +{rest} more"
        out.append(piece)
    return " ".join(out) or "—"


def session_embed(session: StudySession, rsvps: Rsvps) -> discord.Embed:
    start = session.starts_at.timestamp()
    lines = [
        f"**When:** {timestamp(start, 'F')} ({timestamp(start, 'R')})",
        f"**Duration:** {format_minutes(session.duration_minutes)}",
        f"**Host:** <@{session.creator_id}>",
    ]
    if session.topic:
        lines.append(f"**Topic:** {clip(user_text(session.topic), 200)}")
    if session.project:
        lines.append(f"**Project:** {clip(user_text(session.project), 200)}")
    title = f"Cancelled: {user_text(session.title)}" if session.cancelled else f"📚 {user_text(session.title)}"
    embed = nexus_embed(title, "\n".join(lines), DANGER if session.cancelled else discord.Colour.blurple())
    going = f"Going ({len(rsvps.going)}/{session.capacity})" if session.capacity else f"Going ({len(rsvps.going)})"
    embed.add_field(name=going, value=mention_list(rsvps.going), inline=False)
    embed.add_field(name=f"Maybe ({len(rsvps.maybe)})", value=mention_list(rsvps.maybe), inline=True)
    embed.add_field(name=f"Not going ({len(rsvps.not_going)})", value=mention_list(rsvps.not_going), inline=True)
    footer = f"Session #{session.id} · times show in your own time zone · reminder 15 min before for those going"
    embed.set_footer(text=f"Session #{session.id} was cancelled." if session.cancelled else footer)
    return embed


class RsvpButton(
    SafeCallback,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"nexus:session:(?P<action>going|maybe|no):(?P<id>\d+)",
):
    """Going / Maybe / Not going on a session post; works across restarts."""

    def __init__(self, session_id: int, action: str, *, disabled: bool = False) -> None:
        status, label, style = RSVP_ACTIONS[action]
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=f"nexus:session:{action}:{session_id}", disabled=disabled
            )
        )
        self.session_id = session_id
        self.status = status

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RsvpButton:
        return cls(int(match["id"]), match["action"])

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        cog = interaction.client.get_cog("Sessions")
        assert isinstance(cog, SessionsCog)
        await cog.answer_rsvp(interaction, self.session_id, self.status)


def session_view(session: StudySession, topic_slug: str | None = None) -> discord.ui.View:
    """RSVP buttons (dispatched as DynamicItems, so the view itself is never stored)."""
    view = discord.ui.View(timeout=None)
    for action in RSVP_ACTIONS:
        view.add_item(RsvpButton(session.id, action, disabled=session.cancelled))
    if topic_slug and not session.cancelled:
        # The learning cog answers this custom_id.
        view.add_item(
            discord.ui.Button(
                label=clip(f"Topic: {session.topic or topic_slug}", 80),
                style=discord.ButtonStyle.primary,
                custom_id=f"nexus:learn:open:{topic_slug}",
            )
        )
    view.stop()
    return view


class SessionsCog(
    commands.GroupCog,
    name="Sessions",
    group_name="session",
    group_description="Study and pairing sessions: plan one, RSVP, get reminded",
):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.store = SessionStore(bot.db)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RsvpButton)
        self.bot.scheduler.register(REMINDER_KIND, self.run_reminder)
        self.bot.scheduler.register(START_KIND, self.run_start)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RsvpButton)

    # --- learning topics (optional feature) ------------------------------------------------------

    def _learn_slug(self, topic: str | None) -> str | None:
        """The topic as a learning-topic slug, when the learning cog can open it."""
        if topic and self.bot.get_cog("Learning") is not None and _LEARN_SLUG.match(topic):
            return topic
        return None

    # --- autocomplete ------------------------------------------------------------------------------

    async def _topic_choices(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        found = self.bot.services.learning.autocomplete_topics(current)
        return [app_commands.Choice(name=clip(n, 100), value=v[:100]) for n, v in found[:25]]

    async def _project_choices(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        names = await self._project_names()
        wanted = current.strip().lower()
        return [app_commands.Choice(name=n, value=n) for n in names if wanted in n.lower()][:25]

    async def _project_names(self) -> list[str]:
        try:
            from db.stores.catalog import CatalogStore
        except ImportError:
            return list(DEFAULT_PROJECTS)
        try:
            projects = await CatalogStore(self.bot.db).list()
        except Exception:
            log.warning("Project catalog unreadable; offering the default projects", exc_info=True)
            return list(DEFAULT_PROJECTS)
        return [p.name for p in projects] or list(DEFAULT_PROJECTS)

    async def _session_choices(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        staff = await is_staff(interaction)
        sessions = await self.store.upcoming(
            interaction.guild.id, self.bot.clock.now(), creator_id=None if staff else interaction.user.id, limit=100
        )
        wanted = current.strip().lower().lstrip("#")
        choices = []
        for s in sessions:
            label = f"#{s.id} {s.title} — {s.starts_at:%a %d %b %H:%M} UTC"
            if not wanted or wanted in label.lower():
                choices.append(app_commands.Choice(name=clip(label, 100), value=str(s.id)))
        return choices[:25]

    # --- commands ----------------------------------------------------------------------------------

    @app_commands.command(name="create", description="Plan a study or pairing session with RSVPs and reminders")
    @app_commands.describe(
        title="What the session is about (up to 100 characters)",
        when="e.g. 2026-12-01 18:00, tomorrow 18:00, fri 18:00, in 2h",
        duration="How long it lasts, in minutes (5–720)",
        timezone="Time zone `when` is in (default: your match profile's, else UTC)",
        topic="Learning topic the session covers",
        project="Project the session is for",
        capacity="Most people who can be going (default: no limit)",
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete, topic=_topic_choices, project=_project_choices)
    @app_commands.guild_only()
    async def create(
        self,
        interaction: discord.Interaction[NexusBot],
        title: app_commands.Range[str, 1, 100],
        when: app_commands.Range[str, 1, 60],
        duration: app_commands.Range[int, 5, 720],
        timezone: app_commands.Range[str, 1, 64] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
        project: app_commands.Range[str, 1, 100] | None = None,
        capacity: app_commands.Range[int, 1, 500] | None = None,
    ) -> None:
        """Post a session with Going/Maybe/Not going buttons; those going get a reminder 15 minutes before."""
        assert interaction.guild is not None
        guild = interaction.guild
        now = self.bot.clock.now()
        zone, source = await member_zone(self.bot, interaction.guild.id, interaction.user.id, timezone)
        parsed = parse_when(when, now, zone, zone_source=source)
        if project and project.strip():
            # A key or a typo of a catalog project is answered with its name or the nearest one.
            catalog = await CatalogStore(self.bot.db).list()
            project = resolve_project(project, catalog).name if catalog else project
        channel = await self._target_channel(interaction)
        self._check_can_post(channel, guild.me)
        await interaction.response.defer(ephemeral=True, thinking=True)

        session = await self.store.create(
            guild_id=guild.id,
            creator_id=interaction.user.id,
            title=title.strip(),
            starts_at=parsed.at,
            duration_minutes=duration,
            timezone=parsed.zone_name,
            topic=topic.strip() if topic else None,
            project=project.strip() if project else None,
            capacity=capacity,
            channel_id=channel.id,
            now=now,
        )
        try:
            message = await channel.send(
                embed=session_embed(session, await self.store.rsvps(session.id)),
                view=session_view(session, self._learn_slug(session.topic)),
            )
        except discord.HTTPException:
            await self.store.delete(session.id)  # nothing was announced, so nothing to keep
            raise
        try:
            await self.store.set_message(session.id, channel.id, message.id)
        except Exception:
            await self._remove_unsaved(session, message)
            raise
        if parsed.at - REMINDER_BEFORE > now:
            await self.bot.scheduler.schedule(
                REMINDER_KIND, parsed.at - REMINDER_BEFORE, {"session_id": session.id}, job_key(session.id, "reminder")
            )
        await self.bot.scheduler.schedule(
            START_KIND, parsed.at, {"session_id": session.id}, job_key(session.id, "start")
        )
        event_note = await self._create_event(guild, session, channel)

        lines = [f"Session #{session.id} posted: {message.jump_url}", parsed.note]
        if timezone and (zone_note := resolve_timezone(timezone, now).note):
            lines.append(zone_note)  # which zone `WAT` or `UTC+1` was read as
        lines.append(event_note)
        if parsed.at - REMINDER_BEFORE <= now:
            lines.append("It starts within 15 minutes, so there's no reminder; the start message still comes.")
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @app_commands.command(name="list", description="Upcoming study and pairing sessions")
    @app_commands.describe(project="Only sessions for this project")
    @app_commands.autocomplete(project=_project_choices)
    @app_commands.guild_only()
    async def list_(self, interaction: discord.Interaction[NexusBot], project: str | None = None) -> None:
        """Show the next sessions, each in the reader's own time zone."""
        assert interaction.guild is not None
        sessions = await self.store.upcoming(interaction.guild.id, self.bot.clock.now(), project=project, limit=15)
        if not sessions:
            scope = f" for {clip(user_text(project), 200)}" if project else ""
            await interaction.response.send_message(
                f"No upcoming sessions{scope}. Plan one with `/session create`.", ephemeral=True
            )
            return
        embed = nexus_embed("Upcoming sessions" + (f" · {clip(user_text(project), 200)}" if project else ""))
        lines = []
        for s in sessions:
            rsvps = await self.store.rsvps(s.id)
            seats = f"{len(rsvps.going)}/{s.capacity}" if s.capacity else str(len(rsvps.going))
            link = (
                f" · [post](https://discord.com/channels/{s.guild_id}/{s.channel_id}/{s.message_id})"
                if s.message_id
                else ""
            )
            extra = f" · {clip(user_text(s.project), 80)}" if s.project and not project else ""
            lines.append(
                f"**#{s.id} {clip(user_text(s.title), 200)}** — {timestamp(s.starts_at.timestamp(), 'F')} "
                f"({timestamp(s.starts_at.timestamp(), 'R')}) · {seats} going{extra}{link}"
            )
        embed.description = clip("\n".join(lines), 4096)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="cancel", description="Cancel a session you host (staff: any session)")
    @app_commands.describe(session="The session to cancel", reason="Told to everyone going (optional)")
    @app_commands.autocomplete(session=_session_choices)
    @app_commands.guild_only()
    async def cancel(
        self,
        interaction: discord.Interaction[NexusBot],
        session: str,
        reason: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        """Cancel the session, update its post, remove the event and tell everyone going."""
        assert interaction.guild is not None
        found = await self._session_from_option(interaction.guild.id, session)
        if found.creator_id != interaction.user.id and not await is_staff(interaction):
            raise Forbidden(f"Only the host (<@{found.creator_id}>) or staff can cancel session #{found.id}.")
        now = self.bot.clock.now()
        if not await self.store.cancel(found.id, now):
            raise Conflict(f"Session #{found.id} is already cancelled.")
        await self.bot.jobs.cancel_by_key_prefix(job_key(found.id))
        await interaction.response.defer(ephemeral=True, thinking=True)
        cancelled = await self.store.get(found.id)
        assert cancelled is not None
        rsvps = await self.store.rsvps(found.id)
        await self._refresh_post(cancelled, rsvps)
        await self._delete_event(interaction.guild, cancelled)

        why = f"\nReason: {clip(user_text(reason), 600)}" if reason else ""
        text = (
            f"**{clip(user_text(cancelled.title), 200)}** "
            f"({timestamp(cancelled.starts_at.timestamp(), 'F')}) was cancelled "
            f"by {interaction.user.mention}.{why}"
        )
        to_tell = [uid for uid in rsvps.going if uid != interaction.user.id]
        dm_ok, fallback = await self._notify(interaction.guild, cancelled, to_tell, text)
        told = f"Told {len(to_tell)} going: {dm_ok} by DM" + (
            f", {len(fallback)} by a mention in the channel." if fallback else "."
        )
        await interaction.followup.send(f"Session #{found.id} cancelled. {told}", ephemeral=True)

    # --- RSVP --------------------------------------------------------------------------------------

    async def answer_rsvp(self, interaction: discord.Interaction[Any], session_id: int, status: str) -> None:
        rsvps = await self.store.rsvp(session_id, interaction.user.id, status, self.bot.clock.now())
        session = await self.store.get(session_id)
        assert session is not None
        await interaction.response.edit_message(
            embed=session_embed(session, rsvps), view=session_view(session, self._learn_slug(session.topic))
        )
        follow = f"You're {RSVP_WORDS[status]} for **{clip(user_text(session.title), 200)}**."
        if status == "going":
            follow += " I'll remind you 15 minutes before (by DM, or a mention if your DMs are closed)."
        await interaction.followup.send(follow, ephemeral=True)
        # Presses at the same moment answer in any order, so an earlier count could land last: whoever finds the
        # post behind the database after their own edit brings it up to date (the last to check sees the total).
        latest = await self.store.rsvps(session_id)
        if latest != rsvps:
            await self._refresh_post(session, latest, self._learn_slug(session.topic))

    # --- scheduled work ----------------------------------------------------------------------------

    async def run_reminder(self, job: Job) -> None:
        session = await self.store.get(int(job.payload["session_id"]))
        if session is None or session.cancelled:
            return
        guild = self.bot.get_guild(session.guild_id)
        if guild is None:
            log.warning("Reminder for session %s: guild %s not available", session.id, session.guild_id)
            return
        rsvps = await self.store.rsvps(session.id)
        text = (
            f"⏰ **{clip(user_text(session.title), 200)}** starts {timestamp(session.starts_at.timestamp(), 'R')} "
            f"({timestamp(session.starts_at.timestamp(), 't')}), {format_minutes(session.duration_minutes)}."
        )
        sent, fallback = await self._notify(guild, session, rsvps.going, text)
        log.info("Session %s reminder: %d DM(s), %d mention(s)", session.id, sent, len(fallback))

    async def run_start(self, job: Job) -> None:
        session = await self.store.get(int(job.payload["session_id"]))
        if session is None or session.cancelled or session.channel_id is None:
            return
        channel = await self._channel(session.channel_id)
        if channel is None:
            log.warning("Start of session %s: channel %s is gone", session.id, session.channel_id)
            return
        rsvps = await self.store.rsvps(session.id)
        head = f"▶️ **{clip(user_text(session.title), 200)}** is starting now"
        link = (
            f" · https://discord.com/channels/{session.guild_id}/{session.channel_id}/{session.message_id}"
            if session.message_id
            else ""
        )
        mentions = mention_list(rsvps.going, CONTENT_MAX - len(head) - len(link) - 4) if rsvps.going else ""
        await channel.send(
            f"{head}{link}\n{mentions}".strip(),
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(u) for u in rsvps.going]
            ),
        )

    # --- helpers -----------------------------------------------------------------------------------

    async def _target_channel(self, interaction: discord.Interaction[NexusBot]) -> discord.TextChannel | discord.Thread:
        """The pair's thread when run inside one, else the configured project channel."""
        assert interaction.guild is not None
        here = interaction.channel
        if isinstance(here, discord.Thread) and await is_pair_thread(self.bot.db, here.id):
            return here
        return configured_channel(interaction.guild, await self.bot.services.cohort.settings(interaction.guild.id))

    @staticmethod
    def _check_can_post(channel: discord.TextChannel | discord.Thread, me: discord.Member) -> None:
        perms = channel.permissions_for(me)
        send = perms.send_messages_in_threads if isinstance(channel, discord.Thread) else perms.send_messages
        missing = [name for name, ok in (("Send Messages", send), ("Embed Links", perms.embed_links)) if not ok]
        if missing:
            raise BotMissingPermissions(
                f"I can't post sessions in {channel.mention}: grant me {', '.join(missing)} there (ask staff)."
            )

    async def _create_event(
        self, guild: discord.Guild, session: StudySession, channel: discord.TextChannel | discord.Thread
    ) -> str:
        perms = guild.me.guild_permissions
        if not (perms.manage_events or perms.create_events):
            return "No Discord event was created: I lack the Manage Events permission (ask staff to grant it)."
        try:
            event = await guild.create_scheduled_event(
                name=clip(session.title, 100),
                start_time=session.starts_at,
                end_time=session.ends_at,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=clip(f"#{channel.name}", 100),
                description=clip(f"Study session #{session.id}, RSVP on the post in #{channel.name}.", 1000),
            )
        except discord.Forbidden:
            return "No Discord event was created: Discord refused (Manage Events missing); the session is posted."
        except discord.HTTPException as exc:
            log.warning("Scheduled event for session %s failed: %s", session.id, exc)
            return "No Discord event was created (Discord refused it); the session is posted."
        try:
            await self.store.set_event(session.id, event.id)
        except Exception:
            # An event whose id isn't stored could never be removed by /session cancel.
            with contextlib.suppress(discord.HTTPException):
                await event.delete()
            raise
        return "A Discord event was added to the server's Events list."

    async def _remove_unsaved(self, session: StudySession, message: discord.Message) -> None:
        """The post went out but its id couldn't be saved (a full disk): take it down, and the session
        with it if the database lets us, so nobody RSVPs to a session /session cancel can't find."""
        try:
            await message.delete()
        except discord.HTTPException as exc:
            log.warning("Could not remove the post of unsaved session %s: %s", session.id, exc)
        try:
            await self.store.delete(session.id)
        except Exception:
            log.warning("Could not delete unsaved session %s", session.id, exc_info=True)

    async def _delete_event(self, guild: discord.Guild, session: StudySession) -> None:
        if session.event_id is None:
            return
        try:
            event = guild.get_scheduled_event(session.event_id) or await guild.fetch_scheduled_event(session.event_id)
            await event.delete()
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            log.warning("Could not delete event %s of session %s: %s", session.event_id, session.id, exc)

    async def _session_from_option(self, guild_id: int, value: str) -> StudySession:
        digits = value.strip().lstrip("#").split(" ", 1)[0]
        if not digits.isdigit():
            raise InvalidInput("Pick a session from the list (start typing its title).")
        session = await self.store.get(int(digits))
        if session is None or session.guild_id != guild_id:
            raise NotFound(f"There's no session #{digits}; see `/session list`.")
        return session

    async def _channel(self, channel_id: int) -> discord.abc.Messageable | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.HTTPException:
                return None
        return channel if isinstance(channel, discord.abc.Messageable) else None

    async def _refresh_post(self, session: StudySession, rsvps: Rsvps, topic_slug: str | None = None) -> None:
        if session.channel_id is None or session.message_id is None:
            return
        channel = await self._channel(session.channel_id)
        if channel is None:
            return
        try:
            message = channel.get_partial_message(session.message_id)  # type: ignore[attr-defined]
            await message.edit(embed=session_embed(session, rsvps), view=session_view(session, topic_slug))
        except discord.HTTPException as exc:
            log.warning("Could not update the post of session %s: %s", session.id, exc)

    async def _mention_place(self, session: StudySession) -> discord.abc.Messageable | None:
        """Where to mention people whose DMs are closed: the session's thread (made on demand) or its channel."""
        if session.thread_id:
            thread = await self._channel(session.thread_id)
            if thread is not None:
                return thread
        if session.channel_id is None:
            return None
        channel = await self._channel(session.channel_id)
        if isinstance(channel, discord.TextChannel) and session.message_id:
            try:
                thread = await channel.get_partial_message(session.message_id).create_thread(
                    name=clip(session.title, 100), auto_archive_duration=1440
                )
            except discord.HTTPException as exc:
                log.warning("No reminder thread for session %s (%s); mentioning in the channel", session.id, exc)
                return channel
            await self.store.set_thread(session.id, thread.id)
            return thread
        return channel

    async def _notify(
        self, guild: discord.Guild, session: StudySession, user_ids: Iterable[int], text: str
    ) -> tuple[int, list[int]]:
        """DM each user; those who can't be DMed are mentioned in the session's thread. Returns (DMs, mentioned)."""
        sent, fallback = 0, []
        for uid in user_ids:
            member = guild.get_member(uid)
            try:
                if member is None:
                    member = await guild.fetch_member(uid)
                await member.send(text)
                sent += 1
            except discord.NotFound:
                continue  # left the server
            except discord.HTTPException:
                fallback.append(uid)
        if fallback:
            place = await self._mention_place(session)
            if place is not None:
                tail = " (I couldn't DM you.)"
                mentions = mention_list(fallback, CONTENT_MAX - len(text) - len(tail) - 2)
                await place.send(
                    f"{mentions} {text}{tail}",
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False, roles=False, users=[discord.Object(u) for u in fallback]
                    ),
                )
        return sent, fallback


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(SessionsCog(bot))
