"""Issue 14, part 1 end to end: balance:auto gives the scarcer track several partners in ONE team thread, a
learner's own max_partners still caps, and the last resorts (async partner, study buddy) are labelled."""

from __future__ import annotations

from typing import Any

from bot.services import pairing
from sandbox.nexus import NexusSandbox
from tests.e2e.test_matching import CHANNEL, announce, join
from tests.e2e.test_rounds import embed_of, fields_of


async def three_on_ecommerce(nexus: NexusSandbox) -> None:
    """alice and carol (Backend) and bob (Frontend) on E-Commerce, all free on weekday evenings in Lagos."""
    await nexus.setup_guild()
    for user in ("alice", "carol", "bob"):
        await announce(nexus, user, timezone="Africa/Lagos")
        await join(nexus, user, availability="weekdays 18-22")


def members_of(nexus: NexusSandbox, thread: dict[str, Any]) -> set[int]:
    return set(nexus.server.state.thread_members.get(int(thread["id"]), set()))


async def test_balance_auto_gives_the_scarcer_track_two_partners_in_one_team_thread(nexus: NexusSandbox) -> None:
    await three_on_ecommerce(nexus)
    world = nexus.server.world
    alice, bob, carol = (world.user(n).id for n in ("alice", "bob", "carol"))
    one = await nexus.client.slash("erin", "match run", dry_run=True, balance="one-to-one")
    assert "1 pair(s)" in embed_of(one)["description"] and "Balance: one-to-one" in embed_of(one)["description"]
    real = await nexus.client.slash("erin", "match run", timeout=30)
    assert "2 pair(s)" in embed_of(real)["description"] and "Balance: auto" in embed_of(real)["description"]
    assert fields_of(embed_of(real))["Left without a partner (0)"] == "nobody 🎉"
    await nexus.wait_settled()
    [thread] = nexus.server.threads(CHANNEL)
    assert "Bob's team" in thread["name"]
    assert {alice, bob, carol} <= members_of(nexus, thread)
    intros = [m for m in nexus.server.messages_in(int(thread["id"])) if m.get("embeds")]
    assert len(intros) == 2
    team = next(f for f in intros[0]["embeds"][0]["fields"] if f["name"].startswith("Your team (3 learners)"))
    for uid in (alice, bob, carol):
        assert f"<@{uid}>" in team["value"]
    assert team["value"].count("Africa/Lagos") == 3 and "20 h/week with" in team["value"]
    async with nexus.db() as db:
        rows = await db.fetchall("SELECT thread_id FROM pairs WHERE status = 'active'")
        assert len(rows) == 2 and len({r["thread_id"] for r in rows}) == 1
        assert await db.fetchval("SELECT max_partners FROM match_profiles WHERE user_id = ?", (bob,)) == 2
    # /match status shows both partners with the one team thread.
    status = await nexus.client.slash("bob", "match status")
    current = fields_of(status.embed)["Current partners"]
    assert current.count(f"<#{thread['id']}>") == 2
    # Carol ends her pairing: the team thread stays open for alice and bob; carol leaves it.
    ask = await nexus.client.slash("carol", "match unpair")
    done = await nexus.client.click("carol", ask, "End the pairing")
    assert "no longer partners" in done.content, done.describe()
    await nexus.server.wait_for_message(int(thread["id"]), lambda m: "pairing was ended by Carol" in m["content"])
    await nexus.server.wait_until(lambda: carol not in members_of(nexus, thread), 5, "carol leaves the team thread")
    [thread] = nexus.server.threads(CHANNEL)
    assert not thread["thread_metadata"]["archived"]
    assert carol not in members_of(nexus, thread) and {alice, bob} <= members_of(nexus, thread)


async def test_everyone_in_a_team_thread_sees_each_partners_local_time_and_overlap(nexus: NexusSandbox) -> None:
    """Issue 14's "Done when": bob (Frontend, Lagos) gets alice (Nairobi) and carol (Cairo) in one team thread;
    its intro lists each member's local time now and each partner's weekly overlap with bob."""
    await nexus.setup_guild()
    for user, zone in (("alice", "Africa/Nairobi"), ("carol", "Africa/Cairo"), ("bob", "Africa/Lagos")):
        await announce(nexus, user, timezone=zone)
        await join(nexus, user, availability="weekdays 18-22")
    world = nexus.server.world
    alice, bob, carol = (world.user(n).id for n in ("alice", "bob", "carol"))
    real = await nexus.client.slash("erin", "match run", balance="auto", timeout=30)
    assert "2 pair(s)" in embed_of(real)["description"], real.describe()
    await nexus.server.wait_until(lambda: len(nexus.server.threads(CHANNEL)) == 1, 10, "the team thread")
    [thread] = nexus.server.threads(CHANNEL)
    assert {alice, bob, carol} <= members_of(nexus, thread)
    await nexus.server.wait_until(
        lambda: len([m for m in nexus.server.messages_in(int(thread["id"])) if m.get("embeds")]) == 2, 10, "intros"
    )
    now = nexus.now()
    # 18-22 local each weekday: Nairobi (UTC+3) shares 17-19 UTC with Lagos (UTC+1), Cairo (UTC+2) 17-20 UTC.
    expected = {
        f"<@{bob}>: {pairing.local_time('Africa/Lagos', now)}",
        f"<@{alice}>: {pairing.local_time('Africa/Nairobi', now)} · 10 h/week with <@{bob}>",
        f"<@{carol}>: {pairing.local_time('Africa/Cairo', now)} · 15 h/week with <@{bob}>",
    }
    for intro in (m for m in nexus.server.messages_in(int(thread["id"])) if m.get("embeds")):
        team = next(f for f in intro["embeds"][0]["fields"] if f["name"].startswith("Your team (3 learners)"))
        assert set(team["value"].split("\n")) == expected, team["value"]


async def test_a_learner_who_set_max_partners_keeps_it(nexus: NexusSandbox) -> None:
    await three_on_ecommerce(nexus)
    await join(nexus, "bob", max_partners=1)
    real = await nexus.client.slash("erin", "match run", timeout=30)
    assert "1 pair(s)" in embed_of(real)["description"], real.describe()


async def test_last_resorts_are_labelled_async_partner_then_study_buddy(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    for name, role in (("hank", "Backend"), ("ivan", "Backend"), ("judy", "Backend")):
        nexus.server.add_member(name, roles=[role])
    # Job Board: alice (Lagos evenings) and dave (New York, Sunday night) share no hour.
    await announce(nexus, "alice", project="job-board", timezone="Africa/Lagos")
    await join(nexus, "alice", availability="weekdays 18-22")
    await announce(nexus, "dave", project="job-board", timezone="America/New_York")
    await join(nexus, "dave", availability="sun 3-4")
    # Movie Recommendation: two Backend learners and no Frontend learner at all.
    for user in ("ivan", "judy"):
        await announce(nexus, user, project="movie-recommendation", timezone="Africa/Nairobi")
        await join(nexus, user, availability="weekends 10-14")
    real = await nexus.client.slash("erin", "match run", timeout=30)
    made = fields_of(embed_of(real))["Pairs made (score)"]
    assert "Alice & Dave (0) · async, no shared hour" in made, made
    assert "study buddies, same track" in made and "Left without a partner (0)" in fields_of(embed_of(real))
    summary = await nexus.server.wait_for_message(CHANNEL, lambda m: "Matching round" in str(m.get("embeds")))
    assert "1 asynchronous pair(s)" in fields_of(summary["embeds"][0])["Last resorts"]
    dave = await nexus.server.wait_for_message("@dave", lambda m: "your partner for" in m["content"])
    assert "collaborate asynchronously" in dave["content"]
    ivan = await nexus.server.wait_for_message("@ivan", lambda m: "your study buddy for" in m["content"])
    assert "No Frontend learner on your project" in ivan["content"]
    await nexus.wait_settled()
    headings = {
        f["name"]
        for t in nexus.server.threads(CHANNEL)
        for m in nexus.server.messages_in(int(t["id"]))
        for e in m.get("embeds", [])
        for f in e.get("fields", [])
    }
    assert {"Asynchronous partners", "Study buddies"} <= headings
