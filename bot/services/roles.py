"""Which roles the role picker may hand out: one rule, used by /nexus setup and by every button press.

Plain facts in (permission bits, position, flags), a reason code out; no discord import, so the rule is
tested on its own. A track role is given to anyone who presses a button, so it must carry nothing a
learner should not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Permissions no self-service role may carry (Discord's bit values), each with the name staff see.
ELEVATED_PERMISSIONS: dict[int, str] = {
    1 << 3: "Administrator",
    1 << 5: "Manage Server",
    1 << 28: "Manage Roles",
    1 << 4: "Manage Channels",
    1 << 13: "Manage Messages",
    1 << 2: "Ban Members",
    1 << 1: "Kick Members",
    1 << 17: "Mention Everyone",
    1 << 29: "Manage Webhooks",
    1 << 40: "Moderate Members",
    1 << 27: "Manage Nicknames",
    1 << 34: "Manage Threads",
    1 << 30: "Manage Expressions",
    1 << 33: "Manage Events",
    1 << 7: "View Audit Log",
}
ELEVATED_MASK = sum(ELEVATED_PERMISSIONS)


class RoleProblem(Enum):
    """Why a role must not be handed out by the role picker (checked in this order)."""

    EVERYONE = "everyone"
    STAFF = "staff"
    MANAGED = "managed"
    ELEVATED = "elevated"
    ABOVE_BOT = "above_bot"


@dataclass(frozen=True)
class RoleFacts:
    """What the rule needs to know about one role, read off Discord by the caller."""

    name: str
    permissions: int
    is_default: bool  # @everyone
    managed: bool  # a bot's, booster or integration role
    position: int
    bot_top_position: int  # position of the bot's highest role
    is_staff_role: bool  # the role that makes its members staff (configured, or the fallback by name)


def elevated_names(permissions: int) -> list[str]:
    """The elevated permissions among `permissions`, by name, in the order of ELEVATED_PERMISSIONS."""
    return [name for bit, name in ELEVATED_PERMISSIONS.items() if permissions & bit]


def handout_problem(facts: RoleFacts) -> RoleProblem | None:
    """None when anyone may safely be given this role by pressing a button; else the first reason why not."""
    if facts.is_default:
        return RoleProblem.EVERYONE
    if facts.is_staff_role:
        return RoleProblem.STAFF
    if facts.managed:
        return RoleProblem.MANAGED
    if facts.permissions & ELEVATED_MASK:
        return RoleProblem.ELEVATED
    if facts.position >= facts.bot_top_position:
        return RoleProblem.ABOVE_BOT
    return None


def explain(problem: RoleProblem, facts: RoleFacts, bot_role_name: str) -> str:
    """The reason in words staff can act on (no final full stop; callers add their own framing)."""
    role = f"@{facts.name}"
    if problem is RoleProblem.EVERYONE:
        return "@everyone is every member of the server, so it can't be a track role"
    if problem is RoleProblem.STAFF:
        return f"{role} is the staff role: handing it out would make every learner who presses the button staff"
    if problem is RoleProblem.MANAGED:
        return f"{role} is managed by Discord or an integration and can't be given by bots"
    if problem is RoleProblem.ELEVATED:
        return (
            f"{role} carries {', '.join(elevated_names(facts.permissions))}, which learners must not get: remove "
            "those permissions from the role (Server Settings → Roles) or pick a role without them"
        )
    return (
        f"{role} is above (or equal to) my highest role @{bot_role_name}: in Server Settings → Roles, "
        f"drag @{bot_role_name} above {role}"
    )


def staff_role_problem(*, is_default: bool) -> str | None:
    """Why a role can't be the staff role, or None. @everyone would make every member staff."""
    if is_default:
        return (
            "I can't use @everyone as the staff role: it is every member of the server, so everyone would be staff. "
            "Pick a role only staff hold, e.g. `staff_role:@Staff`"
        )
    return None
