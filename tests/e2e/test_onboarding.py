"""Role picker and first-week welcomes end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.world import BOT_PERMS, Perm

CHANNEL = "prodevprojectnexus"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def role_names(nexus: Any, user: str) -> set[str]:
    world = nexus.sandbox.world
    return {world.guild.roles[r].name for r in world.member(user).roles}


async def setup(nexus: Any, **options: Any) -> None:
    nexus.set_time(T0)
    result = await nexus.setup_guild(cohort_start="2026-12-01", **options)
    assert result.ephemeral


async def post_picker(nexus: Any) -> dict[str, Any]:
    result = await nexus.client.slash("erin", "nexus rolepicker")
    assert result.ephemeral and "Role picker posted" in result.content, result.content
    picker = next(m for m in nexus.sandbox.messages_in(CHANNEL) if m.get("components"))
    assert f"/{picker['channel_id']}/{picker['id']}" in result.content
    return picker


async def test_role_picker_switches_track_and_survives_restart(nexus: Any) -> None:
    await setup(nexus)
    picker = await post_picker(nexus)
    labels = [c["label"] for r in picker["components"] for c in r["components"]]
    assert labels == ["I'm Backend", "I'm Frontend"]
    async with nexus.db() as db:
        row = await db.fetchone("SELECT rolepicker_channel_id, rolepicker_message_id FROM guild_settings")
    assert (row[0], row[1]) == (int(picker["channel_id"]), int(picker["id"]))

    switched = await nexus.client.click("alice", picker, "I'm Frontend")
    assert switched.ephemeral and "/project announce" in switched.text and "/match" in switched.text
    await nexus.sandbox.wait_until(lambda: role_names(nexus, "alice") == {"Frontend"}, 10, "alice to switch track")

    await nexus.restart()
    back = await nexus.client.click("alice", picker, "I'm Backend")
    assert back.ephemeral and "You're Backend" in back.text
    await nexus.sandbox.wait_until(lambda: role_names(nexus, "alice") == {"Backend"}, 10, "alice to switch back")
    # Pressing your own track again changes nothing.
    same = await nexus.client.click("alice", picker, "I'm Backend")
    assert same.ephemeral and role_names(nexus, "alice") == {"Backend"}


async def test_rolepicker_is_staff_only(nexus: Any) -> None:
    await setup(nexus)
    refused = await nexus.client.slash("alice", "nexus rolepicker")
    assert refused.ephemeral and "staff" in refused.content.lower()
    assert not any(m.get("components") for m in nexus.sandbox.messages_in(CHANNEL))


async def test_missing_manage_roles_is_explained_to_staff(nexus: Any) -> None:
    await setup(nexus)
    nexus.sandbox.set_bot_permissions(BOT_PERMS & ~Perm.MANAGE_ROLES)
    result = await nexus.client.slash("erin", "nexus rolepicker")
    assert result.ephemeral and "Manage Roles" in result.content
    assert not any(m.get("components") for m in nexus.sandbox.messages_in(CHANNEL))


async def test_role_hierarchy_problem_after_posting_reaches_learner_and_staff(nexus: Any) -> None:
    await setup(nexus, review_channel="staff-review")
    picker = await post_picker(nexus)
    nexus.sandbox.set_role_position("Frontend", 10)  # now above the bot's own role
    hierarchy = await nexus.client.slash("erin", "nexus rolepicker")
    assert hierarchy.ephemeral and "drag @Nexus Bot above @Frontend" in hierarchy.content

    pressed = await nexus.client.click("bob", picker, "I'm Frontend")
    assert pressed.ephemeral and "Staff have been told" in pressed.content
    notice = await nexus.sandbox.wait_for_message("staff-review", lambda m: "Role picker" in m["content"], timeout=10)
    assert "@Frontend" in notice["content"] and notice["mention_roles"] == []
    assert role_names(nexus, "bob") == {"Frontend"}  # unchanged


async def test_first_week_welcome_points_at_picker_and_can_be_turned_off(nexus: Any) -> None:
    await setup(nexus)
    picker = await post_picker(nexus)
    nexus.sandbox.add_member("frank")
    welcome = await nexus.sandbox.wait_for_message(CHANNEL, lambda m: "Welcome" in m["content"], timeout=10)
    frank = str(nexus.sandbox.world.user("frank").id)
    assert f"<@{frank}>" in welcome["content"] and [u["id"] for u in welcome["mentions"]] == [frank]
    assert f"/{picker['channel_id']}/{picker['id']}" in welcome["content"]
    assert "/project announce" in welcome["content"]

    off = await nexus.client.slash("erin", "nexus configure", welcome=False)
    assert off.ephemeral and "off" in off.content
    nexus.sandbox.add_member("gina")
    on = await nexus.client.slash("erin", "nexus configure", welcome=True)
    assert "on" in on.content
    nexus.sandbox.add_member("hank")
    hank = str(nexus.sandbox.world.user("hank").id)
    await nexus.sandbox.wait_for_message(CHANNEL, lambda m: f"<@{hank}>" in m["content"], timeout=10)
    gina = str(nexus.sandbox.world.user("gina").id)
    assert not any(f"<@{gina}>" in m["content"] for m in nexus.sandbox.messages_in(CHANNEL))

    # After the first week nobody is welcomed (a later join in a new cohort's first week shows the event was handled).
    nexus.advance(timedelta(days=8))
    nexus.sandbox.add_member("ivan")
    await nexus.client.slash("erin", "nexus setup", options={"channel": CHANNEL, "cohort_start": "2026-12-09"})
    nexus.sandbox.add_member("judy")
    judy = str(nexus.sandbox.world.user("judy").id)
    await nexus.sandbox.wait_for_message(CHANNEL, lambda m: f"<@{judy}>" in m["content"], timeout=10)
    ivan = str(nexus.sandbox.world.user("ivan").id)
    assert not any(f"<@{ivan}>" in m["content"] for m in nexus.sandbox.messages_in(CHANNEL))


async def test_configure_is_staff_only(nexus: Any) -> None:
    await setup(nexus)
    refused = await nexus.client.slash("bob", "nexus configure", welcome=False)
    assert refused.ephemeral and "staff" in refused.content.lower()
    async with nexus.db() as db:
        assert await db.fetchval("SELECT welcome_enabled FROM guild_settings") == 1
