"""Staff announcements (/nexus announce): posted now or at a stored time, at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.stores._store import Store
from db.stores._values import FromRow, iso


@dataclass(frozen=True)
class StaffPost(FromRow):
    id: int
    guild_id: int
    author_id: int
    channel_id: int
    title: str
    body: str
    role_id: int | None
    due_at: datetime
    status: str
    message_id: int | None
    error: str | None
    created_at: datetime
    posted_at: datetime | None


class StaffPostStore(Store):
    async def create(
        self,
        *,
        guild_id: int,
        author_id: int,
        channel_id: int,
        title: str,
        body: str,
        role_id: int | None,
        due_at: datetime,
        now: datetime,
    ) -> StaffPost:
        post_id = await self.db.insert(
            "INSERT INTO staff_posts (guild_id, author_id, channel_id, title, body, role_id, due_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, author_id, channel_id, title, body, role_id, iso(due_at), iso(now)),
        )
        post = await self.get(post_id)
        assert post is not None
        return post

    async def get(self, post_id: int) -> StaffPost | None:
        return await self._row(StaffPost, "SELECT * FROM staff_posts WHERE id = ?", (post_id,))

    async def scheduled(self, guild_id: int) -> list[StaffPost]:
        return await self._rows(
            StaffPost,
            "SELECT * FROM staff_posts WHERE guild_id = ? AND status = 'scheduled' ORDER BY due_at, id",
            (guild_id,),
        )

    async def claim(self, post_id: int) -> bool:
        """Move a scheduled post to 'posting' before sending: a crash mid-send never posts it twice."""
        return (
            await self.db.execute(
                "UPDATE staff_posts SET status = 'posting' WHERE id = ? AND status = 'scheduled'", (post_id,)
            )
            == 1
        )

    async def mark_posted(self, post_id: int, message_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE staff_posts SET status = 'posted', message_id = ?, posted_at = ? WHERE id = ?",
            (message_id, iso(now), post_id),
        )

    async def mark_failed(self, post_id: int, error: str) -> None:
        await self.db.execute(
            "UPDATE staff_posts SET status = 'failed', error = ? WHERE id = ?", (error[:500], post_id)
        )

    async def cancel(self, post_id: int, guild_id: int) -> bool:
        """Cancel a post that is still waiting; False if it was posted, cancelled or belongs elsewhere."""
        return (
            await self.db.execute(
                "UPDATE staff_posts SET status = 'cancelled' WHERE id = ? AND guild_id = ? AND status = 'scheduled'",
                (post_id, guild_id),
            )
            == 1
        )
