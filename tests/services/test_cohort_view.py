"""CohortViewService on a real migrated database: what the web and the charts read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench._web_seed import learner_id, seed_cohort
from bot.clock import ManualClock
from bot.errors import NotFound
from bot.services.container import Services
from db.database import Database

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
GUILD = 333_333_333_333_333_333


async def seeded(db: Database) -> Services:
    services = Services.build(db, ManualClock(NOW))
    await services.learning.sync_shipped()
    await seed_cohort(services, GUILD, 30, NOW)
    return services


async def test_pair_health_names_a_partner_who_withdrew_or_left(db: Database) -> None:
    services = await seeded(db)
    before = await services.view.dashboard(GUILD)
    assert before.pairs and {p.health for p in before.pairs} == {"no thread yet"}
    first = await services.matching.store.active_pairs(GUILD)
    await services.matching.set_thread(first[0].id, 42)
    mine = await services.announcements.store.active_for(GUILD, before.progress.cohort.week.start, first[0].backend_id)
    assert mine is not None
    await services.announcements.store.withdraw(mine.id, NOW)
    roster = await services.view.roster_of(GUILD)
    assert roster is not None
    gone = first[1].frontend_id
    await services.view.save_roster(
        GUILD, {e.user_id: (e.name, (e.track or "backend",)) for e in roster.learners if e.user_id != gone}
    )
    health = {p.id: p.health for p in (await services.view.dashboard(GUILD)).pairs}
    assert health[first[0].id] == "partner withdrew" and health[first[1].id] == "partner left"


async def test_not_announced_come_from_the_roster_and_progress_counts_only_learners(db: Database) -> None:
    services = await seeded(db)
    dashboard = await services.view.dashboard(GUILD)
    assert [n for n, _ in dashboard.not_announced] == [f"Learner {n:05d}" for n in range(30) if n % 3 == 2]
    roster = await services.view.roster_of(GUILD)
    assert roster is not None
    only_some = {e.user_id: (e.name, (e.track or "",)) for e in roster.learners if e.user_id != learner_id(GUILD, 0)}
    await services.view.save_roster(GUILD, only_some)  # learner 0 announced, then lost the role
    progress = (await services.view.progress(GUILD)).chart
    assert progress.learners == 29 and progress.announced == 19
    assert progress.track_learners == {"backend": 14, "frontend": 15}


async def test_a_server_not_set_up_is_not_found(db: Database) -> None:
    services = Services.build(db, ManualClock(NOW))
    with pytest.raises(NotFound, match="/api/v1/guilds"):
        await services.view.progress(GUILD)
    assert await services.view.guilds() == []


async def test_pairs_show_their_check_in_answers_kind_and_inactive_partner_from_pair_health(db: Database) -> None:
    services = await seeded(db)
    pairs = await services.matching.store.active_pairs(GUILD)
    assert len(pairs) >= 4
    met, not_yet, quiet, untouched = pairs[:4]
    for n, p in enumerate((met, not_yet, quiet, untouched)):
        await services.matching.set_thread(p.id, 7000 + n)
    health = services.pair_health
    for p in (met, not_yet, quiet):
        fresh = await services.matching.get_pair(p.id)
        assert fresh is not None
        await health.asked(fresh, 3, NOW)
    await health.answer(met.id, 3, met.backend_id, "met")
    await health.answer(not_yet.id, 3, not_yet.frontend_id, "not_yet")
    await health.store.mark_inactive(quiet.id, quiet.frontend_id, NOW)

    dashboard = await services.view.dashboard(GUILD)
    views = {v.id: v for v in dashboard.pairs}
    names = {e.user_id: e.name for e in (await services.view.roster_of(GUILD) or pytest.fail("no roster")).learners}
    assert views[met.id].health == "met" and not views[met.id].needs_attention
    assert views[met.id].checkin == f"day 3: {names[met.backend_id]}: We've met · {names[met.frontend_id]}: no answer"
    assert views[not_yet.id].health == "not met yet"
    assert f"{names[not_yet.frontend_id]}: Not yet" in views[not_yet.id].checkin
    assert views[quiet.id].health == "inactive partner" and views[quiet.id].inactive == names[quiet.frontend_id]
    assert views[quiet.id].needs_attention
    assert views[untouched.id].health == "no check-in yet" and views[untouched.id].checkin == ""
    assert {v.kind for v in dashboard.pairs} == {"partner"}
    assert (dashboard.health.asked, dashboard.health.met, dashboard.health.inactive) == (3, 1, 1)
    assert dashboard.met_rate == "1 of 3 pairs (33%)"
