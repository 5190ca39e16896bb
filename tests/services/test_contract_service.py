"""ContractService on a real migrated database, real pairs and the real worker process that validates uploads."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from bot.clock import ManualClock
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.services.catalog import CatalogService
from bot.services.contracts.diff import ChangeCode
from bot.services.contracts.document import ContractRejected
from bot.services.contracts.paths import NeedState
from bot.services.contracts.service import ContractService, contracts_text, needs_text
from bot.services.contracts.templates import template_bytes
from bot.services.contracts.validation import ValidationPool
from bot.services.matching.service import MatchingService
from db.database import Database

GUILD = 1
ALICE, CAROL, BOB, DAVE = 10, 11, 20, 21  # Backend: alice, carol; Frontend: bob, dave
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def template() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(template_bytes("ecommerce"))
    return data


def upload(spec: dict[str, Any]) -> bytes:
    return json.dumps(spec).encode()


async def pair(db: Database, backend: int, frontend: int, thread: int | None, project: str = "ecommerce") -> None:
    await db.execute(
        "INSERT INTO pairs (guild_id, backend_id, frontend_id, project, thread_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (GUILD, backend, frontend, project, thread, NOW.isoformat()),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def service(db: Database, clock: ManualClock) -> AsyncIterator[ContractService]:
    matching = MatchingService(db, clock, CatalogService(db))
    contracts = ContractService(db, clock, matching)
    try:
        yield contracts
    finally:
        contracts.close()


async def test_publish_stores_versions_with_their_diff_and_threads(
    db: Database, service: ContractService, clock: ManualClock
) -> None:
    await pair(db, ALICE, BOB, 500)
    await pair(db, ALICE, DAVE, None)
    first = await service.publish(GUILD, ALICE, upload(template()), "openapi.json")
    assert first.version.number == 1 and first.diff is None and first.threads == {500: (BOB,)}
    assert first.unthreaded == (DAVE,) and len(first.summary.endpoints) == 20
    await service.record_post(first.contract.id, 500, 9000, True)

    changed = template()
    del changed["paths"]["/api/orders/{id}/pay/"]
    clock.at = NOW + timedelta(hours=2)
    second = await service.publish(GUILD, ALICE, yaml.safe_dump(changed).encode(), "schema.yml")
    assert second.version.number == 2 and second.version.format == "yaml" and second.version.breaking == 1
    assert second.diff is not None and second.diff.codes == [ChangeCode.ENDPOINT_REMOVED]
    assert second.posts[500].message_id == 9000 and second.posts[500].pinned
    assert second.version.changes[0].text == "`POST /api/orders/{id}/pay/` was removed"
    contract, head, summary = await service.latest_summary(GUILD, ALICE)
    assert head.number == 2 and contract.id == first.contract.id and len(summary.endpoints) == 19


async def test_who_may_publish_and_state_needs(db: Database, service: ContractService) -> None:
    with pytest.raises(NotFound, match="You have no partner yet"):
        await service.publish(GUILD, ALICE, upload(template()), "openapi.json")
    await pair(db, ALICE, BOB, 500)
    with pytest.raises(Forbidden, match="Only the Backend partner publishes"):
        await service.publish(GUILD, BOB, upload(template()), "openapi.json")
    with pytest.raises(Forbidden, match="is for the Frontend partner"):
        await service.add_need(GUILD, ALICE, "GET", "/api/cart/")
    with pytest.raises(NotFound):
        await service.add_need(GUILD, CAROL, "GET", "/api/cart/")
    assert await db.fetchval("SELECT COUNT(*) FROM api_contracts") == 0


async def test_a_refused_upload_stores_nothing(db: Database, service: ContractService) -> None:
    await pair(db, ALICE, BOB, 500)
    for data, name in [(b"{", "a.json"), (b" " * 1_000_001, "big.json"), (b"openapi: 3.1.0", "notes.txt")]:
        with pytest.raises(ContractRejected):
            await service.publish(GUILD, ALICE, data, name)
    assert await db.fetchval("SELECT COUNT(*) FROM api_contract_versions") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM api_contracts") == 0


async def test_check_upload_refuses_by_reported_size_and_name() -> None:
    with pytest.raises(ContractRejected, match=r"is 5\.0 MB"):
        ContractService.check_upload("api.json", 5_000_000)
    with pytest.raises(ContractRejected, match=r"isn't a `\.json`"):
        ContractService.check_upload("api.zip", 10)
    ContractService.check_upload("API.YAML", 1_000_000)


async def test_needs_match_by_shape_across_partners_and_status(
    db: Database, service: ContractService, clock: ManualClock
) -> None:
    await pair(db, ALICE, BOB, 500)
    await pair(db, CAROL, BOB, 500)  # a team thread: two Backend partners, one Frontend learner
    early = await service.add_need(GUILD, BOB, "get", "/api/products/{product_id}", "detail page")
    assert early.new and [s.state for _, s in early.against] == [NeedState.MISSING, NeedState.MISSING]
    again = await service.add_need(GUILD, BOB, "GET", "/api/products/{pk}/", "")
    # The same method and path shape is the same need, however it is spelled (the first spelling is kept).
    assert not again.new and again.need.note == "detail page" and again.need.path == "/api/products/{product_id}"
    await service.publish(GUILD, ALICE, upload(template()), "openapi.json")
    wish = await service.add_need(GUILD, BOB, "GET", "/api/wishlist/")
    assert wish.thread_ids == (500,)
    assert [(b, s.state) for b, s in wish.against] == [(ALICE, NeedState.MISSING), (CAROL, NeedState.MISSING)]

    clock.at = NOW + timedelta(days=1)
    contracts = await service.status(GUILD, BOB)
    assert [c.backend_id for c in contracts] == [ALICE, CAROL]
    mine, carols = contracts
    assert mine.latest is not None and mine.latest.number == 1 and mine.endpoint_count == 20
    states = [(s.need.path, s.state) for s in mine.needs[BOB]]
    assert states[0] == ("/api/products/{product_id}", NeedState.MET)
    assert ("/api/wishlist/", NeedState.MISSING) in states
    assert carols.latest is None and all(s.state is NeedState.MISSING for s in carols.needs[BOB])
    assert await service.latest_numbers(GUILD, [ALICE, CAROL]) == {ALICE: 1, CAROL: None}
    with pytest.raises(InvalidInput, match="isn't an HTTP method"):
        await service.add_need(GUILD, BOB, "FETCH", "/api/cart/")
    with pytest.raises(InvalidInput, match="keep it to 200"):
        await service.add_need(GUILD, BOB, "GET", "/api/cart/", "x" * 201)


async def test_path_choices_come_from_the_contract_then_the_template(db: Database, service: ContractService) -> None:
    await pair(db, ALICE, BOB, 500)
    spec = template()
    spec["paths"]["/api/wishlist/"] = {"get": {"responses": {"200": {"description": "OK"}}}}
    await service.publish(GUILD, ALICE, upload(spec), "openapi.json")
    choices = await service.path_choices(GUILD, BOB, "wish", "GET")
    assert choices == ["/api/wishlist/"]
    assert (await service.path_choices(GUILD, BOB, "/api/orders/", "POST"))[0] == "/api/orders/"
    assert await service.path_choices(GUILD, 999, "/api/posts", None)  # unpaired: the templates' shapes


async def test_acknowledge_only_by_the_frontend_partner_and_only_forward(
    db: Database, service: ContractService
) -> None:
    await pair(db, ALICE, BOB, 500)
    await service.publish(GUILD, ALICE, upload(template()), "openapi.json")
    broken = template()
    del broken["paths"]["/api/cart/"]
    published = await service.publish(GUILD, ALICE, upload(broken), "openapi.json")
    [status] = await service.status(GUILD, BOB)
    assert [v.number for v in status.unacknowledged[BOB]] == [2]
    with pytest.raises(Forbidden, match="Only the Frontend partner"):
        await service.acknowledge(published.contract.id, 2, DAVE)
    with pytest.raises(Forbidden):
        await service.acknowledge(published.contract.id, 2, ALICE)
    assert (await service.acknowledge(published.contract.id, 2, BOB)).new
    assert not (await service.acknowledge(published.contract.id, 1, BOB)).new
    [status] = await service.status(GUILD, BOB)
    assert status.unacknowledged[BOB] == []
    with pytest.raises(NotFound):
        await service.acknowledge(12345, 1, BOB)


async def test_two_uploads_checked_at_once_cannot_both_become_the_next_version(
    db: Database, service: ContractService
) -> None:
    await pair(db, ALICE, BOB, 500)
    results = await asyncio.gather(
        service.publish(GUILD, ALICE, upload(template()), "a.json"),
        service.publish(GUILD, ALICE, upload(template()), "b.json"),
        return_exceptions=True,
    )
    numbers = sorted(r.version.number for r in results if not isinstance(r, BaseException))
    refused = [r for r in results if isinstance(r, BaseException)]
    assert numbers == [1] and len(refused) == 1 and isinstance(refused[0], Conflict)
    assert "publish again" in str(refused[0])


async def test_a_check_over_the_timeout_is_refused_and_the_pool_recovers(db: Database, clock: ManualClock) -> None:
    from bench.contracts import big_document

    pool = ValidationPool(timeout=0.01)
    service = ContractService(db, clock, MatchingService(db, clock, CatalogService(db)), pool)
    await pair(db, ALICE, BOB, 500)
    try:
        with pytest.raises(ContractRejected, match="took longer than 0 seconds"):
            await service.publish(GUILD, ALICE, big_document(300_000), "big.json")
        assert await db.fetchval("SELECT COUNT(*) FROM api_contract_versions") == 0
        pool.timeout = 120
        published = await service.publish(GUILD, ALICE, upload(template()), "openapi.json")
        assert published.version.number == 1
    finally:
        service.close()


async def test_templates_and_their_choices() -> None:
    info, data, summary = ContractService.template("social-feed")
    assert info.filename == "social-feed.yaml" and data.startswith(b"openapi") and summary.endpoints
    assert ContractService.template_choices("job") == ["job-board"]
    with pytest.raises(NotFound, match="Did you mean `ecommerce`"):
        ContractService.template("ecomerce")


async def test_counts_for_stats_and_digest_cover_team_threads_and_each_partners_needs(
    db: Database, service: ContractService
) -> None:
    eve = 12
    empty = await service.counts(GUILD)
    assert (empty.contracts, empty.versions, empty.groups, empty.needs_met, empty.needs_missing) == (0, 0, 0, 0, 0)
    assert not empty.any and contracts_text(empty) == "— (none published yet)"
    assert needs_text(empty) == "— (no need listed yet)"
    await pair(db, ALICE, BOB, 500)
    await pair(db, CAROL, BOB, 500)  # bob's team thread: alice and carol
    await pair(db, eve, DAVE, 600)
    await service.publish(GUILD, ALICE, upload(template()), "openapi.json")
    changed = template()
    changed["paths"]["/api/wishlist/"] = {"get": {"responses": {"200": {"description": "OK"}}}}
    await service.publish(GUILD, ALICE, upload(changed), "openapi.json")
    await service.add_need(GUILD, BOB, "GET", "/api/wishlist")  # met by alice's v2, missing from carol (nothing yet)
    await service.add_need(GUILD, BOB, "DELETE", "/api/wishlist/")  # missing from both
    await service.add_need(GUILD, DAVE, "GET", "/api/cart/")  # eve hasn't published
    counts = await service.counts(GUILD)
    assert (counts.contracts, counts.versions) == (1, 2)
    assert (counts.groups, counts.groups_with_contract) == (2, 1)  # the team thread counts once
    assert (counts.needs_met, counts.needs_missing) == (1, 4)
    assert contracts_text(counts) == "1 published (2 versions) · pairs/teams with one: 1 of 2"
    assert needs_text(counts) == "1 met · 4 missing"
    # An ended pairing no longer counts; another guild's contracts never do.
    await db.execute("UPDATE pairs SET status = 'ended' WHERE backend_id = ?", (eve,))
    ended = await service.counts(GUILD)
    assert (ended.groups, ended.needs_missing) == (1, 3)
    assert (await service.counts(GUILD + 1)).contracts == 0
