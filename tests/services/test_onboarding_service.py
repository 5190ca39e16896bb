"""Onboarding through OnboardingService on a real migrated SQLite file: role-picker decisions, track moves, welcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.errors import Conflict, NotConfigured, NotFound
from bot.services.cohort import CohortService
from bot.services.onboarding import OnboardingService, Refusal
from bot.services.roles import RoleFacts
from db.database import Database
from db.stores.announcements import AnnouncementStore, NewAnnouncement

GUILD = 7
ALICE = 1
COHORT = date(2026, 12, 7)
NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
FINE = RoleFacts("Backend", 0, False, False, 2, 5, False)
ABOVE = RoleFacts("Backend", 0, False, False, 9, 5, False)
ADMIN = RoleFacts("Backend", 8, False, False, 2, 5, False)


@pytest.fixture
def service(db: Database, clock: ManualClock) -> OnboardingService:
    return OnboardingService(db, clock, CohortService(db))


async def set_up(service: OnboardingService, **values: object) -> None:
    await service.cohort.update(GUILD, NOW, channel_id=100, cohort_start=COHORT, **values)


def refuse(service: OnboardingService, facts: RoleFacts, *, manage: bool = True, role: int = 50) -> Refusal | None:
    return service.role_refusal(GUILD, role, facts, can_manage_roles=manage, bot_role_name="Nexus")


def test_staff_hear_about_a_role_problem_once_until_the_role_is_fine_again(service: OnboardingService) -> None:
    first = refuse(service, ABOVE)
    assert first is not None and first.code == "above_bot" and first.tell_staff
    again = refuse(service, ABOVE)
    assert again is not None and not again.tell_staff
    other = refuse(service, ADMIN)  # a different problem with the same role is news
    assert other is not None and other.code == "elevated" and other.tell_staff
    assert refuse(service, FINE) is None
    back = refuse(service, ABOVE)
    assert back is not None and back.tell_staff


def test_missing_manage_roles_refuses_every_role(service: OnboardingService) -> None:
    refusal = refuse(service, FINE, manage=False)
    assert refusal is not None and refusal.code == "manage_roles"
    assert "Manage Roles" in refusal.explanation
    assert service.handout_problem(FINE, can_manage_roles=True, bot_role_name="Nexus") is None


async def test_track_switch_offers_and_moves_the_announcement(service: OnboardingService, db: Database) -> None:
    assert await service.left_behind(GUILD, ALICE, "frontend") is None  # not set up: nothing to offer
    with pytest.raises(NotConfigured):
        await service.move_track(GUILD, ALICE, "frontend")
    await set_up(service)
    with pytest.raises(NotFound):
        await service.move_track(GUILD, ALICE, "frontend")
    new = NewAnnouncement(GUILD, ALICE, COHORT, "ecommerce", "backend", "Alice's build", "A shop.")
    assert await AnnouncementStore(db).create(new, NOW) is not None
    behind = await service.left_behind(GUILD, ALICE, "frontend")
    assert behind is not None and behind.old_track == "backend" and behind.movable
    moved = await service.move_track(GUILD, ALICE, "frontend")
    assert moved.track == "frontend"
    assert await service.left_behind(GUILD, ALICE, "frontend") is None
    with pytest.raises(Conflict, match="already on Frontend"):
        await service.move_track(GUILD, ALICE, "frontend")


async def test_welcome_only_in_the_first_week_when_on(service: OnboardingService, clock: ManualClock) -> None:
    assert await service.welcome(GUILD) is None
    await set_up(service, welcome_enabled=0)
    assert await service.welcome(GUILD) is None
    await service.cohort.update(GUILD, NOW, welcome_enabled=1)
    welcome = await service.welcome(GUILD)
    assert welcome is not None and (welcome.channel_id, welcome.picker_link) == (100, None)
    await service.rolepicker_posted(GUILD, 101, 900)
    welcome = await service.welcome(GUILD)
    assert welcome is not None and welcome.picker_link == f"https://discord.com/channels/{GUILD}/101/900"
    clock.at = NOW + timedelta(days=7)  # the week of 7 Dec is over on the 14th
    assert await service.welcome(GUILD) is None


async def test_the_role_picker_move_closes_requests_with_the_new_tracks_learners(
    service: OnboardingService, db: Database
) -> None:
    await set_up(service)
    bob = ALICE + 1
    store = AnnouncementStore(db)
    for user_id, track in ((ALICE, "backend"), (bob, "frontend")):
        assert await store.create(NewAnnouncement(GUILD, user_id, COHORT, "ecommerce", track, "B", "S."), NOW)
    request = await service.matching.create_request(GUILD, ALICE, bob, "command", NOW, NOW + timedelta(days=3))
    assert request is not None
    await service.move_track(GUILD, ALICE, "frontend")
    closed = await service.matching.get_request(request.id)
    assert closed is not None and (closed.status, closed.cancel_reason) == ("cancelled", "track_changed")
