"""/project and the first week, end to end: a real bot subprocess against the sandbox."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.world import Perm

CHANNEL = "prodevprojectnexus"
COHORT = "2026-12-07"  # a Monday; the sandbox's clock starts there at 09:00
DAY1 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant on day `day` (1-based) of the first week."""
    return DAY1.replace(hour=0) + timedelta(days=day - 1, hours=hour, minutes=minute)


def announce_options(**over: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "project": "ecommerce",
        "title": "ShopLite API",
        "summary": "A small shop backend with carts and orders.",
    }
    options.update(over)
    return options


def posts(nexus: Any) -> list[dict[str, Any]]:
    """The bot's messages in the project channel that carry an embed (announcements and digests)."""
    bot_id = str(nexus.sandbox.world.bot.id)
    return [
        m
        for m in nexus.sandbox.messages_in(CHANNEL)
        if m["author"]["id"] == bot_id and m.get("embeds") and not m.get("interaction_metadata")
    ]


def digests(nexus: Any) -> list[dict[str, Any]]:
    return [m for m in posts(nexus) if m["embeds"][0].get("title", "").startswith("First week — day")]


async def start_week(nexus: Any, **setup: Any) -> None:
    nexus.set_time(DAY1)
    result = await nexus.client.slash(
        "erin", "nexus setup", options={"channel": CHANNEL, "cohort_start": COHORT, **setup}
    )
    assert result.ephemeral and "set up" in result.text


async def test_announce_posts_embed_with_pair_button_and_links_back(nexus: Any) -> None:
    await start_week(nexus)
    result = await nexus.client.slash(
        "alice",
        "project announce",
        **announce_options(
            summary="Ping @everyone and <@&1> and @here: a shop.",
            stack="Django, DRF, PostgreSQL",
            repo="https://github.com/alice/shoplite",
            timezone="africa/lagos",
        ),
    )
    assert result.ephemeral
    [post] = posts(nexus)
    assert f"/{post['channel_id']}/{post['id']}" in result.content
    embed = post["embeds"][0]
    assert embed["title"] == "ShopLite API"
    assert "@\u200beveryone" in embed["description"]  # shown (a zero-width space keeps it inert)…
    assert post["mention_everyone"] is False and post["mention_roles"] == []  # …never pinging
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Project"].startswith("E-Commerce · Backend")  # track from alice's Backend role
    assert fields["Time zone"] == "Africa/Lagos"
    [button] = [c for row in post["components"] for c in row["components"]]
    async with nexus.db() as db:
        row = await db.fetchone("SELECT * FROM announcements")
    assert button["label"] == "Pair with me" and button["custom_id"] == f"nexus:project:pair:{row['id']}"
    assert (row["project_key"], row["track"], row["late"], row["message_id"]) == (
        "ecommerce",
        "backend",
        0,
        int(post["id"]),
    )
    assert row["stack"] == '["Django", "DRF", "PostgreSQL"]'

    again = await nexus.client.slash("alice", "project announce", **announce_options(title="Second"))
    assert again.ephemeral and "/project edit" in again.content
    assert len(posts(nexus)) == 1


async def test_bad_input_is_ephemeral_and_says_what_to_do(nexus: Any) -> None:
    not_configured = await nexus.client.slash("alice", "project announce", **announce_options())
    assert not_configured.ephemeral and "/nexus setup" in not_configured.content
    await start_week(nexus)
    cases = [
        (announce_options(repo="ftp://example.com/x"), "https://"),
        (announce_options(timezone="Europe/Londn"), "Europe/London"),
        (announce_options(project="Blockchain Farm"), "Other"),
        (announce_options(project="job bord"), "Did you mean Job Board"),
    ]
    for options, needle in cases:
        result = await nexus.client.slash("alice", "project announce", **options)
        assert result.ephemeral, result.describe()
        assert needle in result.content, result.content
        assert not result.error_id_seen
    assert posts(nexus) == []
    nexus.sandbox.set_bot_channel_permissions(CHANNEL, deny=Perm.EMBED_LINKS)
    refused = await nexus.client.slash("alice", "project announce", **announce_options())
    assert refused.ephemeral and "Embed Links" in refused.content
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM announcements") == 0


async def test_edit_in_place_then_repost_after_moderator_deletion(nexus: Any) -> None:
    await start_week(nexus)
    await nexus.client.slash("bob", "project announce", **announce_options(project="job-board", title="Jobs UI"))
    [post] = posts(nexus)
    edited = await nexus.client.slash("bob", "project edit", summary="Now with filters.", looking_for_partner=False)
    assert edited.ephemeral and "updated in place" in edited.content
    [same] = posts(nexus)
    assert same["id"] == post["id"]
    assert same["embeds"][0]["description"].endswith("Now with filters.")
    assert same["components"] == []  # not looking any more: no Pair with me button

    nexus.sandbox.delete_message(CHANNEL, post["id"])
    reposted = await nexus.client.slash("bob", "project edit", title="Jobs UI v2")
    assert "re-posted" in reposted.content
    [fresh] = posts(nexus)
    assert fresh["id"] != post["id"] and fresh["embeds"][0]["title"] == "Jobs UI v2"
    async with nexus.db() as db:
        row = await db.fetchone("SELECT title, message_id FROM announcements")
    assert (row["title"], row["message_id"]) == ("Jobs UI v2", int(fresh["id"]))

    nothing = await nexus.client.slash("carol", "project edit", title="x")
    assert nothing.ephemeral and "/project announce" in nothing.content


async def test_withdraw_strikes_post_and_keeps_record(nexus: Any) -> None:
    await start_week(nexus)
    await nexus.client.slash("carol", "project announce", **announce_options(title="Polls"))
    withdrawn = await nexus.client.slash("carol", "project withdraw")
    assert withdrawn.ephemeral and "Withdrawn" in withdrawn.content
    [post] = posts(nexus)
    assert "withdrawn" in post["embeds"][0]["title"] and post["components"] == []
    async with nexus.db() as db:
        row = await db.fetchone("SELECT withdrawn_at FROM announcements")
    assert row["withdrawn_at"] is not None
    # The slot is free again.
    again = await nexus.client.slash("carol", "project announce", **announce_options(title="Polls 2"))
    assert "Announced" in again.content


def matching_loaded(nexus: Any) -> bool:
    """Whether the bot registered /match: partner matching then owns what Pair with me does."""
    commands = nexus.sandbox.state.guild_commands.get(nexus.sandbox.world.guild.id, [])
    return any(c["name"] == "match" for c in commands)


async def test_pair_with_me_reaches_the_announcer_and_survives_restart(nexus: Any) -> None:
    await start_week(nexus)
    await nexus.client.slash("alice", "project announce", **announce_options())
    await nexus.client.slash("bob", "project announce", **announce_options(title="Catalog UI"))
    alice_post = next(p for p in posts(nexus) if p["embeds"][0]["title"] == "ShopLite API")
    own = await nexus.client.click("alice", alice_post, "Pair with me")
    assert own.ephemeral and "your own" in own.content
    pressed = await nexus.client.click("bob", alice_post, "Pair with me")
    assert pressed.ephemeral and not pressed.error_id_seen, pressed.describe()
    assert "Alice" in pressed.content
    bob_id = str(nexus.sandbox.world.user("bob").id)
    dm = await nexus.sandbox.wait_for_message("@alice", lambda m: bob_id in m["content"] or bool(m.get("embeds")))
    assert dm is not None
    twice = await nexus.client.click("bob", alice_post, "Pair with me")
    assert "already" in twice.content
    if not matching_loaded(nexus):
        # Before partner matching exists, the press is recorded as interest.
        async with nexus.db() as db:
            rows = await db.fetchall("SELECT user_id FROM partner_interest")
        assert [r["user_id"] for r in rows] == [int(bob_id)]
    # The button is a persistent DynamicItem: it still answers after a restart.
    await nexus.restart()
    after = await nexus.client.click("alice", alice_post, "Pair with me")
    assert after.ephemeral and "your own" in after.content


async def test_list_pages_belong_to_the_requester(nexus: Any) -> None:
    await start_week(nexus)
    for i in range(10):
        nexus.sandbox.add_member(f"learner{i}", roles=["Backend" if i % 2 else "Frontend"])
    learners = [f"learner{i}" for i in range(10)] + ["alice", "bob"]
    for i, user in enumerate(learners):
        # The sandbox applies Discord's 5-messages-per-5-s channel limit: the later posts wait their turn.
        result = await nexus.client.slash(
            user, "project announce", timeout=30, **announce_options(title=f"Shop {i:02d}")
        )
        assert "Announced" in result.content, result.describe()
    channel_before = len(nexus.sandbox.messages_in(CHANNEL))
    page1 = await nexus.client.slash("carol", "project list", project="ecommerce")
    assert page1.ephemeral  # a list is for the one who asked, unless shared
    assert len(nexus.sandbox.messages_in(CHANNEL)) == channel_before
    assert page1.embed["description"].count("\n") == 9  # ten lines
    assert "Page 1 of 2" in page1.embed["footer"]["text"]
    page2 = await nexus.client.click("carol", page1, "Next")
    assert "Page 2 of 2" in page2.embed["footer"]["text"]
    assert "Shop 11" in page2.embed["description"]
    assert page2.message is not None and page2.message["id"] == page1.message["id"]  # turned in place
    frontend = await nexus.client.slash("carol", "project list", track="frontend")
    assert "6 announcement(s)" in frontend.embed["footer"]["text"]

    # Shared: posted for everyone; its owner turns it in place, anyone else gets their own page.
    shared = await nexus.client.slash("carol", "project list", project="ecommerce", share=True)
    assert not shared.ephemeral and "Page 1 of 2" in shared.embed["footer"]["text"]
    assert any(m["id"] == shared.message["id"] for m in nexus.sandbox.messages_in(CHANNEL))
    own = await nexus.client.click("dave", shared, "Next")
    assert own.ephemeral and "Page 2 of 2" in own.embed["footer"]["text"]
    assert "Shop 11" in own.embed["description"]
    assert "Page 1 of 2" in shared.message["embeds"][0]["footer"]["text"]  # the post did not move
    back = await nexus.client.click("dave", own, "Previous")  # dave's copy is his to turn
    assert "Page 1 of 2" in back.embed["footer"]["text"]
    turned = await nexus.client.click("carol", shared, "Next")
    assert not turned.ephemeral and "Page 2 of 2" in shared.message["embeds"][0]["footer"]["text"]


async def test_board_counts_and_progress(nexus: Any) -> None:
    await start_week(nexus)
    await nexus.client.slash("alice", "project announce", **announce_options())
    await nexus.client.slash(
        "bob", "project announce", **announce_options(title="Catalog UI", looking_for_partner=False)
    )
    nexus.advance(timedelta(days=5))  # day 6 of 7
    board = await nexus.client.slash("dave", "project board")
    assert board.ephemeral
    text = board.text
    assert "█████░░░░░ 50% — 2 of 4 learners announced, 2 days left" in text
    assert "E-Commerce                 1     1     2" in text
    looking = next(f for f in board.embed["fields"] if f["name"].startswith("E-Commerce · Backend"))
    assert str(nexus.sandbox.world.user("alice").id) in looking["value"]
    shared = await nexus.client.slash("dave", "project board", share=True)
    assert not shared.ephemeral and "50% — 2 of 4" in shared.text
    assert any(m["id"] == shared.message["id"] for m in nexus.sandbox.messages_in(CHANNEL))


async def test_staff_only_refusals_catalog_and_export(nexus: Any) -> None:
    await start_week(nexus)
    for command, options in [
        ("nexus catalog list", {}),
        ("nexus catalog add", {"name": "Chat App"}),
        ("nexus export", {"what": "announcements"}),
        ("nexus setup", {"channel": CHANNEL}),
    ]:
        refused = await nexus.client.slash("alice", command, options=options)
        assert refused.ephemeral and "Manage Server" in refused.content and "Staff" in refused.content
    added = await nexus.client.slash("erin", "nexus catalog add", name="Chat App")
    assert "chat-app" in added.content
    choices = await nexus.client.autocomplete("alice", "project announce", focused="project", value="chat")
    assert [c["value"] for c in choices] == ["chat-app"]
    await nexus.client.slash("alice", "project announce", **announce_options(project="chat-app", title="=1+1"))
    removed = await nexus.client.slash("erin", "nexus catalog remove", project="chat-app")
    assert "Removed" in removed.content
    listed = await nexus.client.slash("erin", "nexus catalog list")
    assert "(removed)" in listed.text
    export = await nexus.client.slash("erin", "nexus export", what="announcements")
    assert export.ephemeral
    [file] = export.files
    rows = list(csv.DictReader(io.StringIO(file.data.decode())))
    assert len(rows) == 1
    assert rows[0]["title"] == "'=1+1" and rows[0]["project"] == "Chat App" and rows[0]["posted"].startswith("https://")


async def test_autocomplete_timezone(nexus: Any) -> None:
    await start_week(nexus)
    zones = await nexus.client.autocomplete("alice", "project announce", focused="timezone", value="lagos")
    assert "Africa/Lagos" in [c["value"] for c in zones]


async def test_late_announcement_and_member_leaving(nexus: Any) -> None:
    await start_week(nexus)
    nexus.set_time(DAY1 + timedelta(days=8))
    late = await nexus.client.slash("dave", "project announce", **announce_options(title="Late shop"))
    assert "late" in late.content
    # The clock jump may also bring the first week's last digest: pick the announcement's own post.
    [post] = [p for p in posts(nexus) if "announcement #" in str(p["embeds"][0].get("footer"))]
    assert any("after the first week" in f["value"] for f in post["embeds"][0]["fields"])
    dave = nexus.sandbox.world.user("dave").id
    async with nexus.db() as db:
        assert await db.fetchval("SELECT late FROM announcements WHERE user_id = ?", (dave,)) == 1
    nexus.sandbox.remove_member("dave")

    async def left() -> bool:
        async with nexus.db() as db:
            return await db.fetchval("SELECT left_guild_at FROM announcements WHERE user_id = ?", (dave,)) is not None

    assert await eventually(nexus, left)
    export = await nexus.client.slash("erin", "nexus export", what="announcements")
    [row] = list(csv.DictReader(io.StringIO(export.files[0].data.decode())))
    assert row["late"] == "yes" and row["left_guild"] != ""


async def eventually(nexus: Any, check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> bool:
    """Re-check a database condition whenever the sandbox sees activity (no fixed sleeps)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        try:
            await nexus.sandbox.wait_until(lambda: False, 0.2, "activity")
        except TimeoutError:
            pass
    return True


async def test_digest_and_reminders_survive_restarts_without_repeats(nexus: Any) -> None:
    closed = nexus.sandbox.add_member("quiet", roles=["Backend"], dms_closed=True)
    await start_week(nexus, digest_hour=17)
    await nexus.client.slash("alice", "project announce", **announce_options())
    await nexus.client.slash("bob", "project reminders", state="off")

    nexus.set_time(at(1, 17, 1))  # day 1, digest time
    day1 = await nexus.sandbox.wait_for_message(
        CHANNEL, lambda m: bool(m.get("embeds")) and "day 1" in m["embeds"][0]["title"], timeout=10
    )
    assert "1 of 5 learners announced" in day1["embeds"][0]["description"]
    assert "E-Commerce, Backend" in day1["embeds"][0]["fields"][0]["value"]

    await nexus.restart()
    nexus.set_time(at(3, 17, 1))  # day 3: digest 2 is stale, digest 3 + reminders
    await nexus.sandbox.wait_for_message(
        CHANNEL, lambda m: bool(m.get("embeds")) and "day 3" in m["embeds"][0]["title"], timeout=10
    )
    carol_dm = await nexus.sandbox.wait_for_message("@carol", lambda m: "/project announce" in m["content"], timeout=10)
    assert "day 3" in carol_dm["content"]
    await nexus.sandbox.wait_for_message("@dave", lambda m: "/project announce" in m["content"], timeout=10)

    async def reminder_rows() -> dict[int, str]:
        async with nexus.db() as db:
            rows = await db.fetchall("SELECT user_id, status FROM reminder_log WHERE kind = 'day3'")
        return {r["user_id"]: r["status"] for r in rows}

    async def quiet_recorded() -> bool:
        # "sending" is recorded before the DM is tried; wait for its outcome.
        return (await reminder_rows()).get(closed, "sending") != "sending"

    assert await eventually(nexus, quiet_recorded)
    rows = await reminder_rows()
    world = nexus.sandbox.world
    assert rows[closed] == "failed"
    assert world.user("alice").id not in rows and world.user("bob").id not in rows  # announced / opted out
    assert nexus.sandbox.dms_to("bob") == []

    await nexus.kill_and_restart()
    nexus.set_time(at(7, 17, 1))  # last day
    await nexus.sandbox.wait_for_message(
        CHANNEL, lambda m: bool(m.get("embeds")) and "day 7" in m["embeds"][0]["title"], timeout=10
    )
    await nexus.sandbox.wait_for_message("@carol", lambda m: "last day" in m["content"], timeout=10)
    assert [m["embeds"][0]["title"] for m in digests(nexus)] == [
        "First week — day 1 of 7",
        "First week — day 3 of 7",
        "First week — day 7 of 7",
    ]
    carol_dms = [m for m in nexus.sandbox.dms_to("carol") if "/project announce" in m["content"]]
    assert len(carol_dms) == 2  # day 3 and last day, each once despite two restarts
    async with nexus.db() as db:
        last = await db.fetchall("SELECT user_id FROM reminder_log WHERE kind = 'last'")
        digest_days = await db.fetchall("SELECT day FROM digest_log ORDER BY day")
    assert closed not in {r["user_id"] for r in last}  # a failed DM is not retried
    assert [r["day"] for r in digest_days] == ["2026-12-07", "2026-12-09", "2026-12-13"]


async def test_catalog_changes_are_seen_at_once_by_announce(nexus: Any) -> None:
    """The one catalog cache is refreshed when staff change the catalog, even after /project read it."""
    await start_week(nexus)
    before = await nexus.client.autocomplete("alice", "project announce", focused="project", value="chat")
    assert before == []
    added = await nexus.client.slash("erin", "nexus catalog add", name="Chat App")
    assert "chat-app" in added.content
    choices = await nexus.client.autocomplete("alice", "project announce", focused="project", value="chat")
    assert [c["value"] for c in choices] == ["chat-app"]
    result = await nexus.client.slash("alice", "project announce", **announce_options(project="chat-app"))
    assert "Announced" in result.content and "Chat App" in result.content
    await nexus.client.slash("erin", "nexus catalog remove", project="chat-app")
    refused = await nexus.client.slash("bob", "project announce", **announce_options(project="chat-app"))
    assert refused.ephemeral and "not a project in the catalog" in refused.content
