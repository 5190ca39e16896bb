"""MatchingService on a real migrated SQLite file, without Discord: requestability, capacity, request limits
and round composition — rules that before were only reachable end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.services import pairing
from bot.services.catalog import CatalogService
from bot.services.matching.service import MatchingService
from bot.services.request_limits import MAX_PENDING_REQUESTS, RequestLimited
from db.database import Database
from db.stores.announcements import AnnouncementStore, NewAnnouncement
from db.stores.matching import NewPair

GUILD = 7
COHORT = date(2026, 12, 1)
NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)


class Directory:
    """A plain MemberDirectory: who is in the server and their names."""

    guild_id = GUILD

    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def display_name(self, user_id: int) -> str | None:
        return self.names.get(user_id)

    def is_member(self, user_id: int) -> bool:
        return user_id in self.names

    def tracks(self, user_id: int) -> tuple[str, ...]:
        return ()

    def learners(self) -> dict[int, tuple[str, ...]]:
        return {}


@pytest.fixture
def service(db: Database, clock: ManualClock) -> MatchingService:
    return MatchingService(db, clock, CatalogService(db))


@pytest.fixture
def directory() -> Directory:
    return Directory()


async def learner(
    service: MatchingService,
    directory: Directory,
    user_id: int,
    track: str,
    project: str = "ecommerce",
    *,
    max_partners: int = 1,
) -> None:
    """Announced, opted in (default availability: everyone overlaps) and in the server."""
    directory.names[user_id] = f"learner{user_id}"
    new = NewAnnouncement(GUILD, user_id, COHORT, project, track, f"title {user_id}", "summary", display_name="x")
    assert await AnnouncementStore(service.store.db).create(new, NOW) is not None
    announcement = await service.announcements.active_for(GUILD, COHORT, user_id)
    profile = pairing.default_profile(GUILD, user_id, announcement, NOW)
    await service.store.join(profile, NOW, max_partners=max_partners)


async def learners(service: MatchingService, directory: Directory, *tracks: str) -> None:
    """Learners 1, 2, … on these tracks, in order, as `learner` makes them (same project)."""
    for user_id, track in enumerate(tracks, start=1):
        await learner(service, directory, user_id, track)


async def ask(service: MatchingService, directory: Directory, requester: int, target: int) -> int:
    draft = await service.request(directory, COHORT, requester, target, "command")
    assert draft.request.status == "pending" and draft.them.user_id == target
    return draft.request.id


async def test_requestability_tracks_project_block_pause_capacity_and_reverse(
    service: MatchingService, directory: Directory, clock: ManualClock
) -> None:
    await learners(service, directory, "backend", "backend")
    await learner(service, directory, 3, "frontend", "job-board")
    await learner(service, directory, 4, "frontend")
    await learner(service, directory, 5, "frontend")
    await learner(service, directory, 6, "frontend")
    with pytest.raises(InvalidInput, match="Backend track like you"):
        await ask(service, directory, 1, 2)
    with pytest.raises(InvalidInput, match="different project"):
        await ask(service, directory, 1, 3)
    # 5 blocks 1: neither way round can ask again.
    request_id = await ask(service, directory, 1, 5)
    await service.store.block_requester(request_id, 5, NOW)
    with pytest.raises(Conflict, match="asked not to get partner requests from you"):
        await ask(service, directory, 1, 5)
    with pytest.raises(Conflict, match="You blocked partner requests"):
        await ask(service, directory, 5, 1)
    # A pause is refused with its date.
    await service.store.pause(GUILD, 6, NOW + timedelta(days=3), NOW)
    with pytest.raises(Conflict, match="paused matching until"):
        await ask(service, directory, 1, 6)
    # 4 already asked 1: 1 must answer, not ask back.
    request_id = await ask(service, directory, 4, 1)
    with pytest.raises(Conflict, match="already asked you"):
        await ask(service, directory, 1, 4)
    # Once 1 is paired with 4, 1 is at capacity and 2's request to 4 is refused by 4's capacity.
    await service.store.accept_request(request_id, 1, NewPair(GUILD, 1, 4, "ecommerce", 50, "overlap"), NOW)
    with pytest.raises(Conflict, match="already partners"):
        await ask(service, directory, 1, 4)
    with pytest.raises(Conflict, match=r"learner4 already has as many partners as they asked for \(1\)"):
        await ask(service, directory, 2, 4)
    await learner(service, directory, 7, "frontend")
    with pytest.raises(Conflict, match=r"You already have as many partners as you asked for \(1\)"):
        await ask(service, directory, 1, 7)
    assert await ask(service, directory, 2, 7)


async def test_request_limits_cooldown_pending_and_delivery(
    service: MatchingService, directory: Directory, clock: ManualClock
) -> None:
    await learner(service, directory, 1, "backend")
    for uid in range(10, 10 + MAX_PENDING_REQUESTS + 2):
        await learner(service, directory, uid, "frontend")
    first = await ask(service, directory, 1, 10)
    with pytest.raises(Conflict, match="You already asked learner10"):
        await ask(service, directory, 1, 10)
    await service.store.decline_request(first, 10, NOW)
    with pytest.raises(RequestLimited, match="waits a week") as refused:
        await ask(service, directory, 1, 10)
    assert refused.value.retry_at == NOW + timedelta(days=7)
    targets = list(range(11, 11 + MAX_PENDING_REQUESTS))
    ids = [await ask(service, directory, 1, uid) for uid in targets]
    with pytest.raises(RequestLimited, match="waiting for an answer"):
        await ask(service, directory, 1, 11 + MAX_PENDING_REQUESTS)
    # A request no one could receive is cancelled and frees its slot; a delivered one keeps its message.
    await service.undeliverable(ids[0])
    assert (await service.store.get_request(ids[0])).status != "pending"  # type: ignore[union-attr]
    await service.delivered(ids[1], 555, 777)
    delivered = await service.store.get_request(ids[1])
    assert delivered is not None and delivered.message_id == 777
    assert await ask(service, directory, 1, 11 + MAX_PENDING_REQUESTS)
    # After the cooldown (the other requests expired meanwhile), the declined pair may ask again.
    clock.at = NOW + timedelta(days=7, minutes=1)
    assert await ask(service, directory, 1, 10)


async def test_round_pairs_cross_track_same_project_within_capacity_and_blocks(
    service: MatchingService, directory: Directory
) -> None:
    # ecommerce: backends 1 (2 slots), 2; frontends 3, 4, 5. job-board: backend 6, frontend 7, backend 8.
    await learner(service, directory, 1, "backend", max_partners=2)
    await learner(service, directory, 2, "backend")
    for uid in (3, 4, 5):
        await learner(service, directory, uid, "frontend")
    await learner(service, directory, 6, "backend", "job-board")
    await learner(service, directory, 7, "frontend", "job-board")
    await learner(service, directory, 8, "backend", "job-board")
    # 7 blocked 6; 9 announced but left the server.
    blocked = await ask(service, directory, 6, 7)
    await service.store.block_requester(blocked, 7, NOW)
    await learner(service, directory, 9, "frontend", "job-board")
    del directory.names[9]
    plan = await service.plan_round(directory, COHORT, None, NOW)
    assert 9 not in {s.user_id for s in plan.pool}
    by_id = {s.user_id: s for s in plan.pool}
    pairs = [(b, f) for b, f, _ in plan.result.pairs]
    for b, f in pairs:
        assert by_id[b].announcement.track == "backend" and by_id[f].announcement.track == "frontend"
        assert by_id[b].announcement.project_key == by_id[f].announcement.project_key
    assert (6, 7) not in pairs and (8, 7) in pairs
    used = {uid: sum(uid in p for p in pairs) for uid in by_id}
    assert used[1] == 2 and all(n <= 1 for uid, n in used.items() if uid != 1)
    assert {f for _, f in pairs if f in (3, 4, 5)} == {3, 4, 5}
    assert plan.result.unmatched[6] == "every Frontend learner on Job Board was declined, unpaired or blocked"


async def test_pair_with_me_press_asks_the_announcer_unless_withdrawn_own_or_not_looking(
    service: MatchingService, directory: Directory
) -> None:
    await learners(service, directory, "backend", "frontend")
    mine = await service.announcements.active_for(GUILD, COHORT, 2)
    assert mine is not None
    assert await service.pair_target(mine.id, 1) == 2
    with pytest.raises(InvalidInput, match="your own announcement"):
        await service.pair_target(mine.id, 2)
    await service.announcements.update(mine.id, NOW, looking_for_partner=False)
    with pytest.raises(Conflict, match="no longer looking"):
        await service.pair_target(mine.id, 1)
    await service.announcements.withdraw(mine.id, NOW)
    with pytest.raises(NotFound, match="withdrawn"):
        await service.pair_target(mine.id, 1)


async def test_leave_withdraws_pending_requests_and_pause_needs_a_profile(
    service: MatchingService, directory: Directory
) -> None:
    await learners(service, directory, "backend", "frontend", "frontend")
    with pytest.raises(NotFound, match="not opted in"):
        await service.pause(GUILD, 99, "2026-12-14")
    resume = await service.pause(GUILD, 3, "2026-12-14 (in 6 days, Mon)")
    assert resume == datetime(2026, 12, 14, tzinfo=UTC)
    request_id = await ask(service, directory, 1, 2)
    left = await service.leave(GUILD, 1)
    assert [r.id for r in left.cancelled] == [request_id] and left.pairs_kept == 0
    with pytest.raises(Conflict, match="You left partner matching"):
        await ask(service, directory, 1, 2)
    with pytest.raises(NotFound, match="not opted in"):
        await service.pause(GUILD, 1, "2026-12-14")


async def test_only_the_addressee_answers_and_accept_makes_the_pair_backend_first(
    service: MatchingService, directory: Directory
) -> None:
    await learners(service, directory, "frontend", "backend", "backend")
    request_id = await ask(service, directory, 1, 2)
    with pytest.raises(Forbidden, match="Only the learner who was asked can answer this request"):
        await service.answerable(request_id, 1)
    with pytest.raises(Forbidden, match="can block their requests"):
        await service.answerable(request_id, 1, blocking=True)
    with pytest.raises(NotFound, match="no longer exists"):
        await service.answerable(999, 2)
    request = await service.answerable(request_id, 2)
    assert not service.overdue(request, NOW) and service.overdue(request, NOW + timedelta(hours=73))
    accepted = await service.accept(directory, COHORT, request, NOW)
    assert (accepted.pair.backend_id, accepted.pair.frontend_id) == (2, 1) and accepted.me.user_id == 2
    assert accepted.pair.score == accepted.breakdown.score > 0
    # 3 asks 1 (now full): refused before anything is sent; a block then stops 3's requests for good.
    with pytest.raises(Conflict, match="learner1 already has as many partners"):
        await ask(service, directory, 3, 1)
    await service.store.join(pairing.default_profile(GUILD, 1, None, NOW), NOW, max_partners=2)
    second = await service.answerable(await ask(service, directory, 3, 1), 1)
    _, was_pending = await service.block(second, NOW)
    assert was_pending and await service.pending_request(second.id) is None
    with pytest.raises(Conflict, match="asked not to get partner requests from you"):
        await ask(service, directory, 3, 1)


async def test_unpair_blocks_the_pair_until_staff_unblock(service: MatchingService, directory: Directory) -> None:
    await learners(service, directory, "backend", "frontend")
    request = await service.answerable(await ask(service, directory, 1, 2), 2)
    pair = (await service.accept(directory, COHORT, request, NOW)).pair
    assert [p.id for p in await service.pairs_of(GUILD, 1)] == [pair.id]
    ended = await service.unpair(pair, "")
    assert ended.end_reason == "no reason given" and await service.pairs_of(GUILD, 2) == []
    with pytest.raises(Conflict, match="ended a pairing before"):
        await ask(service, directory, 2, 1)
    with pytest.raises(InvalidInput, match="two different learners"):
        await service.unblock(GUILD, 1, 1, "x")
    lifted = await service.unblock(GUILD, 1, 2, "a and b")
    assert lifted.block is not None and lifted.block.reason != "blocked" and not lifted.cooldown
    with pytest.raises(NotFound, match="There's no block between a and b"):
        await service.unblock(GUILD, 1, 2, "a and b")
    assert await ask(service, directory, 2, 1)


async def test_round_preview_changes_nothing_and_commit_makes_the_pairs_with_their_jobs(
    service: MatchingService, directory: Directory
) -> None:
    from db.stores.matching import RoundJobs

    jobs = RoundJobs(pair="p", unmatched="u", moot="m", summary="s")
    await learners(service, directory, "backend", "frontend", "frontend")
    preview = await service.start_round(GUILD, None, 99, True)
    plan = await service.plan_round(directory, COHORT, None, NOW)
    summary, number = await service.preview_round(GUILD, preview.id, plan)
    assert (summary.total_pairs, number) == (1, 1) and await service.pairs_of(GUILD, 1) == []
    real = await service.start_round(GUILD, None, 99, False)
    outcome, made = await service.commit_round(GUILD, real.id, plan, jobs, NOW)
    assert made is not None and made.total_pairs == 1 and outcome.round.number == 1
    assert [p.members for p in outcome.pairs] == [p.members for p in await service.pairs_of(GUILD, 1)]
    left = set(made.unmatched) - {1}
    assert len(left) == 1 and made.unmatched_codes[left.pop()] == "partners_at_capacity"


async def test_staff_unblock_lifts_the_week_a_decline_or_expiry_makes_them_wait(
    service: MatchingService, directory: Directory
) -> None:
    await learners(service, directory, "backend", "frontend")
    declined = await service.answerable(await ask(service, directory, 1, 2), 2)
    await service.decline(declined, NOW)
    for requester, target in ((1, 2), (2, 1)):  # a decline delays both ways round
        with pytest.raises(RequestLimited, match="waits a week"):
            await ask(service, directory, requester, target)
    lifted = await service.unblock(GUILD, 2, 1, "a and b")
    assert lifted.block is None and lifted.cooldown
    asked = await ask(service, directory, 1, 2)  # at once, not a week later
    assert await service.expire(asked, NOW + pairing.REQUEST_TTL)
    with pytest.raises(RequestLimited, match="expired without an answer"):
        await ask(service, directory, 1, 2)
    assert (await service.unblock(GUILD, 1, 2, "a and b")).cooldown
    assert await ask(service, directory, 1, 2)
    with pytest.raises(NotFound, match="no recent decline or expired request"):
        await service.unblock(GUILD, 1, 2, "a and b")
