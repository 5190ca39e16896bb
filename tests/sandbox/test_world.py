"""The sandbox world's lookups."""

from __future__ import annotations

import pytest

from sandbox.world import World


def test_member_by_name_finds_by_username_or_global_name_and_follows_changes() -> None:
    world = World.default()
    members = world.add_learners(50)
    last = members[-1]
    assert world.guild.member_by_name(last.user.username) is last
    assert world.guild.member_by_name(last.user.global_name or "") is last
    # removed, renamed: the index is checked on every hit, so it never answers with a stale member
    del world.guild.members[last.user.id]
    with pytest.raises(KeyError):
        world.guild.member_by_name(last.user.username)
    first = members[0]
    old_name = first.user.username
    first.user.username = "renamed"
    assert world.guild.member_by_name("renamed") is first
    with pytest.raises(KeyError):
        world.guild.member_by_name(old_name)


def test_member_by_name_prefers_the_first_member_with_that_name() -> None:
    world = World.default()
    a = world.add_member("dup")
    world.add_member("other").user.global_name = "Dup"
    assert world.guild.member_by_name("Dup") is a  # a's global name is "Dup" too, and it came first
