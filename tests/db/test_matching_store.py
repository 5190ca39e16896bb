"""Matching store on a real migrated SQLite file (capacity under concurrency included), and the pairing glue."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.errors import Conflict, InvalidInput, NotFound, UserError
from bot.services import pairing, request_limits
from bot.services.matching import UnmatchedCode, score_pair
from db.database import Database, discover_migrations
from db.stores.announcements import Announcement
from db.stores.matching import CapacityReached, MatchingStore, NewPair, NewProfile, RequestClosed
from tests import factories

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
GUILD = 7
TTL = timedelta(hours=72)


@pytest.fixture
def store(db: Database) -> MatchingStore:
    return MatchingStore(db)


def profile(user_id: int, max_partners: int = 1) -> NewProfile:
    return NewProfile(GUILD, user_id, "UTC", "weekdays 18-22", '{"v":1,"r":[]}', max_partners=max_partners)


def pair_of(backend: int, frontend: int) -> NewPair:
    return NewPair(GUILD, backend, frontend, "ecommerce", 50, "overlap")


async def request(store: MatchingStore, requester: int, addressee: int, now: datetime = NOW) -> int:
    created = await store.create_request(GUILD, requester, addressee, "command", now, now + TTL)
    assert created is not None
    return created.id


async def test_join_creates_then_updates_only_given_fields(store: MatchingStore) -> None:
    first = await store.join(profile(1), NOW, offers=("django",))
    assert (first.status, first.offers, first.max_partners, first.timezone) == ("active", ("django",), 1, "UTC")
    await store.pause(GUILD, 1, NOW + timedelta(days=3), NOW)
    again = await store.join(profile(1), NOW + timedelta(hours=1), max_partners=3)
    assert (again.status, again.paused_until, again.offers, again.max_partners) == ("active", None, ("django",), 3)
    with pytest.raises(ValueError):
        await store.join(profile(1), NOW, status="left")


async def test_max_partners_cannot_drop_below_current_pairs(store: MatchingStore) -> None:
    await store.join(profile(1, 2), NOW)
    await store.join(profile(2), NOW)
    await store.join(profile(3), NOW)
    for frontend in (2, 3):
        await store.accept_request(await request(store, frontend, 1), 1, pair_of(1, frontend), NOW)
    with pytest.raises(InvalidInput, match="can't go below 2"):
        await store.join(profile(1), NOW, max_partners=1)
    assert (await store.get_profile(GUILD, 1)).max_partners == 2  # type: ignore[union-attr]


async def test_pause_ends_by_itself(store: MatchingStore) -> None:
    await store.join(profile(1), NOW)
    paused = await store.pause(GUILD, 1, NOW + timedelta(days=2), NOW)
    assert paused.is_paused(NOW) and not paused.is_looking(NOW)
    assert not paused.is_paused(NOW + timedelta(days=2)) and paused.is_looking(NOW + timedelta(days=2))
    with pytest.raises(NotFound):
        await store.pause(GUILD, 99, NOW + timedelta(days=2), NOW)


async def test_one_pending_request_per_direction(store: MatchingStore) -> None:
    await request(store, 1, 2)
    assert await store.create_request(GUILD, 1, 2, "command", NOW, NOW + TTL) is None
    assert await store.create_request(GUILD, 2, 1, "command", NOW, NOW + TTL) is not None
    assert [r.requester_id for r in await store.pending_for(GUILD, 1)] == [1, 2]


async def test_accept_creates_pair_and_counts_in_one_transaction(store: MatchingStore, db: Database) -> None:
    request_id = await request(store, 2, 1)
    pair = await store.accept_request(
        request_id, 1, pair_of(1, 2), NOW, default_profiles=[profile(1), profile(2)], names={1: "Alice"}
    )
    assert (pair.backend_id, pair.frontend_id, pair.request_id, pair.origin) == (1, 2, request_id, "request")
    assert [(p.user_id, p.active_pairs) for p in await store.profiles(GUILD)] == [(1, 1), (2, 1)]
    assert (await store.get_request(request_id)).status == "accepted"  # type: ignore[union-attr]
    with pytest.raises(RequestClosed, match="already accepted"):
        await store.accept_request(request_id, 1, pair_of(1, 2), NOW)
    assert await db.fetchval("SELECT COUNT(*) FROM pairs") == 1


async def test_only_the_addressee_accepts_and_expired_requests_are_refused(store: MatchingStore) -> None:
    await store.join(profile(1), NOW)
    await store.join(profile(2), NOW)
    request_id = await request(store, 2, 1)
    with pytest.raises(RequestClosed):
        await store.accept_request(request_id, 2, pair_of(1, 2), NOW)
    late = NOW + TTL
    with pytest.raises(RequestClosed, match="expired") as caught:
        await store.accept_request(request_id, 1, pair_of(1, 2), late)
    assert caught.value.status == "expired"
    assert not await store.expire_request(request_id, NOW)  # not due yet
    assert await store.expire_request(request_id, late)
    assert not await store.expire_request(request_id, late)  # once only
    assert (await store.get_profile(GUILD, 1)).active_pairs == 0  # type: ignore[union-attr]


async def test_capacity_refuses_with_the_name(store: MatchingStore) -> None:
    for uid in (1, 2, 3):
        await store.join(profile(uid), NOW)
    first, second = await request(store, 2, 1), await request(store, 3, 1)
    await store.accept_request(first, 1, pair_of(1, 2), NOW)
    with pytest.raises(CapacityReached, match="Alice already has as many partners") as caught:
        await store.accept_request(second, 1, pair_of(1, 3), NOW, names={1: "Alice"})
    assert caught.value.user_id == 1
    # The refused accept rolled back entirely: the request is still pending and 3 has no pair.
    assert (await store.get_request(second)).status == "pending"  # type: ignore[union-attr]
    assert (await store.get_profile(GUILD, 3)).active_pairs == 0  # type: ignore[union-attr]


async def test_hundred_concurrent_accepts_to_one_learner_make_one_pair(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    async with Database(path) as setup:
        await setup.migrate()
        base = MatchingStore(setup)
        await base.join(profile(1), NOW)
        ids = []
        for requester in range(100, 200):
            await base.join(profile(requester), NOW)
            ids.append(await request(base, requester, 1))
    # Four separate connections race, as two bot processes (or a restart overlap) would.
    databases = [await Database(path).connect() for _ in range(4)]
    try:
        stores = [MatchingStore(d) for d in databases]

        async def accept(i: int, request_id: int) -> str:
            try:
                await stores[i % 4].accept_request(request_id, 1, pair_of(1, 100 + i), NOW)
            except CapacityReached:
                return "full"
            return "paired"

        outcomes = await asyncio.gather(*(accept(i, rid) for i, rid in enumerate(ids)))
        assert outcomes.count("paired") == 1 and outcomes.count("full") == 99
        assert await databases[0].fetchval("SELECT COUNT(*) FROM pairs") == 1
        assert await databases[0].fetchval("SELECT active_pairs FROM match_profiles WHERE user_id = 1") == 1
        assert await databases[0].fetchval("SELECT SUM(active_pairs) FROM match_profiles") == 2
    finally:
        for d in databases:
            await d.close()


async def test_hundred_concurrent_accepts_of_one_request_make_one_pair(store: MatchingStore, db: Database) -> None:
    await store.join(profile(1, 5), NOW)
    await store.join(profile(2, 5), NOW)
    request_id = await request(store, 2, 1)

    async def accept() -> str:
        try:
            await store.accept_request(request_id, 1, pair_of(1, 2), NOW)
        except RequestClosed:
            return "closed"
        return "paired"

    outcomes = await asyncio.gather(*(accept() for _ in range(100)))
    assert outcomes.count("paired") == 1 and outcomes.count("closed") == 99
    assert await db.fetchval("SELECT COUNT(*) FROM pairs") == 1
    assert await db.fetchval("SELECT SUM(active_pairs) FROM match_profiles") == 2


async def test_decline_cools_down_and_unpair_frees_and_blocks(store: MatchingStore) -> None:
    for uid in (1, 2, 3):
        await store.join(profile(uid), NOW)
    declined = await store.decline_request(await request(store, 2, 1), 1, NOW)
    assert declined.status == "declined"
    # A decline is no block: only the cooldown keeps the two apart, in suggestions and rounds too.
    assert await store.block_reason(GUILD, 2, 1) is None
    assert await store.blocked_pairs(GUILD) == set()
    assert await store.blocked_pairs(GUILD, declined_since=NOW - timedelta(days=7)) == {frozenset((1, 2))}
    assert await store.blocked_pairs(GUILD, declined_since=NOW + timedelta(seconds=1)) == set()
    pair = await store.accept_request(await request(store, 3, 1), 1, pair_of(1, 3), NOW)
    ended = await store.end_pair(pair.id, "different goals", NOW)
    assert (ended.status, ended.end_reason) == ("ended", "different goals")
    assert [p.active_pairs for p in await store.profiles(GUILD)] == [0, 0, 0]
    assert await store.blocked_pairs(GUILD) == {frozenset((1, 3))}
    with pytest.raises(Conflict, match="can't be paired"):
        await store.create_round_pair(pair_of(1, 3), 0, NOW)
    with pytest.raises(Conflict, match="already ended"):
        await store.end_pair(pair.id, "again", NOW)


def limited(store: MatchingStore, requester: int, addressee: int, now: datetime) -> Any:
    """A request through the limits, as /match request sends it."""
    return store.create_request(
        GUILD,
        requester,
        addressee,
        "command",
        now,
        now + TTL,
        check=lambda history: request_limits.check(history, now, f"user{addressee}", requester),
        since=now - request_limits.LOOKBACK,
    )


async def test_at_most_three_pending_requests_then_one_frees(store: MatchingStore) -> None:
    for addressee in (11, 12, 13):
        assert await limited(store, 1, addressee, NOW) is not None
    with pytest.raises(request_limits.RequestLimited, match="3 requests waiting") as caught:
        await limited(store, 1, 14, NOW + timedelta(hours=1))
    assert caught.value.retry_at == NOW + TTL  # the oldest expires then
    assert f"<t:{int((NOW + TTL).timestamp())}:R>" in str(caught.value)
    first = (await store.pending_for(GUILD, 11))[0]
    await store.decline_request(first.id, 11, NOW + timedelta(hours=2))
    assert await limited(store, 1, 14, NOW + timedelta(hours=2)) is not None
    # The same request again is not a limit: the unique index answers (None), the caller says so.
    assert await limited(store, 1, 14, NOW + timedelta(hours=3)) is None


async def test_cooldown_after_decline_expiry_or_withdrawal_survives_leave_and_join(store: MatchingStore) -> None:
    await store.join(profile(1), NOW)
    declined = await limited(store, 1, 2, NOW)
    await store.decline_request(declined.id, 2, NOW + timedelta(hours=1))
    week_later = NOW + timedelta(hours=1) + request_limits.REASK_COOLDOWN
    with pytest.raises(request_limits.RequestLimited, match="user2 declined your last request") as caught:
        await limited(store, 1, 2, NOW + timedelta(days=2))
    assert caught.value.retry_at == week_later
    # Either side: the one who declined waits too.
    with pytest.raises(request_limits.RequestLimited, match="You declined user1's last request"):
        await limited(store, 2, 1, NOW + timedelta(days=2))
    # Leaving and joining again resets nothing: the history is the requests themselves.
    await store.leave(GUILD, 1, NOW + timedelta(days=3))
    await store.join(profile(1), NOW + timedelta(days=3))
    with pytest.raises(request_limits.RequestLimited):
        await limited(store, 1, 2, NOW + timedelta(days=3))
    assert await limited(store, 1, 2, week_later) is not None

    # Withdrawn by leaving: the leaver waits before asking the same person again; the other side doesn't.
    withdrawn = await limited(store, 1, 3, NOW)
    assert withdrawn is not None
    await store.leave(GUILD, 1, NOW + timedelta(hours=5))
    assert (await store.get_request(withdrawn.id)).cancel_reason == "withdrawn"  # type: ignore[union-attr]
    await store.join(profile(1), NOW + timedelta(hours=6))
    with pytest.raises(request_limits.RequestLimited, match="was withdrawn when you left matching"):
        await limited(store, 1, 3, NOW + timedelta(hours=6))
    assert await limited(store, 3, 1, NOW + timedelta(hours=6)) is not None

    # Expired without an answer.
    lapsed = await limited(store, 4, 5, NOW)
    assert await store.expire_request(lapsed.id, NOW + TTL)
    with pytest.raises(request_limits.RequestLimited, match="expired without an answer") as expired:
        await limited(store, 4, 5, NOW + TTL + timedelta(days=1))
    assert expired.value.retry_at == NOW + TTL + request_limits.REASK_COOLDOWN


async def test_daily_cap_counts_sent_requests_not_undelivered_ones(store: MatchingStore) -> None:
    sent = []
    for n in range(request_limits.DAILY_REQUEST_CAP + 1):
        at = NOW + timedelta(minutes=10 * n)
        created = await limited(store, 1, 100 + n, at)
        assert created is not None
        sent.append(created)
        # The first one the bot couldn't deliver: it counts for no limit. The others are closed at once (the
        # addressee left), so the pending cap never binds.
        await store.cancel_request(created.id, at, **({} if n == 0 else {"reason": "addressee_left"}))
    late = NOW + timedelta(hours=3)
    with pytest.raises(request_limits.RequestLimited, match="10 partner requests in the last 24 hours") as caught:
        await limited(store, 1, 999, late)
    # The oldest counted request (the second one sent) leaves the window first.
    assert caught.value.retry_at == sent[1].created_at + request_limits.DAILY_WINDOW
    assert await limited(store, 1, 999, caught.value.retry_at + timedelta(seconds=1)) is not None


async def test_block_stops_requests_until_staff_lift_it(store: MatchingStore) -> None:
    pending = await limited(store, 1, 2, NOW)
    blocked, was_pending = await store.block_requester(pending.id, 2, NOW)
    assert (blocked.status, was_pending) == ("declined", True)
    block = await store.get_block(GUILD, 1, 2)
    assert block is not None and (block.reason, block.blocked_by) == ("blocked", 2)
    assert frozenset((1, 2)) in await store.blocked_pairs(GUILD)
    with pytest.raises(NotFound):
        await store.block_requester(pending.id, 1, NOW)  # only the addressee blocks
    lifted = await store.unblock(GUILD, 2, 1)
    assert lifted is not None and lifted.blocked_by == 2
    assert await store.get_block(GUILD, 1, 2) is None and await store.unblock(GUILD, 1, 2) is None


async def test_leave_cancels_pending_requests_both_ways(store: MatchingStore) -> None:
    await store.join(profile(1), NOW)
    mine, theirs, other = await request(store, 1, 2), await request(store, 3, 1), await request(store, 3, 4)
    cancelled = await store.leave(GUILD, 1, NOW)
    assert sorted(r.id for r in cancelled) == [mine, theirs]
    assert (await store.get_request(other)).status == "pending"  # type: ignore[union-attr]
    assert (await store.get_profile(GUILD, 1)).status == "left"  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        await store.leave(GUILD, 1, NOW)


async def test_one_running_round_per_guild(store: MatchingStore) -> None:
    first = await store.start_round(GUILD, None, 5, False, NOW)
    with pytest.raises(Conflict, match="already running"):
        await store.start_round(GUILD, "ecommerce", 5, True, NOW)
    other_guild = await store.start_round(GUILD + 1, None, 5, False, NOW)
    await store.finish_round(first.id, "done", {"total_pairs": 3}, NOW)
    assert (await store.get_round(first.id)).summary == {"total_pairs": 3}  # type: ignore[union-attr]
    await store.start_round(GUILD, None, 5, True, NOW)
    assert await store.fail_stale_rounds(NOW) == 2
    assert (await store.get_round(other_guild.id)).status == "failed"  # type: ignore[union-attr]


async def test_round_pairs_respect_capacity(store: MatchingStore) -> None:
    await store.join(profile(1, 2), NOW)
    for uid in (2, 3, 4):
        await store.join(profile(uid), NOW)
    round_ = await store.start_round(GUILD, None, 5, False, NOW)
    made = 0
    for frontend in (2, 3, 4):
        try:
            await store.create_round_pair(pair_of(1, frontend), round_.id, NOW)
            made += 1
        except UserError:
            pass
    assert made == 2
    with pytest.raises(Conflict):
        await store.create_round_pair(pair_of(1, 2), round_.id, NOW)  # also at capacity / already partners


# --- pairing glue ---------------------------------------------------------------------------------


def announcement(user_id: int, track: str, project: str = "ecommerce", **over: object) -> Announcement:
    return factories.announcement(
        **{"id": user_id, "guild_id": GUILD, "user_id": user_id, "cohort_start": date(2026, 12, 7)}
        | {"project_key": project, "track": track, "title": f"Project {user_id}", "display_name": f"user{user_id}"}
        | {"created_at": NOW, "updated_at": NOW}
        | over
    )


def test_stack_preferences_from_announcement_words() -> None:
    assert pairing.stack_preferences(["Django", "DRF", "PostgreSQL"]) == {"rest"}
    assert pairing.stack_preferences(["React", "Apollo Client", "Socket.IO"]) == {"graphql", "websocket"}
    assert pairing.stack_preferences([]) == frozenset()


def test_default_profile_and_learner_follow_dst() -> None:
    a = announcement(1, "backend", timezone="Europe/London")
    new = pairing.default_profile(GUILD, 1, a, NOW)
    assert (new.timezone, new.availability_text) == ("Europe/London", pairing.DEFAULT_AVAILABILITY)
    winter = pairing.build_learner(new, a, False, NOW)
    summer = pairing.build_learner(new, a, False, datetime(2027, 7, 5, 10, tzinfo=UTC))
    # 18:00 London is 18:00 UTC in winter and 17:00 UTC in summer.
    assert winter.windows.ranges[0][0] == 18 * 60 and summer.windows.ranges[0][0] == 17 * 60
    assert (winter.project, winter.custom_title, winter.stack) == ("ecommerce", None, {"rest"})
    custom = pairing.build_learner(new, announcement(1, "backend", "other", title="Farm Tracker"), True, NOW)
    assert (custom.project, custom.custom_title) == ("other", "Farm Tracker")
    unknown_zone = announcement(2, "frontend", timezone="Mars/Olympus")
    assert pairing.default_profile(GUILD, 2, unknown_zone, NOW).timezone == "UTC"


def test_request_rules() -> None:
    back, front = announcement(1, "backend"), announcement(2, "frontend")
    assert pairing.request_problem(back, front, False, False, "Bob") is None
    assert "Backend track like you" in (
        pairing.request_problem(back, announcement(3, "backend"), False, False, "C") or ""
    )
    other_project = announcement(4, "frontend", "job-board")
    assert "different project" in (pairing.request_problem(back, other_project, False, False, "D") or "")
    # Two custom projects with different titles: allowed by explicit request.
    a, b = announcement(5, "backend", "other", title="X"), announcement(6, "frontend", "other", title="Y")
    assert pairing.request_problem(a, b, True, True, "F") is None


def test_intro_shows_both_local_times_and_overlap_in_each_zone() -> None:
    lagos = pairing.build_learner(
        NewProfile(GUILD, 1, "Africa/Lagos", "weekdays 18-22", "{}"), announcement(1, "backend"), False, NOW, "Ada"
    )
    nairobi = pairing.build_learner(
        NewProfile(GUILD, 2, "Africa/Nairobi", "weekdays 19-23", "{}"), announcement(2, "frontend"), False, NOW, "Bo"
    )
    breakdown = score_pair(lagos, nairobi, now=NOW)
    sections = dict(
        pairing.intro_lines(
            pairing.PairContext(lagos, "E-Commerce", "Shop API", "<@1>"),
            pairing.PairContext(nairobi, "E-Commerce", "Shop UI", "<@2>"),
            breakdown,
            NOW,
        )
    )
    assert "Tue 11:00 (Africa/Lagos, UTC+01:00)" in sections["Local times now"]
    assert "Tue 13:00 (Africa/Nairobi, UTC+03:00)" in sections["Local times now"]
    overlap = sections["Shared free time (15 h/week)"]
    assert "Mon–Fri 18:00–21:00" in overlap and "Mon–Fri 20:00–23:00" in overlap
    assert sections["Three first steps"].count("\n") == 2 and "endpoints" in sections["Three first steps"]


def test_pause_date_rules() -> None:
    until = pairing.parse_pause_until("2026-12-10", "Africa/Nairobi", NOW)
    assert until == datetime(2026, 12, 9, 21, tzinfo=UTC)
    for bad, needle in (("10/12/2026", "YYYY-MM-DD"), ("2026-12-01", "future"), ("2027-06-01", "at most")):
        with pytest.raises(InvalidInput, match=needle):
            pairing.parse_pause_until(bad, "UTC", NOW)
    assert all(v > "2026-12-08" for _, v in pairing.pause_choices("UTC", NOW))


def test_unmatched_advice_always_says_what_to_do() -> None:
    for reason in (*UnmatchedCode, None):
        assert "/match" in pairing.unmatched_advice(reason) or "staff" in pairing.unmatched_advice(reason)


async def test_upgrade_lifts_the_old_decline_blocks_and_keeps_the_others(tmp_path: Path) -> None:
    ours = next(m for m in discover_migrations() if m.path.name.endswith("_requests.sql"))
    folder = tmp_path / "migrations"
    folder.mkdir()
    for migration in discover_migrations():
        if migration.version < ours.version:
            shutil.copy(migration.path, folder)
    async with Database(tmp_path / "old.db", migrations_dir=folder) as old:
        await old.migrate()
        for a, b, reason in ((1, 2, "declined"), (1, 3, "unpaired")):
            await old.execute(
                "INSERT INTO match_blocks (guild_id, user_a, user_b, reason, created_at) VALUES (?, ?, ?, ?, ?)",
                (GUILD, a, b, reason, NOW.isoformat()),
            )
        shutil.copy(ours.path, folder)
        await old.migrate()
        store = MatchingStore(old)
        assert await store.blocked_pairs(GUILD) == {frozenset((1, 3))}
        kept = await store.get_block(GUILD, 3, 1)
        assert kept is not None and (kept.reason, kept.blocked_by) == ("unpaired", None)


async def test_profiles_of_some_users_come_in_slices_and_unchanged_rows_as_the_same_objects(
    store: MatchingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from db.stores.matching import profiles as profile_rows

    monkeypatch.setattr(profile_rows, "PROFILES_PER_QUERY", 2)
    for user_id in range(1, 7):
        await store.join(profile(user_id), NOW)
    some = await store.profiles(GUILD, [5, 1, 3, 4, 99])
    assert [p.user_id for p in some] == [1, 3, 4, 5]
    assert [p.user_id for p in await store.profiles(GUILD)] == [1, 2, 3, 4, 5, 6]
    again = await store.profiles(GUILD, [1, 3, 4, 5])
    assert all(a is b for a, b in zip(again, some, strict=True))  # read again unchanged: the same objects
    await store.join(profile(3), NOW, availability_text="sat 10-12")
    changed = {p.user_id: p for p in await store.profiles(GUILD, [1, 3])}
    assert changed[1] is some[0] and changed[3] is not some[1] and changed[3].availability_text == "sat 10-12"
