"""Issue 14: which thread a new pair talks in (teams.team_of), pure."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.matching.teams import team_of
from db.stores.matching import Pair

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)


def pair(pid: int, backend: int, frontend: int, thread: int | None = None) -> Pair:
    return Pair(pid, 7, backend, frontend, "ecommerce", 50, "", "round", 1, None, thread, "active", NOW, None, None)


def test_a_plain_pair_has_its_own_thread_and_a_second_partner_joins_the_hubs_thread() -> None:
    first = pair(1, 10, 20)
    assert team_of(first, [first], [first]).hub_id is None
    # 20 (Frontend) got a second Backend partner; the first pair's thread is open: the new pair joins it.
    opened = pair(1, 10, 20, thread=900)
    second = pair(2, 11, 20)
    team = team_of(second, [second], [opened, second])
    assert (team.hub_id, team.thread_id) == (20, 900)
    assert [p.id for p in team.pairs] == [1, 2]
    # Before any thread is open (a round's pairs, committed together), the hub is known and a thread is opened.
    team = team_of(pair(2, 11, 20), [pair(2, 11, 20)], [pair(1, 10, 20), pair(2, 11, 20)])
    assert (team.hub_id, team.thread_id) == (20, None)
