from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import aiohttp

from sandbox.server import SandboxServer
from sandbox.world import Perm

API = "/api/v10"


async def test_unknown_route_is_discord_404(http: aiohttp.ClientSession) -> None:
    async with http.get(f"{API}/nope/123") as r:
        assert r.status == 404
        assert r.headers["Content-Type"] == "application/json"
        assert await r.json() == {"message": "404: Not Found", "code": 0}


async def test_auth_required(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession(base_url=sandbox.base_url) as anon:
        for headers in ({}, {"Authorization": "Bot wrong"}, {"Authorization": sandbox.token}):
            async with anon.get(f"{API}/users/@me", headers=headers) as r:
                assert r.status == 401
                assert await r.json() == {"message": "401: Unauthorized", "code": 0}
        async with anon.get(f"{API}/gateway") as r:  # public
            assert (await r.json())["url"] == sandbox.gateway_url


async def test_me_gateway_application(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{API}/users/@me") as r:
        assert (await r.json())["id"] == str(sandbox.world.bot.id)
    async with http.get(f"{API}/gateway/bot") as r:
        data = await r.json()
        assert data["shards"] == 1 and data["session_start_limit"]["max_concurrency"] == 1
    async with http.get(f"{API}/oauth2/applications/@me") as r:
        assert (await r.json())["name"] == "Nexus Bot"


async def test_multipart_message_with_file(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("prodevprojectnexus").id
    form = aiohttp.FormData(quote_fields=False)
    payload = {"content": "export", "attachments": [{"id": 0, "filename": "export.csv"}]}
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    form.add_field("files[0]", b"a,b\n1,2\n", filename="export.csv", content_type="text/csv")
    async with http.post(f"{API}/channels/{cid}/messages", data=form) as r:
        assert r.status == 200, await r.text()
        msg = await r.json()
    assert msg["content"] == "export"
    att = msg["attachments"][0]
    assert att["filename"] == "export.csv" and att["size"] == 8
    assert sandbox.file(att).data == b"a,b\n1,2\n"
    async with http.get(att["url"]) as r:
        assert await r.read() == b"a,b\n1,2\n"
    assert sandbox.requests[-1].files == [("export.csv", b"a,b\n1,2\n")]


async def test_message_crud_and_moderator_delete(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("general").id
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": "hello"}) as r:
        msg = await r.json()
    async with http.patch(f"{API}/channels/{cid}/messages/{msg['id']}", json={"content": "edited"}) as r:
        assert (await r.json())["edited_timestamp"] is not None
    assert sandbox.messages_in("general")[0]["content"] == "edited"
    sandbox.delete_message("general", msg["id"])
    assert sandbox.messages_in("general") == []
    async with http.get(f"{API}/channels/{cid}/messages/{msg['id']}") as r:
        assert r.status == 404 and (await r.json())["code"] == 10008
    async with http.post(f"{API}/channels/{cid}/messages", json={}) as r:
        assert r.status == 400 and await r.json() == {"message": "Cannot send an empty message", "code": 50006}


async def test_missing_send_messages_is_50013(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    sandbox.set_bot_channel_permissions("prodevprojectnexus", deny=Perm.SEND_MESSAGES)
    cid = sandbox.world.channel("prodevprojectnexus").id
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": "x"}) as r:
        assert r.status == 403
        assert await r.json() == {"message": "Missing Permissions", "code": 50013}


async def test_missing_embed_links_drops_embeds(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    sandbox.set_bot_channel_permissions("general", deny=Perm.EMBED_LINKS)
    cid = sandbox.world.channel("general").id
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": "x", "embeds": [{"title": "t"}]}) as r:
        assert r.status == 200
        assert (await r.json())["embeds"] == []


async def test_dm_closed_is_50007(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    sandbox.world.member("bob").user.dms_closed = True
    async with http.post(f"{API}/users/@me/channels", json={"recipient_id": str(sandbox.world.user("bob").id)}) as r:
        dm = await r.json()
        assert dm["type"] == 1
    async with http.post(f"{API}/channels/{dm['id']}/messages", json={"content": "hi"}) as r:
        assert r.status == 403
        assert await r.json() == {"message": "Cannot send messages to this user", "code": 50007}
    async with http.post(f"{API}/users/@me/channels", json={"recipient_id": str(sandbox.world.user("alice").id)}) as r:
        dm2 = await r.json()
    async with http.post(f"{API}/channels/{dm2['id']}/messages", json={"content": "welcome"}) as r:
        assert r.status == 200
    assert [m["content"] for m in sandbox.dms_to("alice")] == ["welcome"]


async def test_enforced_nonce_returns_the_first_message(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{API}/users/@me/channels", json={"recipient_id": str(sandbox.world.user("alice").id)}) as r:
        dm = await r.json()
    url = f"{API}/channels/{dm['id']}/messages"
    sent = []
    for body in (
        {"content": "once", "nonce": "n1", "enforce_nonce": True},
        {"content": "once", "nonce": "n1", "enforce_nonce": True},  # a retry after a crash: the same message back
        {"content": "plain", "nonce": "n1"},  # without enforce_nonce Discord sends it
        {"content": "other", "nonce": "n2", "enforce_nonce": True},
    ):
        async with http.post(url, json=body) as r:
            assert r.status == 200
            sent.append(await r.json())
    assert sent[0]["id"] == sent[1]["id"] and len({m["id"] for m in sent}) == 3
    assert [m["content"] for m in sandbox.dms_to("alice")] == ["once", "plain", "other"]


async def test_threads(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("prodevprojectnexus").id
    async with http.post(f"{API}/channels/{cid}/threads", json={"name": "pair-1", "type": 12}) as r:
        assert r.status == 201
        thread = await r.json()
    bob = sandbox.world.user("bob").id
    async with http.put(f"{API}/channels/{thread['id']}/thread-members/{bob}") as r:
        assert r.status == 204
    assert bob in sandbox.state.thread_members[int(thread["id"])]
    async with http.post(f"{API}/channels/{thread['id']}/messages", json={"content": "welcome"}) as r:
        assert r.status == 200
    assert (await sandbox.wait_for_message("pair-1"))["content"] == "welcome"
    async with http.patch(f"{API}/channels/{thread['id']}", json={"archived": True}) as r:
        assert (await r.json())["thread_metadata"]["archived"] is True
    async with http.put(f"{API}/channels/{thread['id']}/thread-members/{bob}") as r:
        assert r.status == 400
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": "root"}) as r:
        root = await r.json()
    async with http.post(f"{API}/channels/{cid}/messages/{root['id']}/threads", json={"name": "t"}) as r:
        assert (await r.json())["id"] == root["id"]


async def test_members_roles_and_hierarchy(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    gid = sandbox.world.guild.id
    sandbox.world.add_learners(30)
    seen: list[str] = []
    after = "0"
    while True:
        async with http.get(f"{API}/guilds/{gid}/members", params={"limit": "10", "after": after}) as r:
            page = await r.json()
        if not page:
            break
        seen += [m["user"]["id"] for m in page]
        after = page[-1]["user"]["id"]
    assert len(seen) == len(sandbox.world.guild.members) == len(set(seen))
    alice = sandbox.world.user("alice").id
    frontend = sandbox.world.role("Frontend").id
    async with http.put(f"{API}/guilds/{gid}/members/{alice}/roles/{frontend}") as r:
        assert r.status == 204
    assert frontend in sandbox.world.member("alice").roles
    staff = sandbox.world.role("Staff")
    sandbox.set_role_position("Staff", 10)  # above the bot's role
    async with http.put(f"{API}/guilds/{gid}/members/{alice}/roles/{staff.id}") as r:
        assert r.status == 403 and (await r.json())["code"] == 50013
    sandbox.set_bot_permissions(sandbox.world.bot_role.permissions & ~Perm.MANAGE_ROLES)
    async with http.delete(f"{API}/guilds/{gid}/members/{alice}/roles/{frontend}") as r:
        assert r.status == 403


async def test_scheduled_events(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    gid = sandbox.world.guild.id
    start = datetime.now(UTC) + timedelta(days=1)
    body = {
        "name": "Demo day",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
        "entity_metadata": {"location": "Voice lounge"},
    }
    async with http.post(f"{API}/guilds/{gid}/scheduled-events", json=body) as r:
        assert r.status == 200, await r.text()
    async with http.get(f"{API}/guilds/{gid}/scheduled-events") as r:
        assert [e["name"] for e in await r.json()] == ["Demo day"]
    sandbox.set_bot_permissions(sandbox.world.bot_role.permissions & ~Perm.MANAGE_EVENTS)
    async with http.post(f"{API}/guilds/{gid}/scheduled-events", json=body) as r:
        assert r.status == 403 and await r.json() == {"message": "Missing Permissions", "code": 50013}


async def test_rate_limit_headers_and_429(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("general").id
    for i in range(5):
        async with http.post(f"{API}/channels/{cid}/messages", json={"content": str(i)}) as r:
            assert r.status == 200
            assert r.headers["X-RateLimit-Limit"] == "5"
            assert r.headers["X-RateLimit-Remaining"] == str(4 - i)
            assert "X-RateLimit-Bucket" in r.headers and "X-RateLimit-Reset-After" in r.headers
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": "6"}) as r:
        assert r.status == 429
        body = await r.json()
        assert body["global"] is False and 0 < body["retry_after"] <= 5
        assert r.headers["Via"] and r.headers["X-RateLimit-Remaining"] == "0"
    other = sandbox.world.channel("prodevprojectnexus").id
    async with http.post(f"{API}/channels/{other}/messages", json={"content": "x"}) as r:
        assert r.status == 200  # buckets are per channel


async def test_injected_faults(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("general").id
    sandbox.inject_fault("POST", "/channels/{channel_id}/messages", 502)
    sandbox.inject_rate_limit("POST", "/channels/{channel_id}/messages", retry_after=0.1)
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": "a"}) as r:
        assert r.status == 502
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": "a"}) as r:
        assert r.status == 429 and (await r.json())["retry_after"] == 0.1
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": "a"}) as r:
        assert r.status == 200


async def test_pings_follow_allowed_mentions_and_join_threads(
    sandbox: SandboxServer, http: aiohttp.ClientSession
) -> None:
    cid = sandbox.world.channel("prodevprojectnexus").id
    alice, bob, carol = (sandbox.world.user(n).id for n in ("alice", "bob", "carol"))
    content = f"<@{alice}> <@!{bob}> <@{carol}>"
    # No allowed_mentions: every mention pings (Discord's default).
    async with http.post(f"{API}/channels/{cid}/messages", json={"content": content}) as r:
        assert {int(u["id"]) for u in (await r.json())["mentions"]} == {alice, bob, carol}
    # parse [] and a users list: only the listed members are mentioned and pinged.
    listed = {"content": content, "allowed_mentions": {"parse": [], "users": [str(alice)]}}
    async with http.post(f"{API}/channels/{cid}/messages", json=listed) as r:
        message = await r.json()
    assert [int(u["id"]) for u in message["mentions"]] == [alice]
    assert [(p.user_id, p.listed) for p in sandbox.state.pings if p.message_id == int(message["id"])] == [(alice, True)]
    # Discord refuses parse users together with a users list.
    both = {"content": content, "allowed_mentions": {"parse": ["users"], "users": [str(alice)]}}
    async with http.post(f"{API}/channels/{cid}/messages", json=both) as r:
        assert r.status == 400 and "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE" in json.dumps(await r.json())
    sandbox.rejections.clear()

    # In a private thread, a member the message pings joins it; a suppressed mention adds nobody.
    async with http.post(f"{API}/channels/{cid}/threads", json={"name": "pair-2", "type": 12}) as r:
        tid = int((await r.json())["id"])
    quiet = {"content": f"<@{carol}>", "allowed_mentions": {"parse": []}}
    async with http.post(f"{API}/channels/{tid}/messages", json=quiet) as r:
        assert (await r.json())["mentions"] == []
    assert carol not in sandbox.state.thread_members[tid]
    async with http.post(f"{API}/channels/{tid}/messages", json={"content": f"hi <@{carol}>"}) as r:
        assert r.status == 200
    assert carol in sandbox.state.thread_members[tid]
