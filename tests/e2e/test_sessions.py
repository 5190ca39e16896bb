"""/session end to end: a real bot subprocess against the sandbox, time moved with NEXUS_CLOCK_FILE."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.world import BOT_PERMS, Perm

CHANNEL = "prodevprojectnexus"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
# "2026-12-01 18:00" in Asia/Kolkata (UTC+05:30).
START = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


def session_posts(nexus: Any) -> list[dict[str, Any]]:
    """The bot's session posts in the project channel (their embed footer names the session)."""
    bot_id = str(nexus.sandbox.world.bot.id)
    return [
        m
        for m in nexus.sandbox.messages_in(CHANNEL)
        if m["author"]["id"] == bot_id
        and m.get("embeds")
        and "Session #" in (m["embeds"][0].get("footer") or {}).get("text", "")
    ]


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


def uid(nexus: Any, name: str) -> int:
    return int(nexus.sandbox.world.user(name).id)


async def start(nexus: Any, now: datetime = T0) -> None:
    nexus.set_time(now)
    result = await nexus.setup_guild()
    assert result.ephemeral


async def create(nexus: Any, user: str = "alice", **options: Any) -> Any:
    values: dict[str, Any] = {
        "title": "Django REST pairing",
        "when": "2026-12-01 18:00",
        "duration": 90,
        "timezone": "Asia/Kolkata",
    }
    values.update(options)
    return await nexus.client.slash(user, "session create", **{k: v for k, v in values.items() if v is not None})


async def session_row(nexus: Any) -> Any:
    async with nexus.db() as db:
        return await db.fetchone("SELECT * FROM study_sessions ORDER BY id DESC LIMIT 1")


async def test_create_rsvp_remind_start_across_restarts(nexus: Any) -> None:
    await start(nexus)
    result = await create(nexus, capacity=2)
    assert result.ephemeral
    assert "Asia/Kolkata" in result.content and "UTC+05:30" in result.content
    assert "Discord event was added" in result.content
    [post] = session_posts(nexus)
    assert f"/{post['channel_id']}/{post['id']}" in result.content
    embed = post["embeds"][0]
    assert embed["title"] == "📚 Django REST pairing"
    assert f"<t:{int(START.timestamp())}:F>" in embed["description"]
    assert fields(post)["Going (1/2)"] == f"<@{uid(nexus, 'alice')}>"
    labels = [c["label"] for row in post["components"] for c in row["components"]]
    assert labels == ["Going", "Maybe", "Not going"]

    row = await session_row(nexus)
    assert datetime.fromisoformat(row["starts_at"]) == START
    assert (row["timezone"], row["capacity"], row["message_id"]) == ("Asia/Kolkata", 2, int(post["id"]))
    [event] = nexus.sandbox.state.scheduled_events[nexus.sandbox.world.guild.id].values()
    assert event["name"] == "Django REST pairing" and int(event["id"]) == row["event_id"]
    assert datetime.fromisoformat(event["scheduled_start_time"]) == START

    going = await nexus.client.click("bob", post, "Going")
    assert going.type == 7  # the post itself was updated
    assert "Going (2/2)" in fields(nexus.sandbox.state.message_index[int(post["id"])].payload)
    full = await nexus.client.click("carol", post, "Going")
    assert full.ephemeral and "full" in full.content
    await nexus.client.click("carol", post, "Maybe")

    await nexus.restart()
    # Buttons survive the restart.
    after = await nexus.client.click("dave", post, "Not going")
    assert after.type == 7
    latest = fields(nexus.sandbox.state.message_index[int(post["id"])].payload)
    assert latest["Maybe (1)"] == f"<@{uid(nexus, 'carol')}>"
    assert latest["Not going (1)"] == f"<@{uid(nexus, 'dave')}>"

    # 15 minutes before: a DM to each person going, and to nobody else.
    nexus.set_time(START - timedelta(minutes=14, seconds=30))
    for name in ("alice", "bob"):
        dm = await nexus.sandbox.wait_for_message(f"@{name}", timeout=10)
        assert "Django REST pairing" in dm["content"] and f"<t:{int(START.timestamp())}:R>" in dm["content"]
    assert nexus.sandbox.dms_to("carol") == [] and nexus.sandbox.dms_to("dave") == []

    await nexus.kill_and_restart()
    nexus.set_time(START + timedelta(seconds=5))
    started = await nexus.sandbox.wait_for_message(CHANNEL, lambda m: "is starting now" in m["content"], timeout=10)
    assert f"<@{uid(nexus, 'alice')}>" in started["content"] and f"<@{uid(nexus, 'bob')}>" in started["content"]
    assert {u["id"] for u in started["mentions"]} == {str(uid(nexus, "alice")), str(uid(nexus, "bob"))}
    # Neither the reminder nor the start repeated after two restarts.
    assert len(nexus.sandbox.dms_to("alice")) == 1 and len(nexus.sandbox.dms_to("bob")) == 1
    assert len([m for m in nexus.sandbox.messages_in(CHANNEL) if "is starting now" in m["content"]]) == 1
    async with nexus.db() as db:
        statuses = await db.fetchall("SELECT kind, status FROM jobs WHERE dedupe_key LIKE 'session:%' ORDER BY kind")
    assert [(r["kind"], r["status"]) for r in statuses] == [("session.reminder", "done"), ("session.start", "done")]


async def test_reminder_falls_back_to_a_thread_mention_when_dms_are_closed(nexus: Any) -> None:
    await start(nexus)
    nexus.sandbox.world.member("bob").user.dms_closed = True
    await create(nexus, when="in 1h", timezone=None)
    [post] = session_posts(nexus)
    await nexus.client.click("bob", post, "Going")
    nexus.advance(timedelta(minutes=46))
    dm = await nexus.sandbox.wait_for_message("@alice", timeout=10)
    assert "Django REST pairing" in dm["content"]
    [thread] = await nexus.sandbox.wait_until(lambda: nexus.sandbox.threads(CHANNEL), 10, "a reminder thread")
    assert int(thread["id"]) == int(post["id"])  # a thread on the session post
    mention = await nexus.sandbox.wait_for_message(thread["id"], timeout=10)
    assert f"<@{uid(nexus, 'bob')}>" in mention["content"] and "couldn't DM" in mention["content"]
    assert [u["id"] for u in mention["mentions"]] == [str(uid(nexus, "bob"))]
    row = await session_row(nexus)
    assert row["thread_id"] == int(thread["id"])


async def test_zone_defaults_to_utc_and_says_so(nexus: Any) -> None:
    await start(nexus)
    result = await create(nexus, when="tomorrow 18:00", timezone=None)
    assert "UTC" in result.content and "timezone:" in result.content
    row = await session_row(nexus)
    assert datetime.fromisoformat(row["starts_at"]) == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "when", "zone", "needle"),
    [
        (T0, "2026-11-30 18:00", "UTC", "in the past"),
        (datetime(2026, 10, 20, tzinfo=UTC), "2026-11-01 01:30", "America/New_York", "ambiguous"),
        (datetime(2026, 3, 1, tzinfo=UTC), "2026-03-08 02:15", "America/St_Johns", "doesn't exist"),
        (T0, "someday", "UTC", "2026-12-01 18:00"),
        (T0, "2026-12-01 18:00", "Mars/Olympus", "Unknown time zone"),
    ],
)
async def test_bad_times_are_rejected_with_an_example(
    nexus: Any, now: datetime, when: str, zone: str, needle: str
) -> None:
    await start(nexus, now)
    result = await create(nexus, when=when, timezone=zone)
    assert result.ephemeral and needle in result.content
    assert session_posts(nexus) == []
    assert await session_row(nexus) is None


async def test_without_manage_events_it_says_so_and_carries_on(nexus: Any) -> None:
    await start(nexus)
    nexus.sandbox.set_bot_permissions(BOT_PERMS & ~Perm.MANAGE_EVENTS & ~Perm.CREATE_EVENTS)
    result = await create(nexus)
    assert "Manage Events" in result.content
    assert len(session_posts(nexus)) == 1
    assert not nexus.sandbox.state.scheduled_events.get(nexus.sandbox.world.guild.id)
    row = await session_row(nexus)
    assert row["event_id"] is None and row["message_id"] is not None


async def test_missing_send_permission_is_explained(nexus: Any) -> None:
    await start(nexus)
    nexus.sandbox.set_bot_channel_permissions(CHANNEL, deny=Perm.SEND_MESSAGES)
    result = await create(nexus)
    assert result.ephemeral and "Send Messages" in result.content
    assert await session_row(nexus) is None


async def test_create_after_the_project_channel_was_deleted_says_it_no_longer_exists(nexus: Any) -> None:
    await start(nexus)
    nexus.sandbox.delete_channel(CHANNEL)
    values = {"title": "Django REST pairing", "when": "2026-12-01 18:00", "duration": 90}
    result = await nexus.client.slash("alice", "session create", channel="general", options=values)
    assert result.ephemeral and "no longer exists" in result.content and "/nexus setup" in result.content
    assert await session_row(nexus) is None


async def test_cancel_by_host_tells_everyone_going(nexus: Any) -> None:
    await start(nexus)
    await create(nexus)
    [post] = session_posts(nexus)
    await nexus.client.click("bob", post, "Going")
    row = await session_row(nexus)

    choices = await nexus.client.autocomplete("bob", "session cancel", focused="session", value="")
    assert choices == []  # bob hosts nothing
    staff_choices = await nexus.client.autocomplete("erin", "session cancel", focused="session", value="django")
    assert [c["value"] for c in staff_choices] == [str(row["id"])]
    own = await nexus.client.autocomplete("alice", "session cancel", focused="session", value="")
    assert [c["value"] for c in own] == [str(row["id"])] and "Django REST pairing" in own[0]["name"]

    refused = await nexus.client.slash("bob", "session cancel", session=str(row["id"]))
    assert refused.ephemeral and "Only the host" in refused.content

    result = await nexus.client.slash("alice", "session cancel", session=str(row["id"]), reason="Host is ill")
    assert result.ephemeral and "cancelled" in result.content and "1 by DM" in result.content
    dm = await nexus.sandbox.wait_for_message("@bob", timeout=10)
    assert "was cancelled" in dm["content"] and "Host is ill" in dm["content"]
    assert nexus.sandbox.dms_to("alice") == []  # the host isn't told about their own cancel
    edited = nexus.sandbox.state.message_index[int(post["id"])].payload
    assert edited["embeds"][0]["title"] == "Cancelled: Django REST pairing"
    assert all(c.get("disabled") for r in edited["components"] for c in r["components"])
    assert not nexus.sandbox.state.scheduled_events.get(nexus.sandbox.world.guild.id)
    async with nexus.db() as db:
        jobs = await db.fetchall("SELECT status FROM jobs WHERE dedupe_key LIKE ?", (f"session:{row['id']}:%",))
        cancelled = await db.fetchone("SELECT status FROM study_sessions WHERE id = ?", (row["id"],))
    assert {j["status"] for j in jobs} == {"cancelled"} and cancelled["status"] == "cancelled"

    again = await nexus.client.slash("erin", "session cancel", session=str(row["id"]))
    assert again.ephemeral and "already cancelled" in again.content


async def test_staff_can_cancel_any_session(nexus: Any) -> None:
    await start(nexus)
    await create(nexus)
    row = await session_row(nexus)
    result = await nexus.client.slash("erin", "session cancel", session=str(row["id"]))
    assert "cancelled" in result.content


async def test_list_filters_by_project_and_autocompletes(nexus: Any) -> None:
    await start(nexus)
    empty = await nexus.client.slash("bob", "session list")
    assert empty.ephemeral and "No upcoming sessions" in empty.content
    await create(nexus, title="Cart API review", project="E-Commerce")
    await create(nexus, "bob", title="Feed UI pairing", when="in 3h", timezone=None, project="Social Media Feed")
    projects = await nexus.client.autocomplete("alice", "session create", focused="project", value="feed")
    assert [c["value"] for c in projects] == ["Social Media Feed"]
    zones = await nexus.client.autocomplete("alice", "session create", focused="timezone", value="kolk")
    assert zones[0]["value"] == "Asia/Kolkata"

    listing = await nexus.client.slash("carol", "session list")
    text = listing.embeds[0]["description"]
    assert text.index("Feed UI pairing") < text.index("Cart API review")  # 09:00+3h before 12:30 UTC
    only = await nexus.client.slash("carol", "session list", project="Social Media Feed")
    assert "Feed UI pairing" in only.embeds[0]["description"]
    assert "Cart API review" not in only.embeds[0]["description"]


async def test_rsvp_on_a_past_session_is_refused(nexus: Any) -> None:
    await start(nexus)
    await create(nexus, when="in 30m", timezone=None, duration=30)
    [post] = session_posts(nexus)
    nexus.advance(timedelta(hours=2))
    result = await nexus.client.click("bob", post, "Going")
    assert result.ephemeral and "over" in result.content


async def test_zone_from_match_profile_and_pair_thread(nexus: Any) -> None:
    await start(nexus)
    # A thread the bot knows; the pairs row below makes it a pair's thread (as partner matching would).
    asked = await nexus.client.slash("alice", "ask", question="Where do we plan our pairing?")
    assert asked.ephemeral
    [thread] = nexus.sandbox.threads(CHANNEL)
    guild = nexus.sandbox.world.guild.id
    async with nexus.db() as db, db.transaction() as conn:
        await conn.execute(
            "INSERT INTO match_profiles (guild_id, user_id, timezone, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (guild, uid(nexus, "alice"), "America/St_Johns", T0.isoformat(), T0.isoformat()),
        )
        await conn.execute(
            "INSERT INTO pairs (guild_id, backend_id, frontend_id, project, thread_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (guild, uid(nexus, "alice"), uid(nexus, "bob"), "E-Commerce", int(thread["id"]), T0.isoformat()),
        )
    result = await nexus.client.slash(
        "alice", "session create", channel=thread["id"], title="Pair: cart API", when="tomorrow 18:00", duration=60
    )
    assert "America/St_Johns" in result.content and "match profile" in result.content
    row = await session_row(nexus)
    assert datetime.fromisoformat(row["starts_at"]) == datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
    assert row["channel_id"] == int(thread["id"])
    post = nexus.sandbox.state.message_index[row["message_id"]].payload
    assert int(post["channel_id"]) == int(thread["id"]) and session_posts(nexus) == []
    nexus.set_time(datetime(2026, 12, 2, 21, 30, 1, tzinfo=UTC))
    started = await nexus.sandbox.wait_for_message(thread["id"], lambda m: "is starting now" in m["content"], 10)
    assert f"<@{uid(nexus, 'alice')}>" in started["content"]


async def test_rsvps_answered_out_of_order_leave_the_post_current(nexus: Any) -> None:
    await start(nexus)
    await create(nexus)
    [post] = session_posts(nexus)
    # bob's answer reaches Discord late (after carol's): his edit shows an older count than the database.
    callback = "/interactions/{interaction_id}/{token}/callback"
    before = len(nexus.sandbox.requests)
    nexus.sandbox.inject_fault("POST", callback, None, delay=0.8)
    bob = asyncio.create_task(nexus.client.click("bob", post, "Going"))
    for _ in range(100):
        if any(r.route == f"POST {callback}" for r in nexus.sandbox.requests[before:]):
            break
        await asyncio.sleep(0.02)
    await nexus.client.click("carol", post, "Going")
    await bob
    for _ in range(100):
        shown = nexus.sandbox.state.message_index[int(post["id"])].payload
        if "Going (3)" in fields(shown):
            break
        await asyncio.sleep(0.05)
    assert "Going (3)" in fields(shown), list(fields(shown))
