"""/ask and /solved end to end: threads, topic suggestions, helper thanks, archiving, unanswered questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.server import FORUM
from sandbox.world import Perm

CHANNEL = "prodevprojectnexus"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
QUESTION = "How do I squash Django migrations without breaking the production database?\nI tried squashmigrations."


def uid(nexus: Any, name: str) -> str:
    return str(nexus.sandbox.world.user(name).id)


async def ask(nexus: Any, user: str = "alice", question: str = QUESTION, **options: Any) -> tuple[Any, dict[str, Any]]:
    nexus.set_time(T0)
    result = await nexus.client.slash(user, "ask", question=question, **options)
    assert result.ephemeral, result.content
    [thread] = nexus.sandbox.threads(CHANNEL)
    return result, thread


async def test_ask_opens_a_thread_quotes_and_suggests_topics(nexus: Any) -> None:
    nexus.set_time(T0)
    await nexus.setup_guild()
    result, thread = await ask(nexus, topic="django-migrations")
    assert f"<#{thread['id']}>" in result.content
    assert thread["name"] == "How do I squash Django migrations without breaking the production database?"
    # The question is quoted on the message the thread hangs from.
    starter = nexus.sandbox.state.message_index[int(thread["id"])].payload
    embed = starter["embeds"][0]
    assert (
        embed["description"].startswith("> How do I squash") and "> I tried squashmigrations." in embed["description"]
    )
    assert starter["mention_everyone"] is False
    async with nexus.db() as db:
        row = await db.fetchone("SELECT * FROM questions")
    assert (row["thread_id"], row["asker_id"], row["status"], row["topic"]) == (
        int(thread["id"]),
        int(uid(nexus, "alice")),
        "open",
        "django-migrations",
    )
    # Related learning topics (from the learning feature) as buttons the learning cog opens.
    suggestion = await nexus.sandbox.wait_for_message(thread["id"], lambda m: bool(m.get("components")), timeout=10)
    buttons = [c for r in suggestion["components"] for c in r["components"]]
    assert 1 <= len(buttons) <= 3
    assert all(b["custom_id"].startswith("nexus:learn:open:") for b in buttons)
    assert "nexus:learn:open:django-migrations" in {b["custom_id"] for b in buttons}
    opened = await nexus.client.click("bob", suggestion, custom_id="nexus:learn:open:django-migrations")
    assert opened.embeds and not opened.error_id_seen


async def test_ask_topic_autocomplete_uses_learning_topics(nexus: Any) -> None:
    choices = await nexus.client.autocomplete("alice", "ask", focused="topic", value="migrat")
    assert choices and any(c["value"] == "django-migrations" for c in choices)


async def test_solved_thanks_the_last_helper_and_archives(nexus: Any) -> None:
    await nexus.setup_guild()
    _, thread = await ask(nexus)
    nexus.sandbox.post_user_message("bob", thread["id"], "Squash on a branch, then deploy both files once.")
    not_yours = await nexus.client.slash("carol", "solved", channel=thread["id"])
    assert not_yours.ephemeral and "Only the asker" in not_yours.content

    nexus.advance(timedelta(hours=2))
    result = await nexus.client.slash("alice", "solved", channel=thread["id"], answer="Squash on a branch first")
    assert not result.ephemeral
    assert f"<@{uid(nexus, 'bob')}>" in result.content
    assert [u["id"] for u in result.message["mentions"]] == [uid(nexus, "bob")]
    assert "Squash on a branch first" in result.text
    archived = nexus.sandbox.state.channels[int(thread["id"])]
    # Archiving follows the public reply.
    await nexus.sandbox.wait_until(lambda: archived["thread_metadata"]["archived"], 10, "the thread to be archived")
    assert archived["name"].startswith("✅ ")
    async with nexus.db() as db:
        row = await db.fetchone("SELECT * FROM questions")
    assert (row["status"], row["helper_id"], row["answer"]) == (
        "solved",
        int(uid(nexus, "bob")),
        "Squash on a branch first",
    )
    assert datetime.fromisoformat(row["solved_at"]) == T0 + timedelta(hours=2)

    again = await nexus.client.slash("alice", "solved", channel=thread["id"])
    assert again.ephemeral and "already" in again.content


async def test_solved_with_a_message_link_thanks_its_author(nexus: Any) -> None:
    await nexus.setup_guild()
    _, thread = await ask(nexus)
    answer = nexus.sandbox.post_user_message("carol", thread["id"], "Use --squashed-name and keep the old ones.")
    nexus.sandbox.post_user_message("bob", thread["id"], "+1")
    link = f"https://discord.com/channels/{nexus.sandbox.world.guild.id}/{thread['id']}/{answer['id']}"
    result = await nexus.client.slash("erin", "solved", channel=thread["id"], answer=link)  # staff may too
    assert f"<@{uid(nexus, 'carol')}>" in result.content and "squashed-name" in result.text
    async with nexus.db() as db:
        assert await db.fetchval("SELECT helper_id FROM questions") == int(uid(nexus, "carol"))


async def test_solved_outside_a_question_thread_is_refused(nexus: Any) -> None:
    await nexus.setup_guild()
    result = await nexus.client.slash("alice", "solved")
    assert result.ephemeral and "inside the thread" in result.content


async def test_ask_without_setup_or_thread_permission_is_explained(nexus: Any) -> None:
    nexus.set_time(T0)
    unset = await nexus.client.slash("alice", "ask", question=QUESTION)
    assert unset.ephemeral and "/nexus setup" in unset.content
    await nexus.setup_guild()
    nexus.sandbox.set_bot_channel_permissions(CHANNEL, deny=Perm.CREATE_PUBLIC_THREADS)
    refused = await nexus.client.slash("alice", "ask", question=QUESTION)
    assert refused.ephemeral and "Create Public Threads" in refused.content
    assert nexus.sandbox.threads(CHANNEL) == []
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM questions") == 0


async def test_unanswered_questions_after_a_day(nexus: Any) -> None:
    from db.stores.questions import QuestionStore

    await nexus.setup_guild()
    _, thread = await ask(nexus)
    nexus.set_time(T0 + timedelta(hours=1))
    await nexus.client.slash("bob", "ask", question="How do I mock fetch in Jest?")
    async with nexus.db() as db:
        store = QuestionStore(db)
        guild = nexus.sandbox.world.guild.id
        stale = await store.unanswered_since(guild, T0 + timedelta(hours=24, minutes=30) - timedelta(hours=24))
        assert [q.thread_id for q in stale] == [int(thread["id"])]


async def test_unanswered_questions_appear_in_the_daily_digest(nexus: Any) -> None:
    nexus.set_time(T0)
    await nexus.setup_guild(cohort_start="2026-12-01", digest_hour=17)
    _, thread = await ask(nexus)
    # Day 2, 17:00 UTC: the question is 32 hours old and still open.
    nexus.set_time(datetime(2026, 12, 2, 17, 0, 5, tzinfo=UTC))
    digest = await nexus.sandbox.wait_for_message(
        CHANNEL, lambda m: bool(m.get("embeds")) and m["embeds"][0].get("title", "").startswith("First week"), 10
    )
    fields = {f["name"]: f["value"] for f in digest["embeds"][0]["fields"]}
    assert f"<#{thread['id']}>" in fields["Unanswered questions (1)"]


async def test_questions_open_as_posts_in_the_configured_forum(nexus: Any) -> None:
    await nexus.setup_guild()
    forum_id = nexus.sandbox.add_channel("questions", type=FORUM)
    configured = await nexus.client.slash("erin", "nexus configure", forum="questions")
    assert configured.ephemeral and f"<#{forum_id}>" in configured.content

    nexus.set_time(T0)
    result = await nexus.client.slash("alice", "ask", question=QUESTION, topic="django-migrations")
    [post] = nexus.sandbox.threads("questions")
    assert not nexus.sandbox.threads(CHANNEL)
    assert f"<#{post['id']}>" in result.content
    assert post["name"] == "How do I squash Django migrations without breaking the production database?"
    # The post's starter message (same id as the post) carries the quoted question.
    starter = nexus.sandbox.state.message_index[int(post["id"])].payload
    assert starter["channel_id"] == post["id"] and starter["content"] == f"<@{uid(nexus, 'alice')}> asked:"
    assert starter["embeds"][0]["description"].startswith("> How do I squash")
    async with nexus.db() as db:
        row = await db.fetchone("SELECT channel_id, thread_id FROM questions")
    assert (row["channel_id"], row["thread_id"]) == (forum_id, int(post["id"]))
    suggestion = await nexus.sandbox.wait_for_message(post["id"], lambda m: bool(m.get("components")), timeout=10)
    assert "nexus:learn:open:django-migrations" in {
        c["custom_id"] for r in suggestion["components"] for c in r["components"]
    }

    nexus.sandbox.post_user_message("bob", post["id"], "Squash on a branch, then deploy both files once.")
    solved = await nexus.client.slash("alice", "solved", channel=post["id"])
    assert f"<@{uid(nexus, 'bob')}>" in solved.content
    await nexus.sandbox.wait_until(lambda: post["thread_metadata"]["archived"], 10, "the post to be archived")

    cleared = await nexus.client.slash("erin", "nexus configure", clear_forum=True)
    assert "threads in the project channel" in cleared.content
    await nexus.client.slash("bob", "ask", question="Why does my Docker image rebuild every layer?")
    assert len(nexus.sandbox.threads(CHANNEL)) == 1 and len(nexus.sandbox.threads("questions")) == 1


async def test_forum_the_bot_cannot_post_in_is_refused_and_a_deleted_one_falls_back(nexus: Any) -> None:
    await nexus.setup_guild()
    nexus.sandbox.add_channel("questions", type=FORUM)
    nexus.sandbox.set_bot_channel_permissions("questions", deny=Perm.SEND_MESSAGES)
    refused = await nexus.client.slash("erin", "nexus configure", forum="questions")
    assert refused.ephemeral and "Send Messages" in refused.content
    async with nexus.db() as db:
        assert await db.fetchval("SELECT forum_channel_id FROM guild_settings") is None

    nexus.sandbox.set_bot_channel_permissions("questions")
    await nexus.client.slash("erin", "nexus configure", forum="questions")
    nexus.sandbox.delete_channel("questions")
    # A moderator deleted the forum: questions go to threads in the project channel instead of failing.
    result = await nexus.client.slash("alice", "ask", question=QUESTION)
    [thread] = nexus.sandbox.threads(CHANNEL)
    assert f"<#{thread['id']}>" in result.content


async def test_ask_after_the_project_channel_was_deleted_says_it_no_longer_exists(nexus: Any) -> None:
    await nexus.setup_guild()
    nexus.sandbox.delete_channel(CHANNEL)
    result = await nexus.client.slash("alice", "ask", channel="general", question=QUESTION)
    assert result.ephemeral and "no longer exists" in result.content and "/nexus setup" in result.content
    assert "haven't set" not in result.content and not result.error_id_seen
