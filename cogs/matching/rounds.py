"""Matching rounds: /match run, the jobs a committed round runs, /match stats."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.app.checks import staff_only
from bot.app.ui import (
    clip,
    nexus_embed,
    reply_late,
)
from bot.errors import UserError
from bot.scheduler import JobSteps, nonce_for
from bot.services import pairing
from bot.services.availability import (
    overlap_minutes,
)
from bot.services.contracts.service import contracts_text, needs_text
from bot.services.matching import (
    UnmatchedCode,
    score_pair,
)
from bot.services.matching.service import Balance, CatalogProject, GuildSettings, Job, Pair, PairKind
from bot.services.matching.teams import dm_label
from bot.services.pair_health import met_rate_text
from bot.services.projects import resolve_project
from bot.services.track_switch import TRACK_CHANGED
from bot.services.tracks import TRACK_NAMES
from cogs._shared import GuildDirectory

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
from cogs.matching._base import (
    ROUND_CONCURRENCY,
    ROUND_JOBS,
    MatchingBase,
    esc,
    log,
)
from cogs.matching.pairs import PairsMixin


class RoundsMixin(PairsMixin):
    """Staff rounds (/match run), the round's jobs, /match stats."""

    # --- staff: /match run, /match stats ------------------------------------------------------

    @app_commands.command(name="run", description="Staff: pair all opted-in learners, maximising the total score")
    @app_commands.describe(
        project="Only this project (default: all projects)",
        dry_run="Show the result without creating pairs or telling anyone (default: no)",
        balance="auto (default): the scarcer track on a project takes several partners; one-to-one: 1:1 only",
    )
    @app_commands.choices(
        balance=[app_commands.Choice(name=b.value, value=b.value) for b in (Balance.AUTO, Balance.ONE_TO_ONE)]
    )
    @app_commands.autocomplete(project=MatchingBase.project_autocomplete)
    @app_commands.guild_only()
    @staff_only()
    async def run(
        self,
        interaction: discord.Interaction[NexusBot],
        project: app_commands.Range[str, 1, 32] | None = None,
        dry_run: bool = False,
        balance: str = Balance.AUTO.value,
    ) -> None:
        """The best assignment under the hard rules and capacities; everyone is told the outcome."""
        guild = self.guild_of(interaction)
        settings = await self.settings_for(guild)
        catalog = await self.catalog_by_key()
        if project is not None and project not in catalog:
            # A name, a pasted `project:…` or a typo: the catalog rule answers with the nearest project.
            project = resolve_project(project, list(catalog.values())).key
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        round_ = await self.service.start_round(guild.id, project, interaction.user.id, dry_run)
        try:
            embed = await self.play_round(guild, settings, round_.id, project, dry_run, now, Balance(balance))
        except BaseException as exc:
            # A no-op once the round committed (its jobs finish it); before that nothing was written.
            await self.service.fail_round(round_.id, type(exc).__name__)
            raise
        # A big round can outlive the interaction token: then the staff member gets it by DM (or in the review
        # channel), never in the public channel.
        review = guild.get_channel(settings.review_channel_id or 0)
        await reply_late(
            interaction,
            [interaction.user, review if isinstance(review, discord.TextChannel) else None],
            note="Your `/match run` took longer than Discord keeps a reply open (15 minutes), so here is its result:",
            embed=embed,
        )

    async def play_round(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        round_id: int,
        project: str | None,
        dry_run: bool,
        now: datetime,
        balance: Balance = Balance.AUTO,
    ) -> discord.Embed:
        """Solve the round; a real one commits its pairs with their jobs (threads, DMs, summary) and runs them."""
        assert settings.cohort_start is not None
        directory = GuildDirectory(guild, settings)
        plan = await self.service.plan_round(directory, settings.cohort_start, project, now, balance)
        pool, result, not_opted = plan.pool, plan.result, plan.not_opted_in
        by_id = {s.user_id: s for s in pool}
        if dry_run:
            summary, number = await self.service.preview_round(guild.id, round_id, plan)
            title = f"Matching round preview (next real round: #{number}) — dry run, nothing changed"
            return self.staff_round_embed(title, summary, by_id, result.pairs, not_opted, dry_run=True, plan=plan)
        outcome, made_summary = await self.service.commit_round(guild.id, round_id, plan, ROUND_JOBS, now)
        assert made_summary is not None
        if outcome.pairs:
            # Posts and the board stop showing the new partners as looking (a stop is mended at start).
            await self.pairing_changed(guild, (uid for p in outcome.pairs for uid in p.members))
        for skipped in outcome.skipped:
            log.info(
                "Round %s: pair %s-%s skipped: a slot was taken", round_id, skipped.backend_id, skipped.frontend_id
            )
        # Done here for speed; a kill leaves the rest to the scheduler after the restart (each job runs once).
        await self.bot.scheduler.run_now(outcome.job_ids, concurrency=ROUND_CONCURRENCY)
        made = [(p.backend_id, p.frontend_id, p.score or 0) for p in outcome.pairs]
        embed = self.staff_round_embed(
            f"Matching round #{outcome.round.number}", made_summary, by_id, made, not_opted, dry_run=False, plan=plan
        )
        if outcome.moot:
            embed.add_field(
                name="Requests closed",
                value=f"{len(outcome.moot)} pending partner request(s) this round made moot were closed; "
                "their requesters were told.",
                inline=False,
            )
        return embed

    # --- the round's jobs: each runs once, and again after a kill (skipping its finished steps) -------

    async def run_round_pair(self, job: Job) -> None:
        """One pair of a round: its thread and intro, then a DM to each partner."""
        await self.bot.wait_until_ready()
        pair = await self.service.get_pair(int(job.payload["pair_id"]))
        round_ = await self.service.get_round(int(job.payload["round_id"]))
        if pair is None or round_ is None or pair.status != "active":
            return
        guild = self.bot.get_guild(pair.guild_id)
        settings = await self.bot.services.cohort.settings(pair.guild_id)
        if guild is None or settings is None:
            return
        now = self.bot.clock.now()
        try:
            backend = await self.someone(guild, settings, pair.backend_id, now, me=False)
            frontend = await self.someone(guild, settings, pair.frontend_id, now, me=False)
        except UserError as exc:
            log.warning("Round %s: pair %s not announced any more: %s", round_.id, pair.id, exc)
            return
        steps = JobSteps(self.bot.jobs, job)
        breakdown = score_pair(backend.learner, frontend.learner, now=now)
        thread_id = pair.thread_id
        if "thread" not in steps:
            thread = await self.open_thread(guild, settings, pair, backend, frontend, breakdown, now)
            thread_id = thread.id if thread else None
            await steps.mark("thread")
        by_id = {backend.user_id: backend, frontend.user_id: frontend}
        where = f" Your private thread: <#{thread_id}>." if thread_id else ""
        for uid in pair.members:
            me, partner = by_id[uid], by_id[pair.partner_of(uid)]
            mine = score_pair(me.learner, partner.learner, viewer=me.learner, now=now)
            opposite = "Frontend" if me.announcement.track == "backend" else "Backend"
            called, note = dm_label(PairKind(pair.kind), opposite)
            text = (
                f"🎉 Matching round #{round_.number}: your {called} for {esc(me.project_label)} is "
                f"<@{partner.user_id}> ({esc(partner.name)}, {partner.track}), score {mine.score}/100: "
                f"{esc(pairing.reasons_text(mine))}.{note}{where}"
            )
            await steps.run(
                f"dm:{uid}", functools.partial(self.dm, uid, text, nonce=nonce_for("pair-dm", pair.id, uid))
            )

    async def run_round_unmatched(self, job: Job) -> None:
        """A learner the round left without a partner: the reason and what to do next, privately."""
        await self.bot.wait_until_ready()
        round_ = await self.service.get_round(int(job.payload["round_id"]))
        if round_ is None:
            return
        uid, reason = int(job.payload["user_id"]), str(job.payload["reason"])
        code = ((round_.summary or {}).get("unmatched_codes") or {}).get(str(uid))
        text = (
            f"Matching round #{round_.number}: no partner for you this time — {esc(reason)}. "
            f"{pairing.unmatched_advice(UnmatchedCode(code) if code in set(UnmatchedCode) else None)}"
        )
        await JobSteps(self.bot.jobs, job).run(
            "dm", functools.partial(self.dm, uid, text, nonce=nonce_for("round-unmatched", round_.id, uid))
        )

    async def run_request_moot(self, job: Job) -> None:
        """A pending request the round made moot: its buttons go, and the requester learns why."""
        await self.bot.wait_until_ready()
        request = await self.service.get_request(int(job.payload["request_id"]))
        if request is None:
            return
        guild = self.bot.get_guild(request.guild_id)
        requester = esc(self.name_of(guild, request.requester_id)) if guild else f"<@{request.requester_id}>"
        addressee = esc(self.name_of(guild, request.addressee_id)) if guild else f"<@{request.addressee_id}>"
        reason = str(job.payload["reason"])
        # Rounds and accepted requests both close the requests their new pairs make moot.
        how = "through another partner request" if job.payload.get("via") == "request" else "in a matching round"
        if reason == TRACK_CHANGED:
            mover = int(job.payload["mover_id"])
            track = TRACK_NAMES.get(str(job.payload.get("track")), "the other track")
            who = requester if mover == request.requester_id else addressee
            why = f"{who} moved to {track}, and a pair is one Backend and one Frontend learner"
            told = (
                f"Your partner request to {addressee} is closed: "
                + (
                    f"you moved to {track}, and a pair is one Backend and one Frontend learner. "
                    if mover == request.requester_id
                    else f"they moved to {track}, your track, and a pair is one Backend and one Frontend learner. "
                )
                + "`/match suggest` shows who is looking on the other track."
            )
        elif reason == "paired_together":
            why = f"you became partners {how}, so there is nothing left to answer"
            told = f"🤝 Your partner request to {addressee} is closed: you became partners {how}."
        elif reason == "addressee_full":
            why = f"{addressee} now has all the partners they asked for (paired {how})"
            told = (
                f"Your partner request to {addressee} is closed: they were paired {how} and have all "
                "the partners they asked for. `/match suggest` shows who is still looking."
            )
        else:
            why = f"{requester} now has all the partners they asked for (paired {how})"
            told = (
                f"Your partner request to {addressee} is closed: you were paired {how} and have all the "
                "partners you asked for. Raise `max_partners` with `/match join` to look for another."
            )
        steps = JobSteps(self.bot.jobs, job)
        await steps.run(
            "message", functools.partial(self.edit_request_message, request, f"This partner request is closed: {why}.")
        )
        await steps.run(
            "dm", functools.partial(self.dm, request.requester_id, told, nonce=nonce_for("request-moot", request.id))
        )

    async def run_round_summary(self, job: Job) -> None:
        """The round's public summary in the project channel (counts only), once."""
        await self.bot.wait_until_ready()
        round_ = await self.service.get_round(int(job.payload["round_id"]))
        if round_ is None or round_.summary is None:
            return
        guild = self.bot.get_guild(round_.guild_id)
        settings = await self.bot.services.cohort.settings(round_.guild_id)
        channel = guild.get_channel(settings.channel_id or 0) if guild and settings else None
        if not isinstance(channel, discord.TextChannel):
            log.warning("Round %s: no project channel for the summary", round_.id)
            return
        embed = self.public_round_embed(round_)

        async def post() -> None:
            try:
                await channel.send(embed=embed, nonce=nonce_for("round-summary", round_.id))
            except discord.HTTPException as exc:
                log.warning("Round %s: summary not posted: %s", round_.id, exc)

        await JobSteps(self.bot.jobs, job).run("post", post)

    @app_commands.command(name="stats", description="Staff: matched share per project and track, overlap, requests")
    @app_commands.guild_only()
    @staff_only()
    async def stats(self, interaction: discord.Interaction[NexusBot]) -> None:
        """How far matching has got this cohort."""
        guild = self.guild_of(interaction)
        settings = await self.settings_for(guild)
        assert settings.cohort_start is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        announcements = await self.service.announced(guild.id, settings.cohort_start)
        catalog = await self.catalog_by_key()
        pairs = await self.service.guild_pairs(guild.id)
        paired = {uid for p in pairs for uid in p.members}
        table: dict[tuple[str, str], list[int]] = {}
        for a in announcements:
            project = catalog.get(a.project_key)
            label = project.name if project else a.project_key
            row = table.setdefault((label, a.track), [0, 0])
            row[0] += 1
            row[1] += a.user_id in paired
        lines = [
            f"{clip(label, 24):<24} {TRACK_NAMES.get(track, track):<8} {m:>3}/{n:<3} {100 * m / n:>4.0f}%"
            for (label, track), (n, m) in sorted(table.items())
        ]
        embed = nexus_embed("Partner matching — stats", f"Cohort {settings.cohort_start.isoformat()}")
        body = "```\n" + "\n".join(lines) + "\n```" if lines else "No announcements yet."
        embed.add_field(name="Matched share per project and track", value=clip(body, 1024), inline=False)
        overlaps = await self.pair_overlaps(guild, settings, pairs, now, catalog)
        median = pairing.median_hours(overlaps)
        embed.add_field(name="Median weekly overlap", value=f"{median:.1f} h" if median is not None else "—")
        counts = await self.service.request_counts(guild.id)
        embed.add_field(name="Open requests", value=str(counts.pending))
        embed.add_field(
            name="Requests so far",
            value=f"{counts.accepted} accepted · {counts.declined} declined · {counts.expired} expired",
        )
        embed.add_field(name="Active pairs", value=str(len(pairs)))
        profiles = await self.service.profiles(guild.id)
        embed.add_field(name="Opted in", value=str(sum(1 for p in profiles if p.status != "left")))
        figures = await self.bot.services.pair_health.figures(guild.id)
        embed.add_field(name="Met (check-ins)", value=met_rate_text(figures.health))
        embed.add_field(name="Inactive pairs", value=str(figures.health.inactive))
        embed.add_field(name="API contracts", value=contracts_text(figures.contracts), inline=False)
        embed.add_field(name="API needs", value=needs_text(figures.contracts))
        await interaction.edit_original_response(embed=embed)

    async def pair_overlaps(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        pairs: Iterable[Pair],
        now: datetime,
        catalog: dict[str, CatalogProject],
    ) -> list[int]:
        out = []
        for pair in pairs:
            try:
                b = await self.someone(guild, settings, pair.backend_id, now, catalog, me=False)
                f = await self.someone(guild, settings, pair.frontend_id, now, catalog, me=False)
            except UserError:
                continue  # one of them withdrew their announcement: no windows to compare
            out.append(overlap_minutes(b.learner.windows, f.learner.windows))
        return out
