"""Questions asked with /ask: validated, given a thread (or forum post), related learning topics, a solved mark.

The cog creates the thread on Discord first and then reports it with `recorded` (the row needs the thread's
id); when that write fails the cog deletes what it created, so no thread exists that /solved doesn't know.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import Conflict, Forbidden, NotFound
from bot.services.cohort import CohortService
from bot.services.learning import LearningService
from bot.services.text import clean_text, require_text
from db.database import Database
from db.stores.guild_settings import GuildSettings
from db.stores.questions import Question, QuestionStore

__all__ = ["AskPlan", "Question", "QuestionService", "thread_title"]

log = logging.getLogger(__name__)

THREAD_NAME_MAX = 100
QUESTION_MIN, QUESTION_MAX = 5, 1000
RELATED_MAX = 3
UNANSWERED_AFTER = timedelta(hours=24)
_LEARN_SLUG = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def thread_title(question: str) -> str:
    """A thread name from the question: its first line, whitespace collapsed, at most 100 characters."""
    first = next((line for line in question.splitlines() if line.strip()), question)
    name = " ".join(first.split())
    if len(name) > THREAD_NAME_MAX:
        name = name[: THREAD_NAME_MAX - 1].rstrip() + "…"
    return name or "Question"


@dataclass(frozen=True)
class AskPlan:
    """A question ready to be opened: where (the forum if staff set one, else a thread in the project channel)."""

    guild_id: int
    asker_id: int
    question: str
    topic: str | None
    title: str
    forum_channel_id: int | None  # the configured Q&A forum; the cog falls back to `settings` if it is gone
    settings: GuildSettings | None


class QuestionService:
    def __init__(self, db: Database, clock: Clock, cohort: CohortService, learning: LearningService) -> None:
        self.store = QuestionStore(db)
        self.clock = clock
        self.cohort = cohort
        self.learning = learning

    async def ask(self, guild_id: int, asker_id: int, question: str, topic: str | None) -> AskPlan:
        """Validate a question and decide where it goes."""
        question = require_text(question, "question", min_length=QUESTION_MIN, max_length=QUESTION_MAX)
        cleaned_topic = clean_text(topic) or None if topic else None
        settings = await self.cohort.settings(guild_id)
        forum_id = settings.forum_channel_id if settings is not None and settings.forum_channel_id else None
        return AskPlan(guild_id, asker_id, question, cleaned_topic, thread_title(question), forum_id, settings)

    async def recorded(self, plan: AskPlan, *, channel_id: int, thread_id: int) -> Question:
        """The thread exists on Discord: store the question (the caller removes the thread if this raises)."""
        return await self.store.create(
            guild_id=plan.guild_id,
            asker_id=plan.asker_id,
            question=plan.question,
            topic=plan.topic,
            channel_id=channel_id,
            thread_id=thread_id,
            now=self.clock.now(),
        )

    async def related_topics(self, plan: AskPlan) -> list[tuple[str, str]]:
        """(slug, title) of up to three learning topics that may help, usable as button ids."""
        text = f"{plan.topic} {plan.question}" if plan.topic else plan.question
        related = await self.learning.related_topics(text, RELATED_MAX)
        return [(slug, title) for slug, title in related[:RELATED_MAX] if _LEARN_SLUG.match(slug)]

    async def to_solve(
        self, thread_id: int | None, user_id: int, *, is_staff: Callable[[], Awaitable[bool]]
    ) -> Question:
        """The open question of this thread, if this member (the asker, or staff: asked only then) may solve it."""
        question = await self.store.by_thread(thread_id) if thread_id is not None else None
        if question is None:
            raise NotFound("Run `/solved` inside the thread of a question asked with `/ask`.")
        if question.solved:
            raise Conflict("This question is already marked solved.")
        if question.asker_id != user_id and not await is_staff():
            raise Forbidden(f"Only the asker (<@{question.asker_id}>) or staff can mark this question solved.")
        return question

    async def solved(self, question: Question, helper_id: int | None, answer: str | None) -> None:
        """Mark it solved; a Conflict when someone else just did."""
        if not await self.store.mark_solved(question.thread_id, helper_id, answer, self.clock.now()):
            raise Conflict("This question was just marked solved by someone else.")

    async def unanswered(self, guild_id: int, now: datetime) -> list[Question]:
        """Open questions asked 24 hours or more ago, oldest first (the staff digest's figure)."""
        return await self.store.unanswered_since(guild_id, now - UNANSWERED_AFTER)
