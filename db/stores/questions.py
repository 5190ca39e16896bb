"""Questions asked with /ask: one thread each, open until /solved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.stores._store import Store
from db.stores._values import FromRow, iso


@dataclass(frozen=True)
class Question(FromRow):
    id: int
    guild_id: int
    asker_id: int
    question: str
    topic: str | None
    channel_id: int
    thread_id: int
    status: str
    helper_id: int | None
    answer: str | None
    created_at: datetime
    solved_at: datetime | None

    @property
    def solved(self) -> bool:
        return self.status == "solved"


class QuestionStore(Store):
    async def create(
        self,
        *,
        guild_id: int,
        asker_id: int,
        question: str,
        topic: str | None,
        channel_id: int,
        thread_id: int,
        now: datetime,
    ) -> Question:
        question_id = await self.db.insert(
            "INSERT INTO questions (guild_id, asker_id, question, topic, channel_id, thread_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (guild_id, asker_id, question, topic, channel_id, thread_id, iso(now)),
        )
        created = await self.get(question_id)
        assert created is not None
        return created

    async def get(self, question_id: int) -> Question | None:
        return await self._row(Question, "SELECT * FROM questions WHERE id = ?", (question_id,))

    async def by_thread(self, thread_id: int) -> Question | None:
        return await self._row(Question, "SELECT * FROM questions WHERE thread_id = ?", (thread_id,))

    async def mark_solved(self, thread_id: int, helper_id: int | None, answer: str | None, now: datetime) -> bool:
        """Solve an open question; False if it was already solved (two /solved racing)."""
        return (
            await self.db.execute(
                "UPDATE questions SET status = 'solved', helper_id = ?, answer = ?, solved_at = ? "
                "WHERE thread_id = ? AND status = 'open'",
                (helper_id, answer, iso(now), thread_id),
            )
            == 1
        )

    async def unanswered_since(self, guild_id: int, before: datetime) -> list[Question]:
        """Open questions asked at or before `before` (the digest passes now − 24 h), oldest first."""
        return await self._rows(
            Question,
            "SELECT * FROM questions WHERE guild_id = ? AND status = 'open' AND created_at <= ? "
            "ORDER BY created_at, id",
            (guild_id, iso(before)),
        )
