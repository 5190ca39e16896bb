"""The cohort and the catalog: resolved in one place each, with one wording and one cache policy."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import NotConfigured, UserError
from bot.services.catalog import CatalogService
from bot.services.cohort import NOT_SET_UP, CohortService
from db.database import Database
from db.stores.catalog import CatalogStore
from db.stores.guild_settings import GuildSettingsStore

GUILD = 5
NOW = datetime(2026, 12, 3, 10, tzinfo=UTC)


async def test_an_unconfigured_server_gets_the_one_not_set_up_answer(db: Database) -> None:
    cohort = CohortService(db)
    for step in ({}, {"channel_id": 700}):  # no row, then a row without a cohort start
        if step:
            await GuildSettingsStore(db).update(GUILD, NOW, **step)
            cohort.forget()
        with pytest.raises(NotConfigured) as refused:
            await cohort.require(GUILD)
        assert str(refused.value) == NOT_SET_UP


async def test_require_gives_the_channel_and_the_first_week(db: Database) -> None:
    cohort = CohortService(db)
    await cohort.update(GUILD, NOW, channel_id=700, cohort_start=date(2026, 12, 1), first_week_days=5)
    found = await cohort.require(GUILD)
    assert (found.guild_id, found.channel_id) == (GUILD, 700)
    assert found.week.start == date(2026, 12, 1) and found.week.days == 5


async def test_staff_changes_are_seen_at_once_another_writers_when_read_fresh(db: Database) -> None:
    cohort = CohortService(db)
    await cohort.update(GUILD, NOW, channel_id=700, cohort_start=date(2026, 12, 1))
    assert (await cohort.require(GUILD)).channel_id == 700
    await cohort.update(GUILD, NOW, channel_id=701)  # through the service: no stale read
    assert (await cohort.require(GUILD)).channel_id == 701

    await GuildSettingsStore(db).update(GUILD, NOW, staff_role_id=42)  # another writer, behind the cache
    cached = await cohort.settings(GUILD)
    assert cached is not None and cached.staff_role_id is None
    fresh = await cohort.settings(GUILD, fresh=True)  # permission checks read it now
    assert fresh is not None and fresh.staff_role_id == 42


async def test_catalog_resolves_keys_names_and_typos_and_sees_its_own_changes(db: Database) -> None:
    catalog = CatalogService(db)
    assert (await catalog.resolve("ecommerce")).name == "E-Commerce"
    assert (await catalog.resolve("social media feed")).key == "social-feed"
    with pytest.raises(UserError) as typo:
        await catalog.resolve("ecomerce")
    assert "E-Commerce" in str(typo.value)

    project, created = await catalog.add("chat-app", "Chat App", "Chat API", "Chat UI", NOW)
    assert created and project in await catalog.active()  # the cache was dropped by the write
    assert [p.key for p in await catalog.choices("chat")] == ["chat-app"]
    assert await catalog.remove("chat-app")
    assert "chat-app" not in {p.key for p in await catalog.active()}
    removed = await catalog.get("chat-app")  # old announcements still name it
    assert removed is not None and not removed.active


async def test_catalog_rereads_another_writers_change_only_when_told(db: Database) -> None:
    catalog = CatalogService(db)
    before = len(await catalog.active())
    await CatalogStore(db).add("quiz", "Quiz App", "Quiz API", "Quiz UI", NOW)
    assert len(await catalog.active()) == before  # one cache policy: the service's own
    catalog.forget()
    assert len(await catalog.active()) == before + 1
