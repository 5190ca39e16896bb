"""Partner requests end to end: limits against repeated asking, Block, unpair confirmation, and every place
that shows whether a learner is looking following their pairs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.services import request_limits
from db.stores.matching import MatchingStore
from tests.e2e.test_matching import CHANNEL, announce, buttons, join, ready, uid


def is_post(message: dict[str, Any], user: str) -> bool:
    """The learner's announcement post (not a board or list that names it)."""
    embeds = message.get("embeds") or [{}]
    footer = (embeds[0].get("footer") or {}).get("text", "")
    return embeds[0].get("title") == f"{user.title()}'s build" and "announcement #" in footer


def post_of(nexus: Any, user: str) -> dict[str, Any]:
    """The learner's announcement post in the project channel (as last edited)."""
    return next(m for m in nexus.sandbox.messages_in(CHANNEL) if is_post(m, user))


def looking_field(message: dict[str, Any]) -> str:
    return next(f["value"] for f in message["embeds"][0]["fields"] if f["name"] == "Looking for a partner")


async def wait_post(nexus: Any, user: str, *, looking: bool) -> dict[str, Any]:
    """Wait until the learner's post shows them as looking (a Pair with me button) or not."""

    def shown(m: dict[str, Any]) -> bool:
        return is_post(m, user) and bool(buttons(m)) is looking

    post = await nexus.sandbox.wait_for_message(CHANNEL, shown, timeout=10)
    assert looking_field(post).startswith("Yes" if looking else "No"), looking_field(post)
    return post


def board_looking(result: Any) -> str:
    return next(f["name"] for f in result.embed["fields"] if f["name"].startswith("Still looking"))


async def accept_request(nexus: Any, requester: str, addressee: str) -> None:
    await nexus.client.slash(requester, "match request", member=addressee)
    dm = await nexus.sandbox.wait_for_message(
        f"@{addressee}", lambda m: bool(buttons(m)) and not m.get("edited_timestamp")
    )
    accepted = await nexus.client.click(addressee, dm, "Accept")
    assert "partners now" in accepted.content, accepted.describe()


async def test_request_limits_hold_across_leave_join_and_restart(nexus: Any) -> None:
    await ready(nexus)
    for name in ("fay", "gus", "hal"):
        nexus.sandbox.add_member(name, roles=["Frontend"])
        await announce(nexus, name)
    start = nexus.now()
    for name in ("bob", "fay", "gus"):
        sent = await nexus.client.slash("alice", "match request", member=name)
        assert "Request sent" in sent.content, sent.describe()
    expiry = int((start + timedelta(hours=72)).timestamp())
    capped = await nexus.client.slash("alice", "match request", member="hal")
    assert capped.ephemeral and "3 requests waiting for an answer" in capped.content
    assert f"<t:{expiry}:R>" in capped.content and "/match status" in capped.content

    # The old loophole: leave (withdrawing the requests) and join again, then DM the same people again.
    left = await nexus.client.slash("alice", "match leave")
    assert "3 pending request(s) were withdrawn" in left.content
    assert f"waits until <t:{int((start + timedelta(days=7)).timestamp())}:R>" in left.content
    await join(nexus, "alice")
    week = int((start + timedelta(days=7)).timestamp())
    again = await nexus.client.slash("alice", "match request", member="bob")
    assert "was withdrawn when you left matching" in again.content and f"<t:{week}:R>" in again.content
    await nexus.restart()
    still = await nexus.client.slash("alice", "match request", member="bob")
    assert "was withdrawn" in still.content and f"<t:{week}:f>" in still.content
    # Someone she never asked is fine: the withdrawn requests no longer wait for an answer.
    assert "Request sent" in (await nexus.client.slash("alice", "match request", member="hal")).content
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM match_requests") == 4
        reasons = await db.fetchall("SELECT cancel_reason FROM match_requests WHERE status = 'cancelled'")
    assert [r[0] for r in reasons] == ["withdrawn"] * 3
    assert request_limits.DAILY_REQUEST_CAP == 10 and request_limits.MAX_PENDING_REQUESTS == 3


async def test_block_button_stops_requests_and_rounds_until_staff_lift_it(nexus: Any) -> None:
    await ready(nexus)
    await nexus.client.slash("alice", "match request", member="bob")
    dm = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)))
    intruder = await nexus.client.click("carol", dm, "Block")
    assert intruder.ephemeral and "Only the learner who was asked" in intruder.content
    blocked = await nexus.client.click("bob", dm, "Block")
    assert "You blocked Alice" in blocked.content and blocked.buttons() == [], blocked.describe()
    await nexus.sandbox.wait_for_message("@alice", lambda m: "declined your partner request" in m["content"])

    refused = await nexus.client.slash("alice", "match request", member="bob")
    assert refused.ephemeral and "Bob asked not to get partner requests from you" in refused.content
    own = await nexus.client.slash("bob", "match request", member="alice")
    assert "You blocked partner requests from Alice" in own.content
    assert "No candidates yet" in (await nexus.client.slash("alice", "match suggest")).content
    dry = await nexus.client.slash("erin", "match run", dry_run=True)
    assert "Proposed pairs (score)" not in {f["name"] for f in dry.embed["fields"]}, dry.describe()
    # Leaving and joining again changes nothing; only staff lift a block (and say so when there is none).
    await nexus.client.slash("alice", "match leave")
    await join(nexus, "alice")
    assert "asked not to get" in (await nexus.client.slash("alice", "match request", member="bob")).content
    refused_staff = await nexus.client.slash("alice", "match unblock", member="alice", other="bob")
    assert refused_staff.ephemeral and "Only staff" in refused_staff.content
    lifted = await nexus.client.slash("erin", "match unblock", member="alice", other="bob")
    # The Block was also a decline: lifting it lifts the week's wait too, so Alice may ask again at once.
    assert lifted.ephemeral and "Lifted a Block and the week's wait" in lifted.content, lifted.describe()
    assert "between Alice and Bob" in lifted.content
    none = await nexus.client.slash("erin", "match unblock", member="alice", other="bob")
    assert none.ephemeral and "no block between Alice and Bob" in none.content
    assert "Request sent" in (await nexus.client.slash("alice", "match request", member="bob")).content


async def test_unpair_confirmation_belongs_to_its_owner(nexus: Any) -> None:
    await ready(nexus)
    await accept_request(nexus, "alice", "bob")
    asked = await nexus.client.slash("alice", "match unpair")
    assert asked.ephemeral and "End your pairing with Bob?" in asked.content
    intruder = await nexus.client.click("bob", asked, "End the pairing")
    assert intruder.ephemeral and "someone else's command" in intruder.content
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM pairs") == "active"
    ended = await nexus.client.click("alice", asked, "End the pairing")
    assert "no longer partners" in ended.content, ended.describe()
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM pairs") == "ended"


async def test_first_join_confirms_the_availability_just_given(nexus: Any) -> None:
    await nexus.setup_guild()
    await announce(nexus, "alice", timezone="Africa/Lagos")
    joined = await join(nexus, "alice", availability="sat 10-14")
    fields = {f["name"]: f["value"] for f in joined.embed["fields"]}
    free = fields["Free each week (your time)"]
    assert "Sat 10:00–14:00" in free and "Mon–Fri" not in free, free
    changed = await join(nexus, "alice", availability="sun 8-9")
    free = {f["name"]: f["value"] for f in changed.embed["fields"]}["Free each week (your time)"]
    assert "Sun 08:00–09:00" in free and "Sat" not in free, free
    status = await nexus.client.slash("alice", "match status")
    assert {f["name"]: f["value"] for f in status.embed["fields"]}["Free each week (your time)"] == free


async def test_paired_learners_stop_looking_everywhere_until_unpaired(nexus: Any) -> None:
    await ready(nexus)
    await announce(nexus, "carol")
    board = await nexus.client.slash("carol", "project board")
    assert board_looking(board) == "Still looking for a partner (3)"

    await accept_request(nexus, "alice", "bob")
    for user in ("alice", "bob"):
        post = await wait_post(nexus, user, looking=False)
        assert "paired" in looking_field(post)
    assert buttons(post_of(nexus, "carol"))  # carol is still looking
    board = await nexus.client.slash("carol", "project board")
    assert board_looking(board) == "Still looking for a partner (1)"
    mentions = " ".join(f["value"] for f in board.embed["fields"])
    assert f"<@{uid(nexus, 'alice')}>" not in mentions and f"<@{uid(nexus, 'carol')}>" in mentions
    listed = await nexus.client.slash("carol", "project list", looking_for_partner=True)
    assert "1 announcement(s)" in listed.embed["footer"]["text"], listed.describe()
    everyone = await nexus.client.slash("carol", "project list")
    assert everyone.embed["description"].count("🤝 looking") == 1
    shown = await nexus.client.slash("carol", "project show", member="alice")
    assert looking_field({"embeds": [shown.embed]}).startswith("No")
    # An edit of the post keeps it right.
    await nexus.client.slash("alice", "project edit", summary="Still a capstone.")
    assert not buttons(post_of(nexus, "alice"))

    # More capacity: alice looks again (her post gets its button back), then unpairing frees bob too.
    await join(nexus, "alice", max_partners=2)
    await wait_post(nexus, "alice", looking=True)
    asked = await nexus.client.slash("bob", "match unpair")
    await nexus.client.click("bob", asked, "End the pairing")
    await wait_post(nexus, "bob", looking=True)
    board = await nexus.client.slash("carol", "project board")
    assert board_looking(board) == "Still looking for a partner (3)"


async def test_round_pairs_stop_looking_on_posts_and_board(nexus: Any) -> None:
    await nexus.setup_guild()
    for user in ("alice", "bob", "carol", "dave"):
        await announce(nexus, user, timezone="Africa/Lagos")
        await join(nexus, user, availability="weekdays 18-22")
    result = await nexus.client.slash("erin", "match run", timeout=30)
    assert not result.error_id_seen and "2 pair(s)" in result.embed["description"], result.describe()
    for user in ("alice", "bob", "carol", "dave"):
        await wait_post(nexus, user, looking=False)
    board = await nexus.client.slash("alice", "project board")
    assert "Nobody right now." in {f["value"] for f in board.embed["fields"]}


async def test_a_post_left_stale_by_a_stop_is_fixed_at_start(nexus: Any) -> None:
    await ready(nexus)
    await accept_request(nexus, "alice", "bob")
    await wait_post(nexus, "alice", looking=False)
    # The bot stops right after a pairing ended was committed, before the posts were edited.
    await nexus.stop_bot()
    async with nexus.db() as db:
        store = MatchingStore(db)
        [pair] = await store.active_pairs(int(nexus.sandbox.world.guild.id))
        await store.end_pair(pair.id, "stopped", nexus.now())
    nexus.restarts += 1
    await nexus.start_bot()
    await wait_post(nexus, "alice", looking=True)
    await wait_post(nexus, "bob", looking=True)


async def test_an_accepted_request_closes_the_requests_it_makes_moot(nexus: Any) -> None:
    """bob (one partner slot) has requests from alice and carol: accepting alice's closes carol's, as a round
    would, and carol is told why; bob's own request to dave closes too (bob has all the partners he asked for)."""
    await ready(nexus)
    await announce(nexus, "carol", timezone="Africa/Lagos")
    await join(nexus, "carol")
    nexus.sandbox.add_member("dan", roles=["Backend"])
    await announce(nexus, "dan", timezone="Africa/Lagos")
    await join(nexus, "dan")
    await nexus.client.slash("carol", "match request", member="bob")
    carols = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)) and "Carol" in str(m))
    sent = await nexus.client.slash("bob", "match request", member="dan")
    assert "Request sent" in sent.content, sent.describe()
    await nexus.client.slash("alice", "match request", member="bob")
    alices = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)) and "Alice" in str(m))
    accepted = await nexus.client.click("bob", alices, "Accept")
    assert "partners now" in accepted.content, accepted.describe()
    told = await nexus.sandbox.wait_for_message("@carol", lambda m: "is closed" in m["content"], timeout=10)
    assert told["content"].startswith("Your partner request to Bob is closed: they were paired through another")
    assert "`/match suggest`" in told["content"]
    own = await nexus.sandbox.wait_for_message("@bob", lambda m: "request to Dan is closed" in m["content"])
    assert "you were paired through another partner request" in own["content"] and "max_partners" in own["content"]
    closed = await nexus.sandbox.wait_for_message(
        "@bob", lambda m: m["id"] == carols["id"] and not buttons(m), timeout=10
    )
    assert "This partner request is closed" in closed["content"] and "through another partner request" in str(closed)
    async with nexus.db() as db:
        rows = await db.fetchall("SELECT requester_id, status FROM match_requests ORDER BY id")
    assert [r["status"] for r in rows] == ["cancelled", "cancelled", "accepted"]


async def test_a_track_change_closes_requests_the_new_track_makes_impossible(nexus: Any) -> None:
    await ready(nexus)
    await nexus.client.slash("alice", "match request", member="bob")
    asked = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)) and "Alice" in str(m))
    edited = await nexus.client.slash("bob", "project edit", track="backend")
    assert "Your announcement was" in edited.content, edited.describe()
    told = await nexus.sandbox.wait_for_message("@alice", lambda m: "is closed" in m["content"], timeout=10)
    assert told["content"].startswith("Your partner request to Bob is closed: they moved to Backend, your track")
    closed = await nexus.sandbox.wait_for_message("@bob", lambda m: m["id"] == asked["id"] and not buttons(m))
    assert "Bob moved to Backend" in closed["content"]
    async with nexus.db() as db:
        row = await db.fetchone("SELECT status, cancel_reason FROM match_requests")
    assert row is not None and (row["status"], row["cancel_reason"]) == ("cancelled", "track_changed")
