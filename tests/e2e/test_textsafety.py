"""User text is shown, never obeyed: it pings nobody, adds nobody to a thread and renders no markdown.

The sandbox resolves each message's pings as Discord does (`state.pings`, from the content's mentions under
`allowed_mentions`; a mention in a thread adds the member to it), so these tests see who would be notified.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.e2e.test_matching import CHANNEL, buttons, ready, uid

HOSTILE = "[Claim your certificate](https://evil.example/claim) **bold**"
# What the bot must store instead: the masked link can't open (its "[" is escaped, the address shows as a
# plain link) and the asterisks are shown, not bold.
ESCAPED = r"\[Claim your certificate](https://evil.example/claim) \*\*bold\*\*"


def pinged(nexus: Any) -> set[int]:
    return {p.user_id for p in nexus.sandbox.state.pings}


def unintended(nexus: Any) -> list[Any]:
    """Pings of members no template named in `allowed_mentions.users`."""
    return [p for p in nexus.sandbox.state.pings if not p.listed]


async def pair_alice_and_bob(nexus: Any) -> dict[str, Any]:
    await ready(nexus)
    await nexus.client.slash("alice", "match request", member="bob")
    dm = await nexus.sandbox.wait_for_message("@bob", lambda m: bool(buttons(m)))
    accepted = await nexus.client.click("bob", dm, "Accept")
    assert "partners now" in accepted.content, accepted.describe()
    [thread] = nexus.sandbox.threads(CHANNEL)
    await nexus.sandbox.wait_for_message(int(thread["id"]), lambda m: bool(m.get("embeds")))
    return thread


async def test_unpair_reason_pings_and_adds_nobody(nexus: Any) -> None:
    thread = await pair_alice_and_bob(nexus)
    tid = int(thread["id"])
    carol, dave = uid(nexus, "carol"), uid(nexus, "dave")
    # The intro pings exactly the two partners, by name in allowed_mentions.
    assert pinged(nexus) == {uid(nexus, "alice"), uid(nexus, "bob")} and unintended(nexus) == []

    reason = f"<@{carol}> <@!{dave}> @everyone {HOSTILE}"
    asked = await nexus.client.slash("alice", "match unpair", reason=reason)
    ended = await nexus.client.click("alice", asked, "End the pairing")
    assert ended.ephemeral and "no longer partners" in ended.content, ended.describe()
    closing = await nexus.sandbox.wait_for_message(tid, lambda m: "ended by" in m["content"])
    # Neither carol nor dave was notified or pulled into the private thread.
    assert carol not in pinged(nexus) and dave not in pinged(nexus)
    members = {nexus.sandbox.world.bot.id, uid(nexus, "alice"), uid(nexus, "bob")}
    assert nexus.sandbox.state.thread_members[tid] == members
    assert closing["mentions"] == [] and closing["mention_roles"] == [] and not closing["mention_everyone"]
    assert unintended(nexus) == []
    # The reason reads as typed, with the mention syntax inert.
    assert ESCAPED in closing["content"] and f"<@\u200b{carol}>" in closing["content"]
    dm = await nexus.sandbox.wait_for_message("@bob", lambda m: "ended your pairing" in m["content"])
    assert ESCAPED in dm["content"]


async def test_titles_and_questions_are_echoed_escaped(nexus: Any) -> None:
    await nexus.setup_guild()
    announced = await nexus.client.slash(
        "alice",
        "project announce",
        project="ecommerce",
        track="backend",
        title=HOSTILE,
        summary=f"# Free money\n> {HOSTILE}",
        repo="https://github.com/alice/shop_api",
    )
    assert "Announced" in announced.content and ESCAPED in announced.content, announced.describe()
    post = await nexus.sandbox.wait_for_message(CHANNEL, lambda m: bool(m.get("embeds")))
    embed = post["embeds"][0]
    assert embed["title"] == ESCAPED
    assert embed["description"].endswith("\\# Free money\n\\> " + ESCAPED)
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Repository"] == "<https://github.com/alice/shop_api>"  # the address itself, never masked
    # In the roster each title is the text of a link to its post: a "]" in it can't close that link early.
    await nexus.client.slash(
        "bob",
        "project announce",
        project="ecommerce",
        track="frontend",
        title="Shop](https://evil.example) [x",
        summary="s",
    )
    listed = await nexus.client.slash("carol", "project list")
    lines = listed.embed["description"].splitlines()
    assert "Claim your certificate" in lines[0] and "](https://evil.example/claim)" not in lines[0]
    assert "Shop)(https://evil.example) (x](https://discord.com/channels/" in lines[1]

    await nexus.client.slash("alice", "session create", title=HOSTILE, when="in 1h", duration=60)
    session = await nexus.sandbox.wait_for_message(CHANNEL, lambda m: "📚" in str(m.get("embeds")))
    assert session["embeds"][0]["title"] == f"📚 {ESCAPED}"
    await nexus.client.click("bob", session, "Going")
    nexus.advance(timedelta(minutes=46))
    reminder = await nexus.sandbox.wait_for_message("@bob", lambda m: "⏰" in m["content"], timeout=10)
    assert ESCAPED in reminder["content"]

    await nexus.client.slash("bob", "ask", question=f"Why does {HOSTILE} fail?")
    question = await nexus.sandbox.wait_for_message(CHANNEL, lambda m: "asked:" in m["content"])
    assert question["embeds"][0]["description"] == f"> Why does {ESCAPED} fail?"
    assert ESCAPED in question["embeds"][0]["title"]
    # The opener pings the asker only, because the template names them.
    assert [m["id"] for m in question["mentions"]] == [str(uid(nexus, "bob"))]
    assert unintended(nexus) == []
