"""The one rule for which roles the role picker may hand out (bot.services.roles)."""

from __future__ import annotations

import dataclasses

import discord
import pytest

from bot.services.roles import (
    ELEVATED_PERMISSIONS,
    RoleFacts,
    RoleProblem,
    elevated_names,
    explain,
    handout_problem,
    staff_role_problem,
)

PLAIN = RoleFacts(
    name="Backend",
    permissions=0,
    is_default=False,
    managed=False,
    position=1,
    bot_top_position=4,
    is_staff_role=False,
)
SPEC_ELEVATED = {
    "administrator",
    "manage_guild",
    "manage_roles",
    "manage_channels",
    "manage_messages",
    "ban_members",
    "kick_members",
    "mention_everyone",
}


def test_a_plain_role_below_the_bot_may_be_handed_out() -> None:
    assert handout_problem(PLAIN) is None
    # Ordinary member permissions are fine (what @everyone has in most servers).
    everyday = discord.Permissions(view_channel=True, send_messages=True, read_message_history=True).value
    assert handout_problem(dataclasses.replace(PLAIN, permissions=everyday)) is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"is_default": True}, RoleProblem.EVERYONE),
        ({"is_staff_role": True}, RoleProblem.STAFF),
        ({"managed": True}, RoleProblem.MANAGED),
        ({"permissions": discord.Permissions(administrator=True).value}, RoleProblem.ELEVATED),
        ({"position": 4}, RoleProblem.ABOVE_BOT),  # equal to the bot's top role counts as above
        ({"position": 9}, RoleProblem.ABOVE_BOT),
    ],
)
def test_each_unsafe_fact_is_refused(change: dict[str, object], problem: RoleProblem) -> None:
    assert handout_problem(dataclasses.replace(PLAIN, **change)) is problem  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", sorted(SPEC_ELEVATED))
def test_every_permission_the_issue_names_is_elevated(flag: str) -> None:
    bits = discord.Permissions(**{flag: True}).value
    assert handout_problem(dataclasses.replace(PLAIN, permissions=bits)) is RoleProblem.ELEVATED


def test_elevated_bits_match_discord_and_are_named() -> None:
    known = dict(discord.Permissions.VALID_FLAGS)
    assert {name for name, value in known.items() if value in ELEVATED_PERMISSIONS} >= SPEC_ELEVATED
    assert all(bit in known.values() for bit in ELEVATED_PERMISSIONS)
    bits = discord.Permissions(ban_members=True, administrator=True, send_messages=True).value
    assert elevated_names(bits) == ["Administrator", "Ban Members"]


def test_the_staff_role_is_refused_before_its_permissions() -> None:
    staff = dataclasses.replace(
        PLAIN, name="Staff", is_staff_role=True, permissions=discord.Permissions(manage_guild=True).value
    )
    assert handout_problem(staff) is RoleProblem.STAFF
    assert "staff role" in explain(RoleProblem.STAFF, staff, "Nexus Bot")


def test_explanations_tell_staff_what_to_do() -> None:
    admin = dataclasses.replace(PLAIN, name="Mods", permissions=discord.Permissions(administrator=True).value)
    text = explain(RoleProblem.ELEVATED, admin, "Nexus Bot")
    assert "@Mods carries Administrator" in text and "Server Settings → Roles" in text
    above = dataclasses.replace(PLAIN, position=9)
    assert "drag @Nexus Bot above @Backend" in explain(RoleProblem.ABOVE_BOT, above, "Nexus Bot")
    everyone = dataclasses.replace(PLAIN, name="@everyone", is_default=True)
    assert "every member" in explain(RoleProblem.EVERYONE, everyone, "Nexus Bot")


def test_everyone_can_never_be_the_staff_role() -> None:
    why = staff_role_problem(is_default=True)
    assert why is not None and "everyone would be staff" in why and "staff_role:" in why
    assert staff_role_problem(is_default=False) is None
