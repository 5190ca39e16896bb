"""/project: announce what you build in the first week, find a partner, and follow the first-week progress."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.ui import (
    DANGER,
    EMBED_FIELD_VALUE_MAX,
    SUCCESS,
    WARNING,
    OwnedView,
    SafeCallback,
    clip,
    nexus_embed,
    timestamp,
)
from bot.errors import BotMissingPermissions, Conflict, InvalidInput, NotConfigured, NotFound, UserError
from bot.services import first_week, projects
from bot.services.cohort import NOT_SET_UP
from bot.services.text import plain_link, user_text
from bot.services.tracks import TRACK_NAMES
from bot.services.zones import resolve_timezone
from cogs._shared import configured_channel, timezone_autocomplete
from db.stores.announcements import (
    Announcement,
    AnnouncementStore,
    FirstWeekStore,
    ListFilter,
    NewAnnouncement,
)
from db.stores.catalog import CatalogProject, CatalogStore
from db.stores.guild_settings import GuildSettings
from db.stores.jobs import Job
from db.stores.questions import QuestionStore

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

PAGE_SIZE = 10
DIGEST_JOB = "project_digest"
REMINDER_JOB = "project_reminder"
# What posting an announcement needs in the project channel.
POST_PERMISSIONS = {"view_channel": "View Channel", "send_messages": "Send Messages", "embed_links": "Embed Links"}
SETTINGS_REFRESH_SECONDS = 30.0
CATALOG_REFRESH_SECONDS = 60.0
POST_CONCURRENCY = 8
REFRESH_CONCURRENCY = 2
PAIR_TEMPLATE = r"nexus:project:pair:(?P<id>[0-9]{1,20})"

Track = Literal["backend", "frontend"]
OnOff = Literal["on", "off"]


# --- persistent Pair with me button -----------------------------------------------------------


class PairButton(
    SafeCallback,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=PAIR_TEMPLATE,
):
    def __init__(self, announcement_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Pair with me",
                emoji="🤝",
                style=discord.ButtonStyle.primary,
                custom_id=f"nexus:project:pair:{announcement_id}",
            )
        )
        self.announcement_id = announcement_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> PairButton:
        return cls(int(match["id"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        cog = interaction.client.get_cog("Projects")
        if not isinstance(cog, ProjectsCog):
            raise NotConfigured("Project announcements are not loaded right now; try again in a minute.")
        await cog.pair_pressed(interaction, self.announcement_id)


def shows_looking(announcement: Announcement, full: bool) -> bool:
    """Looking for a partner, as every place shows it: asked for partners, and has a free slot (not `full`)."""
    return announcement.active and announcement.looking_for_partner and not full


def pair_view(announcement: Announcement, *, full: bool = False) -> discord.ui.View | None:
    if not shows_looking(announcement, full):
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PairButton(announcement.id))
    return view


# --- rendering ---------------------------------------------------------------------------------


def project_line(project: CatalogProject | None, a: Announcement) -> str:
    variant = project.variant(a.track) if project else ""
    label = user_text(projects.project_label(project, a))
    return f"{label} · {TRACK_NAMES[a.track]}" + (
        f" ({variant})" if variant and not (project and project.is_custom) else ""
    )


def announcement_embed(a: Announcement, project: CatalogProject | None, *, full: bool = False) -> discord.Embed:
    """The post; `full`: the learner's pairs fill every partner slot they asked for (no longer looking)."""
    withdrawn = not a.active
    title = f"~~{clip(user_text(a.title), 200)}~~ (withdrawn)" if withdrawn else user_text(a.title)
    colour = DANGER if withdrawn else (WARNING if a.late else SUCCESS)
    description = f"**By** <@{a.user_id}>\n\n{user_text(a.summary)}"
    if withdrawn:
        description = f"**By** <@{a.user_id}>\n\n~~{clip(user_text(a.summary), 3000)}~~"
    embed = nexus_embed(title, description, colour)
    embed.add_field(name="Project", value=clip(project_line(project, a), EMBED_FIELD_VALUE_MAX), inline=False)
    if a.stack:
        embed.add_field(name="Stack", value=clip(user_text(", ".join(a.stack)), EMBED_FIELD_VALUE_MAX), inline=False)
    if a.repo:
        embed.add_field(name="Repository", value=clip(plain_link(a.repo), EMBED_FIELD_VALUE_MAX), inline=False)
    if a.timezone:
        embed.add_field(name="Time zone", value=a.timezone)
    partner = "Yes — press **Pair with me**" if shows_looking(a, full) else "No"
    if full and a.looking_for_partner and not withdrawn:
        partner = "No — paired (all partner slots taken)"
    embed.add_field(name="Looking for a partner", value=partner)
    notes = []
    if a.late:
        notes.append("Posted after the first week")
    if a.left_guild_at:
        notes.append("Author has left the server")
    if notes:
        embed.add_field(name="Note", value=" · ".join(notes), inline=False)
    embed.set_footer(text=clip(f"{a.display_name} · announcement #{a.id}", 200))
    embed.timestamp = a.created_at
    return embed


def list_line(n: int, a: Announcement, project: CatalogProject | None, guild_id: int, full: bool = False) -> str:
    link = projects.message_link(guild_id, a.channel_id, a.message_id)
    # The title is the text of a link to the post: a "]" in it would close that link early.
    title = clip(user_text(a.title.replace("[", "(").replace("]", ")")), 80)
    looking = " · 🤝 looking" if shows_looking(a, full) else ""
    late = " · late" if a.late else ""
    left = " · left the server" if a.left_guild_at else ""
    shown = f"[{title}]({link})" if link else title
    return f"**{n}.** <@{a.user_id}> — **{clip(project_line(project, a), 120)}** — {shown}{looking}{late}{left}"


@dataclass
class ListQuery:
    guild_id: int
    cohort_start: date
    flt: ListFilter
    description: str


class AnnouncementListView(OwnedView):
    """Previous/Next pages of /project list. The member who ran the command turns the pages in place;
    on a shared list anyone else who presses gets their own ephemeral copy at the page they asked for."""

    def __init__(self, cog: ProjectsCog, owner_id: int, query: ListQuery, total: int, *, shared: bool = False) -> None:
        super().__init__(owner_id, timeout=600)
        self.cog = cog
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
        view = AnnouncementListView(self.cog, interaction.user.id, self.query, self.total)
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
        q = self.query
        self.total = await self.cog.store.count(q.guild_id, q.cohort_start, q.flt)
        self.page = min(self.page, self.pages - 1)
        rows = await self.cog.store.page(
            q.guild_id, q.cohort_start, q.flt, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE
        )
        catalog = await self.cog.catalog_by_key()
        full = await self.cog.store.partners_full(q.guild_id, (a.user_id for a in rows))
        lines = [
            list_line(self.page * PAGE_SIZE + i + 1, a, catalog.get(a.project_key), q.guild_id, a.user_id in full)
            for i, a in enumerate(rows)
        ]
        embed = nexus_embed(
            f"Announcements — {q.description}",
            "\n".join(lines) or "Nobody matches yet. Be the first: `/project announce`.",
        )
        embed.set_footer(text=f"Page {self.page + 1} of {self.pages} · {self.total} announcement(s)")
        self._sync_buttons()
        return embed

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.page = max(0, self.page - 1)
        await interaction.response.edit_message(embed=await self.render(), view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        await interaction.response.edit_message(embed=await self.render(), view=self)


# --- the cog -----------------------------------------------------------------------------------


async def acknowledge(interaction: discord.Interaction[Any]) -> bool:
    """Defer ephemerally; False if Discord already expired the interaction (10062).

    An expired interaction can't be answered at all: replying with an error would only add failing
    requests and tracebacks while the bot is already behind, so nothing is stored and nothing is sent.
    """
    try:
        async with interaction.client.ack_gate.acking():
            await interaction.response.defer(ephemeral=True, thinking=True)
    except discord.NotFound:
        log.warning("Interaction %s expired before I could acknowledge it (bot overloaded?)", interaction.id)
        return False
    # In a burst, acknowledge everyone before doing anyone's slower work.
    await interaction.client.ack_gate.idle()
    return True


def learner_role_ids(guild: discord.Guild, settings: GuildSettings) -> dict[str, int]:
    """Track → role id, from /nexus setup or, failing that, roles named Backend/Frontend."""
    out: dict[str, int] = {}
    for track, configured in (("backend", settings.backend_role_id), ("frontend", settings.frontend_role_id)):
        role = guild.get_role(configured) if configured else discord.utils.get(guild.roles, name=TRACK_NAMES[track])
        if role is not None:
            out[track] = role.id
    return out


def member_tracks(member: discord.Member, roles: dict[str, int]) -> list[str]:
    held = {r.id for r in member.roles}
    return [track for track, role_id in roles.items() if role_id in held]


def learners(guild: discord.Guild, settings: GuildSettings) -> dict[int, discord.Member]:
    """Members holding the Backend or Frontend role (bots excluded)."""
    role_ids = set(learner_role_ids(guild, settings).values())
    return {m.id: m for m in guild.members if not m.bot and any(r.id in role_ids for r in m.roles)}


class ProjectsCog(
    commands.GroupCog,
    name="Projects",
    group_name="project",
    group_description="Announce your capstone project and find a partner on the other track",
):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.store = AnnouncementStore(bot.db)
        self.catalog = CatalogStore(bot.db)
        self.first_week = FirstWeekStore(bot.db)
        self._settings: list[GuildSettings] = []
        self._settings_read_at = 0.0
        self._planned_digests: set[tuple[Any, ...]] = set()
        self._planned_reminders: set[tuple[int, date, str]] = set()
        self._recovered = False
        # Announcements this process wrote and is still posting: recovery and retries leave them alone.
        self._posting: set[int] = set()
        self._catalog: list[CatalogProject] | None = None
        self._guild_cache: dict[int, tuple[float, GuildSettings]] = {}
        self._catalog_read_at = 0.0
        # Work after the acknowledgement waits its turn, so a burst of announcements is acknowledged first.
        self._post_slots = asyncio.Semaphore(POST_CONCURRENCY)
        # One render of a post at a time, so the last edit shows the latest pairing state.
        self._post_locks: dict[int, asyncio.Lock] = {}
        # Posts a round's pairs changed are edited a few at a time (edits are rate limited per channel),
        # apart from `_post_slots`, so new announcements never queue behind them.
        self._refresh_slots = asyncio.Semaphore(REFRESH_CONCURRENCY)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PairButton)
        self.bot.scheduler.register(DIGEST_JOB, self.run_digest)
        self.bot.scheduler.register(REMINDER_JOB, self.run_reminder)
        self.bot.scheduler.add_ticker(self.plan_first_week)

    # --- shared helpers -------------------------------------------------------------------

    async def full_catalog(self) -> list[CatalogProject]:
        """Every catalog entry, removed ones included; cached because each announce needs it."""
        if self._catalog is None or time.monotonic() - self._catalog_read_at > CATALOG_REFRESH_SECONDS:
            self._catalog = await self.catalog.list(include_inactive=True)
            self._catalog_read_at = time.monotonic()
        return self._catalog

    async def active_catalog(self) -> list[CatalogProject]:
        return [p for p in await self.full_catalog() if p.active]

    async def catalog_by_key(self) -> dict[str, CatalogProject]:
        return {p.key: p for p in await self.full_catalog()}

    async def settings_for(self, guild: discord.Guild) -> GuildSettings:
        cached = self._guild_cache.get(guild.id)
        if cached is not None and time.monotonic() - cached[0] < SETTINGS_REFRESH_SECONDS:
            settings: GuildSettings | None = cached[1]
        else:
            settings = await self.bot.services.cohort.settings(guild.id)
            if settings is not None:
                self._guild_cache[guild.id] = (time.monotonic(), settings)
        if settings is None or settings.channel_id is None or settings.cohort_start is None:
            raise NotConfigured(NOT_SET_UP)
        return settings

    def project_channel(self, guild: discord.Guild, settings: GuildSettings) -> discord.TextChannel:
        channel = configured_channel(guild, settings)
        perms = channel.permissions_for(guild.me)
        missing = [label for name, label in POST_PERMISSIONS.items() if not getattr(perms, name)]
        if missing:
            raise BotMissingPermissions(
                f"I can't post in {channel.mention}: I need the {', '.join(missing)} permission there. "
                "Ask staff to grant it to my role, then try again."
            )
        return channel

    @staticmethod
    def week(settings: GuildSettings) -> first_week.FirstWeek:
        assert settings.cohort_start is not None
        return first_week.FirstWeek(settings.cohort_start, settings.first_week_days)

    async def is_full(self, announcement: Announcement) -> bool:
        return bool(await self.store.partners_full(announcement.guild_id, (announcement.user_id,)))

    async def post(
        self, channel: discord.TextChannel, announcement: Announcement, project: CatalogProject | None
    ) -> discord.Message:
        full = await self.is_full(announcement)
        if full and announcement.looking_for_partner:
            await self.store.set_post_looking(announcement.id, False)
        view = pair_view(announcement, full=full)
        embed = announcement_embed(announcement, project, full=full)
        if view is None:
            return await channel.send(embed=embed)
        return await channel.send(embed=embed, view=view)

    async def finish_unposted(
        self, guild: discord.Guild, settings: GuildSettings, announcement: Announcement
    ) -> Announcement:
        """Post an announcement whose post was never recorded, unless the post exists already.

        The bot may have stopped after posting but before recording the message id: look for the post
        (its footer names the announcement) in the channel's recent history before posting again.
        """
        channel = self.project_channel(guild, settings)
        message_id = (await self.posted_in(channel, limit=100)).get(announcement.id)
        if message_id is not None:
            await self.store.set_message(announcement.id, channel.id, message_id)
            return dataclasses.replace(announcement, channel_id=channel.id, message_id=message_id)
        return await self.refresh_post(guild, settings, announcement)

    @staticmethod
    def jump_url(announcement: Announcement) -> str:
        return (
            f"https://discord.com/channels/{announcement.guild_id}/{announcement.channel_id}/{announcement.message_id}"
        )

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Announcements cut short by a stop between their write and their post are completed once.
        if self._recovered:
            return
        self._recovered = True
        unposted = [a for a in await self.store.unposted() if a.id not in self._posting]
        by_guild: dict[int, list[Announcement]] = {}
        for announcement in unposted:
            by_guild.setdefault(announcement.guild_id, []).append(announcement)
        for guild_id, announcements in by_guild.items():
            guild = self.bot.get_guild(guild_id)
            settings = await self.bot.services.cohort.settings(guild_id)
            if guild is None or settings is None or settings.channel_id is None:
                continue
            try:
                await self.recover_posts(guild, settings, announcements)
            except (discord.HTTPException, UserError) as exc:
                log.warning("Could not complete %d cut-short announcement(s): %s", len(announcements), exc)
        # Posts a stop left showing the wrong looking state (pairs made or ended just before it).
        fixed = await self.refresh_looking()
        if fixed:
            log.info("Updated %d post(s) whose looking state was stale", fixed)

    async def recover_posts(
        self, guild: discord.Guild, settings: GuildSettings, announcements: list[Announcement]
    ) -> None:
        """Record posts that exist (found once in the channel's recent history), post the missing ones."""
        channel = self.project_channel(guild, settings)
        found = await self.posted_in(channel, limit=200)
        for announcement in announcements:
            message_id = found.get(announcement.id)
            if message_id is not None:
                await self.store.set_message(announcement.id, channel.id, message_id)
            else:
                await self.refresh_post(guild, settings, announcement)
            log.info("Completed announcement %s, whose post was cut short", announcement.id)

    async def posted_in(self, channel: discord.TextChannel, limit: int) -> dict[int, int]:
        """Announcement id → message id of the bot's announcement posts among the channel's last messages."""
        found: dict[int, int] = {}
        async for message in channel.history(limit=limit):
            if self.bot.user is None or message.author.id != self.bot.user.id:
                continue
            for embed in message.embeds:
                marker = (embed.footer.text or "").rpartition("announcement #")[2]
                if marker.isdigit():
                    found.setdefault(int(marker), message.id)
        return found

    async def refresh_post(
        self, guild: discord.Guild, settings: GuildSettings | None, announcement: Announcement
    ) -> Announcement:
        """Edit the posted message in place; if it was deleted (or never posted), post it again."""
        lock = self._post_locks.setdefault(announcement.id, asyncio.Lock())
        async with lock:
            return await self._refresh_post(guild, settings, announcement)

    async def _refresh_post(
        self, guild: discord.Guild, settings: GuildSettings | None, announcement: Announcement
    ) -> Announcement:
        project = (await self.catalog_by_key()).get(announcement.project_key)
        full = await self.is_full(announcement)
        embed = announcement_embed(announcement, project, full=full)
        view = pair_view(announcement, full=full)
        if announcement.channel_id and announcement.message_id:
            channel = guild.get_channel(announcement.channel_id)
            if isinstance(channel, discord.TextChannel):
                try:
                    await channel.get_partial_message(announcement.message_id).edit(embed=embed, view=view)
                    await self.store.set_post_looking(announcement.id, shows_looking(announcement, full))
                    return announcement
                except discord.NotFound:
                    log.info("Announcement %s: its post was deleted; posting it again", announcement.id)
        if settings is None or not announcement.active:
            return announcement
        channel = self.project_channel(guild, settings)
        message = await self.post(channel, announcement, project)
        await self.store.set_message(announcement.id, channel.id, message.id)
        await self.store.set_post_looking(announcement.id, shows_looking(announcement, full))
        return dataclasses.replace(announcement, channel_id=channel.id, message_id=message.id)

    # --- autocomplete -----------------------------------------------------------------------

    async def project_autocomplete(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        found = projects.project_choices(current, await self.active_catalog())
        return [app_commands.Choice(name=clip(p.name, 100), value=p.key) for p in found]

    # --- /project announce ------------------------------------------------------------------

    @app_commands.command(name="announce", description="Announce the capstone project you are building")
    @app_commands.describe(
        project="Which capstone project (choose Other for your own idea)",
        track="Your track (default: from your Backend/Frontend role)",
        title="Your project's name, up to 100 characters",
        summary="What you are building, up to 500 characters",
        stack="Technologies, comma-separated (e.g. Django, PostgreSQL, Docker)",
        repo="Repository link, http(s)://…",
        timezone="Your time zone: Africa/Lagos, UTC+1 or WAT",
        looking_for_partner="Show a Pair with me button on your post (default: yes)",
    )
    @app_commands.autocomplete(project=project_autocomplete, timezone=timezone_autocomplete)
    @app_commands.guild_only()
    async def announce(
        self,
        interaction: discord.Interaction[NexusBot],
        project: app_commands.Range[str, 1, 100],
        title: app_commands.Range[str, 1, 100],
        summary: app_commands.Range[str, 1, 500],
        track: Track | None = None,
        stack: app_commands.Range[str, 0, 600] | None = None,
        repo: app_commands.Range[str, 0, 200] | None = None,
        timezone: app_commands.Range[str, 0, 64] | None = None,
        looking_for_partner: bool = True,
    ) -> None:
        """Post your announcement to the project channel, with a Pair with me button."""
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        # Pure checks first: bad input is answered at once, before any waiting.
        clean_title = projects.validate_title(title)
        clean_summary = projects.validate_summary(summary)
        clean_stack = projects.parse_stack(stack)
        clean_repo = projects.validate_repo(repo)
        zone_choice = resolve_timezone(timezone, self.bot.clock.now()) if timezone and timezone.strip() else None
        zone = zone_choice.key if zone_choice else None
        zone_note = f" {zone_choice.note}" if zone_choice and zone_choice.note else ""
        # Acknowledge now: the database write and the post can take longer than Discord's 3 s in a rush.
        if not await acknowledge(interaction):
            return
        async with self._post_slots:
            guild, member = interaction.guild, interaction.user
            settings = await self.settings_for(guild)
            channel = self.project_channel(guild, settings)
            chosen = projects.resolve_project(project, await self.active_catalog())
            chosen_track = projects.default_track(track, member_tracks(member, learner_role_ids(guild, settings)))
            assert settings.cohort_start is not None
            now = self.bot.clock.now()
            # The database's unique index decides (no read first): one query less per announcement in a rush.
            created = await self.store.create(
                NewAnnouncement(
                    guild_id=guild.id,
                    user_id=member.id,
                    cohort_start=settings.cohort_start,
                    project_key=chosen.key,
                    track=chosen_track,
                    title=clean_title,
                    summary=clean_summary,
                    stack=clean_stack,
                    repo=clean_repo,
                    timezone=zone,
                    looking_for_partner=looking_for_partner,
                    display_name=member.display_name,
                    late=self.week(settings).is_late(now),
                ),
                now,
            )
            if created is None:
                again = await self.store.active_for(guild.id, settings.cohort_start, member.id)
                if again is None:
                    raise Conflict("You already announced; use /project edit.")
                if again.message_id is not None or again.id in self._posting:
                    raise self.already_announced(again)
                # The learner's earlier try was cut short before its post: this retry finishes it.
                finished = await self.finish_unposted(guild, settings, again)
                await interaction.edit_original_response(
                    content=f"Announced **{clip(user_text(finished.title), 200)}**: {self.jump_url(finished)}. "
                    "Change it with `/project edit`."
                )
                return
            self._posting.add(created.id)
            try:
                message = await self.post(channel, created, chosen)
            except discord.HTTPException:
                # No post, no record: the learner can simply try again once staff fix the channel.
                await self.store.delete(created.id)
                raise
            else:
                await self.store.set_message(created.id, channel.id, message.id)
            finally:
                self._posting.discard(created.id)
            late = " It's marked late: the first week is over, but announcing still counts." if created.late else ""
            partner = " Others can press **Pair with me** on it." if looking_for_partner else ""
            await interaction.edit_original_response(
                content=f"Announced **{clip(user_text(clean_title), 200)}** "
                f"({chosen.name}, {TRACK_NAMES[chosen_track]}): "
                f"{message.jump_url}.{partner}{late}{zone_note} Change it with `/project edit`."
            )

    @staticmethod
    def already_announced(existing: Announcement) -> Conflict:
        when = timestamp(existing.created_at.timestamp(), "D")
        return Conflict(
            f"You already announced **{clip(user_text(existing.title), 200)}** on {when}. One announcement per cohort: "
            "use `/project edit` to change it, or `/project withdraw` to start over."
        )

    # --- /project edit ----------------------------------------------------------------------

    @app_commands.command(name="edit", description="Change your announcement; the post is updated in place")
    @app_commands.describe(
        project="Which capstone project (choose Other for your own idea)",
        track="Your track",
        title="Your project's name, up to 100 characters",
        summary="What you are building, up to 500 characters",
        stack="Technologies, comma-separated; a single dash (-) clears it",
        repo="Repository link, http(s)://…; a single dash (-) clears it",
        timezone="Your time zone: Africa/Lagos, UTC+1 or WAT",
        looking_for_partner="Show a Pair with me button on your post",
    )
    @app_commands.autocomplete(project=project_autocomplete, timezone=timezone_autocomplete)
    @app_commands.guild_only()
    async def edit(
        self,
        interaction: discord.Interaction[NexusBot],
        project: app_commands.Range[str, 1, 100] | None = None,
        track: Track | None = None,
        title: app_commands.Range[str, 1, 100] | None = None,
        summary: app_commands.Range[str, 1, 500] | None = None,
        stack: app_commands.Range[str, 0, 600] | None = None,
        repo: app_commands.Range[str, 0, 200] | None = None,
        timezone: app_commands.Range[str, 0, 64] | None = None,
        looking_for_partner: bool | None = None,
    ) -> None:
        """Update your announcement and its post (re-posted if it was deleted)."""
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        values: dict[str, object] = {}
        if title is not None:
            values["title"] = projects.validate_title(title)
        if summary is not None:
            values["summary"] = projects.validate_summary(summary)
        if stack is not None:
            values["stack"] = () if stack.strip() == "-" else projects.parse_stack(stack)
        if repo is not None:
            values["repo"] = None if repo.strip() == "-" else projects.validate_repo(repo)
        zone_note = ""
        if timezone is not None:
            zone_choice = resolve_timezone(timezone, self.bot.clock.now()) if timezone.strip() else None
            values["timezone"] = zone_choice.key if zone_choice else None
            zone_note = f" {zone_choice.note}" if zone_choice and zone_choice.note else ""
        if track is not None:
            values["track"] = projects.normalize_track(track)
        if looking_for_partner is not None:
            values["looking_for_partner"] = looking_for_partner
        if project is None and not values:
            raise InvalidInput("Nothing to change: add at least one option, e.g. `/project edit summary:…`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild, member = interaction.guild, interaction.user
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        if project is not None:
            values["project_key"] = projects.resolve_project(project, await self.active_catalog()).key
        existing = await self.store.active_for(guild.id, settings.cohort_start, member.id)
        if existing is None:
            raise NotFound("You haven't announced a project this cohort: use `/project announce` first.")
        values["display_name"] = member.display_name
        updated = await self.store.update(existing.id, self.bot.clock.now(), **values)
        reposted_from = updated.message_id
        updated = await self.refresh_post(guild, settings, updated)
        link = projects.message_link(guild.id, updated.channel_id, updated.message_id)
        how = "re-posted (the old post was deleted)" if updated.message_id != reposted_from else "updated in place"
        await interaction.edit_original_response(content=f"Your announcement was {how}: {link}{zone_note}")

    # --- /project withdraw ------------------------------------------------------------------

    @app_commands.command(name="withdraw", description="Withdraw your announcement (staff keep a record)")
    @app_commands.guild_only()
    async def withdraw(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Withdraw your announcement: the post is struck through and its button removed."""
        assert interaction.guild is not None
        guild = interaction.guild
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        existing = await self.store.active_for(guild.id, settings.cohort_start, interaction.user.id)
        if existing is None:
            raise NotFound("You have no active announcement to withdraw; `/project announce` makes one.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        withdrawn = await self.store.withdraw(existing.id, self.bot.clock.now())
        if withdrawn is None:
            raise NotFound("Your announcement was already withdrawn; `/project announce` makes a new one.")
        try:
            await self.refresh_post(guild, None, withdrawn)
        except discord.HTTPException:
            log.warning("Could not strike the post of withdrawn announcement %s", existing.id)
        await interaction.edit_original_response(
            content="Withdrawn. Your post is struck through; announce again any time with `/project announce`."
        )

    # --- /project show ----------------------------------------------------------------------

    @app_commands.command(name="show", description="Show a learner's announcement (default: yours)")
    @app_commands.describe(member="Whose announcement to show (default: yours)")
    @app_commands.guild_only()
    async def show(self, interaction: discord.Interaction[NexusBot], member: discord.User | None = None) -> None:
        """Show the announcement of a learner, or your own."""
        assert interaction.guild is not None
        settings = await self.settings_for(interaction.guild)
        assert settings.cohort_start is not None
        target = member or interaction.user
        found = await self.store.active_for(interaction.guild.id, settings.cohort_start, target.id)
        if found is None:
            if target.id == interaction.user.id:
                raise NotFound("You haven't announced a project yet: use `/project announce`.")
            raise NotFound(f"{user_text(target.display_name)} hasn't announced a project this cohort.")
        project = (await self.catalog_by_key()).get(found.project_key)
        embed = announcement_embed(found, project, full=await self.is_full(found))
        link = projects.message_link(interaction.guild.id, found.channel_id, found.message_id)
        await interaction.response.send_message(content=f"Post: {link}" if link else None, embed=embed, ephemeral=True)

    # --- /project list ----------------------------------------------------------------------

    @app_commands.command(name="list", description="Browse announcements, 10 per page")
    @app_commands.describe(
        project="Only this project",
        track="Only this track",
        looking_for_partner="Only learners still looking (True) or paired/not looking (False)",
        share="Post the list in the channel for everyone (default: only you see it)",
    )
    @app_commands.autocomplete(project=project_autocomplete)
    @app_commands.guild_only()
    async def list_(
        self,
        interaction: discord.Interaction[NexusBot],
        project: app_commands.Range[str, 1, 100] | None = None,
        track: Track | None = None,
        looking_for_partner: bool | None = None,
        share: bool = False,
    ) -> None:
        """List announcements with Previous/Next pages; only you see them unless you share them."""
        assert interaction.guild is not None
        settings = await self.settings_for(interaction.guild)
        assert settings.cohort_start is not None
        chosen = projects.resolve_project(project, await self.full_catalog()) if project else None
        flt = ListFilter(chosen.key if chosen else None, track, looking_for_partner)
        parts = [chosen.name if chosen else "all projects"]
        if track:
            parts.append(TRACK_NAMES[track])
        if looking_for_partner is not None:
            parts.append("looking for a partner" if looking_for_partner else "not looking")
        query = ListQuery(interaction.guild.id, settings.cohort_start, flt, ", ".join(parts))
        view = AnnouncementListView(self, interaction.user.id, query, 0, shared=share)
        embed = await view.render()
        await interaction.response.send_message(embed=embed, view=view, ephemeral=not share)
        view.message = await interaction.original_response()

    # --- /project board ---------------------------------------------------------------------

    @app_commands.command(name="board", description="Projects × tracks, who is looking, first-week progress")
    @app_commands.describe(share="Post the board in the channel for everyone (default: only you see it)")
    @app_commands.guild_only()
    async def board(self, interaction: discord.Interaction[NexusBot], share: bool = False) -> None:
        """The live roster: counts per project and track, learners looking for a partner, progress."""
        assert interaction.guild is not None
        guild = interaction.guild
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        now = self.bot.clock.now()
        week = self.week(settings)
        embed = nexus_embed("Project board", await self.board_text(guild, settings, now))
        looking = await self.store.looking(guild.id, settings.cohort_start, limit=200)
        total_looking = await self.store.count(guild.id, settings.cohort_start, ListFilter(looking_for_partner=True))
        catalog = await self.catalog_by_key()
        by_group: dict[tuple[str, str], list[str]] = {}
        for a in looking:
            by_group.setdefault((a.project_key, a.track), []).append(f"<@{a.user_id}>")
        if by_group:
            embed.add_field(
                name=f"Still looking for a partner ({total_looking})",
                value="See them all with `/project list looking_for_partner:True`.",
                inline=False,
            )
            for (key, track), mentions in sorted(
                by_group.items(), key=lambda kv: (catalog[kv[0][0]].position if kv[0][0] in catalog else 0, kv[0])
            )[:20]:
                name = catalog[key].name if key in catalog else key
                embed.add_field(
                    name=clip(f"{name} · {TRACK_NAMES[track]}", 256),
                    value=first_week.name_list(mentions, 1000),
                    inline=False,
                )
        else:
            embed.add_field(name="Still looking for a partner", value="Nobody right now.", inline=False)
        start, end = timestamp(week.start_at.timestamp(), "D"), timestamp(week.end_at.timestamp(), "R")
        embed.set_footer(text=f"Cohort {settings.cohort_start.isoformat()}")
        embed.add_field(name="First week", value=f"From {start}; ends {end}", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=not share)

    async def board_text(self, guild: discord.Guild, settings: GuildSettings, now: datetime) -> str:
        assert settings.cohort_start is not None
        catalog = await self.active_catalog()
        counts = {(c.project_key, c.track): c.count for c in await self.store.counts(guild.id, settings.cohort_start)}
        names = {p.key: p.name for p in await self.full_catalog()}
        listed = [(p.key, p.name) for p in catalog] + [
            (k, names.get(k, k)) for k in sorted({k for k, _ in counts} - {p.key for p in catalog})
        ]
        progress = await self.progress(guild, settings, now)
        table = first_week.count_table(listed, counts)
        return f"{progress}\n```\n{clip(table, 3800)}\n```"

    async def progress(self, guild: discord.Guild, settings: GuildSettings, now: datetime) -> str:
        assert settings.cohort_start is not None
        week = self.week(settings)
        roster = learners(guild, settings)
        announced = await self.store.announced_user_ids(guild.id, settings.cohort_start)
        return first_week.progress_line(
            len(announced & roster.keys()), len(roster), week.days_left(now), over=week.is_over(now)
        )

    # --- /project reminders -----------------------------------------------------------------

    @app_commands.command(name="reminders", description="Turn first-week reminder DMs on or off")
    @app_commands.describe(state="on: remind me if I haven't announced; off: never DM me reminders")
    @app_commands.guild_only()
    async def reminders(self, interaction: discord.Interaction[NexusBot], state: OnOff) -> None:
        """Opt in or out of the day-3 and last-day reminder DMs."""
        assert interaction.guild is not None
        await self.first_week.set_reminders(
            interaction.guild.id, interaction.user.id, state == "on", self.bot.clock.now()
        )
        text = (
            "Reminders are on: if you haven't announced, I'll DM you on day 3 and on the last day."
            if state == "on"
            else "Reminders are off: I won't DM you about announcing. `/project reminders on` turns them back on."
        )
        await interaction.response.send_message(text, ephemeral=True)

    # --- Pair with me -----------------------------------------------------------------------

    async def pair_pressed(self, interaction: discord.Interaction[Any], announcement_id: int) -> None:
        announcement = await self.store.get(announcement_id)
        if announcement is None or not announcement.active:
            raise NotFound("This announcement was withdrawn; browse current ones with `/project list`.")
        if announcement.user_id == interaction.user.id:
            raise InvalidInput("That's your own announcement: others press this button to pair with you.")
        if not announcement.looking_for_partner:
            raise Conflict(
                "They are no longer looking for a partner; `/project list looking_for_partner:True` shows who is."
            )
        matching = self.bot.get_cog("Matching")
        handler = getattr(matching, "request_from_announcement", None) if matching is not None else None
        if handler is not None:
            # Partner matching owns pairing once it is loaded; until then interest is recorded here.
            await handler(interaction, announcement)
            return
        await self.record_interest(interaction, announcement)

    async def record_interest(self, interaction: discord.Interaction[Any], announcement: Announcement) -> None:
        now = self.bot.clock.now()
        await interaction.response.defer(ephemeral=True, thinking=True)
        name = user_text(announcement.display_name or "the announcer")
        if not await self.store.add_interest(announcement.id, interaction.user.id, now):
            await interaction.edit_original_response(
                content=f"You already told {name} you'd like to pair; give them a little time to reply."
            )
            return
        guild = interaction.guild
        announcer = guild.get_member(announcement.user_id) if guild else None
        told = False
        if announcer is not None:
            link = projects.message_link(announcement.guild_id, announcement.channel_id, announcement.message_id)
            presser = interaction.user
            try:
                await announcer.send(
                    f"🤝 {presser.mention} ({user_text(presser.display_name)}) would like to pair "
                    f"with you on **{clip(user_text(announcement.title), 200)}** ({link}). "
                    "Reply to them to get started."
                )
                told = True
            except discord.HTTPException:
                log.info("Could not DM announcer %s about partner interest", announcement.user_id)
        if told:
            text = (
                f"I told {name} you'd like to pair. They'll reach out; you can also message <@{announcement.user_id}>."
            )
        else:
            text = (
                f"I recorded your interest, but couldn't DM {name} (closed DMs or they left). "
                f"Try mentioning <@{announcement.user_id}> in the project channel."
            )
        await interaction.edit_original_response(content=text)

    # --- members leaving ----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        marked = await self.store.mark_left(payload.guild_id, payload.user.id, self.bot.clock.now())
        if marked:
            log.info("Member %s left guild %s: %d announcement(s) marked", payload.user.id, payload.guild_id, marked)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self.store.mark_returned(member.guild.id, member.id)

    # --- pairing changes what a post shows -----------------------------------------------------

    @commands.Cog.listener()
    async def on_nexus_pairing_changed(self, guild_id: int, user_ids: tuple[int, ...]) -> None:
        """Pairs were made or ended (or capacity changed): posts follow whether each learner is still looking."""
        await self.refresh_looking(guild_id, user_ids)

    async def refresh_looking(self, guild_id: int | None = None, user_ids: Iterable[int] | None = None) -> int:
        """Edit every post whose looking state no longer matches capacity (all guilds if none given)."""
        stale = await self.store.stale_looking_posts(guild_id, user_ids)

        async def one(announcement: Announcement) -> bool:
            guild = self.bot.get_guild(announcement.guild_id)
            if guild is None:
                return False
            async with self._refresh_slots:
                try:
                    await self.refresh_post(guild, None, announcement)
                    return True
                except (discord.HTTPException, UserError) as exc:
                    log.warning("Announcement %s: could not update its looking state: %s", announcement.id, exc)
                    return False

        return sum(await asyncio.gather(*(one(a) for a in stale)))

    @commands.Cog.listener()
    async def on_nexus_announcement_changed(self, guild_id: int, announcement_id: int) -> None:
        """Another feature changed an announcement (onboarding's track move): its post follows in place."""
        guild = self.bot.get_guild(guild_id)
        announcement = await self.store.get(announcement_id)
        if guild is None or announcement is None:
            return
        try:
            await self.refresh_post(guild, None, announcement)
        except (discord.HTTPException, UserError) as exc:
            log.warning("Announcement %s changed but its post wasn't edited: %s", announcement_id, exc)

    @commands.Cog.listener()
    async def on_nexus_catalog_changed(self) -> None:
        self._catalog = None

    @commands.Cog.listener()
    async def on_nexus_settings_changed(self, settings: GuildSettings) -> None:
        # Plan at once (a digest due later today must not wait for a tick), and re-read settings next tick.
        self._settings_read_at = 0.0
        self._guild_cache.pop(settings.guild_id, None)
        await self.plan_digests(settings, self.bot.clock.now())

    # --- first-week scheduling ----------------------------------------------------------------

    async def plan_first_week(self, now: datetime) -> None:
        """Scheduler ticker: make sure each day's digest and the due reminders are in the jobs table."""
        if time.monotonic() - self._settings_read_at > SETTINGS_REFRESH_SECONDS:
            self._settings = await self.bot.services.cohort.all()
            self._settings_read_at = time.monotonic()
        for settings in self._settings:
            if settings.channel_id is None or settings.cohort_start is None:
                continue
            week = self.week(settings)
            await self.plan_digests(settings, now)
            kind = week.due_reminder(now, settings.digest_hour)
            if kind is not None and (settings.guild_id, settings.cohort_start, kind) not in self._planned_reminders:
                await self.plan_reminders(settings, kind, now)
                self._planned_reminders.add((settings.guild_id, settings.cohort_start, kind))

    async def plan_digests(self, settings: GuildSettings, now: datetime) -> None:
        """One digest job per day of the first week; dedupe keys make re-planning a no-op."""
        if settings.channel_id is None or settings.cohort_start is None:
            return
        signature = (settings.guild_id, settings.cohort_start, settings.first_week_days, settings.digest_hour)
        if signature in self._planned_digests:
            return
        self._planned_digests.add(signature)
        for day, due_at in self.week(settings).digest_times(settings.digest_hour):
            # Only future digests: setting up mid-week doesn't flood the channel with past days.
            if due_at > now:
                await self.bot.scheduler.schedule(
                    DIGEST_JOB,
                    due_at,
                    {
                        "guild_id": settings.guild_id,
                        "day": day.isoformat(),
                        "hour": settings.digest_hour,
                        "cohort_start": settings.cohort_start.isoformat(),
                    },
                    dedupe_key=f"digest:{settings.guild_id}:{day.isoformat()}:{settings.digest_hour:02d}",
                )

    async def plan_reminders(self, settings: GuildSettings, kind: str, now: datetime) -> None:
        """One job per learner who hasn't announced; dedupe keys make re-planning after a restart a no-op."""
        guild = self.bot.get_guild(settings.guild_id)
        if guild is None or settings.cohort_start is None:
            return
        cohort = settings.cohort_start
        announced = await self.store.announced_user_ids(guild.id, cohort)
        skip = (
            announced
            | await self.first_week.opted_out(guild.id)
            | await self.first_week.failed_dm_users(guild.id, cohort)
        )
        pending = sorted(uid for uid in learners(guild, settings) if uid not in skip)
        for uid in pending:
            await self.bot.scheduler.schedule(
                REMINDER_JOB,
                now,
                {"guild_id": guild.id, "user_id": uid, "cohort_start": cohort.isoformat(), "kind": kind},
                dedupe_key=f"remind:{guild.id}:{cohort.isoformat()}:{kind}:{uid}",
            )
        log.info("Planned %d %s reminder(s) in guild %s", len(pending), kind, guild.id)

    async def run_digest(self, job: Job) -> None:
        p = job.payload
        guild = self.bot.get_guild(int(p["guild_id"]))
        settings = await self.bot.services.cohort.settings(int(p["guild_id"]))
        if guild is None or settings is None or settings.cohort_start is None or settings.channel_id is None:
            return
        day = date.fromisoformat(p["day"])
        now = self.bot.clock.now()
        week = self.week(settings)
        stale_config = settings.cohort_start.isoformat() != p["cohort_start"] or settings.digest_hour != p["hour"]
        if stale_config or not week.start <= day <= week.last_day:
            log.info("Digest %s skipped: settings changed since it was planned", job.dedupe_key)
            return
        if week.stale_digest(day, job.due_at, now):
            log.info("Digest %s skipped: the next day's digest covers it", job.dedupe_key)
            return
        channel = self.project_channel(guild, settings)
        previous = await self.first_week.previous_digest_at(guild.id, settings.cohort_start, day)
        if not await self.first_week.claim_digest(guild.id, day, settings.cohort_start, now):
            return
        embed = await self.digest_embed(guild, settings, previous, now)
        message = await channel.send(embed=embed)
        await self.first_week.set_digest_message(guild.id, day, message.id)

    async def digest_embed(
        self, guild: discord.Guild, settings: GuildSettings, previous: datetime | None, now: datetime
    ) -> discord.Embed:
        assert settings.cohort_start is not None
        week = self.week(settings)
        catalog = await self.catalog_by_key()
        new = await self.store.created_between(guild.id, settings.cohort_start, previous or week.start_at, now)
        entries = [
            f"<@{a.user_id}> ({catalog[a.project_key].name if a.project_key in catalog else a.project_key}, "
            f"{TRACK_NAMES[a.track]})"
            for a in new
        ]
        counts = {(c.project_key, c.track): c.count for c in await self.store.counts(guild.id, settings.cohort_start)}
        roster = learners(guild, settings)
        announced = await self.store.announced_user_ids(guild.id, settings.cohort_start)
        active = [(p.key, p.name) for p in catalog.values() if p.active]
        content = first_week.build_digest(
            week, now, entries, active, counts, len(announced & roster.keys()), len(roster)
        )
        embed = nexus_embed(content.title, content.progress)
        embed.add_field(name=content.new_heading, value=clip(content.new_text, EMBED_FIELD_VALUE_MAX), inline=False)
        embed.add_field(
            name="Totals per project and track",
            value=clip(f"```\n{content.table}\n```", EMBED_FIELD_VALUE_MAX)
            if len(content.table) < 1000
            else "See `/project board`.",
            inline=False,
        )
        # Collaboration (issue 6): questions nobody has solved after a day.
        stale = await QuestionStore(self.bot.db).unanswered_since(guild.id, now - timedelta(hours=24))
        if stale:
            lines = [f"<#{q.thread_id}> (asked <t:{int(q.created_at.timestamp())}:R>)" for q in stale[:5]]
            more = f"\n…and {len(stale) - 5} more" if len(stale) > 5 else ""
            embed.add_field(
                name=f"Unanswered questions ({len(stale)})",
                value=clip("\n".join(lines) + more, EMBED_FIELD_VALUE_MAX),
                inline=False,
            )
        embed.add_field(
            name="Not announced yet?",
            value="`/project announce` takes a minute; `/project board` shows who is looking for a partner.",
            inline=False,
        )
        return embed

    async def run_reminder(self, job: Job) -> None:
        p = job.payload
        guild_id, user_id, kind = int(p["guild_id"]), int(p["user_id"]), str(p["kind"])
        cohort = date.fromisoformat(p["cohort_start"])
        now = self.bot.clock.now()
        settings = await self.bot.services.cohort.settings(guild_id)
        guild = self.bot.get_guild(guild_id)
        if guild is None or settings is None or settings.cohort_start != cohort:
            return
        week = self.week(settings)
        member = guild.get_member(user_id)
        if not week.is_active(now) or member is None or user_id not in learners(guild, settings):
            return
        if await self.store.active_for(guild_id, cohort, user_id) is not None:
            return
        if not await self.first_week.reminders_enabled(guild_id, user_id):
            return
        if not await self.first_week.claim_reminder(guild_id, user_id, cohort, kind, now):
            return
        channel = guild.get_channel(settings.channel_id or 0)
        where = channel.mention if channel is not None else "the project channel"
        left = first_week.days_left_text(week.days_left(now))
        text = (
            f"Hi {user_text(member.display_name)}! It's day {week.day_number(now)} of the "
            f"Project Nexus first week in **{user_text(guild.name)}** ({left}) and you haven't "
            f"announced your project yet. Run `/project announce` in {where} so learners on the other track can "
            "find you. (Don't want these? `/project reminders off`.)"
        )
        try:
            await member.send(text)
        except discord.HTTPException as exc:
            # Closed DMs are final for this cohort: recorded, never retried.
            await self.first_week.finish_reminder(
                guild_id, user_id, cohort, kind, "failed", now, f"{type(exc).__name__}: {exc}"
            )
            log.info("Reminder DM to %s failed (%s)", user_id, exc)
            return
        await self.first_week.finish_reminder(guild_id, user_id, cohort, kind, "sent", now)


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(ProjectsCog(bot))
