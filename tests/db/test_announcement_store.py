"""Announcement, catalog and first-week stores on a real migrated SQLite file."""

import asyncio
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from db.database import Database
from db.stores.announcements import AnnouncementStore, ListFilter, NewAnnouncement
from db.stores.catalog import CatalogStore
from db.stores.first_week import FirstWeekStore

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
COHORT = date(2026, 12, 1)
GUILD = 9


def new(user_id: int, project: str = "ecommerce", track: str = "backend", **over: object) -> NewAnnouncement:
    values: dict[str, object] = dict(
        guild_id=GUILD,
        user_id=user_id,
        cohort_start=COHORT,
        project_key=project,
        track=track,
        title=f"Project of {user_id}",
        summary="Building a shop",
        stack=("Django", "DRF"),
        display_name=f"user{user_id}",
    )
    values.update(over)
    return NewAnnouncement(**values)  # type: ignore[arg-type]


async def test_catalog_is_seeded_in_order(db: Database) -> None:
    catalog = await CatalogStore(db).list()
    assert [p.name for p in catalog] == [
        "E-Commerce",
        "Social Media Feed",
        "Movie Recommendation",
        "Job Board",
        "Online Poll System",
        "Other",
    ]
    assert catalog[0].variant("frontend") == "Product Catalog"
    assert catalog[-1].is_custom


async def test_catalog_add_remove_readd(db: Database) -> None:
    store = CatalogStore(db)
    project, created = await store.add("chat-app", "Chat App", "Chat Backend", "Chat Frontend", NOW)
    assert created and project.active
    assert [p.key for p in await store.list()][-2:] == ["chat-app", "other"]  # new projects go before Other
    assert await store.deactivate("chat-app")
    assert not await store.deactivate("chat-app")
    assert "chat-app" not in [p.key for p in await store.list()]
    assert "chat-app" in [p.key for p in await store.list(include_inactive=True)]
    project, created = await store.add("chat-app", "Chat App 2", "B", "F", NOW)
    assert created and project.name == "Chat App 2" and project.active


async def test_one_active_announcement_per_cohort_even_under_races(db: Database) -> None:
    store = AnnouncementStore(db)
    results = await asyncio.gather(*(store.create(new(1, title=f"t{i}"), NOW) for i in range(10)))
    created = [r.announcement for r in results if r is not None]
    assert len(created) == 1
    assert await store.count(GUILD, COHORT) == 1
    # Withdrawn announcements are kept, and free the slot for a new one.
    assert await store.withdraw(created[0].id, NOW) is not None
    assert await store.withdraw(created[0].id, NOW) is None
    again = await store.create(new(1), NOW)
    assert again is not None and again.announcement.id != created[0].id
    assert len(await store.all_for_export(GUILD)) == 2
    # Another cohort is another slot.
    assert await store.create(new(1, cohort_start=date(2027, 6, 1)), NOW) is not None


async def test_unknown_project_is_refused_by_the_database(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await AnnouncementStore(db).create(new(1, project="nope"), NOW)


async def test_update_fields_and_message(db: Database) -> None:
    store = AnnouncementStore(db)
    written = await store.create(new(1), NOW)
    assert written is not None and not written.partners_full
    a = written.announcement
    assert a.stack == ("Django", "DRF") and a.looking_for_partner
    later = NOW + timedelta(hours=1)
    b = await store.update(a.id, later, title="New", stack=("Go",), looking_for_partner=False, repo=None)
    assert (b.title, b.stack, b.looking_for_partner, b.updated_at) == ("New", ("Go",), False, later)
    await store.set_message(a.id, 5, 6)
    c = await store.get(a.id)
    assert c is not None and (c.channel_id, c.message_id) == (5, 6)
    with pytest.raises(ValueError):
        await store.update(a.id, later, user_id=2)


async def test_pages_filters_and_counts_with_a_big_project(db: Database) -> None:
    store = AnnouncementStore(db)
    for uid in range(1, 251):
        project = "ecommerce" if uid <= 200 else "job-board"
        track = "backend" if uid % 2 else "frontend"
        a = await store.create(new(uid, project, track, looking_for_partner=uid % 3 != 0), NOW + timedelta(seconds=uid))
        assert a is not None
    flt = ListFilter(project_key="ecommerce", track="backend")
    assert await store.count(GUILD, COHORT, flt) == 100
    page = await store.page(GUILD, COHORT, flt, limit=10, offset=90)
    assert [a.user_id for a in page] == list(range(181, 200, 2))
    counts = await store.counts(GUILD, COHORT)
    assert counts == {
        ("ecommerce", "backend"): 100,
        ("ecommerce", "frontend"): 100,
        ("job-board", "backend"): 25,
        ("job-board", "frontend"): 25,
    }
    looking = await store.count(GUILD, COHORT, ListFilter(looking_for_partner=True))
    assert looking == 250 - 250 // 3
    assert len(await store.looking(GUILD, COHORT, limit=20)) == 20
    assert len(await store.announced_user_ids(GUILD, COHORT)) == 250
    since = await store.created_between(GUILD, COHORT, NOW + timedelta(seconds=240), NOW + timedelta(days=1))
    assert [a.user_id for a in since] == list(range(240, 251))


async def test_member_leaving_is_marked_and_cleared(db: Database) -> None:
    store = AnnouncementStore(db)
    written = await store.create(new(1), NOW)
    assert written is not None
    a = written.announcement
    assert await store.mark_left(GUILD, 1, NOW) == 1
    assert await store.mark_left(GUILD, 1, NOW) == 0
    left = await store.get(a.id)
    assert left is not None and left.left_guild_at == NOW
    assert await store.looking(GUILD, COHORT, limit=10) == []  # people who left aren't offered as partners
    assert await store.mark_returned(GUILD, 1) == 1


async def test_partner_interest_is_recorded_once(db: Database) -> None:
    store = AnnouncementStore(db)
    written = await store.create(new(1), NOW)
    assert written is not None
    a = written.announcement
    assert await store.add_interest(a.id, 2, NOW)
    assert not await store.add_interest(a.id, 2, NOW)
    assert await store.add_interest(a.id, 3, NOW)
    assert [i.user_id for i in await store.interest_for(a.id)] == [2, 3]
    pairs = await store.interest_in_guild(GUILD)
    assert [(x.id, p.user_id) for x, p in pairs] == [(a.id, 2), (a.id, 3)]


async def test_reminders_are_claimed_once_and_failures_kept(db: Database) -> None:
    fw = FirstWeekStore(db)
    assert await fw.reminders_enabled(GUILD, 1)
    await fw.set_reminders(GUILD, 1, False, NOW)
    await fw.set_reminders(GUILD, 2, False, NOW)
    await fw.set_reminders(GUILD, 2, True, NOW)
    assert not await fw.reminders_enabled(GUILD, 1)
    assert await fw.opted_out(GUILD) == {1}
    assert await fw.claim_reminder(GUILD, 3, COHORT, "day3", NOW)
    assert not await fw.claim_reminder(GUILD, 3, COHORT, "day3", NOW)
    await fw.finish_reminder(GUILD, 3, COHORT, "day3", "failed", NOW, "Forbidden: 50007")
    assert await fw.failed_dm_users(GUILD, COHORT) == {3}
    records = await fw.reminders(GUILD, COHORT)
    assert [(r.user_id, r.status, r.detail) for r in records] == [(3, "failed", "Forbidden: 50007")]


async def test_digest_claimed_once_per_day(db: Database) -> None:
    fw = FirstWeekStore(db)
    day1, day2 = date(2026, 12, 1), date(2026, 12, 2)
    assert await fw.previous_digest_at(GUILD, COHORT, day2) is None
    assert await fw.claim_digest(GUILD, day1, COHORT, NOW)
    assert not await fw.claim_digest(GUILD, day1, COHORT, NOW + timedelta(hours=1))
    await fw.set_digest_message(GUILD, day1, 77)
    assert await fw.previous_digest_at(GUILD, COHORT, day2) == NOW
    assert await fw.digest_days(GUILD) == [day1]


async def test_learners_whose_slots_are_full_are_not_looking_anywhere(db: Database) -> None:
    from db.stores.matching import MatchingStore, NewPair, NewProfile

    store, matching = AnnouncementStore(db), MatchingStore(db)
    made: dict[int, int] = {}
    for uid, track in ((1, "backend"), (2, "frontend"), (3, "frontend"), (4, "backend")):
        written = await store.create(new(uid, track=track), NOW)
        assert written is not None and not written.partners_full
        made[uid] = written.announcement.id
        await store.set_message(made[uid], 50, 500 + uid)
    await matching.join(NewProfile(GUILD, 1, "UTC", "", "{}", max_partners=2), NOW)
    for uid in (2, 3):
        await matching.join(NewProfile(GUILD, uid, "UTC", "", "{}"), NOW)
    looking = ListFilter(looking_for_partner=True)
    assert await store.count(GUILD, COHORT, looking) == 4 and await store.stale_looking_posts(GUILD) == []

    round_ = await matching.start_round(GUILD, None, 5, False, NOW)
    await matching.create_round_pair(NewPair(GUILD, 1, 2, "ecommerce", 50, ""), round_.id, NOW)
    # 2 filled their one slot; 1 has a second slot free; 4 never opted in (one default slot, free).
    assert await store.partners_full(GUILD, (1, 2, 3, 4)) == {2}
    assert [a.user_id for a in await store.looking(GUILD, COHORT, limit=10)] == [1, 3, 4]
    assert await store.count(GUILD, COHORT, looking) == 3
    assert [
        a.user_id for a in await store.page(GUILD, COHORT, ListFilter(looking_for_partner=False), limit=9, offset=0)
    ] == [2]
    assert {(track, n) for (_, track), n in (await store.looking_counts(GUILD, COHORT)).items()} == {
        ("backend", 2),
        ("frontend", 1),
    }
    # The post of 2 still shows looking: it is stale until it is rendered again.
    assert [a.user_id for a in await store.stale_looking_posts(GUILD)] == [2]
    await store.set_post_looking(made[2], False)
    assert await store.stale_looking_posts(GUILD, (2,)) == []

    pair = await matching.active_pairs(GUILD)
    await matching.end_pair(pair[0].id, "done", NOW)
    assert await store.count(GUILD, COHORT, looking) == 4
    assert [a.user_id for a in await store.stale_looking_posts(GUILD, (1, 2))] == [2]  # shows "not looking"
    # An announcement says, as it is written, whether its learner's slots are all taken (what its post shows).
    await matching.create_round_pair(NewPair(GUILD, 1, 3, "ecommerce", 50, ""), round_.id, NOW)  # 3 full, 1 not
    assert await store.withdraw(made[3], NOW) is not None and await store.withdraw(made[1], NOW) is not None
    again_full, again_free = await store.create(new(3), NOW), await store.create(new(1), NOW)
    assert again_full is not None and again_full.partners_full
    assert again_free is not None and not again_free.partners_full
