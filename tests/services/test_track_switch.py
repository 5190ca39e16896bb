"""Switching track: what stays on the old track, and moving the announcement (real migrated SQLite file)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.errors import Conflict, InvalidInput, NotFound
from bot.services import track_switch
from db.database import Database
from db.stores.announcements import AnnouncementStore, NewAnnouncement
from db.stores.matching import MatchingStore, NewPair, NewProfile

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
COHORT = date(2026, 12, 7)
GUILD = 7
ALICE, BOB = 1, 2


async def announce(store: AnnouncementStore, user_id: int, track: str) -> int:
    new = NewAnnouncement(GUILD, user_id, COHORT, "ecommerce", track, f"Build {user_id}", "A capstone.")
    created = await store.create(new, NOW)
    assert created is not None
    return created.announcement.id


async def pair(matching: MatchingStore) -> int:
    for user_id in (ALICE, BOB):
        await matching.ensure_profile(NewProfile(GUILD, user_id, "UTC", "", "[]"), NOW)
    request = await matching.create_request(GUILD, BOB, ALICE, "command", NOW, NOW + timedelta(hours=72))
    assert request is not None
    made = await matching.accept_request(request.id, ALICE, NewPair(GUILD, ALICE, BOB, "ecommerce", 50, "x"), NOW)
    return made.id


async def test_nothing_is_left_behind_without_an_announcement_on_the_other_track(db: Database) -> None:
    store, matching = AnnouncementStore(db), MatchingStore(db)
    assert await track_switch.left_behind(store, matching, GUILD, COHORT, ALICE, "frontend") is None
    await announce(store, ALICE, "backend")
    assert await track_switch.left_behind(store, matching, GUILD, COHORT, ALICE, "backend") is None
    with pytest.raises(InvalidInput):
        await track_switch.left_behind(store, matching, GUILD, COHORT, ALICE, "design")


async def test_left_behind_names_the_profile_and_partners(db: Database) -> None:
    store, matching = AnnouncementStore(db), MatchingStore(db)
    await announce(store, ALICE, "backend")
    await announce(store, BOB, "frontend")
    alone = await track_switch.left_behind(store, matching, GUILD, COHORT, ALICE, "frontend")
    assert alone is not None and (alone.old_track, alone.has_profile, alone.partner_ids, alone.movable) == (
        "backend",
        False,
        (),
        True,
    )
    await pair(matching)
    paired = await track_switch.left_behind(store, matching, GUILD, COHORT, ALICE, "frontend")
    assert paired is not None and (paired.has_profile, paired.partner_ids, paired.movable) == (True, (BOB,), False)


async def test_move_changes_the_track_and_refuses_while_paired(db: Database) -> None:
    store, matching = AnnouncementStore(db), MatchingStore(db)
    announcement_id = await announce(store, ALICE, "backend")
    await announce(store, BOB, "frontend")
    pair_id = await pair(matching)
    with pytest.raises(Conflict, match="/match unpair"):
        await track_switch.move_announcement(store, GUILD, COHORT, ALICE, "frontend", NOW)
    assert (await store.get(announcement_id)).track == "backend"  # type: ignore[union-attr]

    await matching.end_pair(pair_id, "unpaired", NOW)
    moved = await track_switch.move_announcement(store, GUILD, COHORT, ALICE, "frontend", NOW + timedelta(hours=1))
    assert (moved.id, moved.track, moved.updated_at) == (announcement_id, "frontend", NOW + timedelta(hours=1))
    with pytest.raises(Conflict, match="already on Frontend"):
        await track_switch.move_announcement(store, GUILD, COHORT, ALICE, "frontend", NOW)


async def test_move_without_an_active_announcement_says_so(db: Database) -> None:
    store = AnnouncementStore(db)
    with pytest.raises(NotFound, match="/project announce"):
        await track_switch.move_announcement(store, GUILD, COHORT, ALICE, "frontend", NOW)
    announcement_id = await announce(store, ALICE, "backend")
    await store.withdraw(announcement_id, NOW)
    with pytest.raises(NotFound):
        await track_switch.move_announcement(store, GUILD, COHORT, ALICE, "frontend", NOW)
    assert await store.move_track_unless_paired(announcement_id, "frontend", NOW) is None


async def test_a_track_move_closes_the_pending_requests_it_makes_impossible(db: Database) -> None:
    store, matching = AnnouncementStore(db), MatchingStore(db)
    carol, dave = 3, 4
    await announce(store, ALICE, "backend")
    await announce(store, BOB, "frontend")
    await announce(store, carol, "frontend")
    await announce(store, dave, "backend")
    expires = NOW + timedelta(hours=72)
    to_bob = await matching.create_request(GUILD, ALICE, BOB, "command", NOW, expires)
    from_carol = await matching.create_request(GUILD, carol, ALICE, "command", NOW, expires)
    with_dave = await matching.create_request(GUILD, dave, ALICE, "command", NOW, expires)
    assert to_bob and from_carol and with_dave
    moved = await track_switch.move_announcement(store, GUILD, COHORT, ALICE, "frontend", NOW)
    closed = await track_switch.close_impossible_requests(store, matching, moved, NOW)
    assert closed == [to_bob.id, from_carol.id]
    for request in (to_bob, from_carol):
        found = await matching.get_request(request.id)
        assert found is not None and (found.status, found.cancel_reason) == ("cancelled", "track_changed")
    assert (await matching.get_request(with_dave.id)).status == "pending"  # type: ignore[union-attr]
    jobs = await db.fetchall("SELECT kind, payload FROM jobs ORDER BY id")
    assert [j["kind"] for j in jobs] == [track_switch.REQUEST_MOOT_JOB] * 2
    assert '"mover_id": 1' in jobs[0]["payload"] and '"track": "frontend"' in jobs[0]["payload"]
    # Closing again changes nothing (each request is told once).
    assert await track_switch.close_impossible_requests(store, matching, moved, NOW) == []
