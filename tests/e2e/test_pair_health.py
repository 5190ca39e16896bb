"""Issue 14, part 2 end to end: check-ins in the pair thread on day 3 and day 10 (each partner answers for
themselves, restart-safe), an inactive partner found from who posts (no content read), "Find me a new
partner" for the active one, and the figures in /match stats."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sandbox.nexus import NexusSandbox
from tests.e2e.test_api_contracts import as_json, publish, template
from tests.e2e.test_match_requests import accept_request
from tests.e2e.test_matching import CHANNEL, announce, buttons, ready
from tests.e2e.test_projects import at, start_week


def checkin(day: int) -> Any:
    return lambda m: f"Day {day} check-in" in m["content"] and bool(buttons(m))


async def test_checkins_inactivity_and_a_new_partner_for_the_active_one(nexus: NexusSandbox) -> None:
    await ready(nexus)
    await accept_request(nexus, "alice", "bob")
    [thread] = nexus.server.threads(CHANNEL)
    tid = int(thread["id"])
    # Check-ins are stored jobs: a restart before they fall due neither loses nor repeats one.
    await nexus.restart()
    nexus.advance(timedelta(days=3, minutes=1))
    day3 = await nexus.server.wait_for_message(tid, checkin(3), timeout=10)
    assert [b["label"] for b in buttons(day3)] == ["We've met", "Not yet", "My partner hasn't answered"]
    intruder = await nexus.client.click("carol", day3, "We've met")
    assert intruder.ephemeral and "each answers for themselves" in intruder.content
    met = await nexus.client.click("alice", day3, "We've met")
    assert met.ephemeral and "noted that you've met" in met.content
    # Bob posts in the thread: the bot learns who posted (the sandbox strips the content, as Discord does).
    nexus.server.post_user_message("bob", tid, "hello alice, shall we meet on Tuesday?")
    nexus.advance(timedelta(days=7))  # day 10: the second check-in; nobody answers it
    await nexus.server.wait_for_message(tid, checkin(10), timeout=10)
    nexus.advance(timedelta(days=2))
    nexus.server.post_user_message("bob", tid, "alice, are you there?")
    async with nexus.db() as db:
        for _ in range(200):  # both check-ins asked, bob's post noted
            asked = await db.fetchval("SELECT COUNT(*) FROM pair_checkins WHERE pair_id = 1")
            posted = await db.fetchval("SELECT last_posted_at FROM thread_activity WHERE thread_id = ?", (tid,))
            if asked == 4 and posted and datetime.fromisoformat(posted) > nexus.now() - timedelta(hours=1):
                break
            await asyncio.sleep(0.05)
        assert asked == 4 and posted is not None
    nexus.advance(timedelta(days=5, minutes=1))  # day 17: a week after the day-10 check-in
    offer = await nexus.server.wait_for_message("@bob", lambda m: "Find me a new partner" in str(m), timeout=10)
    assert offer is not None and "Alice hasn't posted in your partner thread for a week" in offer["content"]
    assert not any("hasn't posted" in m["content"] for m in nexus.server.messages_in(tid))  # private to bob
    assert not any("hasn't posted" in m["content"] for m in nexus.server.messages_in(CHANNEL))
    staff = await nexus.server.wait_for_message("@owner", lambda m: "Pair health" in m["content"])
    assert "Alice has posted nothing" in staff["content"] and "Bob was offered a new partner" in staff["content"]
    stats = await nexus.client.slash("erin", "match stats")
    assert stats.embed is not None, stats.describe()
    fields = {f["name"]: f["value"] for f in stats.embed["fields"]}
    assert fields["Met (check-ins)"] == "1 of 1 pairs (100%)" and fields["Inactive pairs"] == "1"
    assert fields["API contracts"] == "— (none published yet)" and fields["API needs"] == "— (no need listed yet)"
    # Bob asks for a new partner: the pairing ends with reason `inactive` and bob goes first.
    done = await nexus.client.click("bob", offer, "Find me a new partner")
    assert "has ended" in done.content and "go first" in done.content, done.describe()
    told = await nexus.server.wait_for_message("@alice", lambda m: "Your pairing with Bob has ended" in m["content"])
    assert "/match suggest" in told["content"]
    async with nexus.db() as db:
        pair = await db.fetchone("SELECT status, end_reason, inactive_user_id FROM pairs")
        assert pair is not None and (pair["status"], pair["end_reason"]) == ("ended", "inactive")
        bob = nexus.server.world.user("bob").id
        assert await db.fetchval("SELECT priority_since FROM match_profiles WHERE user_id = ?", (bob,)) is not None


async def test_the_daily_digest_shows_the_met_rate_and_inactive_pairs(nexus: NexusSandbox) -> None:
    await start_week(nexus)
    await announce(nexus, "alice", timezone="Africa/Lagos")
    await announce(nexus, "bob", timezone="Africa/Lagos")
    await accept_request(nexus, "alice", "bob")
    [thread] = nexus.server.threads(CHANNEL)
    nexus.set_time(at(4, 10))  # three days after pairing
    day3 = await nexus.server.wait_for_message(int(thread["id"]), checkin(3), timeout=10)
    assert (await nexus.client.click("bob", day3, "We've met")).ephemeral
    # Issue 15's figures join them: alice publishes a contract, bob lists a need it meets (counts only).
    await publish(nexus, "alice", as_json(template()))
    need = await nexus.client.slash("bob", "api need", method="GET", path="/api/cart/")
    assert "✅" in need.content, need.describe()
    nexus.set_time(at(7, 17, 1))
    digest = await nexus.server.wait_for_message(
        CHANNEL, lambda m: bool(m.get("embeds")) and "day 7" in m["embeds"][0].get("title", ""), timeout=10
    )
    fields = {f["name"]: f["value"] for f in digest["embeds"][0]["fields"]}
    assert fields["Partners"] == "Met (check-ins): 1 of 1 pairs (100%) · inactive pairs: 0"
    contracts = "1 published (1 version) · pairs/teams with one: 1 of 1 · needs: 1 met · 0 missing"
    assert fields["API contracts"] == contracts
