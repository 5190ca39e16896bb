"""What session posts, lists and notices look like (from the service's outcomes)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import discord

from bot.app.ui import DANGER, EMBED_FIELD_VALUE_MAX, clip, nexus_embed, timestamp
from bot.services.sessions import Rsvps, StudySession
from bot.services.text import user_text

# Button action (in the custom_id) → stored RSVP status, label, style.
RSVP_ACTIONS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "going": ("going", "Going", discord.ButtonStyle.success),
    "maybe": ("maybe", "Maybe", discord.ButtonStyle.secondary),
    "no": ("not_going", "Not going", discord.ButtonStyle.danger),
}
RSVP_WORDS = {"going": "going", "maybe": "a maybe", "not_going": "not going"}
_LEARN_SLUG = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def learn_slug(topic: str | None) -> str | None:
    """The topic as a learning-topic slug the learning feature's button can open."""
    if topic and _LEARN_SLUG.match(topic):
        return topic
    return None


def format_minutes(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def mention_list(user_ids: Iterable[int], limit: int = EMBED_FIELD_VALUE_MAX) -> str:
    """Mentions that fit in `limit` characters, then "+N more"."""
    ids = list(user_ids)
    out: list[str] = []
    used = 0  # len(" ".join(out)), kept as it grows: a post re-rendered on every press lists hundreds
    for i, uid in enumerate(ids):
        piece = f"<@{uid}>"
        rest = len(ids) - i
        if used + (1 if out else 0) + len(piece) + len(f" +{rest} more") > limit:
            return " ".join(out) + f" +{rest} more"
        used += (1 if out else 0) + len(piece)
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


def session_view(session: StudySession) -> discord.ui.View:
    """RSVP buttons (dispatched as DynamicItems, so the view itself is never stored)."""
    from cogs.sessions.components import RsvpButton

    topic_slug = learn_slug(session.topic)
    view = discord.ui.View(timeout=None)
    for action in RSVP_ACTIONS:
        view.add_item(RsvpButton(session.id, action, disabled=session.cancelled))
    if topic_slug and not session.cancelled:
        # The learning feature answers this custom_id.
        view.add_item(
            discord.ui.Button[Any](
                label=clip(f"Topic: {session.topic or topic_slug}", 80),
                style=discord.ButtonStyle.primary,
                custom_id=f"nexus:learn:open:{topic_slug}",
            )
        )
    view.stop()
    return view


def upcoming_line(session: StudySession, rsvps: Rsvps, project: str | None) -> str:
    s = session
    seats = f"{len(rsvps.going)}/{s.capacity}" if s.capacity else str(len(rsvps.going))
    link = f" · [post](https://discord.com/channels/{s.guild_id}/{s.channel_id}/{s.message_id})" if s.message_id else ""
    extra = f" · {clip(user_text(s.project), 80)}" if s.project and not project else ""
    return (
        f"**#{s.id} {clip(user_text(s.title), 200)}** — {timestamp(s.starts_at.timestamp(), 'F')} "
        f"({timestamp(s.starts_at.timestamp(), 'R')}) · {seats} going{extra}{link}"
    )
