"""Study sessions through SessionService on a real migrated SQLite file: plan, create, RSVP, cancel, jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.services.catalog import CatalogService
from bot.services.sessions import REMINDER_KIND, START_KIND, SessionPlan, SessionService, job_key
from db.database import Database
from db.stores.jobs import JobStore
from db.stores.matching import MatchingStore, NewProfile

GUILD = 7
HOST, BOB, CAROL, DAVE = 1, 2, 3, 4
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def service(db: Database, clock: ManualClock) -> SessionService:
    return SessionService(db, clock, CatalogService(db))


async def plan(service: SessionService, **options: object) -> SessionPlan:
    values: dict[str, object] = {
        "guild_id": GUILD,
        "creator_id": HOST,
        "title": "  Django REST pairing ",
        "when": "2026-12-01 18:00",
        "duration_minutes": 90,
        "timezone": "Asia/Kolkata",
        "topic": None,
        "project": None,
        "capacity": None,
    }
    values.update(options)
    return await service.plan(**values)  # type: ignore[arg-type]


async def posted(service: SessionService, **options: object) -> int:
    session, _ = await service.create(await plan(service, **options), channel_id=100)
    await service.posted(session.id, 100, 500 + session.id)
    return session.id


async def test_plan_reads_when_in_the_zone_given_and_resolves_the_project(service: SessionService) -> None:
    planned = await plan(service, project="social-feed", topic=" django ")
    assert planned.starts_at == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    assert (planned.title, planned.topic, planned.project) == ("Django REST pairing", "django", "Social Media Feed")
    assert planned.zone_name == "Asia/Kolkata" and planned.has_reminder


async def test_plan_falls_back_to_the_match_profile_zone_then_utc(service: SessionService, db: Database) -> None:
    assert (await plan(service, timezone=None)).starts_at == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    await MatchingStore(db).ensure_profile(NewProfile(GUILD, HOST, "Africa/Lagos", "", "[]"), NOW)
    zone, source = await service.member_zone(GUILD, HOST, None)
    assert (str(zone), source) == ("Africa/Lagos", "profile")
    assert (await plan(service, timezone=None)).starts_at == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


async def test_plan_refuses_an_unknown_project_naming_the_nearest(service: SessionService) -> None:
    with pytest.raises(NotFound, match="Social Media Feed"):
        await plan(service, project="social feeed")


async def test_create_makes_the_host_going_and_posted_plans_reminder_and_start(service: SessionService) -> None:
    session, rsvps = await service.create(await plan(service), channel_id=100)
    assert rsvps.going == (HOST,)
    jobs = await service.posted(session.id, 100, 555)
    assert [(j.kind, j.due_at, j.dedupe_key) for j in jobs] == [
        (REMINDER_KIND, session.starts_at - timedelta(minutes=15), job_key(session.id, "reminder")),
        (START_KIND, session.starts_at, job_key(session.id, "start")),
    ]
    stored = await service.get(session.id)
    assert stored is not None and (stored.channel_id, stored.message_id) == (100, 555)


async def test_a_session_within_15_minutes_gets_no_reminder(service: SessionService, clock: ManualClock) -> None:
    clock.at = datetime(2026, 12, 1, 12, 20, tzinfo=UTC)
    planned = await plan(service)
    assert not planned.has_reminder
    session, _ = await service.create(planned, channel_id=100)
    assert [j.kind for j in await service.posted(session.id, 100, 1)] == [START_KIND]


async def test_not_posted_removes_the_session(service: SessionService) -> None:
    session, _ = await service.create(await plan(service), channel_id=100)
    await service.not_posted(session.id)
    assert await service.get(session.id) is None


async def test_rsvp_capacity_keeps_seats_and_orders_by_answer(service: SessionService, clock: ManualClock) -> None:
    sid = await posted(service, capacity=2)
    clock.at += timedelta(minutes=1)
    _, rsvps = await service.rsvp(sid, BOB, "going")
    assert rsvps.going == (HOST, BOB)
    clock.at += timedelta(minutes=1)
    with pytest.raises(Conflict, match="full"):
        await service.rsvp(sid, CAROL, "going")
    _, rsvps = await service.rsvp(sid, CAROL, "maybe")
    assert rsvps.maybe == (CAROL,)
    clock.at += timedelta(minutes=1)
    await service.rsvp(sid, BOB, "not_going")  # a seat frees up
    clock.at += timedelta(minutes=1)
    _, rsvps = await service.rsvp(sid, CAROL, "going")
    assert (rsvps.going, rsvps.maybe, rsvps.not_going) == ((HOST, CAROL), (), (BOB,))
    _, again = await service.rsvp(sid, CAROL, "going")  # answering the same again keeps the seat
    assert again.going == (HOST, CAROL)
    with pytest.raises(InvalidInput):
        await service.rsvp(sid, DAVE, "perhaps")


async def test_rsvp_refused_once_over_or_cancelled(service: SessionService, clock: ManualClock) -> None:
    sid = await posted(service)
    await service.cancel(GUILD, str(sid), HOST, staff=False)
    with pytest.raises(Conflict, match="cancelled"):
        await service.rsvp(sid, BOB, "going")
    other = await posted(service)
    clock.at = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # started 12:30, 90 minutes
    with pytest.raises(Conflict, match="over"):
        await service.rsvp(other, BOB, "going")
    with pytest.raises(NotFound):
        await service.rsvp(999, BOB, "going")


async def test_cancel_rules_and_jobs_dropped(service: SessionService, db: Database) -> None:
    sid = await posted(service)
    await service.rsvp(sid, BOB, "going")
    jobs = JobStore(db)
    for job in await service.posted(sid, 100, 600):
        await jobs.schedule(job.kind, job.due_at, job.payload, NOW, job.dedupe_key)
    with pytest.raises(Forbidden, match="Only the host"):
        await service.cancel(GUILD, str(sid), BOB, staff=False)
    with pytest.raises(NotFound, match="no session #"):
        await service.cancel(GUILD + 1, str(sid), HOST, staff=True)
    with pytest.raises(InvalidInput):
        await service.cancel(GUILD, "django", HOST, staff=False)
    done = await service.cancel(GUILD, f"#{sid} Django REST pairing", BOB, staff=True)
    assert done.session.cancelled and done.to_tell == (HOST,)
    assert [j.status for j in await jobs.by_kind(REMINDER_KIND)] == ["cancelled"]
    assert [j.status for j in await jobs.by_kind(START_KIND)] == ["cancelled"]
    with pytest.raises(Conflict, match="already cancelled"):
        await service.cancel(GUILD, str(sid), HOST, staff=False)
    assert await service.due(sid) is None


async def test_choices_list_and_due(service: SessionService, clock: ManualClock) -> None:
    mine = await posted(service)
    theirs = await posted(service, creator_id=BOB, title="CSS grid", project="job board")
    assert [v for _, v in await service.choices(GUILD, HOST, False, "")] == [str(mine)]
    assert [v for _, v in await service.choices(GUILD, HOST, True, "css")] == [str(theirs)]
    assert [s.id for s, _ in await service.upcoming(GUILD)] == [mine, theirs]
    assert [s.id for s, _ in await service.upcoming(GUILD, "Job Board")] == [theirs]
    due = await service.due(mine, needs_channel=True)
    assert due is not None and due[1].going == (HOST,)
    clock.at = datetime(2026, 12, 1, 14, 1, tzinfo=UTC)
    assert await service.upcoming(GUILD) == []
