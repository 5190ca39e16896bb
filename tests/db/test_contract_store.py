"""The API contract store on a real migrated SQLite file: versions, pinned posts, needs, acknowledgements."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import Conflict
from db.database import Database, discover_migrations
from db.stores.contracts import ContractStore, NewVersion, StoredChange

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GUILD = 1000


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "n.db") as database:
        await database.migrate()
        yield database


def version(title: str = "Shop", changes: tuple[StoredChange, ...] = ()) -> NewVersion:
    return NewVersion(
        title=title,
        api_version="1.0.0",
        openapi="3.1.0",
        filename="openapi.json",
        format="json",
        size=42,
        document='{"openapi": "3.1.0"}',
        changes=changes,
    )


async def test_the_migration_creates_the_contract_tables(db: Database) -> None:
    assert await db.fetchval("PRAGMA user_version") == len(discover_migrations())
    tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "api_contracts",
        "api_contract_versions",
        "api_contract_posts",
        "api_needs",
        "api_acknowledgements",
    } <= tables


async def test_versions_count_up_per_contract_and_refuse_a_stale_base(db: Database) -> None:
    store = ContractStore(db)
    contract, first = await store.add_version(GUILD, 1, "ecommerce", version(), NOW, expected=0)
    broke = (StoredChange("endpoint_removed", "`GET /a` was removed", True), StoredChange("x", "y", False))
    later = NOW + timedelta(hours=1)
    same, second = await store.add_version(GUILD, 1, "ecommerce", version("Shop 2", broke), later, expected=1)
    assert same.id == contract.id and (first.number, second.number) == (1, 2)
    assert second.breaking == 1 and second.changes == broke and second.published_at == later
    assert (await store.contract_of(GUILD, 1)) == same and same.updated_at == later
    with pytest.raises(Conflict, match="Version 2 of your contract was published"):
        await store.add_version(GUILD, 1, "ecommerce", version(), later, expected=1)
    other, own = await store.add_version(GUILD, 2, "social-feed", version(), NOW, expected=0)
    assert other.id != contract.id and own.number == 1
    head = await store.latest(contract.id, with_document=False)
    assert head is not None and head.number == 2 and head.document == ""
    full = await store.latest(contract.id)
    assert full is not None and full.document == '{"openapi": "3.1.0"}'
    assert [v.number for v in await store.versions(contract.id)] == [1, 2]
    assert await store.version_count(GUILD) == 3


async def test_one_post_per_thread_updated_in_place(db: Database) -> None:
    store = ContractStore(db)
    contract, _ = await store.add_version(GUILD, 1, "ecommerce", version(), NOW, expected=0)
    await store.set_post(contract.id, 500, 9000, False)
    await store.set_post(contract.id, 500, 9001, True)
    await store.set_post(contract.id, 600, 9100, True)
    posts = await store.posts(contract.id)
    assert {t: (p.message_id, p.pinned) for t, p in posts.items()} == {500: (9001, True), 600: (9100, True)}


async def test_needs_are_unique_per_method_and_path_and_keep_their_note(db: Database) -> None:
    store = ContractStore(db)
    need, new = await store.add_need(GUILD, 2, "GET", "/products/{id}", "detail", NOW)
    again, new_again = await store.add_need(GUILD, 2, "GET", "/products/{id}", "", NOW)
    assert new and not new_again and again.id == need.id and again.note == "detail"
    updated, _ = await store.add_need(GUILD, 2, "GET", "/products/{id}", "detail page", NOW)
    assert updated.note == "detail page"
    await store.add_need(GUILD, 2, "POST", "/products/{id}", "", NOW)
    await store.add_need(GUILD, 3, "GET", "/products/{id}", "", NOW)
    assert [(n.method, n.path) for n in await store.needs_of(GUILD, 2)] == [
        ("GET", "/products/{id}"),
        ("POST", "/products/{id}"),
    ]
    assert await store.need_count(GUILD, 2) == 2


async def test_acknowledgements_only_move_forward(db: Database) -> None:
    store = ContractStore(db)
    contract, _ = await store.add_version(GUILD, 1, "ecommerce", version(), NOW, expected=0)
    assert await store.acknowledged(contract.id, 2) == 0
    assert await store.acknowledge(contract.id, 2, 3, NOW)
    assert not await store.acknowledge(contract.id, 2, 2, NOW)
    assert not await store.acknowledge(contract.id, 2, 3, NOW)
    assert await store.acknowledge(contract.id, 2, 4, NOW)
    assert await store.acknowledged(contract.id, 2) == 4 and await store.acknowledged(contract.id, 3) == 0
