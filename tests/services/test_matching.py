"""Matching: hard rules, scores and reasons, and optimality of the assignment against brute force."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot.services.availability import WeeklyWindows, parse_availability
from bot.services.matching import (
    Learner,
    MatchResult,
    compatible,
    gale_shapley_matching,
    greedy_matching,
    optimal_matching,
    score_matrix,
    score_pair,
    suggest,
)

NOW = datetime(2026, 1, 14, 12, tzinfo=UTC)
WEEK = date(2026, 1, 12)
ZONES = ["Africa/Lagos", "Africa/Nairobi", "Europe/London", "America/New_York", "Asia/Kolkata", "America/St_Johns"]
BACK_SKILLS = ["django", "drf", "graphql", "postgres", "docker"]
FRONT_SKILLS = ["react", "nextjs", "typescript", "tailwind", "graphql"]


def mk(
    uid: int,
    track: str = "backend",
    *,
    project: str = "job-board",
    title: str | None = None,
    avail: str = "weekdays 18-22",
    tz: str = "Africa/Lagos",
    offers: set[str] | None = None,
    wants: set[str] | None = None,
    stack: set[str] | None = None,
    cap: int = 1,
    name: str = "",
) -> Learner:
    return Learner(
        user_id=uid,
        track=track,  # type: ignore[arg-type]
        project=project,
        custom_title=title,
        tz_name=tz,
        windows=parse_availability(avail, ZoneInfo(tz), WEEK),
        offers=frozenset(offers or ()),
        wants=frozenset(wants or ()),
        stack=frozenset(stack or ()),
        capacity=cap,
        display_name=name,
    )


def random_learner(rng: random.Random, uid: int, track: str, *, projects: list[str], max_cap: int) -> Learner:
    ranges = []
    for _ in range(rng.randint(0, 4)):
        s = rng.randrange(0, 10080, rng.choice([60, 30, 15, 7]))
        ranges.append((s, s + rng.choice([60, 90, 120, 180, 240, 600])))
    project = rng.choice(projects)
    title = rng.choice(["Chat App", " chat app ", "Quiz"]) if project == "other" else None
    mine, theirs = (BACK_SKILLS, FRONT_SKILLS) if track == "backend" else (FRONT_SKILLS, BACK_SKILLS)
    return Learner(
        user_id=uid,
        track=track,  # type: ignore[arg-type]
        project=project,
        custom_title=title,
        tz_name=rng.choice(ZONES),
        windows=WeeklyWindows.from_ranges(ranges),
        offers=frozenset(rng.sample(mine, rng.randint(0, 3))),
        wants=frozenset(rng.sample(theirs, rng.randint(0, 3))),
        stack=rng.choice([frozenset(), frozenset({"rest"}), frozenset({"graphql"}), frozenset({"rest", "graphql"})]),
        capacity=rng.randint(1, max_cap),
        display_name=f"u{uid}",
    )


def random_instance(
    rng: random.Random, max_side: int = 7, max_cap: int = 3, projects: list[str] | None = None
) -> tuple[list[Learner], set[frozenset[int]]]:
    projects = projects or ["job-board", "job-board", "job-board", "other", "ecommerce"]
    nb, nf = rng.randint(0, max_side), rng.randint(0, max_side)
    learners = [random_learner(rng, 100 + i, "backend", projects=projects, max_cap=max_cap) for i in range(nb)]
    learners += [random_learner(rng, 200 + j, "frontend", projects=projects, max_cap=max_cap) for j in range(nf)]
    blocked = {frozenset((b.user_id, f.user_id)) for b in learners[:nb] for f in learners[nb:] if rng.random() < 0.1}
    rng.shuffle(learners)
    return learners, blocked


def brute_force_total(learners: list[Learner], blocked: set[frozenset[int]]) -> int:
    """Exhaustive search over all feasible matchings (memoised over the frontends' remaining capacity)."""
    backs = [x for x in learners if x.track == "backend"]
    fronts = [x for x in learners if x.track == "frontend"]
    w = [[score_pair(b, f, now=NOW).score if compatible(b, f, blocked) else 0 for f in fronts] for b in backs]

    @cache
    def best(i: int, rem: tuple[int, ...]) -> int:
        if i == len(backs):
            return 0
        out = best(i + 1, rem)
        options = [j for j in range(len(fronts)) if rem[j] > 0 and w[i][j] > 0]

        def choose(start: int, left: int, gained: int, r: list[int]) -> None:
            nonlocal out
            for k in range(start, len(options)):
                j = options[k]
                r[j] -= 1
                g = gained + w[i][j]
                out = max(out, g + best(i + 1, tuple(r)))
                if left > 1:
                    choose(k + 1, left - 1, g, r)
                r[j] += 1

        choose(0, backs[i].capacity, 0, list(rem))
        return out

    return best(0, tuple(f.capacity for f in fronts))


def check_valid(result: MatchResult, learners: list[Learner], blocked: set[frozenset[int]]) -> None:
    by_id = {x.user_id: x for x in learners}
    used: dict[int, int] = {}
    seen: set[tuple[int, int]] = set()
    total = 0
    for b, f, s in result.pairs:
        lb, lf = by_id[b], by_id[f]
        assert lb.track == "backend" and lf.track == "frontend"
        assert compatible(lb, lf, blocked), "incompatible or blocked pair chosen"
        assert (b, f) not in seen, "duplicate pair"
        seen.add((b, f))
        assert s == score_pair(lb, lf, now=NOW).score > 0, "zero-score or wrong score"
        used[b] = used.get(b, 0) + 1
        used[f] = used.get(f, 0) + 1
        total += s
    assert total == result.total_score
    for uid, n in used.items():
        assert n <= by_id[uid].capacity, "capacity exceeded"
    for x in learners:
        if x.user_id not in used:
            assert result.unmatched.get(x.user_id), f"{x.user_id} unmatched without a reason"
        else:
            assert x.user_id not in result.unmatched


# ------------------------------------------------------------------------------------------------ hard rules


def test_compatible_rules() -> None:
    b, f = mk(1, "backend"), mk(2, "frontend")
    assert compatible(b, f) and compatible(f, b)
    assert not compatible(b, mk(3, "backend"))  # same track
    assert not compatible(b, mk(4, "frontend", project="ecommerce"))  # other project
    assert not compatible(b, f, {frozenset((1, 2))})  # blocked
    assert compatible(b, f, {frozenset((1, 3))})
    ob = mk(5, "backend", project="other", title="  Chat   App ")
    assert compatible(ob, mk(6, "frontend", project="other", title="chat app"))
    assert not compatible(ob, mk(7, "frontend", project="other", title="Quiz"))
    assert not compatible(ob, mk(8, "frontend", project="other", title=None))
    assert not compatible(mk(9, "backend", project="other", title=""), mk(10, "frontend", project="other", title=""))
    assert not compatible(ob, mk(11, "frontend", project="job-board"))


# ------------------------------------------------------------------------------------------------ scores


def test_score_and_reasons() -> None:
    alice = mk(1, "backend", avail="weekdays 18-22", offers={"graphql"}, wants={"react"}, stack={"rest"}, name="alice")
    bob = mk(
        2,
        "frontend",
        avail="mon/tue/wed 19-22",
        tz="Africa/Nairobi",
        offers={"react", "typescript"},
        wants={"graphql"},
        stack={"rest"},
        name="bob",
    )
    br = score_pair(alice, bob, viewer=alice, now=NOW)
    # overlap: Mon-Wed 19-21 Lagos time (Nairobi is 2 h ahead) = 6 h → 50*360//600 = 30
    assert br.overlap_minutes == 360
    assert br.score == 30 + 6 + 6 + 10 + 16 * (720 - 120) // 720
    assert br.reasons == (
        "6 h/week overlap",
        "bob offers react, you want react",
        "you offer graphql, bob wants graphql",
        "both prefer REST",
        "2 h apart",
    )
    seen_by_bob = score_pair(alice, bob, viewer=bob, now=NOW)
    assert seen_by_bob.score == br.score
    assert seen_by_bob.reasons[1] == "alice offers graphql, you want graphql"
    neutral = score_pair(alice, bob, now=NOW).reasons
    assert "alice offers graphql, bob wants graphql" in neutral
    with pytest.raises(ValueError):
        score_pair(alice, bob, viewer=mk(3), now=NOW)


def test_score_zero_without_shared_hour() -> None:
    a = mk(1, "backend", avail="mon 9-10")
    b = mk(2, "frontend", avail="mon 9:30-11")
    br = score_pair(a, b, now=NOW)
    assert br.score == 0 and br.overlap_minutes == 30
    assert br.reasons[0] == "only 30 min/week of shared free time"
    assert score_pair(a, mk(3, "frontend", avail="tue 9-10"), now=NOW).reasons[0] == "no shared free time"


def test_score_range_symmetry_and_matrix_agree() -> None:
    rng = random.Random(7)
    backs = [random_learner(rng, i, "backend", projects=["job-board"], max_cap=3) for i in range(40)]
    fronts = [random_learner(rng, 100 + i, "frontend", projects=["job-board"], max_cap=3) for i in range(40)]
    m = score_matrix(backs, fronts, now=NOW)
    for i, b in enumerate(backs):
        for j, f in enumerate(fronts):
            s = score_pair(b, f, now=NOW)
            assert 0 <= s.score <= 100
            assert s.score == score_pair(f, b, now=NOW).score
            assert m[i, j] == s.score
    assert m.max() > 0
    full = mk(1, "backend", avail="daily 0-24", offers={"a", "b"}, wants={"c", "d"}, stack={"rest"})
    twin = mk(2, "frontend", avail="daily 0-24", offers={"c", "d"}, wants={"a", "b"}, stack={"rest"})
    assert score_pair(full, twin, now=NOW).score == 100


def test_time_zone_distance_uses_current_offsets() -> None:
    a = mk(1, "backend", tz="Europe/London", avail="daily 0-24")
    b = mk(2, "frontend", tz="Africa/Lagos", avail="daily 0-24")
    winter = score_pair(a, b, now=datetime(2026, 1, 14, tzinfo=UTC))
    summer = score_pair(a, b, now=datetime(2026, 7, 14, tzinfo=UTC))
    assert winter.reasons[-1] == "1 h apart" and summer.reasons[-1] == "same UTC offset"
    assert summer.score == winter.score + 16 - 16 * 660 // 720


def test_suggest() -> None:
    me = mk(1, "backend", offers={"graphql"}, wants={"react"})
    good = mk(2, "frontend", offers={"react"}, wants={"graphql"})
    ok = mk(3, "frontend")
    blocked = mk(4, "frontend", offers={"react"}, wants={"graphql"})
    other_project = mk(5, "frontend", project="ecommerce")
    no_time = mk(6, "frontend", avail="sat 3-4")
    res = suggest(me, [ok, blocked, other_project, no_time, good, me], blocked=[frozenset((1, 4))], now=NOW)
    assert [x.user_id for x, _ in res] == [2, 3]
    assert res[0][1].score > res[1][1].score
    assert suggest(me, [ok, good], limit=1, now=NOW)[0][0].user_id == 2


# ------------------------------------------------------------------------------------------------ assignment


@pytest.mark.parametrize("dense_limit", [2500, 0])
def test_optimal_equals_brute_force(dense_limit: int) -> None:
    rng = random.Random(20260112 + dense_limit)
    instances = 220 if dense_limit else 120
    for _ in range(instances):
        learners, blocked = random_instance(rng)
        result = optimal_matching(learners, blocked, dense_limit=dense_limit, now=NOW)
        check_valid(result, learners, blocked)
        assert result.total_score == brute_force_total(learners, blocked), result


def test_baselines_valid_and_not_better() -> None:
    rng = random.Random(99)
    for _ in range(60):
        learners, blocked = random_instance(rng)
        opt = optimal_matching(learners, blocked, now=NOW)
        for res in (greedy_matching(learners, blocked, now=NOW), gale_shapley_matching(learners, blocked, now=NOW)):
            check_valid(res, learners, blocked)
            assert res.total_score <= opt.total_score


def test_no_double_pairing_through_two_slots() -> None:
    b = mk(1, "backend", cap=3)
    f = mk(2, "frontend", cap=3)
    res = optimal_matching([b, f], now=NOW)
    assert len(res.pairs) == 1 and res.pairs[0][:2] == (1, 2)
    b2 = mk(3, "backend", cap=2, avail="mon 18-19")
    res = optimal_matching([b, f, b2], now=NOW)
    assert sorted(p[:2] for p in res.pairs) == [(1, 2), (3, 2)]
    assert "milp" in res.method


def test_order_independent_and_deterministic() -> None:
    rng = random.Random(5)
    learners, blocked = random_instance(rng, max_side=30, projects=["job-board"])
    a = optimal_matching(learners, blocked, now=NOW)
    b = optimal_matching(list(reversed(learners)), blocked, now=NOW)
    assert a == b


def test_sparse_path_close_to_dense_on_mid_size() -> None:
    rng = random.Random(42)
    learners = [random_learner(rng, i, "backend", projects=["ecommerce"], max_cap=1) for i in range(500)]
    learners += [random_learner(rng, 1000 + i, "frontend", projects=["ecommerce"], max_cap=3) for i in range(250)]
    dense = optimal_matching(learners, now=NOW)
    sparse = optimal_matching(learners, dense_limit=50, now=NOW)
    assert dense.method == "dense-lsa×1" and sparse.method == "sparse-top10-proven×1"
    check_valid(dense, learners, set())
    check_valid(sparse, learners, set())
    assert sparse.total_score == dense.total_score  # column generation proves the optimum


def test_pricing_reaches_optimum_from_tiny_candidate_lists() -> None:
    """top_k=1 leaves most good pairs out of the first graph; pricing must add them back."""
    rng = random.Random(11)
    learners = [random_learner(rng, i, "backend", projects=["ecommerce"], max_cap=2) for i in range(150)]
    learners += [random_learner(rng, 1000 + i, "frontend", projects=["ecommerce"], max_cap=3) for i in range(90)]
    blocked = {frozenset((i, 1000 + j)) for i in range(0, 150, 7) for j in range(0, 90, 5)}
    dense = optimal_matching(learners, blocked, dense_limit=10**6, now=NOW)
    priced = optimal_matching(learners, blocked, dense_limit=0, top_k=1, now=NOW)
    check_valid(dense, learners, blocked)
    check_valid(priced, learners, blocked)
    assert "sparse-top1" in priced.method
    assert priced.total_score == dense.total_score


def test_default_limits_route_mid_size_bucket_to_proven_sparse() -> None:
    """Above ``dense_limit`` (default 1,000 slots) the bucket goes sparse and is still proven optimal."""
    rng = random.Random(8)
    learners = [random_learner(rng, i, "backend", projects=["job-board"], max_cap=1) for i in range(1100)]
    learners += [random_learner(rng, 5000 + i, "frontend", projects=["job-board"], max_cap=3) for i in range(500)]
    res = optimal_matching(learners, now=NOW)
    assert res.method == "sparse-top10-proven×1"
    check_valid(res, learners, set())


def test_remaining_capacity_and_reasons() -> None:
    b1 = mk(1, "backend", name="b1")
    b2 = mk(2, "backend", name="b2")
    f1 = mk(3, "frontend", cap=2, name="f1")
    lonely = mk(4, "backend", project="movie-recommendation")
    night = mk(5, "backend", avail="sat 3-4")
    blocked_b = mk(6, "backend", project="online-poll-system")
    poll_f = mk(7, "frontend", project="online-poll-system")
    busy_f = mk(8, "frontend", project="social-media-feed")
    social_b = mk(9, "backend", project="social-media-feed")
    no_title = mk(10, "frontend", project="other", title=" ")
    b3 = mk(11, "backend")
    learners = [b1, b2, f1, lonely, night, blocked_b, poll_f, busy_f, social_b, no_title, b3]
    res = optimal_matching(learners, blocked=[frozenset((6, 7))], remaining_capacity={8: 0}, now=NOW)
    check_valid(res, learners, {frozenset((6, 7))})
    assert len(res.pairs) == 2 and all(f == 3 for _, f, _ in res.pairs)
    assert res.unmatched[4] == "no Frontend learner on Movie Recommendation is looking for a partner yet"
    assert res.unmatched[5] == "no Frontend learner on Job Board is free at the same times (≥ 1 h/week)" or (
        res.unmatched[5] == "all compatible partners are at capacity"
    )
    assert res.unmatched[6] == "every Frontend learner on Online Poll System was declined, unpaired or blocked"
    assert res.unmatched[7] == "every Backend learner on Online Poll System was declined, unpaired or blocked"
    assert res.unmatched[8] == "already has as many partners as they asked for"
    assert res.unmatched[9] == "all compatible partners are at capacity"
    assert res.unmatched[10] == "no custom project title set"
    left = [u for u in (1, 2, 11) if u in res.unmatched]
    assert len(left) == 1 and res.unmatched[left[0]] == "all compatible partners are at capacity"


def test_no_shared_time_reason() -> None:
    b = mk(1, "backend", avail="sat 3-4")
    f = mk(2, "frontend")
    res = optimal_matching([b, f], now=NOW)
    assert res.pairs == ()
    assert res.unmatched[1] == "no Frontend learner on Job Board is free at the same times (≥ 1 h/week)"
    assert res.unmatched[2] == "no Backend learner on Job Board is free at the same times (≥ 1 h/week)"


def test_duplicate_ids_rejected_and_empty_input() -> None:
    with pytest.raises(ValueError):
        optimal_matching([mk(1), mk(1)], now=NOW)
    empty = optimal_matching([], now=NOW)
    assert empty.pairs == () and empty.unmatched == {} and empty.total_score == 0


def test_large_bucket_vectorised_scores_match() -> None:
    rng = random.Random(3)
    backs = [random_learner(rng, i, "backend", projects=["ecommerce"], max_cap=1) for i in range(120)]
    fronts = [random_learner(rng, 500 + i, "frontend", projects=["ecommerce"], max_cap=2) for i in range(60)]
    m = score_matrix(backs, fronts, now=NOW)
    expected = np.array([[score_pair(b, f, now=NOW).score for f in fronts] for b in backs])
    assert (m == expected).all()


def test_suggest_on_a_large_pool_equals_scoring_everyone_one_by_one() -> None:
    import random as _random

    from bot.services import matching as m

    rng = _random.Random(3)
    zones = ["Africa/Lagos", "Europe/London", "America/New_York", "Asia/Kolkata"]
    texts = ["weekdays 18-22", "sat 10-14", "daily 7-9", "weekends 12-18, wed 19-21"]
    week = date(2026, 12, 7)

    def learner(i: int, track: str) -> m.Learner:
        zone = rng.choice(zones)
        return m.Learner(
            user_id=i,
            track=track,  # type: ignore[arg-type]
            project="ecommerce",
            custom_title=None,
            tz_name=zone,
            windows=parse_availability(rng.choice(texts), ZoneInfo(zone), week),
            offers=frozenset(rng.sample(["django", "react", "graphql", "docker"], 2)),
            wants=frozenset(rng.sample(["django", "react", "graphql", "docker"], 1)),
            stack=frozenset(rng.sample(["rest", "graphql"], 1)),
        )

    me = learner(0, "backend")
    others = [learner(i, "frontend") for i in range(1, 400)]
    now = datetime(2026, 12, 8, 12, tzinfo=UTC)
    fast = m.suggest(me, others, limit=5, now=now)
    slow = sorted(
        ((o, m.score_pair(me, o, viewer=me, now=now)) for o in others),
        key=lambda t: (-t[1].score, -t[1].overlap_minutes, t[0].user_id),
    )
    slow = [t for t in slow if t[1].score > 0][:5]
    assert [(o.user_id, b) for o, b in fast] == [(o.user_id, b) for o, b in slow]
