"""Staff matching rounds end to end: numbers, private and public summaries, moot requests, exports, kills."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from typing import Any

from sandbox.nexus import NexusSandbox
from tests.e2e.test_matching import CHANNEL, announce, buttons, join


def fields_of(embed: dict[str, Any] | None) -> dict[str, str]:
    assert embed is not None
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def embed_of(result: Any) -> dict[str, Any]:
    assert result.embed is not None, result.describe()
    return dict(result.embed)


def summaries(nexus: NexusSandbox) -> list[dict[str, Any]]:
    return [m for m in nexus.server.messages_in(CHANNEL) if "Matching round" in str(m.get("embeds"))]


async def cohort(nexus: NexusSandbox) -> None:
    """alice+bob share weekday evenings; carol (Saturdays) can't get bob in a one-to-one round; dave (Sunday
    night) is the only learner on Job Board; gina only announced. (Issue 14: dave used to be on E-Commerce too,
    where a round now gives him and carol each other as an asynchronous last resort.)"""
    await nexus.setup_guild()
    nexus.server.add_member("gina", roles=["Frontend"])
    for user in ("alice", "carol", "bob", "gina"):
        await announce(nexus, user, timezone="Africa/Lagos")
    await announce(nexus, "dave", project="job-board", timezone="America/New_York")
    await join(nexus, "alice", availability="weekdays 18-22", offers="django")
    await join(nexus, "carol", availability="sat 8-10")
    await join(nexus, "bob", availability="weekdays 18-22, sat 8-10", wants="django")
    await join(nexus, "dave", availability="sun 3-4")


async def export(nexus: NexusSandbox, what: str) -> list[dict[str, str]]:
    result = await nexus.client.slash("erin", "nexus export", what=what)
    assert result.ephemeral and not result.error_id_seen, result.describe()
    [file] = result.files
    return list(csv.DictReader(io.StringIO(file.data.decode())))


async def test_round_numbers_private_lists_public_counts_moot_requests_and_exports(nexus: NexusSandbox) -> None:
    await cohort(nexus)
    # carol asks bob before the round; the round gives bob (max 1 partner) to alice, so the request is moot.
    await nexus.client.slash("carol", "match request", member="bob")
    request_dm = await nexus.server.wait_for_message("@bob", lambda m: bool(buttons(m)))

    dry = await nexus.client.slash("erin", "match run", dry_run=True, balance="one-to-one")
    assert "dry run" in embed_of(dry)["title"] and "next real round: #1" in embed_of(dry)["title"], dry.describe()
    assert embed_of(dry)["footer"]["text"].startswith("1 announced learner(s) haven't opted in")  # gina

    real = await nexus.client.slash("erin", "match run", balance="one-to-one", timeout=30)
    # The dry run took no number.
    assert real.ephemeral and embed_of(real)["title"] == "Matching round #1", real.describe()
    staff = fields_of(embed_of(real))
    assert staff["Pairs made (score)"].startswith("Alice & Bob (")
    left = staff["Left without a partner (2)"]
    assert "Carol: all compatible partners are at capacity" in left and "Dave" in left
    assert "1 pending partner request(s)" in staff["Requests closed"]

    [public] = summaries(nexus)
    embed = public["embeds"][0]
    assert embed["title"] == "Matching round #1"
    text = str(embed)
    assert "2 learner(s); each got the reason" in fields_of(embed)["Left without a partner"]
    assert "Carol" not in text and "Dave" not in text and "capacity" not in text  # counts only

    carol = await nexus.server.wait_for_message("@carol", lambda m: "Matching round #1: no partner" in m["content"])
    assert "at capacity" in carol["content"]
    dave = await nexus.server.wait_for_message("@dave", lambda m: "no partner for you" in m["content"])
    assert "no Backend learner on Job Board" in dave["content"]
    closed = await nexus.server.wait_for_message("@carol", lambda m: "request to Bob is closed" in m["content"])
    assert "/match suggest" in closed["content"]
    edited = nexus.server.state.message_index[int(request_dm["id"])].payload
    assert buttons(edited) == [] and "closed" in edited["content"]
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM match_requests") == "cancelled"
        rounds = await db.fetchall("SELECT dry_run, number, status FROM match_rounds ORDER BY id")
        assert [tuple(r) for r in rounds] == [(1, None, "done"), (0, 1, "done")]
        assert await db.fetchval("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'match_round%' AND status <> 'done'") == 0

    # Paired learners have opted in: the footer still counts only gina.
    again = await nexus.client.slash("erin", "match run", dry_run=True)
    assert embed_of(again)["footer"]["text"].startswith("1 announced learner(s)"), again.describe()
    assert "next real round: #2" in embed_of(again)["title"]

    pairs = await export(nexus, "pairs")
    assert [(r["backend_name"], r["frontend_name"], r["origin"], r["round"], r["status"]) for r in pairs] == [
        ("Alice", "Bob", "round", "1", "active")
    ]
    unmatched = await export(nexus, "unmatched")
    by_name = {r["name"]: r for r in unmatched}
    assert set(by_name) == {"Carol", "Dave"} and by_name["Carol"]["round"] == "1"
    assert "at capacity" in by_name["Carol"]["reason"] and by_name["Dave"]["track"] == "frontend"


async def test_staff_unpair_ends_a_named_members_pairing(nexus: NexusSandbox) -> None:
    await cohort(nexus)
    await nexus.client.slash("alice", "match request", member="bob")
    dm = await nexus.server.wait_for_message("@bob", lambda m: bool(buttons(m)))
    assert "partners now" in (await nexus.client.click("bob", dm, "Accept")).content
    choices = await nexus.client.autocomplete("erin", "match unpair", focused="member", value="ali")
    assert choices and choices[0]["name"].startswith("Alice & Bob (pair ")
    hint = await nexus.client.slash("erin", "match unpair")
    assert hint.ephemeral and "As staff, name a learner" in hint.content
    nobody = await nexus.client.slash("erin", "match unpair", member="gina")
    assert nobody.ephemeral and "Gina has no partner right now" in nobody.content
    ended = await nexus.client.slash("erin", "match unpair", member="alice", reason="Changed projects")
    assert ended.ephemeral and "Ended the pairing of Alice and Bob" in ended.content, ended.describe()
    for user in ("alice", "bob"):
        told = await nexus.server.wait_for_message(f"@{user}", lambda m: "Staff (Erin) ended" in m["content"])
        assert "Changed projects" in told["content"]
    async with nexus.db() as db:
        assert await db.fetchval("SELECT status FROM pairs") == "ended"
        assert await db.fetchval("SELECT SUM(active_pairs) FROM match_profiles") == 0
    refused = await nexus.client.slash("carol", "match unpair", member="alice")
    assert "no partner right now" in refused.content  # learners still end only their own pairings


async def test_a_kill_after_the_round_committed_finishes_it_exactly_once(unthrottled: NexusSandbox) -> None:
    nexus = unthrottled
    await cohort(nexus)
    for name in ("hank", "ivan"):
        nexus.server.add_member(name, roles=["Backend" if name == "hank" else "Frontend"])
        await announce(nexus, name, timezone="Africa/Lagos")
        await join(nexus, name, availability="weekdays 8-12")
    # The first DM of the round hangs (then is delivered, as Discord would once the request arrived): the bot is
    # killed while it waits, after the round committed and with one pair's thread open.
    dm_route = "/channels/{channel_id}/messages"
    before = len(nexus.server.requests)
    nexus.server.inject_fault("POST", dm_route, None, delay=2.0, times=1)
    run = asyncio.create_task(nexus.client.slash("erin", "match run", balance="one-to-one", until="ack", timeout=30))
    await run
    for _ in range(200):
        if any(r.route == f"POST {dm_route}" for r in nexus.server.requests[before:]):
            break
        await asyncio.sleep(0.05)
    await nexus.kill_and_restart()
    await nexus.wait_settled()
    assert re.search(r"Resuming [1-9]\d* job\(s\) cut short", nexus.bot_log())  # jobs of the round were in flight
    async with nexus.db() as db:
        for _ in range(200):
            left = await db.fetchval("SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND kind LIKE 'match_round%'")
            if left == 0:
                break
            await asyncio.sleep(0.1)
        assert left == 0
        pairs = await db.fetchall("SELECT * FROM pairs ORDER BY id")
        assert await db.fetchval("SELECT status FROM match_rounds") == "done"
    assert len(pairs) == 2 and all(p["thread_id"] for p in pairs)
    assert len(nexus.server.threads(CHANNEL)) == 2
    await asyncio.sleep(2.5)  # the hung DM is delivered by now; its resend returned it instead of a second one
    for user in ("alice", "bob", "hank", "ivan"):
        mine = [m for m in nexus.server.dms_to(user) if "your partner for" in m["content"]]
        assert len(mine) == 1, (user, [m["content"] for m in mine])
    for user in ("carol", "dave"):
        assert len([m for m in nexus.server.dms_to(user) if "no partner for you" in m["content"]]) == 1
    for thread in nexus.server.threads(CHANNEL):
        intros = [m for m in nexus.server.messages_in(int(thread["id"])) if m.get("embeds")]
        assert len(intros) == 1
    assert len(summaries(nexus)) == 1
    rerun = await nexus.client.slash("erin", "match run", balance="one-to-one", timeout=30)
    assert embed_of(rerun)["title"] == "Matching round #2" and "0 pair(s)" in embed_of(rerun)["description"]
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM pairs") == 2


async def test_a_dry_run_that_outlives_its_token_reaches_staff_by_dm(nexus: NexusSandbox) -> None:
    await cohort(nexus)
    nexus.server.token_ttl = 1.0
    # The edit of the reply arrives after the token's lifetime, as after a 15-minute round on Discord.
    nexus.server.inject_fault("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", None, delay=1.5)
    await nexus.client.slash("erin", "match run", dry_run=True, until="ack")
    dm = await nexus.server.wait_for_message("@erin", lambda m: "dry run" in str(m.get("embeds")), timeout=15)
    assert "longer than Discord keeps a reply open" in dm["content"]
    assert "Alice & Bob" in fields_of(dm["embeds"][0])["Proposed pairs (score)"]
    refused = [r for r in nexus.server.requests if r.route.startswith("PATCH /webhooks") and r.status == 401]
    assert refused and refused[0].response == {"message": "Invalid Webhook Token", "code": 50027}
    assert summaries(nexus) == []  # a dry run's result never goes to the public channel
