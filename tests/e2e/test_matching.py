"""/match end to end: a real bot subprocess against the sandbox, time moved with NEXUS_CLOCK_FILE."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sandbox.world import Perm

CHANNEL = "prodevprojectnexus"


def uid(nexus: Any, name: str) -> int:
    return int(nexus.sandbox.world.user(name).id)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row.get("components", []) if c.get("type") == 2]


def request_dms(nexus: Any, user: str) -> list[dict[str, Any]]:
    """Partner request DMs to `user` (the messages carrying Accept/Decline, or their edited outcome)."""
    return [
        m for m in nexus.sandbox.dms_to(user) if "nexus:match" in str(m.get("components")) or m.get("edited_timestamp")
    ]


async def announce(nexus: Any, user: str, project: str = "ecommerce", **over: Any) -> None:
    options: dict[str, Any] = {"project": project, "title": f"{user.title()}'s build", "summary": "A capstone."}
    options.update(over)
    result = await nexus.client.slash(user, "project announce", **options)
    assert result.ephemeral and "Announced" in result.content, result.describe()


async def join(nexus: Any, user: str, **options: Any) -> Any:
    result = await nexus.client.slash(user, "match join", **options)
    assert result.ephemeral and not result.error_id_seen, result.describe()
    return result


async def ready(nexus: Any) -> None:
    """Guild set up; alice (Backend, Lagos) and bob (Frontend, Nairobi) announced E-Commerce and opted in."""
    await nexus.setup_guild()
    await announce(nexus, "alice", stack="Django, DRF, PostgreSQL", timezone="Africa/Lagos")
    await announce(nexus, "bob", stack="React, TypeScript, REST", timezone="Africa/Nairobi")
    await join(nexus, "alice", availability="weekdays 18-22, sat 10-14", offers="django, graphql", wants="react")
    await join(nexus, "bob", availability="weekdays 19-23", offers="react", wants="graphql", max_partners=1)


async def test_join_needs_an_announcement_and_validates_strictly(nexus: Any) -> None:
    await nexus.setup_guild()
    missing = await nexus.client.slash("alice", "match join")
    assert missing.ephemeral and "/project announce" in missing.content
    await announce(nexus, "alice", timezone="Africa/Lagos")
    bad = await nexus.client.slash("alice", "match join", availability="mondays 25-3")
    assert bad.ephemeral and "Example: `weekdays 18-22, sat 10-14`" in bad.content and not bad.error_id_seen
    bad_skill = await nexus.client.slash("alice", "match join", offers="django, cobol")
    assert bad_skill.ephemeral and "`cobol`" in bad_skill.content and "Valid tags" in bad_skill.content
    bad_zone = await nexus.client.slash("alice", "match join", timezone="Europe/Londn")
    assert "Europe/London" in bad_zone.content
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM match_profiles") == 0

    zones = await nexus.client.autocomplete("alice", "match join", focused="timezone", value="lago")
    assert zones[0]["value"] == "Africa/Lagos"
    skills = await nexus.client.autocomplete("alice", "match join", focused="offers", value="django, gr")
    assert skills[0]["value"] == "django, graphql"

    joined = await join(nexus, "alice", offers="django, graphql", max_partners=2)
    fields = {f["name"]: f["value"] for f in joined.embed["fields"]}
    assert fields["Time zone"].startswith("Mon 10:00 (Africa/Lagos")  # zone taken from the announcement
    assert "Mon–Fri 18:00–22:00" in fields["Free each week (your time)"]  # the documented default
    assert "I assumed" in joined.embed["description"]
    async with nexus.db() as db:
        row = await db.fetchone("SELECT * FROM match_profiles")
    assert (row["timezone"], row["offers"], row["max_partners"], row["status"]) == (
        "Africa/Lagos",
        "django,graphql",
        2,
        "active",
    )
    # Stored as UTC minute ranges: Mon 18:00 Lagos (UTC+1) is minute 17 * 60 of the UTC week.
    assert row["availability"].startswith('{"v":1,"r":[[1020,1260]')


async def test_suggest_request_survives_restart_accept_opens_thread(nexus: Any) -> None:
    await ready(nexus)
    suggested = await nexus.client.slash("alice", "match suggest")
    assert suggested.ephemeral, suggested.describe()
    [field] = suggested.embed["fields"]
    assert field["name"].startswith("1. Bob · ")
    assert "15 h/week overlap" in field["value"] and "Bob offers react, you want react" in field["value"]
    assert "you offer graphql, Bob wants graphql" in field["value"] and "both prefer REST" in field["value"]
    sent = await nexus.client.click("alice", suggested, "Request Bob")
    assert sent.ephemeral and "by DM" in sent.content, sent.describe()
    dm = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)))
    assert [b["label"] for b in buttons(dm)] == ["Accept", "Decline", "Block"]
    assert "Alice would like to be your partner" in dm["embeds"][0]["title"]

    # Only the addressee may answer; the buttons still work after a restart.
    intruder = await nexus.client.click("carol", dm, "Accept")
    assert intruder.ephemeral and "Only the learner who was asked" in intruder.content
    await nexus.restart()
    accepted = await nexus.client.click("bob", dm, "Accept")
    assert accepted.ephemeral and "partners now" in accepted.content, accepted.describe()
    assert not accepted.error_id_seen

    async with nexus.db() as db:
        pair = await db.fetchone("SELECT * FROM pairs")
        request = await db.fetchone("SELECT * FROM match_requests")
        counts = await db.fetchall("SELECT active_pairs FROM match_profiles ORDER BY user_id")
    assert (pair["backend_id"], pair["frontend_id"], pair["project"], pair["status"]) == (
        uid(nexus, "alice"),
        uid(nexus, "bob"),
        "ecommerce",
        "active",
    )
    assert (request["status"], request["source"]) == ("accepted", "suggest")
    assert [r[0] for r in counts] == [1, 1]
    [thread] = nexus.sandbox.threads(CHANNEL)
    assert thread["type"] == 12 and int(thread["id"]) == pair["thread_id"]
    assert thread["name"].startswith("E-Commerce · Alice & Bob")
    intro = await nexus.sandbox.wait_for_message(int(thread["id"]), lambda m: bool(m.get("embeds")))
    sections = {f["name"]: f["value"] for f in intro["embeds"][0]["fields"]}
    assert "(Africa/Lagos, UTC+01:00)" in sections["Local times now"]
    assert "(Africa/Nairobi, UTC+03:00)" in sections["Local times now"]
    shared = sections["Shared free time (15 h/week)"]
    assert "Mon–Fri 18:00–21:00" in shared and "Mon–Fri 20:00–23:00" in shared  # each one's own time zone
    assert sections["Three first steps"].startswith("1. Agree on the endpoints")
    assert {m["id"] for m in intro["mentions"]} == {str(uid(nexus, "alice")), str(uid(nexus, "bob"))}
    await nexus.sandbox.wait_for_message("@alice", lambda m: "accepted your partner request" in m["content"])
    edited = nexus.sandbox.state.message_index[int(dm["id"])].payload
    assert buttons(edited) == [] and "You accepted" in edited["content"]

    status = await nexus.client.slash("alice", "match status")
    partners = {f["name"]: f["value"] for f in status.embed["fields"]}["Current partners"]
    assert f"<@{uid(nexus, 'bob')}>" in partners and f"<#{thread['id']}>" in partners
    full = await nexus.client.slash("bob", "match suggest")
    assert "as many partners" in full.content and "max_partners" not in full.content.split("(")[0]


async def test_dm_closed_fallback_mentions_only_the_addressee(nexus: Any) -> None:
    await ready(nexus)
    nexus.sandbox.add_member("frank", roles=["Frontend"], dms_closed=True)
    await announce(nexus, "frank", timezone="Africa/Lagos")
    sent = await nexus.client.slash("alice", "match request", member="frank")
    assert sent.ephemeral and "DMs are closed" in sent.content, sent.describe()
    post = await nexus.sandbox.wait_for_message(CHANNEL, lambda m: "nexus:match:accept" in str(buttons(m)))
    assert post["content"].startswith(f"<@{uid(nexus, 'frank')}>")
    assert [m["id"] for m in post["mentions"]] == [str(uid(nexus, "frank"))]
    assert post["mention_everyone"] is False and post["mention_roles"] == []
    body = next(
        r.json for r in nexus.sandbox.requests if isinstance(r.json, dict) and r.json.get("content") == post["content"]
    )
    assert [int(u) for u in body["allowed_mentions"]["users"]] == [uid(nexus, "frank")]
    assert body["allowed_mentions"]["parse"] == []
    accepted = await nexus.client.click("frank", post, "Accept")
    assert "partners now" in accepted.content, accepted.describe()
    async with nexus.db() as db:
        frank = await db.fetchone("SELECT * FROM match_profiles WHERE user_id = ?", (uid(nexus, "frank"),))
    assert (frank["active_pairs"], frank["timezone"]) == (1, "Africa/Lagos")  # accepting opted frank in


async def test_request_expires_after_72_hours(nexus: Any) -> None:
    await ready(nexus)
    sent = await nexus.client.slash("alice", "match request", member="bob")
    assert "expires" in sent.content
    dm = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)))
    nexus.advance(timedelta(hours=71))
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM match_requests") == "pending"
    nexus.advance(timedelta(hours=1, minutes=1))
    await nexus.sandbox.wait_for_message("@alice", lambda m: "expired" in m["content"], timeout=10)
    edited = nexus.sandbox.state.message_index[int(dm["id"])].payload
    assert buttons(edited) == [] and "expired" in edited["content"]
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM match_requests") == "expired"
        assert await db.fetchval("SELECT COUNT(*) FROM pairs") == 0
    # An expired request doesn't block a new one, but asking the same learner again waits out the cooldown.
    week = int((nexus.now() + timedelta(days=7)).timestamp())
    cooling = await nexus.client.slash("alice", "match request", member="bob")
    assert cooling.ephemeral and "expired without an answer" in cooling.content
    assert f"<t:{week}:R>" in cooling.content and f"<t:{week}:f>" in cooling.content
    nexus.advance(timedelta(days=7))
    again = await nexus.client.slash("alice", "match request", member="bob")
    assert "Request sent" in again.content


async def test_decline_unpair_and_hard_rules(nexus: Any) -> None:
    await ready(nexus)
    await announce(nexus, "carol", timezone="Africa/Lagos")
    await announce(nexus, "dave", project="job-board")
    same_track = await nexus.client.slash("alice", "match request", member="carol")
    assert "Backend track like you" in same_track.content
    other_project = await nexus.client.slash("alice", "match request", member="dave")
    assert "different project" in other_project.content

    await nexus.client.slash("alice", "match request", member="bob")
    dm = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)))
    declined = await nexus.client.click("bob", dm, "Decline")
    assert "declined" in declined.content and declined.type == 7
    assert [b["label"] for b in declined.buttons()] == ["Block"]  # "don't ask me again" stays at hand
    await nexus.sandbox.wait_for_message("@alice", lambda m: "declined your partner request" in m["content"])
    # A decline is not final: either side may ask again once the week's cooldown is over.
    week = int((nexus.now() + timedelta(days=7)).timestamp())
    cooling = await nexus.client.slash("alice", "match request", member="bob")
    assert "Bob declined your last request" in cooling.content and f"<t:{week}:R>" in cooling.content
    reverse = await nexus.client.slash("bob", "match request", member="alice")
    assert "You declined Alice's last request" in reverse.content
    none_left = await nexus.client.slash("alice", "match suggest")
    assert "No candidates yet" in none_left.content

    await nexus.client.slash("carol", "match request", member="bob")
    dm2 = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)) and m["id"] != dm["id"])
    assert "partners now" in (await nexus.client.click("bob", dm2, "Accept")).content
    partners = await nexus.client.autocomplete("bob", "match unpair", focused="member", value="")
    assert [c["name"] for c in partners] == ["Carol"]
    # Unpairing asks first; Cancel changes nothing.
    asked = await nexus.client.slash("bob", "match unpair", member=partners[0]["value"], reason="Switched project")
    assert asked.ephemeral and "End your pairing with Carol?" in asked.content, asked.describe()
    assert [b["label"] for b in asked.buttons()] == ["End the pairing", "Cancel"]
    kept = await nexus.client.click("bob", asked, "Cancel")
    assert "Nothing changed" in kept.content and kept.buttons() == []
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM pairs") == "active"
    asked = await nexus.client.slash("bob", "match unpair", reason="Switched project")
    ended = await nexus.client.click("bob", asked, "End the pairing")
    assert "no longer partners" in ended.content and ended.buttons() == []
    await nexus.sandbox.wait_for_message("@carol", lambda m: "Switched project" in m["content"])
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM pairs") == "ended"
        assert await db.fetchval("SELECT SUM(active_pairs) FROM match_profiles") == 0
        assert await db.fetchval("SELECT reason FROM match_blocks") == "unpaired"  # the decline left none
    nobody = await nexus.client.slash("bob", "match unpair")
    assert "no partner right now" in nobody.content
    # An ended pairing keeps the two apart until staff lift it.
    apart = await nexus.client.slash("carol", "match request", member="bob")
    assert "ended a pairing before" in apart.content and "/match unblock" in apart.content
    lifted = await nexus.client.slash("erin", "match unblock", member="bob", other="carol")
    assert lifted.ephemeral and "Lifted the block of their ended pairing" in lifted.content, lifted.describe()
    assert "Request sent" in (await nexus.client.slash("carol", "match request", member="bob")).content
    # A week after the decline, Alice may ask Bob again.
    nexus.advance(timedelta(days=7, minutes=1))
    assert "Request sent" in (await nexus.client.slash("alice", "match request", member="bob")).content


async def test_pause_then_leave(nexus: Any) -> None:
    await ready(nexus)
    choices = await nexus.client.autocomplete("alice", "match pause", focused="until", value="")
    assert [c["value"] for c in choices][:2] == ["2026-12-08", "2026-12-10"] and len(choices) == 5
    # `until` is also the client's own keyword (when a result counts as settled), so pass options as a dict.
    bad = await nexus.client.slash("alice", "match pause", options={"until": "2026-12-01"})
    assert "in the future" in bad.content
    paused = await nexus.client.slash("alice", "match pause", options={"until": "2026-12-14"})
    assert paused.ephemeral and "paused until" in paused.content
    assert "No candidates yet" in (await nexus.client.slash("bob", "match suggest")).content
    refused = await nexus.client.slash("bob", "match request", member="alice")
    assert "paused matching until" in refused.content
    nexus.advance(timedelta(days=7))  # the pause ends by itself (Monday 00:00 in Lagos)
    back = await nexus.client.slash("bob", "match suggest")
    assert back.embed["fields"][0]["name"].startswith("1. Alice")
    await nexus.client.slash("bob", "match request", member="alice")
    left = await nexus.client.slash("alice", "match leave")
    assert "You left partner matching" in left.content and "1 pending request(s) were withdrawn" in left.content
    dm = nexus.sandbox.dms_to("alice")[-1]
    assert buttons(dm) == [] and "withdrawn" in dm["content"]
    gone = await nexus.client.slash("bob", "match request", member="alice")
    assert "left partner matching" in gone.content
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM match_requests") == "cancelled"


async def test_pair_with_me_button_opens_a_request(nexus: Any) -> None:
    await ready(nexus)
    bob_post = next(m for m in nexus.sandbox.messages_in(CHANNEL) if "Bob's build" in str(m.get("embeds")))
    pressed = await nexus.client.click("alice", bob_post, "Pair with me")
    assert pressed.ephemeral and "Request sent to Bob" in pressed.content, pressed.describe()
    await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)))
    async with nexus.db() as db:
        assert await db.fetchval("SELECT source FROM match_requests") == "announcement"


async def test_thread_permission_missing_pair_still_made_staff_told(nexus: Any) -> None:
    await nexus.setup_guild(review_channel="staff-review")
    await announce(nexus, "alice")
    await announce(nexus, "bob")
    nexus.sandbox.set_bot_channel_permissions(CHANNEL, deny=Perm.CREATE_PRIVATE_THREADS)
    await nexus.client.slash("alice", "match request", member="bob")
    dm = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)))
    accepted = await nexus.client.click("bob", dm, "Accept")
    assert "partners now" in accepted.content and "staff were told" in accepted.content
    note = await nexus.sandbox.wait_for_message("staff-review", lambda m: "Create Private Threads" in m["content"])
    assert CHANNEL in note["content"] or "<#" in note["content"]
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM pairs WHERE thread_id IS NULL") == 1


async def test_staff_round_maximises_and_tells_everyone(nexus: Any) -> None:
    await nexus.setup_guild()
    for user, zone in (("alice", "Africa/Lagos"), ("carol", "Africa/Lagos"), ("bob", "Africa/Lagos")):
        await announce(nexus, user, timezone=zone)
    await announce(nexus, "dave", timezone="America/New_York")
    await join(nexus, "alice", availability="weekdays 18-22", offers="django")
    await join(nexus, "carol", availability="sat 8-10")
    await join(nexus, "bob", availability="weekdays 18-22, sat 8-10", wants="django")
    await join(nexus, "dave", availability="sun 3-4")  # shares no hour with anyone
    # Dave blocks carol's request: otherwise a round gives them each other as asynchronous partners (issue 14).
    await nexus.client.slash("carol", "match request", member="dave")
    request = await nexus.sandbox.wait_for_message("@dave", lambda m: bool(buttons(m)))
    await nexus.client.click("dave", request, "Block")

    refused = await nexus.client.slash("alice", "match run")
    assert refused.ephemeral and "Only staff" in refused.content
    refused_stats = await nexus.client.slash("bob", "match stats")
    assert refused_stats.ephemeral and "Only staff" in refused_stats.content

    dry = await nexus.client.slash("erin", "match run", dry_run=True)
    assert dry.ephemeral and "dry run" in dry.embed["title"], dry.describe()
    dry_fields = {f["name"]: f["value"] for f in dry.embed["fields"]}
    assert "Alice & Bob" in dry_fields["Proposed pairs (score)"]
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM pairs") == 0
        assert await db.fetchval("SELECT status FROM match_rounds") == "done"

    result = await nexus.client.slash("erin", "match run", timeout=30)
    assert not result.error_id_seen, result.describe()
    fields = {f["name"]: f["value"] for f in result.embed["fields"]}
    assert fields["Pairs per project"] == "E-Commerce: 1"
    left = fields["Left without a partner (2)"]
    assert "Carol: all compatible partners are at capacity" in left
    assert "Dave" in left and "free at the same times" in left
    summary = await nexus.sandbox.wait_for_message(CHANNEL, lambda m: "Matching round" in str(m.get("embeds")))
    assert summary["embeds"][0]["title"] == result.embed["title"]
    async with nexus.db() as db:
        pair = await db.fetchone("SELECT * FROM pairs")
        round_ = await db.fetchone("SELECT * FROM match_rounds ORDER BY id DESC")
    # alice+bob (weekday evenings, django both ways) beats carol+bob (2 h on Saturdays).
    assert (pair["backend_id"], pair["frontend_id"], pair["origin"]) == (
        uid(nexus, "alice"),
        uid(nexus, "bob"),
        "round",
    )
    assert round_["status"] == "done" and '"total_pairs": 1' in round_["summary"]
    await nexus.sandbox.wait_for_message("@alice", lambda m: "your partner for E-Commerce" in m["content"])
    await nexus.sandbox.wait_for_message("@bob", lambda m: "your partner for E-Commerce" in m["content"])
    carol = await nexus.sandbox.wait_for_message("@carol", lambda m: "no partner for you" in m["content"])
    assert "/match request" in carol["content"]
    dave = await nexus.sandbox.wait_for_message("@dave", lambda m: "no partner for you" in m["content"])
    assert "availability" in dave["content"]
    assert len(nexus.sandbox.threads(CHANNEL)) == 1

    stats = await nexus.client.slash("erin", "match stats")
    sfields = {f["name"]: f["value"] for f in stats.embed["fields"]}
    table = sfields["Matched share per project and track"]
    assert "Backend    1/2     50%" in table and "Frontend   1/2     50%" in table
    assert sfields["Median weekly overlap"] == "20.0 h" and sfields["Open requests"] == "0"
