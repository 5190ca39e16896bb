"""/learn end to end: a real bot subprocess against the sandbox (topics, search, suggest/review, tips)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.client import modal_values

CHANNEL = "prodevprojectnexus"
REVIEW = "staff-review"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the harness default start: a Monday morning


def button_labels(message: dict[str, Any]) -> list[str]:
    return [c.get("label", "") for row in message.get("components", []) for c in row.get("components", [])]


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c.get("custom_id", "") for row in message.get("components", []) for c in row.get("components", [])]


def uid(nexus: Any, name: str) -> int:
    return int(nexus.sandbox.world.user(name).id)


async def dm_arrived(nexus: Any, user: str, text: str) -> bool:
    """Whether the member's newest DM says `text`."""
    dms = nexus.sandbox.dms_to(user)
    return bool(dms) and text in dms[-1]["content"]


async def eventually(predicate: Any, timeout: float = 10.0) -> None:
    """Poll an async predicate (a database condition no event announces) until true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def topic_row(nexus: Any, slug: str) -> Any:
    async with nexus.db() as db:
        return await db.fetchone("SELECT * FROM topics WHERE slug = ?", (slug,))


async def test_topic_lookup_autocomplete_related_buttons_and_usage(nexus: Any) -> None:
    nexus.set_time(T0)
    choices = await nexus.client.autocomplete("alice", "learn topic", focused="name", value="")
    assert 0 < len(choices) <= 25
    first_key = await nexus.client.autocomplete("alice", "learn topic", focused="name", value="d")
    assert 0 < len(first_key) <= 25 and all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in first_key)
    assert first_key[0]["name"].lower().startswith("d")
    typo = await nexus.client.autocomplete("alice", "learn topic", focused="name", value="cachng")
    assert typo and typo[0]["value"] == "caching"

    result = await nexus.client.slash("alice", "learn topic", name="caching")
    assert result.ephemeral
    embed = result.embed
    assert embed is not None and embed["title"] == "Caching Strategies"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Key points" in fields and "](https://docs.djangoproject.com/" in fields["Resources"]
    assert "nexus:learn:open:redis" in custom_ids(result.message)

    # A related-topic button opens that topic for whoever presses it.
    opened = await nexus.client.click("bob", result, custom_id="nexus:learn:open:redis")
    assert opened.ephemeral and opened.embed["title"] == "Redis"

    shared = await nexus.client.slash("carol", "learn topic", name="Caching Stratgies", share=True)
    assert not shared.ephemeral and shared.embed["title"] == "Caching Strategies"
    row = await topic_row(nexus, "caching")
    assert row["uses"] == 2

    popular = await nexus.client.slash("dave", "learn popular")
    assert popular.embed["description"].startswith("**1.** Caching Strategies · 2 lookups")

    missing = await nexus.client.slash("alice", "learn topic", name="zzzz qqqq")
    assert missing.ephemeral and "No topic called" in missing.content
    assert nexus.sandbox.rejections == [], [str(r) for r in nexus.sandbox.rejections]


async def test_frontend_core_names_open_their_own_topics(nexus: Any) -> None:
    # `/learn topic name:react` used to offer React Native; exact names and aliases now win over fuzzy matching.
    nexus.set_time(T0)
    for name, title in [
        ("react", "React"),
        ("reactjs", "React"),
        ("javascript", "JavaScript"),
        ("js", "JavaScript"),
        ("css", "CSS"),
        ("react native", "React Native"),
    ]:
        result = await nexus.client.slash("alice", "learn topic", name=name)
        assert result.ephemeral and result.embed is not None and result.embed["title"] == title, name
    react = await nexus.client.slash("alice", "learn topic", name="react")
    assert "react.dev" in {f["name"]: f["value"] for f in react.embed["fields"]}["Resources"]
    choices = await nexus.client.autocomplete("alice", "learn topic", focused="name", value="react")
    assert choices[0]["value"] == "react"
    assert nexus.sandbox.rejections == [], [str(r) for r in nexus.sandbox.rejections]


async def test_search_pages_snippets_hostile_text_and_did_you_mean(nexus: Any) -> None:
    nexus.set_time(T0)
    result = await nexus.client.slash("alice", "learn search", query="django")
    assert result.ephemeral
    embed = result.embed
    assert len(embed["fields"]) == 5 and "Page 1/" in embed["footer"]["text"]
    assert any("**Django**" in f["value"] or "**django**" in f["value"] for f in embed["fields"])
    first_page = [f["name"] for f in embed["fields"]]
    turned = await nexus.client.click("alice", result, "Next")
    assert "Page 2/" in turned.embed["footer"]["text"]
    assert [f["name"] for f in turned.embed["fields"]] != first_page
    assert turned.embed["fields"][0]["name"].startswith("6. ")
    opened = await nexus.client.select(
        "alice", turned, [turned.message["components"][1]["components"][0]["options"][0]["value"]]
    )
    assert opened.ephemeral and opened.embed is not None

    for hostile in ['"', "c++", "*", "-", "NEAR(a b", "title:x OR", "'; DROP TABLE topics; --", "🙂"]:
        answer = await nexus.client.slash("alice", "learn search", query=hostile)
        assert answer.ephemeral and not answer.error_id_seen, hostile

    typo = await nexus.client.slash("alice", "learn search", query="cachng")
    assert "Did you mean" in typo.content and "Caching Strategies" in typo.content
    assert "nexus:learn:open:caching" in custom_ids(typo.message)
    assert nexus.sandbox.rejections == [], [str(r) for r in nexus.sandbox.rejections]


async def test_random_by_category(nexus: Any) -> None:
    result = await nexus.client.slash("bob", "learn random", category="frontend")
    assert result.ephemeral and "Frontend ·" in result.embed["footer"]["text"]


SUGGESTION = {
    "Title": "WebSockets with Django Channels",
    "Category": "Technologies",
    "Summary (one or two sentences)": "Push live updates (new votes, chat messages) to browsers over WebSockets.",
    "Body (markdown: when to use it, pitfalls)": "Use **Channels** consumers; keep them thin. Zorblax groups.",
    "Resources: one `Title | https://url` a line": "Channels docs | https://channels.readthedocs.io/en/latest/",
}


async def test_suggest_review_approve_after_restart_and_reject(nexus: Any) -> None:
    nexus.set_time(T0)
    # Before a review channel exists, the suggestion is kept and staff are told how to set one.
    form = await nexus.client.slash("alice", "learn suggest")
    assert form.modal is not None and len(form.modal["components"]) == 5
    saved = await nexus.client.submit_modal("alice", form, SUGGESTION)
    assert saved.ephemeral and "review_channel" in saved.content
    row = await topic_row(nexus, "websockets-with-django-channels")
    assert row["status"] == "pending" and row["author_id"] == uid(nexus, "alice")
    hidden = await nexus.client.slash("bob", "learn search", query="zorblax")
    assert "No topic matches" in hidden.content

    # Setting the review channel posts the waiting suggestion there.
    await nexus.client.slash("erin", "nexus setup", options={"channel": CHANNEL, "review_channel": REVIEW})
    post = await nexus.sandbox.wait_for_message(REVIEW, lambda m: "WebSockets" in str(m.get("embeds")), 10)
    assert button_labels(post) == ["Approve", "Reject"]
    assert custom_ids(post) == [f"nexus:learn:approve:{row['id']}", f"nexus:learn:reject:{row['id']}"]

    refused = await nexus.client.click("bob", post, "Approve")
    assert refused.ephemeral and "Only staff" in refused.content

    await nexus.restart()  # the buttons keep working after a restart
    approved = await nexus.client.click("erin", post, "Approve")
    assert approved.type == 7 and approved.message["components"] == []
    assert "Approved by" in str(approved.message["embeds"][0]["fields"])
    assert (await topic_row(nexus, "websockets-with-django-channels"))["status"] == "approved"
    # The author's DM goes after the approval is answered: wait for it, don't race it.
    await eventually(lambda: dm_arrived(nexus, "alice", "was approved"))
    found = await nexus.client.slash("bob", "learn search", query="zorblax")
    assert found.embed["fields"][0]["name"] == "1. WebSockets with Django Channels"
    choices = await nexus.client.autocomplete("bob", "learn topic", focused="name", value="webso")
    assert choices[0]["value"] == "websockets-with-django-channels"

    # A second suggestion goes straight to the review channel and is rejected with a reason.
    second = await nexus.client.slash("carol", "learn suggest")
    await nexus.client.submit_modal("carol", second, {**SUGGESTION, "Title": "My cool notes", "Category": "concepts"})
    post2 = await nexus.sandbox.wait_for_message(REVIEW, lambda m: "My cool notes" in str(m.get("embeds")), 10)
    reason_form = await nexus.client.click("erin", post2, "Reject")
    assert reason_form.modal is not None
    rejected = await nexus.client.submit_modal("erin", reason_form, {"Reason (the author reads it)": "Too vague"})
    assert not rejected.error_id_seen
    assert (await topic_row(nexus, "my-cool-notes"))["review_reason"] == "Too vague"
    await eventually(lambda: dm_arrived(nexus, "carol", "Too vague"))

    bad = await nexus.client.slash("dave", "learn suggest")
    invalid = await nexus.client.submit_modal("dave", bad, {**SUGGESTION, "Title": "Other", "Category": "misc"})
    assert invalid.ephemeral and "not a category" in invalid.content
    assert nexus.sandbox.rejections == [], [str(r) for r in nexus.sandbox.rejections]


async def test_staff_edit_prefilled_and_reindexed(nexus: Any) -> None:
    nexus.set_time(T0)
    denied = await nexus.client.slash("alice", "learn edit", name="redis")
    assert denied.ephemeral and "Only staff" in denied.content
    form = await nexus.client.slash("erin", "learn edit", name="redis")
    assert form.modal is not None
    prefilled = modal_values(form.modal)
    assert prefilled["Title"] == "Redis" and prefilled["Category"] == "technologies"
    assert "https://redis.io/" in (prefilled["Resources: one `Title | https://url` a line"] or "")
    saved = await nexus.client.submit_modal(
        "erin", form, {"Body (markdown: when to use it, pitfalls)": "Sorted sets power leaderboards zebracorn."}
    )
    assert saved.ephemeral and "no longer overwrite" in saved.content
    row = await topic_row(nexus, "redis")
    assert row["source"] == "community" and "zebracorn" in row["body"]
    found = await nexus.client.slash("bob", "learn search", query="zebracorn")
    assert found.embed["fields"][0]["name"] == "1. Redis"
    await nexus.restart()  # re-seeding leaves the edited topic alone
    assert "zebracorn" in (await topic_row(nexus, "redis"))["body"]


async def test_tip_of_the_day_posts_daily_without_repeats_across_restarts(nexus: Any) -> None:
    nexus.set_time(T0)
    await nexus.setup_guild()
    configured = await nexus.client.slash("erin", "nexus tips", options={"channel": CHANNEL, "hour": 10})
    assert configured.ephemeral and "10:00 UTC" in configured.content
    denied = await nexus.client.slash("alice", "nexus tips", off=True)
    assert "Only staff" in denied.content

    def tips() -> list[dict[str, Any]]:
        return [
            m
            for m in nexus.sandbox.messages_in(CHANNEL)
            if m.get("embeds") and m["embeds"][0].get("title", "").startswith("💡 Tip of the day")
        ]

    nexus.set_time(T0 + timedelta(hours=1, minutes=1))
    await nexus.sandbox.wait_for_message(CHANNEL, lambda m: "Tip of the day" in str(m.get("embeds")), 10)
    assert len(tips()) == 1
    assert custom_ids(tips()[0])[0].startswith("nexus:learn:open:")

    await nexus.restart()  # the same day's tip is never repeated
    nexus.set_time(T0 + timedelta(days=1, hours=1, minutes=1))
    await nexus.sandbox.wait_until(lambda: len(tips()) == 2, 10, "second tip")
    async with nexus.db() as db:
        rows = await db.fetchall("SELECT topic_id, day FROM topic_tips ORDER BY day")
    assert [r["day"] for r in rows] == ["2026-12-07", "2026-12-08"] and rows[0]["topic_id"] != rows[1]["topic_id"]

    off = await nexus.client.slash("erin", "nexus tips", off=True)
    assert "off" in off.content
    nexus.set_time(T0 + timedelta(days=2, hours=1, minutes=1))

    async def third_day_job_done() -> bool:
        async with nexus.db() as db:
            status = await db.fetchval(
                "SELECT status FROM jobs WHERE kind = 'learn.tip' AND dedupe_key LIKE '%:2026-12-09:%'"
            )
        return status == "done"

    await eventually(third_day_job_done)  # the planned job ran, and posted nothing: tips are off
    assert len(tips()) == 2
