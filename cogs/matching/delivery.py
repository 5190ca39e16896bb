"""Delivery for /match: request DMs with a channel fallback, private pair threads, staff notes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import discord
from discord.ext import commands

from bot.app.ui import (
    EMBED_FIELD_VALUE_MAX,
    SUCCESS,
    clip,
    nexus_embed,
)
from bot.errors import BotMissingPermissions, NotConfigured, UserError
from bot.scheduler import nonce_for
from bot.services import pairing
from bot.services.matching import (
    ScoreBreakdown,
    score_pair,
)
from bot.services.matching.service import GuildSettings, MatchRequest, Pair, PairKind, Someone
from bot.services.matching.teams import Team, kind_section, team_section
from cogs.matching._base import (
    THREAD_NAME_MAX,
    THREAD_PERMISSIONS,
    esc,
    log,
)
from cogs.matching.components import (
    answer_view,
)
from cogs.matching.rendering import RenderingMixin


class DeliveryMixin(RenderingMixin):
    """Getting things onto Discord: request DMs (or the channel), pair threads, staff alerts."""

    async def plan_checkins(self, pair: Pair) -> None:
        raise NotImplementedError  # the health part of the cog (health.py)

    async def deliver_request(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        request: MatchRequest,
        me: Someone,
        them: Someone,
        target: discord.Member,
        now: datetime,
    ) -> discord.Message:
        """DM the addressee; if their DMs are closed, post in the project channel mentioning only them."""
        embed = self.request_embed(me, them, request, now)
        try:
            return await target.send(embed=embed, view=answer_view(request.id))
        except discord.HTTPException as exc:
            log.info("Request %s: DM to %s failed (%s); using the channel", request.id, target.id, exc)
        channel = guild.get_channel(settings.channel_id or 0)
        try:
            if not isinstance(channel, discord.TextChannel):
                raise NotConfigured("The project channel is gone; staff need to run `/nexus setup` again.")
            return await channel.send(
                content=f"{target.mention}, you have a partner request (your DMs are closed, so it's here):",
                embed=embed,
                view=answer_view(request.id),
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[target], replied_user=False
                ),
            )
        except (discord.HTTPException, NotConfigured):
            await self.service.undeliverable(request.id)
            raise BotMissingPermissions(
                f"I couldn't reach {esc(them.name)}: their DMs are closed and I can't post in the project channel. "
                "Ask staff to check my permissions there, or message them yourself."
            ) from None

    # --- pair threads -------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Pairs committed just before a stop get their thread now, once per start.
        if self._threads_recovered:
            return
        self._threads_recovered = True
        now = self.bot.clock.now()
        # Check-ins are stored jobs; a pair made just before a stop gets them now (scheduling twice is a no-op).
        for pair in await self.service.pairs_with_thread():
            await self.plan_checkins(pair)
        for pair in await self.service.pairs_without_thread():
            if pair.id in self._opening:
                continue
            guild = self.bot.get_guild(pair.guild_id)
            settings = await self.bot.services.cohort.settings(pair.guild_id)
            if guild is None or settings is None:
                continue
            try:
                backend = await self.someone(guild, settings, pair.backend_id, now, me=False)
                frontend = await self.someone(guild, settings, pair.frontend_id, now, me=False)
                breakdown = score_pair(backend.learner, frontend.learner, now=now)
                await self.open_thread(guild, settings, pair, backend, frontend, breakdown, now)
                log.info("Opened the thread of pair %s, cut short by a stop", pair.id)
            except (discord.HTTPException, UserError) as exc:
                log.warning("Could not open the thread of pair %s: %s", pair.id, exc)

    async def open_thread(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        pair: Pair,
        backend: Someone,
        frontend: Someone,
        breakdown: ScoreBreakdown,
        now: datetime,
    ) -> discord.Thread | None:
        """The pair's private thread with the intro; on a missing permission staff are told which one."""
        async with self._opening_thread(pair):
            channel = guild.get_channel(settings.channel_id or 0)
            if not isinstance(channel, discord.TextChannel):
                await self.tell_staff(guild, settings, "the project channel configured with `/nexus setup` is gone")
                return None
            team = await self.service.team_of(pair)
            hub = None if team.hub_id is None else (backend if team.hub_id == backend.user_id else frontend)
            if hub is not None:
                name = clip(f"{backend.project_label} · {hub.name}'s team", THREAD_NAME_MAX)
            else:
                name = clip(f"{backend.project_label} · {backend.name} & {frontend.name}", THREAD_NAME_MAX)
            thread_id = pair.thread_id or team.thread_id
            # A kill between creating the thread and recording it left it open: adopt it rather than open another.
            adopt = (
                next((t for t in channel.threads if t.name == name and t.owner_id == self.bot.user.id), None)
                if self.bot.user and thread_id is None
                else None
            )
            try:
                if thread_id is not None:
                    thread = guild.get_thread(thread_id) or await guild.fetch_channel(thread_id)
                    if not isinstance(thread, discord.Thread):
                        return None
                    if thread.archived:
                        await thread.edit(archived=False)
                elif adopt is not None and not adopt.archived and not await self.service.thread_taken(adopt.id):
                    thread = adopt
                else:
                    thread = await channel.create_thread(
                        name=name, type=discord.ChannelType.private_thread, invitable=False, auto_archive_duration=10080
                    )
            except discord.HTTPException as exc:
                # The pair is already committed: a thread failure must not turn into an error for the learner.
                perms = channel.permissions_for(guild.me)
                missing = [label for attr, label in THREAD_PERMISSIONS.items() if not getattr(perms, attr)]
                if missing or isinstance(exc, discord.Forbidden):
                    need = ", ".join(missing) or "Create Private Threads"
                    problem = f"I need the {need} permission in {channel.mention} to open pair threads"
                else:
                    problem = f"Discord refused to open a pair thread in {channel.mention} (HTTP {exc.status})"
                await self.tell_staff(guild, settings, problem)
                return None
            if pair.thread_id != thread.id:
                await self.service.set_thread(pair.id, thread.id)
            await self.plan_checkins(pair)
            try:
                for user_id in pair.members:
                    await thread.add_user(discord.Object(user_id))
                kind = PairKind(pair.kind)
                what = "Study buddies" if kind is PairKind.BUDDY else "Partners"
                embed = nexus_embed(f"{what}: {esc(backend.name)} & {esc(frontend.name)}", colour=SUCCESS)
                sections = pairing.intro_lines(backend.context(), frontend.context(), breakdown, now)
                extra = kind_section(kind, backend.context(), frontend.context())
                if extra is not None:
                    sections.insert(1, extra)
                if hub is not None:
                    sections.insert(1, await self.team_lines(guild, settings, team, hub, now))
                for heading, text in sections:
                    embed.add_field(name=clip(heading, 256), value=clip(text, EMBED_FIELD_VALUE_MAX), inline=False)
                if hub is not None:
                    newcomer = frontend if hub is backend else backend
                    hello = f"<@{newcomer.user_id}> joins <@{hub.user_id}>'s team! Say hi 👋"
                else:
                    hello = f"<@{backend.user_id}> <@{frontend.user_id}> — you're {what.lower()}! Say hi 👋"
                await thread.send(
                    content=hello,
                    embed=embed,
                    nonce=nonce_for("pair-intro", pair.id),
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False, roles=False, users=[discord.Object(u) for u in pair.members], replied_user=False
                    ),
                )
            except discord.HTTPException as exc:
                log.warning("Pair %s: thread %s set-up failed: %s", pair.id, thread.id, exc)
                await self.tell_staff(
                    guild, settings, f"I opened {thread.mention} but couldn't add both partners ({exc})"
                )
            return thread

    @contextlib.asynccontextmanager
    async def _opening_thread(self, pair: Pair) -> AsyncIterator[None]:
        """Two pairs of one team must not both open a thread: members' locks, taken in id order."""
        locks = [self._team_locks.setdefault(uid, asyncio.Lock()) for uid in sorted(pair.members)]
        try:
            async with locks[0], locks[1]:
                yield
        finally:
            self._opening.discard(pair.id)

    async def team_lines(
        self, guild: discord.Guild, settings: GuildSettings, team: Team, hub: Someone, now: datetime
    ) -> tuple[str, str]:
        """The team section of an intro: every partner of the hub, their local time and overlap."""
        partners = []
        for other in team.pairs:
            try:
                partners.append(await self.someone(guild, settings, other.partner_of(hub.user_id), now, me=False))
            except UserError:
                continue  # withdrew their announcement meanwhile
        return team_section(hub.context(), [p.context() for p in partners], now)

    async def tell_staff(self, guild: discord.Guild, settings: GuildSettings, problem: str) -> None:
        """Staff read about set-up problems in the review channel (or, without one, the project channel)."""
        text = f"⚠️ Partner matching: {problem}. The pair exists and both learners were told; please fix this."
        for channel_id in (settings.review_channel_id, settings.channel_id):
            channel = guild.get_channel(channel_id or 0)
            if isinstance(channel, discord.TextChannel):
                try:
                    await channel.send(clip(text, 2000))
                    return
                except discord.HTTPException:
                    continue
        log.warning("Guild %s: %s (and no channel to tell staff)", guild.id, problem)
