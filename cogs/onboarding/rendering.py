"""What the role picker and its track-switch offer look like."""

from __future__ import annotations

import discord

from bot.app.ui import WARNING, clip, nexus_embed
from bot.services.onboarding import LeftBehind
from bot.services.projects import message_link
from bot.services.tracks import TRACK_NAMES

NEXT_STEPS = (
    "**Next steps**\n"
    "1. Announce your capstone project with `/project announce` (first week).\n"
    "2. Join partner matching with `/match` to find a partner on the other track.\n"
    "3. Ask questions with `/ask` and plan study sessions with `/session create`."
)


def role_picker_embed() -> discord.Embed:
    return nexus_embed(
        "Which track are you on?",
        "Press a button to get your track's role (pressing the other one switches you).\n\n"
        "Backend learners build APIs and data; Frontend learners build the interface. "
        "Each capstone project pairs one of each.",
    )


def left_behind_embed(guild: discord.Guild, behind: LeftBehind, track: str) -> discord.Embed:
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
