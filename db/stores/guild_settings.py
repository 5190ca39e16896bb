"""Per-guild configuration (/nexus setup)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from db.stores._store import Store
from db.stores._values import FromRow


@dataclass(frozen=True)
class GuildSettings(FromRow):
    guild_id: int
    channel_id: int | None
    cohort_start: date | None
    first_week_days: int
    backend_role_id: int | None
    frontend_role_id: int | None
    staff_role_id: int | None
    digest_hour: int
    review_channel_id: int | None
    # Collaboration (migration 0005): welcome on join, Q&A forum, where the role picker lives.
    welcome_enabled: bool = True
    forum_channel_id: int | None = None
    rolepicker_channel_id: int | None = None
    rolepicker_message_id: int | None = None
    # Learning topics (migration 0004): tip of the day channel and hour (UTC); tip_hour None = off.
    tip_channel_id: int | None = None
    tip_hour: int | None = None


# Columns /nexus setup may change; anything else is rejected before it reaches SQL.
SETTABLE = frozenset(
    {
        "channel_id",
        "cohort_start",
        "first_week_days",
        "backend_role_id",
        "frontend_role_id",
        "staff_role_id",
        "digest_hour",
        "review_channel_id",
        "welcome_enabled",
        "forum_channel_id",
        "rolepicker_channel_id",
        "rolepicker_message_id",
        "tip_channel_id",
        "tip_hour",
    }
)


class GuildSettingsStore(Store):
    async def get(self, guild_id: int) -> GuildSettings | None:
        return await self._row(GuildSettings, "SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))

    async def update(self, guild_id: int, now: datetime, **values: object) -> GuildSettings:
        """Insert or update the given columns; unspecified columns keep their value."""
        unknown = set(values) - SETTABLE
        if unknown:
            raise ValueError(f"not settable: {sorted(unknown)}")
        stored = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
        columns = ["guild_id", *stored, "updated_at"]
        placeholders = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in [*stored, "updated_at"])
        async with self.db.transaction() as conn:
            await conn.execute(
                f"INSERT INTO guild_settings ({', '.join(columns)}) VALUES ({placeholders}) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {updates}",
                (guild_id, *stored.values(), now.isoformat()),
            )
        settings = await self.get(guild_id)
        assert settings is not None
        return settings

    async def all(self) -> list[GuildSettings]:
        return [GuildSettings.from_row(r) for r in await self.db.fetchall("SELECT * FROM guild_settings")]
