"""`allowed_partners` (the suggestion pool's filter) decides exactly as `pair_problem`, candidate by candidate:
random pools of learners with every state (left, paused, full, no profile), both tracks, catalog and custom
projects, and stored links (blocks both ways, ended pairings, recent declines, partners), for every purpose."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest

from bot.services.availability import WeeklyWindows
from bot.services.matching.rules import Links, Purpose, allowed_partners, pair_problem
from bot.services.matching.scoring import Learner
from db.stores.matching import Block, MatchProfile

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
PROJECTS = (
    ("ecommerce", None),
    ("job-board", None),
    ("other", "Pet Finder"),
    ("other", " pet  finder "),
    ("other", "Chat"),
)


@dataclass(frozen=True)
class Candidate:
    learner: Learner
    profile: MatchProfile | None


def random_candidate(rng: random.Random, user_id: int) -> Candidate:
    project, title = rng.choice(PROJECTS)
    learner = Learner(
        user_id=user_id,
        track=rng.choice(("backend", "frontend")),
        project=project,
        custom_title=title,
        tz_name="Africa/Lagos",
        windows=WeeklyWindows(()),
        offers=frozenset(),
        wants=frozenset(),
        stack=frozenset(),
    )
    if rng.random() < 0.15:
        return Candidate(learner, None)
    status = rng.choice(("active", "active", "paused", "left"))
    paused_until = rng.choice((None, NOW - timedelta(days=1), NOW + timedelta(days=1))) if status == "paused" else None
    max_partners = rng.randint(1, 3)
    profile = MatchProfile(
        guild_id=1,
        user_id=user_id,
        timezone="Africa/Lagos",
        availability_text="",
        availability_json="[]",
        offers=(),
        wants=(),
        max_partners=max_partners,
        active_pairs=rng.randint(0, max_partners),
        status=status,
        paused_until=paused_until,
        created_at=NOW,
        updated_at=NOW,
    )
    return Candidate(learner, profile)


def random_links(rng: random.Random, me: int, others: list[int]) -> Links:
    blocks: dict[frozenset[int], Block] = {}
    declined: set[frozenset[int]] = set()
    partners: set[frozenset[int]] = set()
    for other in others:
        key = frozenset((me, other))
        roll = rng.random()
        if roll < 0.05:
            blocks[key] = Block(1, me, other, "blocked", rng.choice((me, other)), NOW)
        elif roll < 0.08:
            blocks[key] = Block(1, me, other, "unpaired", None, NOW)
        elif roll < 0.12:
            declined.add(key)
        elif roll < 0.15:
            partners.add(key)
    # links between two others never matter to me
    if len(others) >= 2:
        partners.add(frozenset(others[:2]))
    return Links(blocks, frozenset(declined), frozenset(partners))


@pytest.mark.parametrize("purpose", list(Purpose))
@pytest.mark.parametrize("seed", range(40))
def test_allowed_partners_decides_as_pair_problem(purpose: Purpose, seed: int) -> None:
    rng = random.Random(seed)
    me = random_candidate(rng, 1)
    pool = [random_candidate(rng, user_id) for user_id in range(1, 60)]  # includes me (user 1)
    links = random_links(rng, 1, [c.learner.user_id for c in pool[1:]])
    expected = [
        c
        for c in pool
        if pair_problem(
            me.learner,
            me.profile,
            c.learner,
            c.profile,
            links.link(1, c.learner.user_id),
            NOW,
            purpose,
        )
        is None
    ]
    assert allowed_partners(me.learner, me.profile, pool, links, NOW, purpose) == expected


def test_a_pool_with_someone_allowed_and_someone_refused_for_each_reason() -> None:
    """The random cases above include both outcomes; this one names them."""
    me = random_candidate(random.Random(0), 1).learner
    me = replace(me, track="backend", project="ecommerce", custom_title=None)

    def someone(
        user_id: int, track: Literal["backend", "frontend"] = "frontend", project: str = "ecommerce"
    ) -> Candidate:
        return Candidate(replace(me, user_id=user_id, track=track, project=project), None)

    fine, same_track, other_project, blocked = (
        someone(2),
        someone(3, "backend"),
        someone(4, project="job-board"),
        someone(5),
    )
    links = Links({frozenset((1, 5)): Block(1, 1, 5, "blocked", 5, NOW)})
    pool = [fine, same_track, other_project, blocked]
    assert allowed_partners(me, None, pool, links, NOW, Purpose.SUGGEST) == [fine]
