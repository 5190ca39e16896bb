"""Issue 13: "may A pair with B?" is one rule. A request, an Accept, a suggestion and a round refuse or skip
the same pairs (a blocked pair, two learners on the same track, a learner at capacity), on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.errors import Conflict, InvalidInput, UserError
from bot.services.catalog import CatalogService
from bot.services.matching.rules import Purpose, pair_problem
from bot.services.matching.service import MatchingService, MatchRequest
from db.database import Database
from db.stores.matching import NewPair
from tests.services.test_matching_service import COHORT, GUILD, NOW, Directory, ask, learner, learners


@pytest.fixture
def service(db: Database) -> MatchingService:
    return MatchingService(db, ManualClock(NOW), CatalogService(db))


@pytest.fixture
def directory() -> Directory:
    return Directory()


async def stored_request(service: MatchingService, requester: int, addressee: int) -> MatchRequest:
    """A pending request as if sent before the situation changed (the rule is not asked when it is stored)."""
    request = await service.store.create_request(GUILD, requester, addressee, "command", NOW, NOW + timedelta(days=3))
    assert request is not None
    return request


async def paths(
    service: MatchingService, directory: Directory, me: int, them: int
) -> tuple[type[UserError] | None, type[UserError] | None, bool, bool]:
    """What each path does with the pair (me, them): the request's error, the accept's error, whether `them` is
    among `me`'s suggestions, whether a round pairs them."""
    request_error: type[UserError] | None = None
    try:
        await ask(service, directory, me, them)
    except UserError as error:
        request_error = type(error)
    accept_error: type[UserError] | None = None
    pending = await service.store.pending_between(GUILD, them, me) or await stored_request(service, them, me)
    try:
        await service.accept(directory, COHORT, pending, NOW)
    except UserError as error:
        accept_error = type(error)
    suggested = them in {s.user_id for s, _ in (await service.suggestions(directory, COHORT, me)).found}
    plan = await service.plan_round(directory, COHORT, None, NOW)
    paired = any({b, f} == {me, them} for b, f, _ in plan.result.pairs)
    return request_error, accept_error, suggested, paired


async def test_a_blocked_pair_is_refused_by_request_and_accept_and_skipped_by_suggest_and_round(
    service: MatchingService, directory: Directory
) -> None:
    await learners(service, directory, "backend", "frontend", "frontend")
    blocked = await ask(service, directory, 2, 1)
    await service.store.block_requester(blocked, 1, NOW)  # 1 blocked 2
    # 2's stored request to 1 is closed by the block; a fresh one stands for "sent just before".
    assert await paths(service, directory, 1, 2) == (Conflict, Conflict, False, False)
    # Control: 3 (same project, other track, no block) is suggested to 1 and paired with 1 by the round.
    assert [s.user_id for s, _ in (await service.suggestions(directory, COHORT, 1)).found] == [3]
    plan = await service.plan_round(directory, COHORT, None, NOW)
    assert [(b, f) for b, f, _ in plan.result.pairs] == [(1, 3)]


async def test_two_learners_on_the_same_track_are_refused_and_never_proposed(
    service: MatchingService, directory: Directory
) -> None:
    await learners(service, directory, "backend", "backend", "frontend")
    assert await paths(service, directory, 1, 2) == (InvalidInput, InvalidInput, False, False)


async def test_a_learner_at_capacity_is_refused_and_skipped_on_every_path(
    service: MatchingService, directory: Directory
) -> None:
    await learners(service, directory, "backend", "frontend", "backend")
    request = await stored_request(service, 3, 2)
    await service.store.accept_request(request.id, 2, NewPair(GUILD, 3, 2, "ecommerce", 50, "overlap"), NOW)
    # 2 (one slot) is taken by 3: 1 can neither ask nor be accepted by 2, nor be proposed 2.
    assert await paths(service, directory, 1, 2) == (Conflict, Conflict, False, False)


async def test_the_rule_is_the_solver_input() -> None:
    """The round's exclusions are exactly the pairs the rule's stored part refuses for a round."""
    from bot.services.matching.rules import Link, Links
    from db.stores.matching import Block

    block = Block(GUILD, 1, 2, "blocked", 1, NOW)
    links = Links({frozenset((1, 2)): block}, frozenset({frozenset((3, 4))}), frozenset({frozenset((5, 6))}))
    assert links.excluded(Purpose.ROUND) == {frozenset((1, 2)), frozenset((3, 4)), frozenset((5, 6))}
    # A recent decline does not stop an explicit request here (the request limits word its cooldown).
    assert links.excluded(Purpose.REQUEST) == {frozenset((1, 2)), frozenset((5, 6))}
    assert Link().block is None and pair_problem.__name__ == "pair_problem"


async def test_join_parses_every_option_in_the_service_and_names_each_mistake(
    service: MatchingService, directory: Directory
) -> None:
    """Issue 13: /match join's options are parsed by the service (the cog passes them as typed)."""
    await learner(service, directory, 1, "backend")
    with pytest.raises(InvalidInput) as error:
        await service.join(directory, COHORT, 1, timezone="Mars/Olympus", availability="weekdayz 18-22")
    assert len(str(error.value).splitlines()) == 2
    joined = await service.join(
        directory, COHORT, 1, timezone="WAT", availability="weekdays 18-22", offers="django", max_partners=2
    )
    assert joined.profile.timezone == "Africa/Lagos" and joined.profile.offers == ("django",)
    assert joined.profile.max_partners == 2 and joined.capacity_changed and not joined.defaulted
