"""Issue 14, part 1: balanced rounds and their last resorts, on the programme's real cohort shape (pure)."""

from __future__ import annotations

from bench.coverage import NOW, SEED, cohort
from bot.services.availability import parse_availability
from bot.services.matching import Learner, optimal_matching
from bot.services.matching.balance import (
    Balance,
    PairKind,
    balanced_capacities,
    cross_track_coverage,
    solve_round,
)
from bot.services.matching.reasons import UnmatchedCode


def test_balance_auto_partners_at_least_95_percent_across_tracks_where_today_leaves_a_third_out() -> None:
    learners = cohort(SEED)
    ones = {lr.user_id: 1 for lr in learners}
    today = optimal_matching(learners, (), ones, now=NOW)
    covered, eligible = cross_track_coverage(learners, today.pairs)
    assert covered / eligible < 0.8  # today's round (one-to-one, the solver alone)
    slots = balanced_capacities(learners, ones, (), {}, Balance.AUTO)
    auto = solve_round(learners, (), slots, now=NOW)
    covered, eligible = cross_track_coverage(learners, auto.result.pairs)
    assert eligible > 50 and covered / eligible >= 0.95
    # Nobody has more partners than the round gave them capacity for, and no two are paired twice.
    used: dict[int, int] = {}
    for b, f, _ in auto.result.pairs:
        used[b] = used.get(b, 0) + 1
        used[f] = used.get(f, 0) + 1
    assert all(n <= slots[uid] for uid, n in used.items())
    assert len({frozenset((b, f)) for b, f, _ in auto.result.pairs}) == len(auto.result.pairs)


def learner(uid: int, track: str, project: str = "ecommerce", when: str = "weekdays 18-22") -> Learner:
    from datetime import date
    from zoneinfo import ZoneInfo

    windows = parse_availability(when, ZoneInfo("Africa/Lagos"), date(2026, 12, 7))
    return Learner(uid, "backend" if track == "backend" else "frontend", project, None, "Africa/Lagos", windows,
                   frozenset(), frozenset(), frozenset())  # fmt: skip


def test_the_scarcer_track_gets_ceil_larger_over_smaller_unless_the_learner_chose_max_partners() -> None:
    learners = [learner(1, "backend"), learner(2, "backend"), learner(3, "backend"), learner(4, "frontend")]
    learners += [learner(5, "backend", "job-board"), learner(6, "frontend", "job-board")]
    ones = {lr.user_id: 1 for lr in learners}
    auto = balanced_capacities(learners, ones, (), {}, Balance.AUTO)
    assert auto[4] == 3 and auto[1] == auto[5] == auto[6] == 1
    assert balanced_capacities(learners, ones, (), {}, Balance.ONE_TO_ONE)[4] == 1
    # 4 set max_partners:1 themselves; with one partner already, a learner on the scarcer track gets 3 - 1.
    assert balanced_capacities(learners, ones, {4}, {}, Balance.AUTO)[4] == 1
    assert balanced_capacities(learners, ones, (), {4: 1}, Balance.AUTO)[4] == 2
    result = solve_round(learners, (), auto, now=NOW).result
    assert {(b, f) for b, f, _ in result.pairs} == {(1, 4), (2, 4), (3, 4), (5, 6)}


def test_last_resorts_an_async_partner_then_a_same_track_study_buddy_each_labelled() -> None:
    # 1 and 2 (Backend) share no hour with 3 (Frontend); Movie Recommendation has no Frontend learner at all.
    learners = [
        learner(1, "backend", when="sat 8-10"),
        learner(3, "frontend", when="sun 20-22"),
        learner(7, "backend", "movie-recommendation"),
        learner(8, "backend", "movie-recommendation"),
        learner(9, "backend", "movie-recommendation"),
    ]
    ones = {lr.user_id: 1 for lr in learners}
    assert optimal_matching(learners, (), ones, now=NOW).pairs == ()
    round_ = solve_round(learners, (), ones, now=NOW)
    assert round_.kind(1, 3) is PairKind.ASYNC
    buddies = [(a, b) for a, b, _ in round_.result.pairs if round_.kind(a, b) is PairKind.BUDDY]
    assert len(buddies) == 1 and set(buddies[0]) <= {7, 8, 9}
    # The odd one out keeps their reason (and its advice); a blocked buddy is never chosen.
    (alone,) = set(round_.result.reasons)
    assert round_.result.reasons[alone].code is UnmatchedCode.NO_PARTNER_LOOKING
    blocked = {frozenset((7, 8)), frozenset((7, 9)), frozenset((8, 9))}
    assert all(
        round_.kind(a, b) is not PairKind.BUDDY
        for a, b, _ in solve_round(learners, blocked, ones, now=NOW).result.pairs
    )


def test_learners_whose_partner_went_inactive_go_first() -> None:
    # One Frontend learner, two Backend learners equally good: the one marked `first` gets her.
    learners = [learner(1, "backend"), learner(2, "backend"), learner(3, "frontend")]
    ones = {lr.user_id: 1 for lr in learners}
    plain = solve_round(learners, (), ones, now=NOW).result.pairs
    assert [(b, f) for b, f, _ in plain] == [(1, 3)]
    first = solve_round(learners, (), ones, now=NOW, first={2}).result.pairs
    assert (2, 3) in [(b, f) for b, f, _ in first]
