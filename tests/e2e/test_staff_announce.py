"""/nexus announce and /nexus announcements end to end: pings, scheduling across restarts, cancelling."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.client import InteractionResult
from sandbox.world import BOT_PERMS, Perm

CHANNEL = "prodevprojectnexus"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def post_status(nexus: Any, title: str, expected: str, timeout: float = 10) -> None:
    """Wait until the stored announcement reaches `expected` (it is marked right after Discord accepts the post)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with nexus.db() as db:
            status = await db.fetchval("SELECT status FROM staff_posts WHERE title = ?", (title,))
        if status == expected:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{title!r} stayed {status!r}"
        await asyncio.sleep(0.05)


def staff_posts(nexus: Any) -> list[dict[str, Any]]:
    return [
        m
        for m in nexus.sandbox.messages_in(CHANNEL)
        if m.get("embeds") and (m["embeds"][0].get("footer") or {}).get("text") == "Staff announcement"
    ]


async def announce(nexus: Any, staff: str = "erin", **options: Any) -> InteractionResult:
    """/nexus announce as `staff` (by default a staff member) with these options."""
    return await nexus.client.slash(staff, "nexus announce", **options)


async def setup(nexus: Any) -> None:
    nexus.set_time(T0)
    assert (await nexus.setup_guild()).ephemeral


async def test_announce_now_pings_only_the_chosen_role(nexus: Any) -> None:
    await setup(nexus)
    backend = nexus.sandbox.world.role("Backend")
    result = await announce(
        nexus,
        title="Demo day moved",
        message="Demo day is now Friday. @everyone @here <@&1> <@123> stay calm.",
        ping="Backend",
    )
    assert result.ephemeral and "Posted" in result.content
    [post] = staff_posts(nexus)
    assert post["content"] == f"<@&{backend.id}>"
    assert post["mention_roles"] == [str(backend.id)]
    assert post["mention_everyone"] is False and post["mentions"] == []
    sent = nexus.sandbox.state.message_index[int(post["id"])].sent
    allowed = sent["allowed_mentions"]
    assert allowed["parse"] == [] and [str(r) for r in allowed["roles"]] == [str(backend.id)]
    assert not allowed.get("users")
    assert post["embeds"][0]["title"] == "Demo day moved"
    async with nexus.db() as db:
        row = await db.fetchone("SELECT * FROM staff_posts")
    assert (row["status"], row["message_id"], row["role_id"]) == ("posted", int(post["id"]), backend.id)


async def test_announce_without_ping_pings_nobody(nexus: Any) -> None:
    await setup(nexus)
    await announce(nexus, title="Hello", message="Hi <@&1> @everyone")
    [post] = staff_posts(nexus)
    assert post["content"] == "" and post["mention_roles"] == [] and post["mention_everyone"] is False
    allowed = nexus.sandbox.state.message_index[int(post["id"])].sent["allowed_mentions"]
    assert allowed["parse"] == [] and not allowed.get("roles") and not allowed.get("users")


async def test_scheduled_announcement_survives_restart_and_posts_once(nexus: Any) -> None:
    await setup(nexus)
    keep = await announce(
        nexus,
        title="Standup",
        message="Standup in the voice channel",
        at="2026-12-01 17:00",
        timezone="Africa/Lagos",
        ping="Frontend",
    )
    assert keep.ephemeral and "scheduled" in keep.content and "Africa/Lagos" in keep.content
    due = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert f"<t:{int(due.timestamp())}:F>" in keep.content
    drop = await announce(nexus, title="Wrong one", message="oops", at="in 2h")
    assert "scheduled" in drop.content
    assert staff_posts(nexus) == []

    listing = await nexus.client.slash("erin", "nexus announcements")
    assert listing.ephemeral
    text = listing.embeds[0]["description"]
    assert text.index("Wrong one") < text.index("Standup")  # 11:00 before 16:00 UTC
    async with nexus.db() as db:
        rows = await db.fetchall("SELECT id, title FROM staff_posts ORDER BY id")
    ids = {r["title"]: r["id"] for r in rows}
    not_staff = await nexus.client.click("alice", listing, f"Cancel #{ids['Wrong one']}")
    assert not_staff.ephemeral and "staff" in not_staff.content.lower()
    cancelled = await nexus.client.click("erin", listing, f"Cancel #{ids['Wrong one']}")
    assert cancelled.ephemeral and "cancelled" in cancelled.content

    await nexus.restart()
    nexus.set_time(due + timedelta(seconds=1))
    post = await nexus.sandbox.wait_for_message(CHANNEL, lambda m: m in staff_posts(nexus), timeout=10)
    frontend = nexus.sandbox.world.role("Frontend")
    assert post["embeds"][0]["title"] == "Standup" and post["mention_roles"] == [str(frontend.id)]
    await post_status(nexus, "Standup", "posted")
    await nexus.kill_and_restart()
    # Another announcement due later proves the scheduler ran after the restart without repeating the first.
    await announce(nexus, title="Later", message="later", at="in 1h")
    nexus.advance(timedelta(hours=1, seconds=1))
    await nexus.sandbox.wait_for_message(CHANNEL, lambda m: m["embeds"] and m["embeds"][0]["title"] == "Later", 10)
    assert [p["embeds"][0]["title"] for p in staff_posts(nexus)] == ["Standup", "Later"]
    await post_status(nexus, "Later", "posted")
    async with nexus.db() as db:
        statuses = {r["title"]: r["status"] for r in await db.fetchall("SELECT title, status FROM staff_posts")}
    assert statuses == {"Standup": "posted", "Wrong one": "cancelled", "Later": "posted"}
    empty = await nexus.client.slash("erin", "nexus announcements")
    assert "No announcements are scheduled" in empty.content


async def test_announce_refusals(nexus: Any) -> None:
    await setup(nexus)
    learner = await announce(nexus, staff="alice", title="x", message="y")
    assert learner.ephemeral and "staff" in learner.content.lower()
    everyone = await announce(nexus, title="x", message="y", ping="@everyone")
    assert everyone.ephemeral and "@everyone" in everyone.content
    past = await announce(nexus, title="x", message="y", at="2026-11-30 10:00")
    assert past.ephemeral and "in the past" in past.content
    nexus.sandbox.set_bot_permissions(BOT_PERMS & ~Perm.MENTION_EVERYONE)
    unmentionable = await announce(nexus, title="x", message="y", ping="Staff")
    assert unmentionable.ephemeral and "isn't mentionable" in unmentionable.content
    nexus.sandbox.set_bot_channel_permissions(CHANNEL, deny=Perm.SEND_MESSAGES)
    blocked = await announce(nexus, title="x", message="y")
    assert blocked.ephemeral and "Send Messages" in blocked.content
    assert staff_posts(nexus) == []
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM staff_posts") == 0


async def test_scheduled_announcement_whose_channel_is_gone_tells_staff(nexus: Any) -> None:
    nexus.set_time(T0)
    await nexus.setup_guild(review_channel="staff-review")
    nexus.sandbox.add_channel("events")
    demo = {"title": "Demo day", "message": "Friday", "at": "in 1h", "channel": "events"}
    assert "scheduled" in (await announce(nexus, options=demo)).content
    await announce(nexus, title="Standup", message="Now", at="in 1h")
    nexus.sandbox.delete_channel("events")
    nexus.advance(timedelta(hours=1, seconds=1))

    told = await nexus.sandbox.wait_for_message("staff-review", lambda m: "Demo day" in m["content"], timeout=10)
    assert "was not posted" in told["content"] and "no longer exists" in told["content"]
    assert "/nexus announce" in told["content"]
    await post_status(nexus, "Demo day", "failed")
    await post_status(nexus, "Standup", "posted")  # the other one went out as planned
    assert [m for m in nexus.sandbox.messages_in("staff-review") if "was not posted" in m["content"]] == [told]


async def test_scheduled_announcement_without_a_review_channel_tells_its_author_by_dm(nexus: Any) -> None:
    await setup(nexus)
    nexus.sandbox.add_channel("events")
    demo = {"title": "Demo day", "message": "Friday", "at": "in 1h", "channel": "events"}
    assert "scheduled" in (await announce(nexus, options=demo)).content
    nexus.sandbox.delete_channel("events")
    nexus.advance(timedelta(hours=1, seconds=1))
    told = await nexus.sandbox.wait_for_message("@erin", lambda m: "Demo day" in m["content"], timeout=10)
    assert "no longer exists" in told["content"]
