"""Stored rows built in memory, for rules that take them without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from db.stores.announcements import Announcement

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def announcement(**over: Any) -> Announcement:
    """An active, posted Backend announcement on E-Commerce; `over` changes any column."""
    values: dict[str, Any] = dict(
        id=1,
        guild_id=1,
        user_id=1,
        cohort_start=date(2026, 12, 1),
        project_key="ecommerce",
        track="backend",
        title="ShopLite",
        summary="…",
        stack=("Django", "DRF"),
        repo=None,
        timezone="Africa/Lagos",
        looking_for_partner=True,
        display_name="user1",
        channel_id=None,
        message_id=None,
        late=False,
        created_at=NOW,
        updated_at=NOW,
        withdrawn_at=None,
        left_guild_at=None,
    )
    return Announcement(**(values | over))
