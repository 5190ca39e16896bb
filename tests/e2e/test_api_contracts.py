"""/api end to end: a real bot subprocess, real uploads through the sandbox's attachments, pins, pings, restarts."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import zipfile
from typing import Any

import yaml

from bot.services.contracts.templates import template_bytes
from sandbox.world import Perm
from tests.e2e.test_match_requests import accept_request
from tests.e2e.test_matching import CHANNEL, announce, join, uid


def template() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(template_bytes("ecommerce"))
    return data


def as_json(spec: dict[str, Any]) -> tuple[str, bytes, str]:
    return ("openapi.json", json.dumps(spec).encode(), "application/json")


def as_yaml(spec: dict[str, Any]) -> tuple[str, bytes, str]:
    return ("schema.yaml", yaml.safe_dump(spec, sort_keys=False).encode(), "application/yaml")


def breaking_version() -> dict[str, Any]:
    """v2: an endpoint removed and a response field retyped."""
    spec = template()
    del spec["paths"]["/api/orders/{id}/pay/"]
    spec["components"]["schemas"]["Product"]["properties"]["price"] = {"type": "number"}
    spec["info"]["version"] = "2.0.0"
    return spec


def additive_version() -> dict[str, Any]:
    """v3: v2 plus a new endpoint (nothing breaks)."""
    spec = breaking_version()
    spec["paths"]["/api/wishlist/"] = {
        "get": {"operationId": "wishlist_list", "tags": ["products"], "responses": {"200": {"description": "OK"}}}
    }
    spec["info"]["version"] = "2.1.0"
    return spec


async def paired(nexus: Any) -> int:
    """alice (Backend) and bob (Frontend) announced E-Commerce and are partners; returns their thread's id."""
    await nexus.setup_guild()
    await announce(nexus, "alice", timezone="Africa/Lagos")
    await announce(nexus, "bob", timezone="Africa/Nairobi")
    await join(nexus, "alice")
    await join(nexus, "bob")
    await accept_request(nexus, "alice", "bob")
    async with nexus.db() as db:
        thread_id = await db.fetchval("SELECT thread_id FROM pairs")
    assert thread_id is not None
    return int(thread_id)


async def publish(nexus: Any, user: str, file: tuple[str, bytes, str]) -> Any:
    result = await nexus.client.slash(user, "api publish", file=file, timeout=90)
    assert result.ephemeral and not result.error_id_seen, result.describe()
    return result


def contract_posts(nexus: Any, thread_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in nexus.sandbox.messages_in(thread_id)
        if m.get("embeds") and m["embeds"][0].get("title", "").startswith("📜 API contract")
    ]


def pings_of(nexus: Any, user: str, message_id: str) -> list[Any]:
    return [p for p in nexus.sandbox.state.pings if p.user_id == uid(nexus, user) and str(p.message_id) == message_id]


async def count(nexus: Any, table: str) -> int:
    async with nexus.db() as db:
        return int(await db.fetchval(f"SELECT COUNT(*) FROM {table}"))


async def test_publish_pins_edits_in_place_and_pings_once_per_breaking_version(nexus: Any) -> None:
    thread_id = await paired(nexus)
    first = await publish(nexus, "alice", as_json(template()))
    assert "Published version 1" in first.content and "15 endpoints" not in first.content, first.content
    [post] = contract_posts(nexus, thread_id)
    assert post["pinned"] is True
    embed = post["embeds"][0]
    assert embed["title"] == "📜 API contract · version 1"
    assert "Bearer token (JWT)" in embed["description"] and "`POST` `/api/orders/{id}/pay/`" in embed["description"]
    assert f"By <@{uid(nexus, 'alice')}>" in embed["description"]
    assert [m["type"] for m in nexus.sandbox.messages_in(thread_id)].count(6) == 1  # "pinned a message"

    second = await publish(nexus, "alice", as_yaml(breaking_version()))  # YAML this time
    assert "Published version 2" in second.content and "8 breaking change(s)" in second.content, second.content
    [edited] = contract_posts(nexus, thread_id)
    assert edited["id"] == post["id"] and edited["embeds"][0]["title"] == "📜 API contract · version 2"
    assert "/api/orders/{id}/pay/" not in edited["embeds"][0]["description"]
    notice = await nexus.sandbox.wait_for_message(thread_id, lambda m: "breaking change" in m["content"])
    assert notice["content"].startswith(f"<@{uid(nexus, 'bob')}> ⚠️ **8 breaking changes**")
    assert "`POST /api/orders/{id}/pay/` was removed" in notice["content"]
    assert "response field `results[].price` changed from string (decimal) to number" in notice["content"]
    assert [c["label"] for row in notice["components"] for c in row["components"]] == ["Acknowledge"]
    [ping] = pings_of(nexus, "bob", notice["id"])
    assert ping.listed
    assert not pings_of(nexus, "alice", notice["id"])

    third = await publish(nexus, "alice", as_json(additive_version()))
    assert "Published version 3" in third.content and "breaking" not in third.content.split("\n")[1], third.content
    quiet = await nexus.sandbox.wait_for_message(thread_id, lambda m: "none breaking" in m["content"])
    assert "`GET /api/wishlist/` is new" in quiet["content"] and quiet["components"] == []
    assert not [p for p in nexus.sandbox.state.pings if str(p.message_id) == quiet["id"]]
    assert len(contract_posts(nexus, thread_id)) == 1
    async with nexus.db() as db:
        rows = await db.fetchall("SELECT number, breaking, format FROM api_contract_versions ORDER BY number")
    assert [tuple(r) for r in rows] == [(1, 0, "json"), (2, 8, "yaml"), (3, 0, "json")]

    # The notice's Acknowledge button is persistent: it still answers after a restart, for the Frontend partner only.
    await nexus.restart()
    assert "Only the Frontend partner" in (await nexus.client.click("carol", notice, "Acknowledge")).content
    acked = await nexus.client.click("bob", notice, "Acknowledge")
    assert acked.ephemeral and "up to version 2" in acked.content, acked.describe()
    async with nexus.db() as db:
        assert await db.fetchval("SELECT number FROM api_acknowledgements") == 2


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("openapi.json", json.dumps(template()))
    return buffer.getvalue()


async def test_bad_documents_are_refused_with_reasons_and_nothing_is_stored(nexus: Any) -> None:
    thread_id = await paired(nexus)
    loop = template()
    loop["components"]["schemas"]["A"] = {"$ref": "#/components/schemas/B"}
    loop["components"]["schemas"]["B"] = {"$ref": "#/components/schemas/A"}
    invalid = template()
    del invalid["info"]["version"]
    invalid["paths"]["/api/cart/"]["get"]["responses"]["200"].pop("description")
    swagger = {"swagger": "2.0", "info": {"title": "Old", "version": "1"}, "paths": {}}
    cases = [
        (
            ("broken.yaml", b"openapi: 3.1.0\ninfo: [unclosed\n", "application/yaml"),
            "isn't valid YAML",
            "at line 3, column 1",
        ),
        (("huge.json", b" " * (5 * 10**6), "application/json"), "is 5.0 MB", "at most 1 MB"),
        (as_json(loop), "`$ref` loop", "#/components/schemas/A"),
        (("swagger.json", json.dumps(swagger).encode(), "application/json"), "Swagger 2.0", "swagger2openapi"),
        (("api.json", zip_bytes(), "application/json"), "a zip archive", "Unzip it"),
        (as_json(invalid), "• `/info`: 'version' is a required property", "`/paths/~1api~1cart~1/get/responses/200`"),
        (
            ("notes.txt", b"openapi: 3.1.0", "text/plain"),
            "isn't a `.json`, `.yaml` or `.yml` file",
            "Export the contract",
        ),
    ]
    for file, reason, detail in cases:
        result = await nexus.client.slash("alice", "api publish", file=file, timeout=90)
        assert result.ephemeral and not result.error_id_seen, result.describe()
        assert reason in result.content and detail in result.content, (file[0], result.content)
        if file[0] == "huge.json":
            assert result.type == 4  # refused from the size Discord reports, before anything is downloaded
    assert await count(nexus, "api_contract_versions") == 0
    assert await count(nexus, "api_contracts") == 0
    assert not contract_posts(nexus, thread_id)


async def test_needs_match_by_shape_with_autocomplete_and_status_acknowledge(nexus: Any) -> None:
    thread_id = await paired(nexus)
    choices = await nexus.client.autocomplete("bob", "api need", focused="path", value="/api/prod", method="GET")
    assert [c["value"] for c in choices][:2] == ["/api/products/", "/api/products/{id}/"]  # from the template
    early = await nexus.client.slash("bob", "api need", method="GET", path="/api/products/{product_id}", note="detail")
    assert early.ephemeral and "hasn't published a contract yet" in early.content, early.describe()

    await publish(nexus, "alice", as_json(template()))
    wished = await nexus.client.slash("bob", "api need", method="GET", path="/api/wishlist/", note="<@everyone> ping?")
    assert "❌ `GET /api/wishlist/`: missing" in wished.content
    posted = await nexus.sandbox.wait_for_message(thread_id, lambda m: "/api/wishlist/" in m["content"])
    assert "@everyone" not in posted["content"].replace("@\u200beveryone", "") and not posted["mention_everyone"]
    assert not [p for p in nexus.sandbox.state.pings if str(p.message_id) == posted["id"]]

    await publish(nexus, "alice", as_json(breaking_version()))
    status = await nexus.client.slash("bob", "api status")
    assert status.ephemeral, status.describe()
    [field] = status.embed["fields"]
    assert "version 2" in field["value"] and "Needs of" in field["value"] and "1 met, 1 missing" in field["value"]
    assert "❌ `GET /api/wishlist/`" in field["value"] and "not acknowledged" in field["value"]
    assert [b["label"] for b in status.buttons()] == ["Acknowledge v2"]

    intruder = await nexus.client.click("alice", status, "Acknowledge v2")
    assert intruder.ephemeral and "Only the Frontend partner" in intruder.content
    acked = await nexus.client.click("bob", status, "Acknowledge v2")
    assert acked.ephemeral and "Acknowledged" in acked.content, acked.describe()
    again = await nexus.client.slash("bob", "api status")
    assert "not acknowledged" not in again.embed["fields"][0]["value"] and not again.buttons()
    met = await nexus.client.slash("alice", "api status", member="bob")
    assert "1 met, 1 missing" in met.embed["fields"][0]["value"]


async def test_template_is_a_validated_file_to_start_from(nexus: Any) -> None:
    await nexus.setup_guild()
    keys = await nexus.client.autocomplete("carol", "api template", focused="project", value="soc")
    assert [c["value"] for c in keys] == ["social-feed"]
    result = await nexus.client.slash("carol", "api template", project="social-feed")
    assert result.ephemeral and result.embed["title"] == "Reference API contract · social-feed", result.describe()
    [attachment] = result.message["attachments"]
    data = nexus.sandbox.file(attachment).data
    assert attachment["filename"] == "social-feed.yaml" and yaml.safe_load(data)["openapi"].startswith("3.1")
    typo = await nexus.client.slash("carol", "api template", project="ecomerce")
    assert typo.ephemeral and "Did you mean `ecommerce`?" in typo.content


async def test_contract_survives_a_restart_and_its_pin_is_edited(nexus: Any) -> None:
    thread_id = await paired(nexus)
    await publish(nexus, "alice", as_json(template()))
    [post] = contract_posts(nexus, thread_id)
    await nexus.restart()
    status = await nexus.client.slash("bob", "api status")
    assert "version 1" in status.embed["fields"][0]["value"]
    second = await publish(nexus, "alice", as_json(copy.deepcopy(additive_version())))
    assert "Published version 2" in second.content and "now shows version 2" in second.content, second.content
    [edited] = contract_posts(nexus, thread_id)
    assert edited["id"] == post["id"] and edited["pinned"] and "version 2" in edited["embeds"][0]["title"]
    assert [m["type"] for m in nexus.sandbox.messages_in(thread_id)].count(6) == 1  # pinned once, not again

    # A moderator deletes the post and the bot may no longer pin: posted again, and the publisher is told.
    nexus.sandbox.delete_message(thread_id, post["id"])
    nexus.sandbox.set_bot_channel_permissions(CHANNEL, deny=Perm.MANAGE_MESSAGES | Perm.PIN_MESSAGES)
    third = await publish(nexus, "alice", as_json(template()))
    assert "Posted the contract" in third.content and "I couldn't pin it" in third.content, third.content
    [unpinned] = contract_posts(nexus, thread_id)
    assert unpinned["id"] != post["id"] and not unpinned["pinned"]
    nexus.sandbox.set_bot_channel_permissions(CHANNEL)
    fourth = await publish(nexus, "alice", as_json(template()))
    assert "now shows version 4" in fourth.content and "couldn't pin" not in fourth.content, fourth.content
    [repinned] = contract_posts(nexus, thread_id)
    assert repinned["id"] == unpinned["id"] and repinned["pinned"]
    async with nexus.db() as db:
        row = await db.fetchone("SELECT message_id, pinned FROM api_contract_posts")
    assert (str(row["message_id"]), row["pinned"]) == (unpinned["id"], 1)


async def test_non_partners_and_the_wrong_track_are_refused(nexus: Any) -> None:
    await paired(nexus)
    lonely = await nexus.client.slash("carol", "api publish", file=as_json(template()))
    assert lonely.ephemeral and "You have no partner yet" in lonely.content and "/match suggest" in lonely.content
    frontend = await nexus.client.slash("bob", "api publish", file=as_json(template()))
    assert frontend.ephemeral and "Only the Backend partner publishes" in frontend.content
    backend = await nexus.client.slash("alice", "api need", method="GET", path="/api/cart/")
    assert backend.ephemeral and "is for the Frontend partner" in backend.content
    stranger = await nexus.client.slash("dave", "api status", member="alice")
    assert stranger.ephemeral and "your partners'" in stranger.content
    bad_path = await nexus.client.slash("bob", "api need", method="GET", path="/api/products list")
    assert bad_path.ephemeral and "has a space" in bad_path.content
    assert await count(nexus, "api_contracts") == 0 and await count(nexus, "api_needs") == 0
    assert nexus.sandbox.messages_in(CHANNEL) is not None


async def test_a_1_mb_contract_is_checked_without_stalling_other_commands(nexus: Any) -> None:
    from bench.contracts import big_document

    thread_id = await paired(nexus)
    data = big_document(1_000_000)
    assert 900_000 < len(data) <= 1_000_000
    before = set(nexus.sandbox.state.interactions)
    upload = asyncio.create_task(
        nexus.client.slash("alice", "api publish", file=("openapi.json", data, "application/json"), timeout=120)
    )

    def deferred() -> bool:
        fresh = [i for k, i in nexus.sandbox.state.interactions.items() if k not in before]
        return any(i.response_type == 5 for i in fresh)

    await nexus.sandbox.wait_until(deferred, timeout=30, what="the upload's deferral")
    await asyncio.sleep(1)  # the worker process is validating now
    for _ in range(3):
        # Each one must be acknowledged within Discord's 3 s window while the upload is being checked.
        other = await nexus.client.slash("bob", "api template", project="ecommerce")
        assert other.ephemeral and not other.error_id_seen, other.describe()
    published = await upload
    assert "Published version 1" in published.content, published.describe()
    [post] = contract_posts(nexus, thread_id)
    assert "more endpoints" in post["embeds"][0]["description"]  # cut at a whole line, with a count


def second_backend_version() -> dict[str, Any]:
    """carol's own contract: the template without the cart, plus a wishlist."""
    spec = template()
    spec["info"]["title"] = "Carol's shop API"
    for path in [p for p in spec["paths"] if p.startswith("/api/cart")]:
        del spec["paths"][path]
    spec["paths"]["/api/wishlist/"] = {
        "get": {"operationId": "wishlist_list", "tags": ["products"], "responses": {"200": {"description": "OK"}}}
    }
    return spec


async def test_in_a_team_thread_each_backend_partner_has_their_own_contract(nexus: Any) -> None:
    """Issue 15 in a team thread (issue 14's balanced round): bob (Frontend) has alice and carol (Backend) as
    partners in one thread; each publishes their own pinned contract, a breaking change pings bob only, and
    bob's status and needs are matched against both contracts."""
    from tests.e2e.test_balanced_rounds import three_on_ecommerce

    await three_on_ecommerce(nexus)
    alice, bob, carol = (uid(nexus, name) for name in ("alice", "bob", "carol"))
    real = await nexus.client.slash("erin", "match run", balance="auto", timeout=30)
    assert "2 pair(s)" in real.embed["description"], real.describe()
    await nexus.sandbox.wait_until(lambda: len(nexus.sandbox.threads(CHANNEL)) == 1, 10, "the team thread")
    [thread] = nexus.sandbox.threads(CHANNEL)
    thread_id = int(thread["id"])
    async with nexus.db() as db:
        rows = await db.fetchall("SELECT thread_id FROM pairs WHERE status = 'active'")
    assert [r["thread_id"] for r in rows] == [thread_id, thread_id]

    await publish(nexus, "alice", as_json(template()))
    await publish(nexus, "carol", as_json(second_backend_version()))
    posts = contract_posts(nexus, thread_id)
    assert len(posts) == 2 and all(p["pinned"] for p in posts)
    authors = sorted(p["embeds"][0]["description"].split(" · ")[0] for p in posts)
    assert authors == sorted([f"By <@{alice}>", f"By <@{carol}>"])
    carol_post = next(p for p in posts if f"By <@{carol}>" in p["embeds"][0]["description"])
    assert "/api/wishlist/" in carol_post["embeds"][0]["description"]
    assert "/api/cart/" not in carol_post["embeds"][0]["description"]

    # alice's breaking version edits only her post and mentions bob alone (not carol, not alice).
    second = await publish(nexus, "alice", as_yaml(breaking_version()))
    assert "Published version 2" in second.content and "breaking change(s)" in second.content, second.content
    notice = await nexus.sandbox.wait_for_message(thread_id, lambda m: "breaking change" in m["content"])
    assert notice["content"].startswith(f"<@{bob}> ⚠️") and f"<@{carol}>" not in notice["content"]
    assert pings_of(nexus, "bob", notice["id"])
    assert not pings_of(nexus, "carol", notice["id"]) and not pings_of(nexus, "alice", notice["id"])
    after = {p["id"]: p["embeds"][0]["title"] for p in contract_posts(nexus, thread_id)}
    assert after == {
        next(p["id"] for p in posts if p["id"] != carol_post["id"]): "📜 API contract · version 2",
        carol_post["id"]: "📜 API contract · version 1",
    }

    # bob's needs are matched against each partner's contract.
    cart = await nexus.client.slash("bob", "api need", method="GET", path="/api/cart/")
    assert f"✅ `GET /api/cart/`: met by <@{alice}>'s v2" in cart.content, cart.content
    assert f"❌ `GET /api/cart/`: missing from <@{carol}>'s v1" in cart.content, cart.content
    wish = await nexus.client.slash("bob", "api need", method="GET", path="/api/wishlist")
    assert f"❌ `GET /api/wishlist`: missing from <@{alice}>'s v2" in wish.content, wish.content
    assert f"✅ `GET /api/wishlist`: met by <@{carol}>'s v1" in wish.content, wish.content

    status = await nexus.client.slash("bob", "api status")
    assert status.ephemeral, status.describe()
    fields = {f["name"]: f["value"] for f in status.embed["fields"]}
    assert len(fields) == 2, fields
    by_author = {(alice if f"<@{alice}>'s version" in v else carol): v for v in fields.values()}
    assert "version 2" in by_author[alice] and "version 1" in by_author[carol]
    assert f"Needs of <@{bob}>: 1 met, 1 missing" in by_author[alice] and "❌ `GET /api/wishlist`" in by_author[alice]
    assert f"Needs of <@{bob}>: 1 met, 1 missing" in by_author[carol] and "❌ `GET /api/cart/`" in by_author[carol]
    assert "not acknowledged" in by_author[alice] and "not acknowledged" not in by_author[carol]
    assert [b["label"] for b in status.buttons()] == ["Acknowledge v2"]
    # Each Backend partner sees their own contract only, with bob's needs against it.
    mine = await nexus.client.slash("carol", "api status")
    [field] = mine.embed["fields"]
    assert f"<@{carol}>'s version 1" in field["value"] and f"<@{alice}>" not in field["value"]
    # Staff see the counts in /match stats (issue 14): one team thread, both contracts, bob's needs against each.
    stats = await nexus.client.slash("erin", "match stats")
    figures = {f["name"]: f["value"] for f in stats.embed["fields"]}
    assert figures["API contracts"] == "2 published (3 versions) · pairs/teams with one: 1 of 1", figures
    assert figures["API needs"] == "2 met · 2 missing", figures
