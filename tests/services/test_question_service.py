"""The question service on a real migrated SQLite file: what /ask accepts and where it goes, who may mark a
question solved and only once, related topics, and the digest's unanswered figure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.services.container import Services
from bot.services.questions import AskPlan, thread_title

GUILD = 1
ALICE, BOB, STAFF = 10, 11, 99
PROJECT_CHANNEL, FORUM = 700, 800
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.fixture
async def services(services: Services) -> Services:
    """The shared services, with a project channel set."""
    await services.cohort.update(GUILD, NOW, channel_id=PROJECT_CHANNEL)
    return services


def calls(answer: bool, log: list[str]) -> Callable[[], Awaitable[bool]]:
    """An is-staff check that notes it was asked (staff is only checked for someone other than the asker)."""

    async def is_staff() -> bool:
        log.append("asked")
        return answer

    return is_staff


async def asked(services: Services, asker: int = ALICE, thread_id: int = 900) -> AskPlan:
    plan = await services.questions.ask(GUILD, asker, "How do I cache  a Django view?\nI tried redis.", "  caching ")
    await services.questions.recorded(plan, channel_id=PROJECT_CHANNEL, thread_id=thread_id)
    return plan


async def test_ask_validates_and_goes_to_the_forum_only_when_staff_set_one(services: Services) -> None:
    questions = services.questions
    with pytest.raises(InvalidInput):
        await questions.ask(GUILD, ALICE, "   hi   ", None)
    plan = await questions.ask(GUILD, ALICE, "  How do I cache a Django view?\n\nDetails  ", "  caching ")
    assert plan.title == "How do I cache a Django view?" and plan.topic == "caching"
    assert plan.forum_channel_id is None and plan.settings is not None
    assert plan.settings.channel_id == PROJECT_CHANNEL
    await services.cohort.update(GUILD, NOW, forum_channel_id=FORUM)
    assert (await questions.ask(GUILD, ALICE, "Where do migrations go?", None)).forum_channel_id == FORUM
    assert thread_title("x" * 300).endswith("…") and len(thread_title("x" * 300)) == 100


async def test_related_topics_come_from_the_learning_service(services: Services) -> None:
    plan = await services.questions.ask(GUILD, ALICE, "How do I write a Dockerfile for my app?", "docker")
    related = await services.questions.related_topics(plan)
    assert related[0] == ("docker", "Docker") and 1 <= len(related) <= 3


async def test_only_the_asker_or_staff_mark_a_question_solved_once(services: Services) -> None:
    questions = services.questions
    await asked(services)
    staff_checks: list[str] = []
    with pytest.raises(NotFound, match="inside the thread of a question"):
        await questions.to_solve(None, ALICE, is_staff=calls(True, staff_checks))
    with pytest.raises(NotFound):
        await questions.to_solve(12345, ALICE, is_staff=calls(True, staff_checks))
    with pytest.raises(Forbidden, match=f"Only the asker \\(<@{ALICE}>\\) or staff"):
        await questions.to_solve(900, BOB, is_staff=calls(False, staff_checks))
    assert staff_checks == ["asked"]
    question = await questions.to_solve(900, ALICE, is_staff=calls(False, staff_checks))
    assert staff_checks == ["asked"]  # the asker is not checked for staff
    assert (await questions.to_solve(900, STAFF, is_staff=calls(True, staff_checks))).id == question.id

    await questions.solved(question, BOB, "Use cache_page")
    with pytest.raises(Conflict, match="already marked solved"):
        await questions.to_solve(900, ALICE, is_staff=calls(False, staff_checks))
    with pytest.raises(Conflict, match="just marked solved by someone else"):
        await questions.solved(question, BOB, "again")  # two /solved racing


async def test_unanswered_counts_open_questions_older_than_a_day(services: Services) -> None:
    questions = services.questions
    await asked(services, thread_id=901)
    assert await questions.unanswered(GUILD, NOW + timedelta(hours=23)) == []
    old = await questions.unanswered(GUILD, NOW + timedelta(hours=24))
    assert [q.thread_id for q in old] == [901]
    await questions.solved(old[0], None, None)
    assert await questions.unanswered(GUILD, NOW + timedelta(days=3)) == []
