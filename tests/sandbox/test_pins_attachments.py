"""Pins (both paths, 50 per channel, the system message) and attachments members upload with a slash command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from sandbox.world import Perm

API = "/api/v10"


async def post(http: aiohttp.ClientSession, cid: int, content: str) -> str:
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": content}) as r:
        assert r.status == 200, await r.text()
        return str((await r.json())["id"])


async def test_pin_unpin_and_list(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("general").id
    first, second = await post(http, cid, "one"), await post(http, cid, "two")
    async with http.put(f"{API}/channels/{cid}/messages/pins/{first}") as r:
        assert r.status == 204
    async with http.put(f"{API}/channels/{cid}/pins/{second}") as r:  # the older path still works
        assert r.status == 204
    assert sandbox.state.message_index[int(first)].payload["pinned"] is True
    notices = [m for m in sandbox.messages_in("general") if m["type"] == 6]
    assert [n["message_reference"]["message_id"] for n in notices] == [first, second]
    async with http.get(f"{API}/channels/{cid}/messages/pins") as r:
        listed = await r.json()
    assert [item["message"]["id"] for item in listed["items"]] == [second, first] and listed["has_more"] is False
    async with http.delete(f"{API}/channels/{cid}/messages/pins/{second}") as r:
        assert r.status == 204
    async with http.get(f"{API}/channels/{cid}/pins") as r:
        assert [m["id"] for m in await r.json()] == [first]
    async with http.put(f"{API}/channels/{cid}/messages/pins/1234") as r:
        assert r.status == 404 and (await r.json())["code"] == 10008


async def test_fifty_pins_at_most_and_permission(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("general").id
    sandbox.rate_limits = False
    for n in range(50):
        mid = await post(http, cid, f"m{n}")
        async with http.put(f"{API}/channels/{cid}/messages/pins/{mid}") as r:
            assert r.status == 204
    extra = await post(http, cid, "one too many")
    async with http.put(f"{API}/channels/{cid}/messages/pins/{extra}") as r:
        assert r.status == 400
        assert await r.json() == {"message": "Maximum number of pins reached (50)", "code": 30003}
    sandbox.set_bot_channel_permissions("general", deny=Perm.MANAGE_MESSAGES | Perm.PIN_MESSAGES)
    async with http.delete(f"{API}/channels/{cid}/messages/pins/{extra}") as r:
        assert r.status == 403 and (await r.json())["code"] == 50013


async def test_attachment_option_is_resolved_and_served(sandbox: SandboxServer, client: SandboxClient) -> None:
    data = b'{"openapi": "3.1.0"}'
    resolved: dict[str, Any] = {}
    aid = client._resolve_attachment(("api.json", data, "application/json"), resolved, 1)
    attachment = resolved["attachments"][aid]
    assert attachment["size"] == len(data) and attachment["filename"] == "api.json"
    async with aiohttp.ClientSession() as anon, anon.get(str(attachment["url"])) as r:
        assert r.status == 200 and r.headers["Content-Length"] == str(len(data)) and await r.read() == data
    with pytest.raises(AssertionError, match="25 MiB"):
        client._resolve_attachment(("big.json", b" " * (25 * 2**20 + 1)), {}, 1)


async def test_attachment_option_from_a_local_file(client: SandboxClient, tmp_path: Path) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_bytes(b"openapi: 3.1.0\n")
    resolved: dict[str, Any] = {}
    aid = client._resolve_attachment(str(path), resolved, 1)
    assert resolved["attachments"][aid]["filename"] == "openapi.yaml"
    assert client.sandbox.file(int(aid)).data == b"openapi: 3.1.0\n"
    with pytest.raises(AssertionError, match="there is no file"):
        client._resolve_attachment(str(tmp_path / "missing.json"), {}, 1)
