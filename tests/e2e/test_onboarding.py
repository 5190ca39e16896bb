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


# --- the role picker never hands out staff (hardening) ------------------------------------------


async def test_setup_refuses_track_roles_that_would_make_learners_staff(nexus: Any) -> None:
    await setup(nexus)
    nexus.sandbox.add_role("Admins", Perm.ADMINISTRATOR)
    nexus.sandbox.add_role("Mods", Perm.KICK_MEMBERS | Perm.MANAGE_MESSAGES, position=2)
    nexus.sandbox.add_role("Other Bot", 0, managed=True, bot_id=12345)
    nexus.sandbox.add_role("Seniors", 0, position=10)  # above the bot's own role
    cases = {
        "Staff": "is the staff role",
        "Admins": "carries Administrator",
        "Mods": "carries Manage Messages, Kick Members",
        "@everyone": "every member of the server",
        "Other Bot": "managed by Discord or an integration",
        "Seniors": "drag @Nexus Bot above @Seniors",
    }
    for role, why in cases.items():
        refused = await nexus.client.slash("erin", "nexus setup", options={"channel": CHANNEL, "backend_role": role})
        assert refused.ephemeral and why in refused.content, (role, refused.content)
        assert "I can't use" in refused.content and "Try `backend_role:@Backend`" in refused.content
        assert not refused.error_id_seen
    frontend = await nexus.client.slash("erin", "nexus setup", options={"channel": CHANNEL, "frontend_role": "Staff"})
    assert frontend.ephemeral and "Try `frontend_role:@Frontend`" in frontend.content
    async with nexus.db() as db:
        row = await db.fetchone("SELECT backend_role_id, frontend_role_id, staff_role_id FROM guild_settings")
    world = nexus.sandbox.world
    assert (row[0], row[1], row[2]) == (world.role("Backend").id, world.role("Frontend").id, None)


async def test_everyone_is_never_the_staff_role(nexus: Any) -> None:
    await setup(nexus)
    refused = await nexus.client.slash("erin", "nexus setup", options={"channel": CHANNEL, "staff_role": "@everyone"})
    assert refused.ephemeral and "everyone would be staff" in refused.content
    # The staff role can't be a track role either (learners pressing I'm Backend would become staff).
    clash = await nexus.client.slash("erin", "nexus setup", options={"channel": CHANNEL, "staff_role": "Backend"})
    assert clash.ephemeral and "can't be the staff role too" in clash.content
    async with nexus.db() as db:
        assert await db.fetchval("SELECT staff_role_id FROM guild_settings") is None
        # Stored before this check existed: @everyone as the staff role must still not make members staff.
        await db.execute("UPDATE guild_settings SET staff_role_id = ?", (nexus.sandbox.world.guild.id,))
    await nexus.restart()  # settings are read fresh
    learner = await nexus.client.slash("alice", "nexus rolepicker")
    assert learner.ephemeral and "Only staff" in learner.content
    assert not any(m.get("components") for m in nexus.sandbox.messages_in(CHANNEL))
    staff = await nexus.client.slash("erin", "nexus rolepicker")  # erin holds Manage Server through Staff
    assert staff.ephemeral and "Role picker posted" in staff.content


async def test_press_after_role_gains_administrator_is_refused_and_staff_told_once(nexus: Any) -> None:
    await setup(nexus, review_channel="staff-review")
    picker = await post_picker(nexus)
    nexus.sandbox.set_role_permissions("Backend", Perm.ADMINISTRATOR)

    pressed = await nexus.client.click("bob", picker, "I'm Backend")
    assert pressed.ephemeral and "I can't give you the Backend role right now" in pressed.content
    assert "Administrator" not in pressed.content  # the learner gets a neutral reason
    assert role_names(nexus, "bob") == {"Frontend"}
    notice = await nexus.sandbox.wait_for_message(
        "staff-review", lambda m: "carries Administrator" in m["content"], timeout=10
    )
    assert "@Backend" in notice["content"] and notice["mention_roles"] == []
    again = await nexus.client.click("dave", picker, "I'm Backend")
    assert again.ephemeral and "Staff have been told" in again.content
    assert role_names(nexus, "dave") == {"Frontend"}
    # Leaving Backend is refused too while it's unsafe (the bot won't touch it), and staff heard only once.
    leave = await nexus.client.click("alice", picker, "I'm Frontend")
    assert leave.ephemeral and "right now" in leave.content and role_names(nexus, "alice") == {"Backend"}
    notices = [m for m in nexus.sandbox.messages_in("staff-review") if "Role picker" in m["content"]]
    assert len(notices) == 1, [m["content"] for m in notices]
    # Refusing to post a new picker names the reason for staff.
    repost = await nexus.client.slash("erin", "nexus rolepicker")
    assert repost.ephemeral and "carries Administrator" in repost.content

    nexus.sandbox.set_role_permissions("Backend", 0)
    fixed = await nexus.client.click("bob", picker, "I'm Backend")
    assert fixed.ephemeral and "You're Backend" in fixed.text
    await nexus.sandbox.wait_until(lambda: role_names(nexus, "bob") == {"Backend"}, 10, "bob to get Backend")


# --- switching track with an announcement (first week) --------------------------------------------


async def announce_and_join(nexus: Any, user: str) -> None:
    options = {"project": "ecommerce", "title": f"{user.title()}'s build", "summary": "A capstone."}
    announced = await nexus.client.slash(user, "project announce", **options)
    assert announced.ephemeral and "Announced" in announced.content, announced.describe()
    joined = await nexus.client.slash(user, "match join")
    assert joined.ephemeral and not joined.error_id_seen, joined.describe()


def labels(result: Any) -> list[str]:
    return [c.get("label") for row in result.components for c in row.get("components", [])]


async def test_switching_track_offers_to_move_the_announcement(nexus: Any) -> None:
    await setup(nexus)
    picker = await post_picker(nexus)
    await announce_and_join(nexus, "alice")

    switched = await nexus.client.click("alice", picker, "I'm Frontend")
    assert switched.ephemeral and [e["title"] for e in switched.embeds] == [
        "You're Frontend!",
        "Your announcement is still on Backend",
    ]
    note = switched.embeds[1]["description"]
    assert "announcement and match profile are still on **Backend**" in note and "Alice's build" in note
    assert labels(switched) == ["Move my announcement to Frontend"]
    await nexus.sandbox.wait_until(lambda: role_names(nexus, "alice") == {"Frontend"}, 10, "alice to switch")

    intruder = await nexus.client.click("carol", switched, "Move my announcement to Frontend")
    assert intruder.ephemeral and "someone else's" in intruder.content
    # Changed her mind: back on Backend, the stale offer refuses rather than moving her announcement away.
    back = await nexus.client.click("alice", picker, "I'm Backend")
    assert [e["title"] for e in back.embeds] == ["You're Backend!"] and labels(back) == []
    await nexus.sandbox.wait_until(lambda: role_names(nexus, "alice") == {"Backend"}, 10, "alice to switch back")
    stale = await nexus.client.click("alice", switched, "Move my announcement to Frontend")
    assert stale.ephemeral and "press I'm Frontend on the role picker first" in stale.content, stale.describe()
    await nexus.client.click("alice", picker, "I'm Frontend")
    await nexus.sandbox.wait_until(lambda: role_names(nexus, "alice") == {"Frontend"}, 10, "alice to switch again")
    await nexus.restart()  # the button is persistent
    moved = await nexus.client.click("alice", switched, "Move my announcement to Frontend")
    assert moved.ephemeral and "on **Frontend** now; your post was edited" in moved.content, moved.describe()
    assert moved.components == [] and moved.embeds == []  # the offer is replaced by the outcome
    async with nexus.db() as db:
        row = await db.fetchone("SELECT track, message_id FROM announcements")
    assert row["track"] == "frontend"

    def moved_post() -> Any:
        post = next(m for m in nexus.sandbox.messages_in(CHANNEL) if m["id"] == str(row["message_id"]))
        return post if "Frontend" in str(post["embeds"][0]["fields"]) else None

    # The projects feature re-renders the post on nexus_announcement_changed, alongside this reply.
    post = await nexus.sandbox.wait_until(moved_post, 10, "the post to show Frontend")
    project = next(f["value"] for f in post["embeds"][0]["fields"] if f["name"] == "Project")
    assert "Frontend" in project and "Backend" not in project
    assert [c["label"] for r in post["components"] for c in r["components"]] == ["Pair with me"]
    status = await nexus.client.slash("alice", "match status")
    assert "Frontend" in status.text

    # Back on a track the announcement is already on: nothing to say, no button.
    again = await nexus.client.click("alice", picker, "I'm Frontend")
    assert [e["title"] for e in again.embeds] == ["You're Frontend!"] and labels(again) == []


async def test_a_paired_learner_is_told_to_unpair_before_moving(nexus: Any) -> None:
    await setup(nexus)
    picker = await post_picker(nexus)
    await announce_and_join(nexus, "alice")
    await announce_and_join(nexus, "bob")
    early = await nexus.client.click("alice", picker, "I'm Frontend")  # offered before any pairing
    assert labels(early) == ["Move my announcement to Frontend"]

    sent = await nexus.client.slash("alice", "match request", member="bob")
    assert sent.ephemeral and not sent.error_id_seen, sent.describe()
    dm = await nexus.sandbox.wait_for_message("@bob", lambda m: "nexus:match" in str(m.get("components")))
    accepted = await nexus.client.click("bob", dm, "Accept")
    assert "partners now" in accepted.content, accepted.describe()

    paired = await nexus.client.click("alice", picker, "I'm Frontend")
    assert paired.ephemeral and labels(paired) == []
    note = paired.embeds[1]["description"]
    bob = nexus.sandbox.world.user("bob").id
    assert f"paired with <@{bob}>" in note and "one Backend and one Frontend" in note and "/match unpair" in note
    assert paired.message is not None and paired.message["mentions"] == []
    # The button offered before the pairing refuses now instead of silently breaking the pair.
    late = await nexus.client.click("alice", early, "Move my announcement to Frontend")
    assert late.ephemeral and "End the pairing first with `/match unpair`" in late.content, late.describe()
    async with nexus.db() as db:
        alice = nexus.sandbox.world.user("alice").id
        assert await db.fetchval("SELECT track FROM announcements WHERE user_id = ?", (alice,)) == "backend"
        assert await db.fetchval("SELECT COUNT(*) FROM pairs WHERE status = 'active'") == 1
