"""What /match shows: embeds and texts rendered from outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import discord

from bot.app.ui import (
    EMBED_FIELD_VALUE_MAX,
    SUCCESS,
    WARNING,
    clip,
    clip_lines,
    nexus_embed,
    timestamp,
)
from bot.services import pairing, request_limits
from bot.services.availability import (
    format_windows,
    intersect,
    validate_timezone,
)
from bot.services.matching import (
    score_pair,
)
from bot.services.matching.service import MatchProfile, MatchRequest, MatchRound, PairKind, RoundPlan, Someone
from cogs.matching._base import (
    MatchingBase,
    esc,
)


class RenderingMixin(MatchingBase):
    """Embeds and texts built from matching outcomes."""

    def profile_embed(self, profile: MatchProfile, now: datetime, *, title: str) -> discord.Embed:
        """The stored profile as the learner reads it (windows from the profile just saved, not a stale copy)."""
        embed = nexus_embed(title, colour=SUCCESS)
        zone = validate_timezone(profile.timezone)
        windows = pairing.windows_for(profile.timezone, profile.availability_text, profile.availability_json, now)
        embed.add_field(name="Time zone", value=pairing.local_time(profile.timezone, now), inline=False)
        embed.add_field(
            name="Free each week (your time)",
            value=clip(format_windows(windows, zone, pairing.week_of(now)), EMBED_FIELD_VALUE_MAX),
            inline=False,
        )
        embed.add_field(name="Offers", value=", ".join(profile.offers) or "—")
        embed.add_field(name="Wants", value=", ".join(profile.wants) or "—")
        embed.add_field(name="Partners", value=f"{profile.active_pairs} of {profile.max_partners}")
        return embed

    @staticmethod
    def no_candidates_text(me: Someone, others: list[Someone]) -> str:
        opposite = "Frontend" if me.announcement.track == "backend" else "Backend"
        same_project = [
            o for o in others if o.learner.project == me.learner.project and o.learner.track != me.learner.track
        ]
        if not same_project:
            why = f"no {opposite} learner on {esc(me.project_label)} is opted in and looking right now"
        else:
            why = (
                f"none of the {len(same_project)} {opposite} learner(s) on {esc(me.project_label)} "
                "shares ≥ 1 h/week with you"
            )
        return (
            f"No candidates yet: {why}. Widen your availability with `/match join availability:`, "
            "ask someone directly with `/match request`, or check again later — staff also run matching rounds."
        )

    def request_embed(self, me: Someone, them: Someone, request: MatchRequest, now: datetime) -> discord.Embed:
        """What the addressee (`them`) reads: who asks, why they fit, and until when to answer."""
        breakdown = score_pair(me.learner, them.learner, viewer=them.learner, now=now)
        expires = request.expires_at.timestamp()
        embed = nexus_embed(
            clip(f"🤝 {esc(me.name)} would like to be your partner", 256),
            f"<@{me.user_id}> ({me.track}) builds **{esc(me.announcement.title)}** — {esc(me.project_label)}.\n"
            f"Answer by {timestamp(expires, 'f')} ({timestamp(expires, 'R')}); after that the request expires.",
        )
        shared = format_windows(
            intersect(me.learner.windows, them.learner.windows),
            validate_timezone(them.learner.tz_name),
            pairing.week_of(now),
        )
        embed.add_field(
            name=f"Match score {breakdown.score}/100",
            value=clip(esc(pairing.reasons_text(breakdown)), 1024),
            inline=False,
        )
        embed.add_field(name="Their time now", value=pairing.local_time(me.learner.tz_name, now), inline=False)
        embed.add_field(name="Shared free time (your time)", value=clip(shared, 1024), inline=False)
        embed.set_footer(
            text=f"Only you can answer. After a decline they can ask again in {request_limits.REASK_COOLDOWN.days} "
            "days; Block stops their requests for good."
        )
        return embed

    def staff_round_embed(
        self,
        title: str,
        summary: pairing.RoundSummary,
        by_id: dict[int, Someone],
        pairs: Iterable[tuple[int, int, int]],
        not_opted: int,
        *,
        dry_run: bool,
        plan: RoundPlan | None = None,
    ) -> discord.Embed:
        """What staff read (privately): every pair (last resorts labelled) and every unmatched learner with the
        reason."""
        embed = nexus_embed(
            title,
            f"{summary.total_pairs} pair(s) from {summary.pool} learner(s) looking; "
            f"average score {summary.average_score:.0f}/100.",
            colour=WARNING if dry_run else SUCCESS,
        )
        if plan is not None:
            embed.description = f"{embed.description} Balance: {plan.balance.value}."
        per = "\n".join(f"{esc(k)}: {v}" for k, v in summary.pairs_per_project.items()) or "none"
        embed.add_field(name="Pairs per project", value=clip(per, EMBED_FIELD_VALUE_MAX), inline=False)

        def name(uid: int) -> str:
            return esc(by_id[uid].name) if uid in by_id else f"<@{uid}>"

        labels = {PairKind.ASYNC: " · async, no shared hour", PairKind.BUDDY: " · study buddies, same track"}

        def label(b: int, f: int) -> str:
            return labels.get(plan.kind(b, f), "") if plan is not None else ""

        lines = [f"{name(b)} & {name(f)} ({s}){label(b, f)}" for b, f, s in pairs]
        if lines:
            embed.add_field(
                name="Proposed pairs (score)" if dry_run else "Pairs made (score)",
                value=clip_lines(lines, EMBED_FIELD_VALUE_MAX, "" if dry_run else "`/nexus export what:pairs`"),
                inline=False,
            )
        left = [f"{name(uid)}: {esc(reason)}" for uid, reason in summary.unmatched.items()]
        embed.add_field(
            name=f"Left without a partner ({len(left)})",
            value=clip_lines(left, EMBED_FIELD_VALUE_MAX, "" if dry_run else "`/nexus export what:unmatched`")
            or "nobody 🎉",
            inline=False,
        )
        if not_opted:
            embed.set_footer(text=f"{not_opted} announced learner(s) haven't opted in yet (/match join).")
        return embed

    @staticmethod
    def public_round_embed(round_: MatchRound) -> discord.Embed:
        """What the channel reads: counts only; each unmatched learner got their reason by DM."""
        data = round_.summary or {}
        unmatched = len(data.get("unmatched") or {})
        embed = nexus_embed(
            f"Matching round #{round_.number}",
            f"{data.get('total_pairs', 0)} pair(s) from {data.get('pool', 0)} learner(s) looking; "
            f"average score {float(data.get('average_score') or 0):.0f}/100.",
            colour=SUCCESS,
        )
        per = "\n".join(f"{esc(k)}: {v}" for k, v in (data.get("pairs_per_project") or {}).items()) or "none"
        embed.add_field(name="Pairs per project", value=clip(per, EMBED_FIELD_VALUE_MAX), inline=False)
        async_pairs, buddies = int(data.get("async_pairs") or 0), int(data.get("study_buddies") or 0)
        if async_pairs or buddies:
            embed.add_field(
                name="Last resorts",
                value=f"{async_pairs} asynchronous pair(s) (no shared hour), {buddies} study-buddy pair(s) "
                "(same track, where the other track is absent)",
                inline=False,
            )
        embed.add_field(
            name="Left without a partner",
            value=f"{unmatched} learner(s); each got the reason and what to do next by DM."
            if unmatched
            else "nobody 🎉",
            inline=False,
        )
        not_opted = int(data.get("not_opted_in") or 0)
        if not_opted:
            embed.set_footer(text=f"{not_opted} announced learner(s) haven't opted in yet (/match join).")
        return embed
