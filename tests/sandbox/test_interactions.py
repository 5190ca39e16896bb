"""Interaction callback rules, against raw HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from sandbox.world import World

API = "/api/v10"


def new_interaction(sandbox: SandboxServer) -> tuple[str, str]:
    cid = sandbox.world.channel("prodevprojectnexus").id
    rec = sandbox.create_interaction(2, sandbox.world.user("alice").id, cid, {"id": "1", "name": "ping", "type": 1})
    return str(rec.id), rec.token


@asynccontextmanager
async def started(sandbox: SandboxServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A sandbox with settings of its own (the `sandbox` fixture has the defaults), running, and a session on it."""
    await sandbox.start()
    try:
        async with aiohttp.ClientSession(base_url=sandbox.base_url) as http:
            yield http
    finally:
        await sandbox.stop()


async def test_late_ack_is_10062() -> None:
    sandbox = SandboxServer(World.default(), ack_window=0.2)
    async with started(sandbox) as http:
        iid, token = new_interaction(sandbox)
        rec = sandbox.state.interactions[int(iid)]
        rec.created -= 0.25  # pretend 0.25 s passed instead of sleeping
        url = f"{API}/interactions/{iid}/{token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "x"}}) as r:
            assert r.status == 404
            assert await r.json() == {"message": "Unknown interaction", "code": 10062}
        iid2, token2 = new_interaction(sandbox)
        async with http.post(f"{API}/interactions/{iid2}/{token2}/callback", json={"type": 5}) as r:
            assert r.status == 204


async def test_double_ack_is_40060(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    iid, token = new_interaction(sandbox)
    url = f"{API}/interactions/{iid}/{token}/callback"
    async with http.post(url, json={"type": 4, "data": {"content": "one"}}) as r:
        assert r.status == 204
    async with http.post(url, json={"type": 4, "data": {"content": "two"}}) as r:
        assert r.status == 400
        assert await r.json() == {"message": "Interaction has already been acknowledged.", "code": 40060}


async def test_with_response_shape(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    iid, token = new_interaction(sandbox)
    url = f"{API}/interactions/{iid}/{token}/callback?with_response=true"
    async with http.post(url, json={"type": 4, "data": {"content": "hi", "flags": 64}}) as r:
        assert r.status == 200
        body = await r.json()
    assert body["interaction"]["id"] == iid and body["interaction"]["type"] == 2
    assert body["interaction"]["response_message_ephemeral"] is True
    assert body["resource"]["type"] == 4
    assert body["resource"]["message"]["content"] == "hi"
    assert body["resource"]["message"]["id"] == body["interaction"]["response_message_id"]
    assert sandbox.messages_in("prodevprojectnexus") == []  # ephemeral messages are not in the channel


async def test_deferred_then_edit_and_followup(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    iid, token = new_interaction(sandbox)
    app = sandbox.world.application_id
    async with http.post(f"{API}/webhooks/{app}/{token}?wait=true", json={"content": "too early"}) as r:
        assert r.status == 404 and (await r.json())["code"] == 10015
    async with http.post(f"{API}/interactions/{iid}/{token}/callback?with_response=1", json={"type": 5}) as r:
        body = await r.json()
        assert body["interaction"]["response_message_loading"] is True
    async with http.patch(f"{API}/webhooks/{app}/{token}/messages/@original", json={"content": "done"}) as r:
        assert (await r.json())["content"] == "done"
    async with http.post(f"{API}/webhooks/{app}/{token}?wait=true", json={"content": "more", "flags": 64}) as r:
        follow = await r.json()
    async with http.get(f"{API}/webhooks/{app}/{token}/messages/{follow['id']}") as r:
        assert (await r.json())["content"] == "more"
    rec = sandbox.state.interactions[int(iid)]
    assert rec.original_edits == 1 and rec.followup_ids == [int(follow["id"])]
    assert [m["content"] for m in sandbox.messages_in("prodevprojectnexus")] == ["done"]


async def test_callback_limits(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    iid, token = new_interaction(sandbox)
    modal = {
        "title": "t" * 46,
        "custom_id": "m",
        "components": [
            {
                "type": 1,
                "components": [{"type": 4, "custom_id": "a", "label": "l" * 46, "style": 1, "max_length": 4001}],
            }
        ],
    }
    async with http.post(f"{API}/interactions/{iid}/{token}/callback", json={"type": 9, "data": modal}) as r:
        assert r.status == 400
        errors = (await r.json())["errors"]["data"]
    assert errors["title"]["_errors"][0] == {
        "code": "BASE_TYPE_BAD_LENGTH",
        "message": "Must be between 1 and 45 in length.",
    }
    inp = errors["components"]["0"]["components"]["0"]
    assert inp["label"]["_errors"][0]["message"] == "Must be between 1 and 45 in length."
    assert inp["max_length"]["_errors"][0]["code"] == "NUMBER_TYPE_MAX"
    rec = sandbox.create_interaction(4, sandbox.world.user("alice").id, sandbox.world.channel("general").id, {})
    choices = [{"name": str(i), "value": "v" * 101} for i in range(26)]
    url = f"{API}/interactions/{rec.id}/{rec.token}/callback"
    async with http.post(url, json={"type": 8, "data": {"choices": choices}}) as r:
        errors = (await r.json())["errors"]["data"]["choices"]
    assert errors["_errors"][0]["message"] == "Must be 25 or fewer in length."
    assert errors["0"]["value"]["_errors"][0]["message"] == "Must be 100 or fewer in length."
    assert not rec.acknowledged


async def test_client_timeout_lists_what_happened(sandbox: SandboxServer) -> None:
    sandbox.state.guild_commands[sandbox.world.guild.id] = [
        {"id": "5", "name": "ping", "type": 1, "description": "d", "application_id": "1"}
    ]
    client = SandboxClient(sandbox, timeout=0.2)
    try:
        await client.slash("alice", "ping")
    except AssertionError as exc:
        assert "not answered within 0.2s" in str(exc) and "acknowledged=False" in str(exc)
    else:
        raise AssertionError("expected a timeout")


async def test_expired_token_is_401_50027_for_edits_and_followups() -> None:
    sandbox = SandboxServer(World.default(), token_ttl=60.0)
    async with started(sandbox) as http:
        iid, token = new_interaction(sandbox)
        app = sandbox.world.application_id
        async with http.post(f"{API}/interactions/{iid}/{token}/callback", json={"type": 5}) as r:
            assert r.status == 204
        sandbox.state.interactions[int(iid)].created -= 61  # pretend the token's lifetime passed
        expired = {"message": "Invalid Webhook Token", "code": 50027}
        async with http.patch(f"{API}/webhooks/{app}/{token}/messages/@original", json={"content": "x"}) as r:
            assert r.status == 401 and await r.json() == expired
        async with http.post(f"{API}/webhooks/{app}/{token}?wait=true", json={"content": "x"}) as r:
            assert r.status == 401 and await r.json() == expired
        sandbox.token_ttl = 120.0  # the lifetime is a setting, read on every request
        async with http.patch(f"{API}/webhooks/{app}/{token}/messages/@original", json={"content": "y"}) as r:
            assert r.status == 200
