"""Staff tools through StaffService on a real migrated SQLite file: setup, catalog, exports, figures, staff posts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.services.catalog import CatalogService
from bot.services.cohort import CohortService
from bot.services.staff import PUBLISH_KIND, StaffService
from db.database import Database
from db.stores.announcements import AnnouncementStore, NewAnnouncement
from db.stores.jobs import JobStore

GUILD = 7
ALICE, BOB = 1, 2
NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)


@pytest.fixture
def service(db: Database) -> StaffService:
    return StaffService(db, ManualClock(NOW), CohortService(db), CatalogService(db))


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_setup_defaults_the_cohort_to_today_then_keeps_it(service: StaffService) -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        await service.setup(GUILD, 100, "8 Dec 2026", {})
    first = await service.setup(GUILD, 100, None, {"digest_hour": 9, "backend_role_id": None})
    assert (first.channel_id, first.cohort_start, first.digest_hour) == (100, NOW.date(), 9)
    later = await service.setup(GUILD, 101, "2026-12-01", {"first_week_days": 5})
    assert (later.channel_id, later.cohort_start, later.first_week_days, later.digest_hour) == (
        101,
        date(2026, 12, 1),
        5,
        9,
    )
    kept = await service.setup(GUILD, 101, None, {})
    assert kept.cohort_start == date(2026, 12, 1)
    assert (await service.configure(GUILD, {"welcome_enabled": 0})).welcome_enabled == 0


async def test_catalog_add_rename_remove(service: StaffService) -> None:
    project, created = await service.catalog_add("Chat App", None, None, None)
    assert created and (project.key, project.backend_variant, project.frontend_variant) == (
        "chat-app",
        "Chat App Backend",
        "Chat App Frontend",
    )
    renamed, created = await service.catalog_add("Chat Application", "Chat API", None, "chat-app")
    assert not created and renamed.name == "Chat Application" and renamed.backend_variant == "Chat API"
    assert [p.key for p in await service.catalog_choices("chat")] == ["chat-app"]
    removed = await service.catalog_remove("chat application")
    assert removed.key == "chat-app"
    assert "chat-app" not in [p.key for p in await service.catalog_choices("")]
    assert any(p.key == "chat-app" and not p.active for p in await service.catalog_all())
    with pytest.raises(NotFound):
        await service.catalog_remove("chat application")


async def test_the_last_project_cannot_be_removed(service: StaffService) -> None:
    keys = [p.key for p in await service.catalog_choices("")]
    for key in keys[:-1]:
        await service.catalog_remove(key)
    with pytest.raises(InvalidInput, match="last project"):
        await service.catalog_remove(keys[-1])


async def test_exports_and_figures(service: StaffService, db: Database) -> None:
    store = AnnouncementStore(db)
    for user_id, track in ((ALICE, "backend"), (BOB, "frontend")):
        new = NewAnnouncement(GUILD, user_id, date(2026, 12, 7), "ecommerce", track, f"Build {user_id}", "A shop.")
        assert await store.create(new, NOW) is not None
    export = await service.export(GUILD, "announcements", {})
    assert export.rows == 2 and export.filename.startswith("announcements-20261208")
    assert {r["project"] for r in rows(export.text)} == {"E-Commerce"}
    assert (await service.export(GUILD, "partner_interest", {})).rows == 0
    assert (await service.export(GUILD, "reminders", {})).rows == 0
    assert (await service.export(GUILD, "pairs", {ALICE: "Alice"})).rows == 0
    assert (await service.export(GUILD + 1, "announcements", {})).rows == 0
    with pytest.raises(InvalidInput):
        await service.export(GUILD, "everything", {})
    counts = await service.counts()
    assert counts["announcements"] == 2 and counts["study sessions"] == 0


async def test_staff_posts_now_scheduled_claimed_once_and_cancelled(service: StaffService, db: Database) -> None:
    with pytest.raises(InvalidInput):
        await service.create_post(
            guild_id=GUILD, author_id=ALICE, channel_id=100, title="  ", message="x", role_id=None, due_at=None
        )
    now = await service.create_post(
        guild_id=GUILD, author_id=ALICE, channel_id=100, title=" Hi ", message=" Body ", role_id=None, due_at=None
    )
    assert now.now and (now.post.title, now.post.body) == ("Hi", "Body")
    assert await service.claim(now.post.id) is None  # claimed for posting at once: a job can't post it again
    later = await service.create_post(
        guild_id=GUILD,
        author_id=ALICE,
        channel_id=100,
        title="Demo day",
        message="Friday",
        role_id=55,
        due_at=NOW + timedelta(hours=2),
    )
    assert not later.now and later.post.due_at == NOW + timedelta(hours=2)
    assert [p.id for p in await service.scheduled(GUILD)] == [later.post.id]
    jobs = JobStore(db)
    await jobs.schedule(PUBLISH_KIND, later.post.due_at, {"post_id": later.post.id}, NOW, later.job_key)
    with pytest.raises(NotFound):
        await service.cancel_post(GUILD + 1, later.post.id)
    cancelled = await service.cancel_post(GUILD, later.post.id)
    assert cancelled.title == "Demo day" and await service.scheduled(GUILD) == []
    assert [j.status for j in await jobs.by_kind(PUBLISH_KIND)] == ["cancelled"]
    assert await service.claim(later.post.id) is None
    with pytest.raises(Conflict, match="already cancelled"):
        await service.cancel_post(GUILD, later.post.id)


async def test_a_scheduled_post_is_claimed_once_then_posted(service: StaffService, db: Database) -> None:
    planned = await service.create_post(
        guild_id=GUILD, author_id=ALICE, channel_id=100, title="T", message="M", role_id=None, due_at=NOW
    )
    claimed = await service.claim(planned.post.id)
    assert claimed is not None and await service.claim(planned.post.id) is None
    await service.posted(planned.post.id, 999)
    assert await db.fetchval("SELECT message_id FROM staff_posts WHERE id = ?", (planned.post.id,)) == 999
