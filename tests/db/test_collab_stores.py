"""Collaboration stores on a real migrated SQLite file: sessions + RSVPs, questions, staff posts."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Conflict, NotFound
from db.database import Database
from db.stores.guild_settings import GuildSettingsStore
from db.stores.questions import QuestionStore
from db.stores.sessions import SessionStore, is_pair_thread, profile_timezone
from db.stores.staff_posts import StaffPostStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GUILD = 1000


async def make_session(store: SessionStore, **overrides: object) -> int:
    values: dict[str, object] = {
        "guild_id": GUILD,
        "creator_id": 1,
        "title": "Django pairing",
        "starts_at": NOW + timedelta(hours=3),
        "duration_minutes": 60,
        "timezone": "Asia/Kolkata",
        "topic": "django",
        "project": "E-Commerce",
        "capacity": None,
        "channel_id": 50,
        "now": NOW,
    }
    values.update(overrides)
    session = await store.create(**values)  # type: ignore[arg-type]
    return session.id


async def test_session_roundtrip_creator_is_going(db: Database) -> None:
    store = SessionStore(db)
    session_id = await make_session(store, capacity=3)
    session = await store.get(session_id)
    assert session is not None
    assert session.starts_at == NOW + timedelta(hours=3) and session.starts_at.tzinfo is not None
    assert session.ends_at == NOW + timedelta(hours=4)
    assert (session.title, session.capacity, session.status) == ("Django pairing", 3, "scheduled")
    assert (await store.rsvps(session_id)).going == (1,)
    await store.set_message(session_id, 51, 99)
    await store.set_event(session_id, 77)
    await store.set_thread(session_id, 88)
    updated = await store.get(session_id)
    assert updated is not None and (updated.channel_id, updated.message_id, updated.event_id, updated.thread_id) == (
        51,
        99,
        77,
        88,
    )


async def test_rsvp_changes_answer_and_respects_capacity(db: Database) -> None:
    store = SessionStore(db)
    session_id = await make_session(store, capacity=2)
    session, rsvps = await store.rsvp(session_id, 2, "going", NOW)
    assert rsvps.going == (1, 2) and session == await store.get(session_id)
    with pytest.raises(Conflict, match="full"):
        await store.rsvp(session_id, 3, "going", NOW)
    # Maybe is always possible; pressing Going again while already going is fine.
    await store.rsvp(session_id, 3, "maybe", NOW)
    await store.rsvp(session_id, 2, "going", NOW)
    # A place frees up.
    _, rsvps = await store.rsvp(session_id, 2, "not_going", NOW)
    assert rsvps.not_going == (2,) and rsvps.status_of(2) == "not_going"
    _, rsvps = await store.rsvp(session_id, 3, "going", NOW + timedelta(minutes=1))
    assert rsvps.going == (1, 3) and rsvps.maybe == ()


async def test_a_press_answers_with_what_a_fresh_read_gives_in_its_order(db: Database) -> None:
    # The press reads the answers before its upsert and places its own; a later read must agree, ties included.
    store = SessionStore(db)
    session_id = await make_session(store, capacity=10)
    presses = [
        (7, "maybe", NOW + timedelta(minutes=2)),
        (3, "going", NOW + timedelta(minutes=2)),  # same moment, lower id: before 7
        (9, "going", NOW + timedelta(minutes=1)),  # earlier than both
        (7, "going", NOW + timedelta(minutes=3)),  # changes an answer: moves last
        (1, "not_going", NOW),  # the host, at the creation moment
    ]
    for user_id, status, at in presses:
        _, answered = await store.rsvp(session_id, user_id, status, at)
        assert answered == await store.rsvps(session_id)
    assert answered.going == (9, 3, 7) and answered.not_going == (1,)


async def test_capacity_holds_under_concurrent_presses(db: Database) -> None:
    store = SessionStore(db)
    session_id = await make_session(store, capacity=5)
    results = await asyncio.gather(
        *(store.rsvp(session_id, 100 + i, "going", NOW) for i in range(20)), return_exceptions=True
    )
    assert sum(isinstance(r, Conflict) for r in results) == 16
    assert len((await store.rsvps(session_id)).going) == 5


async def test_rsvp_refused_when_cancelled_over_or_missing(db: Database) -> None:
    store = SessionStore(db)
    session_id = await make_session(store)
    with pytest.raises(Conflict, match="over"):
        await store.rsvp(session_id, 2, "going", NOW + timedelta(hours=5))
    assert await store.cancel(session_id, NOW)
    assert not await store.cancel(session_id, NOW)  # only once
    with pytest.raises(Conflict, match="cancelled"):
        await store.rsvp(session_id, 2, "going", NOW)
    with pytest.raises(NotFound):
        await store.rsvp(9999, 2, "going", NOW)


async def test_upcoming_filters_and_orders(db: Database) -> None:
    store = SessionStore(db)
    later = await make_session(store, starts_at=NOW + timedelta(days=2), project="Job Board", creator_id=2)
    soon = await make_session(store, starts_at=NOW + timedelta(hours=1))
    running = await make_session(store, starts_at=NOW - timedelta(minutes=30), duration_minutes=60)
    await make_session(store, starts_at=NOW - timedelta(hours=2), duration_minutes=60)  # over
    cancelled = await make_session(store, starts_at=NOW + timedelta(hours=2))
    await store.cancel(cancelled, NOW)
    await make_session(store, guild_id=GUILD + 1)  # other guild
    assert [s.id for s in await store.upcoming(GUILD, NOW)] == [running, soon, later]
    assert [s.id for s in await store.upcoming(GUILD, NOW, project="job board")] == [later]
    assert [s.id for s in await store.upcoming(GUILD, NOW, creator_id=2)] == [later]
    assert len(await store.upcoming(GUILD, NOW, limit=1)) == 1


async def test_delete_removes_rsvps(db: Database) -> None:
    store = SessionStore(db)
    session_id = await make_session(store)
    await store.delete(session_id)
    assert await store.get(session_id) is None
    assert await store.rsvps(session_id) == type(await store.rsvps(session_id))()


async def test_lookups_into_matching_tables(db: Database) -> None:
    assert await profile_timezone(db, GUILD, 1) is None and await is_pair_thread(db, 555) is False
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO match_profiles (guild_id, user_id, timezone, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (GUILD, 1, "America/St_Johns", NOW.isoformat(), NOW.isoformat()),
        )
        await conn.execute(
            "INSERT INTO pairs (guild_id, backend_id, frontend_id, project, thread_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (GUILD, 1, 2, "ecommerce", 555, NOW.isoformat()),
        )
    assert await profile_timezone(db, GUILD, 1) == "America/St_Johns"
    assert await profile_timezone(db, GUILD, 2) is None
    assert await is_pair_thread(db, 555) is True
    assert await is_pair_thread(db, 556) is False


async def test_questions_solve_once_and_unanswered(db: Database) -> None:
    store = QuestionStore(db)
    old = await store.create(
        guild_id=GUILD, asker_id=1, question="How do I paginate?", topic=None, channel_id=5, thread_id=10, now=NOW
    )
    fresh = await store.create(
        guild_id=GUILD,
        asker_id=2,
        question="JWT refresh?",
        topic="auth",
        channel_id=5,
        thread_id=11,
        now=NOW + timedelta(hours=20),
    )
    assert (await store.by_thread(10)) == old
    day_later = NOW + timedelta(hours=25)
    assert [q.id for q in await store.unanswered_since(GUILD, day_later - timedelta(hours=24))] == [old.id]
    assert await store.mark_solved(10, 2, "Use cursor pagination", day_later)
    assert not await store.mark_solved(10, 3, "again", day_later)
    solved = await store.by_thread(10)
    assert solved is not None and solved.solved and solved.helper_id == 2 and solved.answer == "Use cursor pagination"
    assert await store.unanswered_since(GUILD, day_later - timedelta(hours=24)) == []
    assert [q.id for q in await store.unanswered_since(GUILD, NOW + timedelta(days=3))] == [fresh.id]
    assert await store.unanswered_since(GUILD + 1, NOW + timedelta(days=3)) == []


async def test_staff_posts_claim_once_and_cancel(db: Database) -> None:
    store = StaffPostStore(db)
    post = await store.create(
        guild_id=GUILD,
        author_id=9,
        channel_id=5,
        title="Demo day",
        body="Friday 18:00 UTC",
        role_id=7,
        due_at=NOW + timedelta(hours=1),
        now=NOW,
    )
    other = await store.create(
        guild_id=GUILD, author_id=9, channel_id=5, title="b", body="b", role_id=None, due_at=NOW, now=NOW
    )
    assert [p.id for p in await store.scheduled(GUILD)] == [other.id, post.id]
    assert await store.claim(post.id)
    assert not await store.claim(post.id)
    assert not await store.cancel(post.id, GUILD)  # already being posted
    await store.mark_posted(post.id, 1234, NOW)
    posted = await store.get(post.id)
    assert posted is not None and (posted.status, posted.message_id) == ("posted", 1234)
    assert not await store.cancel(other.id, GUILD + 1)
    assert await store.cancel(other.id, GUILD)
    assert not await store.claim(other.id)
    assert await store.scheduled(GUILD) == []
    failed = await store.create(
        guild_id=GUILD, author_id=9, channel_id=5, title="c", body="c", role_id=None, due_at=NOW, now=NOW
    )
    await store.mark_failed(failed.id, "Missing Access")
    got = await store.get(failed.id)
    assert got is not None and got.status == "failed" and got.error == "Missing Access"


async def test_guild_settings_collab_columns(db: Database) -> None:
    store = GuildSettingsStore(db)
    settings = await store.update(GUILD, NOW, channel_id=5)
    assert settings.welcome_enabled is True and settings.forum_channel_id is None
    settings = await store.update(GUILD, NOW, welcome_enabled=False, forum_channel_id=6, rolepicker_message_id=8)
    assert (settings.welcome_enabled, settings.forum_channel_id, settings.rolepicker_message_id) == (False, 6, 8)


async def test_the_about_counts_cover_every_counted_table(db: Database) -> None:
    from db.stores.stats import COUNTED_TABLES, table_counts

    assert await table_counts(db) == dict.fromkeys(COUNTED_TABLES.values(), 0)
    await GuildSettingsStore(db).update(GUILD, NOW, channel_id=50)
    await make_session(SessionStore(db))
    counts = await table_counts(db)
    assert counts["configured servers"] == 1 and counts["study sessions"] == 1
    assert counts["announcements"] == counts["pairs"] == counts["learning topics"] == counts["questions"] == 0
