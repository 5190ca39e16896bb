"""What /nexus setup and /nexus configure check on Discord before the staff service applies a change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.app.checks import role_facts
from bot.app.checks import staff_role as staff_role_of
from bot.errors import InvalidInput
from bot.services import roles as role_rules

if TYPE_CHECKING:
    from bot.services.cohort import GuildSettings

# What the bot needs in the project channel, with why (shown when one is missing).
CHANNEL_PERMISSIONS: dict[str, str] = {
    "view_channel": "see the channel",
    "send_messages": "post announcements and digests",
    "embed_links": "show posts as embeds",
    "create_private_threads": "open private threads for partners",
    "send_messages_in_threads": "talk in those threads",
}


def format_duration(seconds: float) -> str:
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m {sec}s")
    return " ".join(parts)


def missing_channel_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    return [
        f"{name.replace('_', ' ').title()} (to {why})"
        for name, why in CHANNEL_PERMISSIONS.items()
        if not getattr(perms, name)
    ]


class ForumOnly(app_commands.Transformer):
    """A forum-channel option offering only forums (type 15; media channels are not for Q&A)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.forum]

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> discord.ForumChannel:
        channel = interaction.guild.get_channel(value.id) if interaction.guild else None
        if not isinstance(channel, discord.ForumChannel):
            raise InvalidInput("Pick a forum channel.")
        return channel


TRACK_ROLES = {"backend": ("backend_role_id", "Backend"), "frontend": ("frontend_role_id", "Frontend")}


def refuse_track_role(guild: discord.Guild, track: str, role: discord.Role, staff: discord.Role | None) -> None:
    """Raise InvalidInput, naming a safe alternative where one exists, unless the role picker may hand `role` out."""
    facts = role_facts(guild, role, staff)
    problem = role_rules.handout_problem(facts)
    if problem is None:
        return
    name = TRACK_ROLES[track][1]
    option = f"{track}_role"
    fallback = discord.utils.get(guild.roles, name=name)
    if (
        fallback is not None
        and fallback.id != role.id
        and role_rules.handout_problem(role_facts(guild, fallback, staff)) is None
    ):
        hint = f"Try `{option}:@{fallback.name}`."
    else:
        hint = (
            f"Pick a role only {name} learners hold, with no moderation permissions, below @{guild.me.top_role.name}."
        )
    raise InvalidInput(
        f"I can't use @{role.name} as the {name} role: anyone who presses I'm {name} on the role picker gets it, and "
        f"{role_rules.explain(problem, facts, guild.me.top_role.name)}. {hint}"
    )


def check_setup_roles(
    guild: discord.Guild,
    existing: GuildSettings | None,
    staff_role_name: str,
    backend_role: discord.Role | None,
    frontend_role: discord.Role | None,
    staff_role: discord.Role | None,
) -> tuple[dict[str, object], list[str]]:
    """Refuse roles the role picker must not hand out; returns the track roles picked up by name, and
    warnings about stored ones that became unsafe (the role picker refuses those until fixed)."""
    if staff_role is not None and (why := role_rules.staff_role_problem(is_default=staff_role.is_default())):
        raise InvalidInput(f"{why}.")
    staff = staff_role or staff_role_of(guild, existing, staff_role_name)
    if backend_role is not None and frontend_role is not None and backend_role.id == frontend_role.id:
        raise InvalidInput("`backend_role` and `frontend_role` must be two different roles, one per track.")
    picked: dict[str, object] = {}
    warnings: list[str] = []
    bot_role = guild.me.top_role.name
    for track, given in (("backend", backend_role), ("frontend", frontend_role)):
        column, name = TRACK_ROLES[track]
        if given is not None:
            refuse_track_role(guild, track, given, staff)
            continue
        stored = getattr(existing, column) if existing is not None else None
        # Roles named like the programme's are picked up when staff don't name them (if safe to hand out).
        role = guild.get_role(stored) if stored else discord.utils.get(guild.roles, name=name)
        if role is None:
            continue
        if stored and staff is not None and role.id == staff.id:
            raise InvalidInput(
                f"@{role.name} is the {name} role the role picker hands out, so it can't be the staff role too: "
                f"pick another `staff_role`, or a new `{track}_role` first."
            )
        facts = role_facts(guild, role, staff)
        problem = role_rules.handout_problem(facts)
        if problem is not None:
            warnings.append(f"{name}: {'' if stored else 'not picked, '}{role_rules.explain(problem, facts, bot_role)}")
        elif not stored:
            picked[column] = role.id
    return picked, warnings
