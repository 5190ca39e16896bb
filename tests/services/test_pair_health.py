"""Issue 14, part 2 on a real database: PairHealthService's check-ins, the inactivity rule, the rematch, the
counts; and the round side of it (the learner who asked for a new partner goes first; reasons name labels)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.errors import Conflict, Forbidden, NotFound
from bot.services.catalog import CatalogService
from bot.services.contracts.service import ContractService
from bot.services.matching.scoring import score_pair
from bot.services.matching.service import Balance, MatchingService, Pair
from bot.services.pair_health import CHECKIN_DAYS, INACTIVE_AFTER, PairHealthService
from db.database import Database
from db.stores.matching import NewPair
from tests.services.test_matching_service import COHORT, GUILD, NOW, Directory, learner

THREAD = 555


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def matching(db: Database, clock: ManualClock) -> MatchingService:
    return MatchingService(db, clock, CatalogService(db))


@pytest.fixture
def health(db: Database, clock: ManualClock, matching: MatchingService) -> PairHealthService:
    return PairHealthService(db, clock, matching, ContractService(db, clock, matching))


async def paired(matching: MatchingService, directory: Directory) -> Pair:
    await learner(matching, directory, 1, "backend")
    await learner(matching, directory, 2, "frontend")
    request = await matching.store.create_request(GUILD, 1, 2, "command", NOW, NOW + timedelta(days=3))
    assert request is not None
    pair = await matching.store.accept_request(request.id, 2, NewPair(GUILD, 1, 2, "ecommerce", 60, "x"), NOW)
    await matching.set_thread(pair.id, THREAD)
    found = await matching.get_pair(pair.id)
    assert found is not None
    return found


async def asked_on_day_3(matching: MatchingService, health: PairHealthService) -> tuple[Pair, datetime]:
    """A fresh pair whose day-3 check-in went out; the pair, and when it was asked."""
    pair = await paired(matching, Directory())
    asked_at = NOW + timedelta(days=3)
    await health.asked(pair, 3, asked_at)
    return pair, asked_at


async def test_checkins_are_planned_on_day_3_and_10_and_each_partner_answers_only_for_themselves(
    matching: MatchingService, health: PairHealthService
) -> None:
    pair = await paired(matching, Directory())
    jobs = health.checkin_jobs(pair)
    assert [j.due_at - pair.created_at for j in jobs] == [timedelta(days=d) for d in CHECKIN_DAYS]
    assert len({j.dedupe_key for j in jobs}) == 2  # scheduling again (a restart) changes nothing
    with pytest.raises(NotFound):
        await health.answer(pair.id, 3, 1, "met")  # not asked yet
    follow_up = await health.asked(pair, 3, NOW + timedelta(days=3))
    assert follow_up.due_at == NOW + timedelta(days=3) + INACTIVE_AFTER
    assert "met" in await health.answer(pair.id, 3, 1, "met")
    with pytest.raises(Forbidden, match="each answers for themselves"):
        await health.answer(pair.id, 3, 99, "met")
    assert (await health.counts(GUILD)).met == 1


async def test_inactive_means_silent_in_the_thread_for_a_week_and_a_check_in_unanswered(
    matching: MatchingService, health: PairHealthService, clock: ManualClock
) -> None:
    pair, asked_at = await asked_on_day_3(matching, health)
    clock.at = asked_at + timedelta(days=1)
    await health.record_post(THREAD, 2)  # 2 writes; 1 stays silent and does not answer
    await health.record_post(777, 1)  # a post in some other thread is not kept
    clock.at = asked_at + INACTIVE_AFTER
    found = await health.inactivity(pair.id, 3)
    assert found is not None and (found.inactive_id, found.active_id) == (1, 2)
    assert await health.inactivity(pair.id, 3) is None  # recorded once
    assert (await health.counts(GUILD)).inactive == 1
    # Only the active partner may end it; then it ends with reason `inactive` and they go first next time.
    with pytest.raises(Forbidden):
        await health.rematch(pair.id, 1)
    ended = await health.rematch(pair.id, 2)
    assert (ended.status, ended.end_reason) == ("ended", "inactive")
    profile = await matching.profile(GUILD, 2)
    assert profile is not None and profile.priority_since is not None
    with pytest.raises(Conflict):
        await health.rematch(pair.id, 2)


async def test_an_answered_check_in_or_a_recent_post_keeps_a_partner_active(
    matching: MatchingService, health: PairHealthService, clock: ManualClock
) -> None:
    pair, asked_at = await asked_on_day_3(matching, health)
    await health.answer(pair.id, 3, 1, "not_yet")
    clock.at = asked_at + timedelta(days=6)
    await health.record_post(THREAD, 2)
    clock.at = asked_at + INACTIVE_AFTER
    assert await health.inactivity(pair.id, 3) is None


async def test_the_learner_whose_partner_went_inactive_goes_first_in_the_next_round(
    matching: MatchingService, health: PairHealthService, clock: ManualClock
) -> None:
    directory = Directory()
    pair = await paired(matching, directory)
    await learner(matching, directory, 3, "backend")
    await learner(matching, directory, 4, "frontend")
    # On the score alone 3 goes with 4 (skills both ways).
    await matching.join(directory, COHORT, 3, offers="django", wants="react")
    await matching.join(directory, COHORT, 4, offers="react", wants="django")
    await health.asked(pair, 3, NOW)
    await health.record_post(THREAD, 2)
    clock.at = NOW + INACTIVE_AFTER + timedelta(minutes=1)
    assert await health.inactivity(pair.id, 3) is not None
    await health.rematch(pair.id, 2)
    await matching.leave(GUILD, 1)
    plan = await matching.plan_round(directory, COHORT, None, clock.now(), Balance.ONE_TO_ONE)
    scores = {(b, f): s for b, f, s in plan.result.pairs}
    assert list(scores) == [(3, 2)]
    by_id = {s.user_id: s.learner for s in plan.pool}
    assert score_pair(by_id[3], by_id[2]).score < score_pair(by_id[3], by_id[4]).score


async def test_reasons_name_a_project_by_its_catalog_label(matching: MatchingService, directory: Directory) -> None:
    await matching.catalog.add("ai-tutor", "AI Tutor", "AI Tutor Backend", "AI Tutor Frontend", NOW)
    await learner(matching, directory, 1, "backend", "ai-tutor")
    plan = await matching.plan_round(directory, COHORT, None, NOW)
    assert plan.result.unmatched[1] == "no Frontend learner on AI Tutor is looking for a partner yet"


@pytest.fixture
def directory() -> Directory:
    return Directory()


async def test_a_chatty_thread_is_written_once_an_hour_not_once_per_message(
    health: PairHealthService, matching: MatchingService, directory: Directory, clock: ManualClock
) -> None:
    await paired(matching, directory)
    first = clock.now()
    for _ in range(50):
        await health.record_post(THREAD, 1)
        clock.at += timedelta(seconds=30)  # 25 minutes of chatter
    assert await health.store.last_posted(THREAD, 1) == first
    clock.at += timedelta(hours=1)
    await health.record_post(THREAD, 1)
    assert await health.store.last_posted(THREAD, 1) == clock.now()
