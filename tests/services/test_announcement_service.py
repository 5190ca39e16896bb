"""AnnouncementService on a real migrated SQLite file: the /project rules and the first week, without Discord."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.errors import Conflict, InvalidInput, NotConfigured, NotFound
from bot.services.container import Services
from db.database import Database

COHORT = date(2026, 12, 1)
GUILD = 9
CHANNEL = 500


def day(n: int, hour: int = 12) -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=n - 1, hours=hour)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with Database(tmp_path / "n.db") as db:
        await db.migrate()
        svc = Services.build(db, ManualClock(day(2)))
        await svc.cohort.update(
            GUILD, day(1), channel_id=CHANNEL, cohort_start=COHORT, first_week_days=7, digest_hour=9
        )
        yield svc


def draft(services: Services, title: str = "Shop", **over: object) -> object:
    values: dict[str, object] = dict(
        project="ecommerce",
        title=title,
        summary="Building a shop",
        track=None,
        stack="Django, DRF",
        repo=None,
        timezone=None,
        looking_for_partner=True,
    )
    values.update(over)
    return services.announcements.draft(**values)  # type: ignore[arg-type]


async def announce(services: Services, user_id: int, tracks: tuple[str, ...] = ("backend",), **over: object) -> int:
    svc = services.announcements
    outcome = await svc.announce(GUILD, user_id, f"user{user_id}", tracks, draft(services, **over))  # type: ignore[arg-type]
    await svc.posted(outcome.post.announcement.id, CHANNEL, 1000 + user_id, outcome.post.looking)
    svc.done_posting(outcome.post.announcement.id)
    return outcome.post.announcement.id


async def test_announce_rules(services: Services) -> None:
    svc = services.announcements
    with pytest.raises(InvalidInput):
        draft(services, title="   ")
    outcome = await svc.announce(GUILD, 1, "ada", ("frontend",), draft(services))  # type: ignore[arg-type]
    a = outcome.post.announcement
    assert (a.project_key, a.track, a.late, a.stack, outcome.retry) == (
        "ecommerce",
        "frontend",
        False,
        ("Django", "DRF"),
        False,
    )
    assert outcome.post.looking and outcome.post.project is not None
    # Still posting: a second try is refused, not finished twice.
    with pytest.raises(Conflict):
        await svc.announce(GUILD, 1, "ada", ("frontend",), draft(services, title="Second"))  # type: ignore[arg-type]
    svc.done_posting(a.id)
    # Cut short before its post: the retry finishes the first one.
    retry = await svc.announce(GUILD, 1, "ada", ("frontend",), draft(services, title="Second"))  # type: ignore[arg-type]
    assert retry.retry and retry.post.announcement.id == a.id and retry.post.announcement.title == "Shop"
    await svc.posted(a.id, CHANNEL, 77, True)
    # Posted: one announcement per learner.
    with pytest.raises(Conflict, match="One announcement per cohort"):
        await svc.announce(GUILD, 1, "ada", ("frontend",), draft(services))  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="not a project in the catalog"):
        await svc.announce(GUILD, 2, "bo", ("backend",), draft(services, project="no such thing at all"))  # type: ignore[arg-type]


async def test_announce_unconfigured_and_late(services: Services, tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        await services.announcements.announce(GUILD + 1, 1, "ada", (), draft(services))  # type: ignore[arg-type]
    services.clock.at = day(9)  # type: ignore[attr-defined]
    outcome = await services.announcements.announce(GUILD, 3, "cy", ("backend",), draft(services))  # type: ignore[arg-type]
    assert outcome.post.announcement.late


async def test_post_failed_lets_the_learner_try_again(services: Services) -> None:
    svc = services.announcements
    outcome = await svc.announce(GUILD, 1, "ada", ("backend",), draft(services))  # type: ignore[arg-type]
    await svc.post_failed(outcome.post.announcement.id)
    svc.done_posting(outcome.post.announcement.id)
    again = await svc.announce(GUILD, 1, "ada", ("backend",), draft(services))  # type: ignore[arg-type]
    assert not again.retry


async def test_edit_withdraw_show(services: Services) -> None:
    svc = services.announcements
    with pytest.raises(InvalidInput, match="Nothing to change"):
        svc.edit_values(None, None, None, None, None, None, None, has_project=False)
    values, _ = svc.edit_values(None, None, "New summary", "-", None, None, False, has_project=False)
    with pytest.raises(NotFound, match="/project announce"):
        await svc.edit(GUILD, 1, "ada", None, values)
    await announce(services, 1)
    _, edited = await svc.edit(GUILD, 1, "Ada L", None, values)
    assert (edited.summary, edited.stack, edited.looking_for_partner, edited.display_name) == (
        "New summary",
        (),
        False,
        "Ada L",
    )
    shown = await svc.show(GUILD, 1, own=True, name="Ada")
    assert shown.announcement.id == edited.id and not shown.looking
    with pytest.raises(NotFound, match="Bo hasn't announced"):
        await svc.show(GUILD, 2, own=False, name="Bo")
    existing = await svc.withdraw_check(GUILD, 1)
    withdrawn = await svc.withdraw(existing.id)
    assert not withdrawn.active
    with pytest.raises(NotFound, match="already withdrawn"):
        await svc.withdraw(existing.id)
    with pytest.raises(NotFound, match="no active announcement"):
        await svc.withdraw_check(GUILD, 1)
    # Withdrawn: the learner may announce again.
    await announce(services, 1)


async def test_list_and_board(services: Services) -> None:
    svc = services.announcements
    for uid in range(1, 13):
        await announce(services, uid, ("backend",) if uid % 2 else ("frontend",), looking_for_partner=uid != 12)
    query = await svc.list_query(GUILD, None, "backend", None)
    assert query.description == "all projects, Backend"
    page = await svc.list_page(query, 5)
    assert (page.total, page.pages, page.page, len(page.rows)) == (6, 1, 0, 6)
    everyone = await svc.list_page(await svc.list_query(GUILD, "ecommerce", None, True), 1)
    assert (everyone.total, everyone.pages, everyone.page, len(everyone.rows)) == (11, 2, 1, 1)
    board = await svc.board(GUILD, set(range(1, 21)))
    assert board.total_looking == 11
    assert sorted(uid for uids in board.looking.values() for uid in uids) == list(range(1, 12))
    assert "12 of 20 learners announced, 6 days left" in board.progress


async def test_first_week_reminders_who_when_and_opt_out(services: Services) -> None:
    svc = services.announcements
    settings = await services.cohort.settings(GUILD)
    assert settings is not None
    assert svc.reminder_due(settings, day(2)) is None
    assert svc.reminder_due(settings, day(3, 10)) == "day3"
    svc.reminders_planned(settings, "day3")
    assert svc.reminder_due(settings, day(3, 11)) is None
    assert svc.reminder_due(settings, day(7, 10)) == "last"
    assert svc.reminder_due(settings, day(8, 10)) is None
    await announce(services, 1)
    await svc.set_reminders(GUILD, 2, False)
    assert await svc.reminder_targets(GUILD, COHORT, {1, 2, 3, 4}) == [3, 4]
    services.clock.at = day(3, 10)  # type: ignore[attr-defined]
    payload = {"guild_id": GUILD, "user_id": 3, "cohort_start": COHORT.isoformat(), "kind": "day3"}
    dm = await svc.reminder(payload, is_learner=True)
    assert dm is not None and (dm.day_number, dm.channel_id) == (3, CHANNEL)
    assert await svc.reminder(payload, is_learner=True) is None  # claimed once
    await svc.reminder_finished(payload, "Forbidden: closed DMs")
    # A failed DM is final for this cohort.
    assert await svc.reminder_targets(GUILD, COHORT, {3, 4}) == [4]
    assert await svc.reminder({**payload, "user_id": 2}, is_learner=True) is None  # opted out
    assert await svc.reminder({**payload, "user_id": 1}, is_learner=True) is None  # announced
    assert await svc.reminder({**payload, "user_id": 5}, is_learner=False) is None  # not a learner
    await svc.set_reminders(GUILD, 2, True)
    assert await svc.reminder({**payload, "user_id": 2}, is_learner=True) is not None


async def test_digest_plans_and_figures(services: Services) -> None:
    svc = services.announcements
    settings = await services.cohort.settings(GUILD)
    assert settings is not None
    plans = svc.digest_plans(settings, day(2, 12))
    assert [p.payload["day"] for p in plans] == [f"2026-12-0{n}" for n in range(3, 8)]
    assert plans[0].dedupe_key == f"digest:{GUILD}:2026-12-03:09"
    assert svc.digest_plans(settings, day(2, 12)) == []  # planned once
    await announce(services, 1)
    await announce(services, 2, ("frontend",))
    services.clock.at = day(3, 9)  # type: ignore[attr-defined]
    due = await svc.digest_due(plans[0].payload, plans[0].due_at)
    assert due is not None
    cohort, when = due
    assert when == date(2026, 12, 3)
    digest = await svc.digest(cohort, when, {1, 2, 3, 4})
    assert digest is not None
    assert digest.content.title == "First week — day 3 of 7"
    assert digest.content.new_heading == "New since the last digest (2)"
    assert "<@1>" in digest.content.new_text and "2 of 4 learners announced" in digest.content.progress
    assert await svc.digest(cohort, when, {1}) is None  # claimed once
    # A digest a day late is covered by the next one.
    services.clock.at = day(5, 9)  # type: ignore[attr-defined]
    assert await svc.digest_due(plans[1].payload, plans[1].due_at) is None
    # Settings changed since planning: the job is skipped.
    await services.cohort.update(GUILD, day(5), digest_hour=10)
    assert await svc.digest_due(plans[2].payload, plans[2].due_at) is None


async def test_ticker_reads_settings_at_most_every_30_seconds(services: Services) -> None:
    svc = services.announcements
    assert [s.guild_id for s in await svc.planned_guilds()] == [GUILD]
    await services.cohort.store.update(GUILD + 1, day(1), channel_id=CHANNEL, cohort_start=COHORT)
    assert [s.guild_id for s in await svc.planned_guilds()] == [GUILD]  # cached
    svc.settings_changed()
    assert sorted(s.guild_id for s in await svc.planned_guilds()) == [GUILD, GUILD + 1]
