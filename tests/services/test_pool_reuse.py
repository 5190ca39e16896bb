"""A suggestion pool rebuilt with nothing changed hands back the learners it built before (no building on the event
loop, no garbage); whatever a learner is built from changing (their profile, their announcement, their name, the
week) builds them again, and the rebuilt pool says what is stored now. On a real migrated database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.services import pairing
from bot.services.catalog import CatalogService
from bot.services.matching.core import Someone
from bot.services.matching.service import MatchingService
from db.database import Database
from db.stores._values import RowMemo
from tests.services.test_matching_service import COHORT, GUILD, NOW, Directory, learner


@pytest.fixture
def service(db: Database) -> MatchingService:
    return MatchingService(db, ManualClock(NOW), CatalogService(db))


async def pool_by_id(service: MatchingService, directory: Directory, when: datetime = NOW) -> dict[int, Someone]:
    found, _ = await service.pool(directory, COHORT, when, "ecommerce", "frontend", include_paused=True)
    return {s.user_id: s for s in found}


async def test_an_unchanged_learner_is_reused_and_a_changed_one_rebuilt(service: MatchingService) -> None:
    directory = Directory()
    for user_id in (1, 2, 3):
        await learner(service, directory, user_id, "frontend")
    first = await pool_by_id(service, directory)
    again = await pool_by_id(service, directory)
    assert set(first) == {1, 2, 3}
    assert all(again[u] is first[u] for u in first)

    # 2 changes their availability, 3 their display name: only they are built again, with what is stored now.
    await service.store.join(pairing.default_profile(GUILD, 2, None, NOW), NOW, availability_text="sat 10-12")
    directory.names[3] = "renamed"
    changed = await pool_by_id(service, directory)
    assert changed[1] is first[1]
    profile = changed[2].profile
    assert changed[2] is not first[2] and profile is not None and profile.availability_text == "sat 10-12"
    assert changed[3] is not first[3] and changed[3].name == "renamed"

    # Next week availability is read in that week's offsets: everyone is built again.
    next_week = await pool_by_id(service, directory, NOW + timedelta(days=7))
    assert all(next_week[u] is not changed[u] for u in changed)


def test_row_memo_gives_the_same_object_for_the_same_values_and_starts_over_when_full() -> None:
    built: list[tuple[int, str]] = []

    def build(row: tuple[int, str]) -> list[object]:
        built.append(row)
        return [row]

    memo: RowMemo[list[object]] = RowMemo(build, size=2)
    a = memo((1, "a"))
    assert memo((1, "a")) is a and built == [(1, "a")]
    assert memo((1, "b")) is not a  # another value of a column: another object
    memo((2, "c"))  # a third row: the memo started over
    assert memo((1, "a")) is not a and len(built) == 4


def test_row_memo_keeps_no_row_values_and_never_mixes_rows() -> None:
    memo: RowMemo[list[object]] = RowMemo(lambda row: [row], ident=lambda row: row[0])
    first = memo((1, "2026-12-08T10:00:00+00:00"))
    assert memo((1, "2026-12-08T10:00:00+00:00")) is first
    assert memo((1, "2026-12-08T10:05:00+00:00")) is not first  # the row changed: built again
    assert memo((2, "2026-12-08T10:00:00+00:00")) is not first  # another row, whatever its values
    # Kept by (identity, hash of the values): not by the values (their text held ~600 bytes a row beside the object).
    assert all(isinstance(h, int) for _, h in memo._built)


async def test_kept_rows_share_their_repeated_values(service: MatchingService) -> None:
    """A pool's thousand learners share one copy of a zone, an availability, a tag list, a tag set and a stack set
    (the driver hands out a fresh string per row): what kept the suggestion pools at ~17 MB for 4k learners."""
    directory = Directory()
    for user_id in (1, 2):
        await learner(service, directory, user_id, "frontend")
        await service.store.join(
            pairing.default_profile(GUILD, user_id, None, NOW), NOW, timezone="Africa/Lagos", offers=("react", "css")
        )
    one, two = (await pool_by_id(service, directory)).values()
    assert one.profile is not None and two.profile is not None and one.profile is not two.profile
    assert one.profile.availability_json is two.profile.availability_json
    assert one.profile.timezone is two.profile.timezone
    assert one.profile.offers is two.profile.offers
    assert one.announcement.project_key is two.announcement.project_key
    assert one.learner.offers is two.learner.offers and one.learner.stack is two.learner.stack
    # Shared, not mixed: each is still built from its own rows.
    assert (one.user_id, two.user_id) == (1, 2) and one.learner.offers == {"react", "css"}
