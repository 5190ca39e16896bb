"""Embeds and text of /project: the announcement post, list lines, the board and the daily digest."""

from __future__ import annotations

import discord

from bot.app.ui import DANGER, EMBED_FIELD_VALUE_MAX, SUCCESS, WARNING, clip, nexus_embed, timestamp
from bot.services import first_week, projects
from bot.services.announcements import (
    Announcement,
    Board,
    CatalogProject,
    Digest,
    ListPage,
    ListQuery,
    ReminderDm,
    shows_looking,
)
from bot.services.contracts.service import contracts_text, needs_text
from bot.services.pair_health import PartnerFigures, met_rate_text
from bot.services.text import plain_link, user_text
from bot.services.tracks import TRACK_NAMES
from cogs._shared import inert_view, pair_button


def pair_view(announcement: Announcement, *, full: bool = False) -> discord.ui.View | None:
    if not shows_looking(announcement, full):
        return None
    # Inert: PairWithMeButton (a DynamicItem) answers the press; a live view was stored for every post, for good.
    return inert_view(pair_button(announcement.id))


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


def list_embed(query: ListQuery, page: ListPage, page_size: int) -> discord.Embed:
    lines = [
        list_line(
            page.page * page_size + i + 1, a, page.catalog.get(a.project_key), query.guild_id, a.user_id in page.full
        )
        for i, a in enumerate(page.rows)
    ]
    embed = nexus_embed(
        f"Announcements — {query.description}",
        "\n".join(lines) or "Nobody matches yet. Be the first: `/project announce`.",
    )
    embed.set_footer(text=f"Page {page.page + 1} of {page.pages} · {page.total} announcement(s)")
    return embed


def finished_reply(title: str, jump_url: str) -> str:
    return f"Announced **{clip(user_text(title), 200)}**: {jump_url}. Change it with `/project edit`."


def board_embed(board: Board) -> discord.Embed:
    embed = nexus_embed("Project board", f"{board.progress}\n```\n{clip(board.table, 3800)}\n```")
    if board.looking:
        embed.add_field(
            name=f"Still looking for a partner ({board.total_looking})",
            value="See them all with `/project list looking_for_partner:True`.",
            inline=False,
        )
        for (key, track), user_ids in list(board.looking.items())[:20]:
            embed.add_field(
                name=clip(f"{board.names.get(key, key)} · {TRACK_NAMES[track]}", 256),
                value=first_week.name_list([f"<@{uid}>" for uid in user_ids], 1000),
                inline=False,
            )
    else:
        embed.add_field(name="Still looking for a partner", value="Nobody right now.", inline=False)
    week = board.week
    start, end = timestamp(week.start_at.timestamp(), "D"), timestamp(week.end_at.timestamp(), "R")
    embed.set_footer(text=f"Cohort {board.cohort_start.isoformat()}")
    embed.add_field(name="First week", value=f"From {start}; ends {end}", inline=False)
    return embed


def digest_embed(digest: Digest, figures: PartnerFigures | None = None) -> discord.Embed:
    content = digest.content
    embed = nexus_embed(content.title, content.progress)
    embed.add_field(name=content.new_heading, value=clip(content.new_text, EMBED_FIELD_VALUE_MAX), inline=False)
    embed.add_field(
        name="Totals per project and track",
        value=clip(f"```\n{content.table}\n```", EMBED_FIELD_VALUE_MAX)
        if len(content.table) < 1000
        else "See `/project board`.",
        inline=False,
    )
    stale = digest.unanswered
    if stale:
        lines = [f"<#{q.thread_id}> (asked <t:{int(q.created_at.timestamp())}:R>)" for q in stale[:5]]
        more = f"\n…and {len(stale) - 5} more" if len(stale) > 5 else ""
        embed.add_field(
            name=f"Unanswered questions ({len(stale)})",
            value=clip("\n".join(lines) + more, EMBED_FIELD_VALUE_MAX),
            inline=False,
        )
    health = figures.health if figures is not None else None
    if health is not None and (health.asked or health.inactive):
        embed.add_field(
            name="Partners",
            value=f"Met (check-ins): {met_rate_text(health)} · inactive pairs: {health.inactive}",
            inline=False,
        )
    if figures is not None and figures.contracts.any:
        # Counts only: which pair lacks what is for the pair's own /api status.
        contracts = figures.contracts
        embed.add_field(
            name="API contracts",
            value=f"{contracts_text(contracts)} · needs: {needs_text(contracts)}",
            inline=False,
        )
    embed.add_field(
        name="Not announced yet?",
        value="`/project announce` takes a minute; `/project board` shows who is looking for a partner.",
        inline=False,
    )
    return embed


def reminder_text(dm: ReminderDm, member_name: str, guild_name: str, where: str) -> str:
    return (
        f"Hi {user_text(member_name)}! It's day {dm.day_number} of the "
        f"Project Nexus first week in **{user_text(guild_name)}** ({dm.days_left_text}) and you haven't "
        f"announced your project yet. Run `/project announce` in {where} so learners on the other track can "
        "find you. (Don't want these? `/project reminders off`.)"
    )
