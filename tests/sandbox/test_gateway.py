from __future__ import annotations

import json
import zlib
from typing import Any

import aiohttp

from sandbox.server import INTENT_GUILD_MEMBERS, INTENT_GUILDS, SandboxServer
from sandbox.world import Perm

ZLIB_SUFFIX = b"\x00\x00\xff\xff"


class GatewayClient:
    """A bare gateway client (plain JSON or zlib-stream)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, compressed: bool) -> None:
        self.ws = ws
        self.inflator = zlib.decompressobj() if compressed else None
        self.buffer = bytearray()

    async def recv(self) -> dict[str, Any]:
        while True:
            msg = await self.ws.receive(timeout=5)
            if msg.type == aiohttp.WSMsgType.TEXT:
                assert self.inflator is None, "expected binary frames with zlib-stream"
                return json.loads(msg.data)
            if msg.type == aiohttp.WSMsgType.BINARY:
                assert self.inflator is not None
                self.buffer.extend(msg.data)
                if len(msg.data) < 4 or msg.data[-4:] != ZLIB_SUFFIX:
                    continue
                data = self.inflator.decompress(bytes(self.buffer))
                self.buffer.clear()
                return json.loads(data)
            raise AssertionError(f"unexpected frame {msg.type} {msg.data!r}")

    async def recv_event(self, name: str) -> dict[str, Any]:
        while True:
            payload = await self.recv()
            if payload.get("t") == name:
                return payload

    async def send(self, payload: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(payload))


async def connect(
    session: aiohttp.ClientSession, sandbox: SandboxServer, compressed: bool, url: str | None = None
) -> GatewayClient:
    query = "?v=10&encoding=json" + ("&compress=zlib-stream" if compressed else "")
    ws = await session.ws_connect((url or sandbox.gateway_url) + query)
    return GatewayClient(ws, compressed)


def identify(sandbox: SandboxServer, intents: int = INTENT_GUILDS | INTENT_GUILD_MEMBERS) -> dict[str, Any]:
    props = {"os": "linux", "browser": "test", "device": "test"}
    return {"op": 2, "d": {"token": sandbox.token, "intents": intents, "properties": props}}


async def handshake(gw: GatewayClient, sandbox: SandboxServer) -> tuple[dict[str, Any], dict[str, Any]]:
    hello = await gw.recv()
    assert hello["op"] == 10
    assert hello["d"]["heartbeat_interval"] == 41250
    await gw.send(identify(sandbox))
    ready = await gw.recv()
    guild = await gw.recv()
    return ready, guild


async def test_handshake_plain_and_zlib(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as session:
        for compressed in (False, True):
            gw = await connect(session, sandbox, compressed)
            ready, guild = await handshake(gw, sandbox)
            assert ready["op"] == 0 and ready["t"] == "READY" and ready["s"] == 1
            d = ready["d"]
            assert d["v"] == 10
            assert d["user"]["id"] == str(sandbox.world.bot.id) and d["user"]["bot"] is True
            assert d["guilds"] == [{"id": str(sandbox.world.guild.id), "unavailable": True}]
            assert d["resume_gateway_url"] == sandbox.gateway_url
            assert d["application"]["id"] == str(sandbox.world.application_id)
            assert guild["t"] == "GUILD_CREATE" and guild["s"] == 2
            g = guild["d"]
            assert g["name"] == "ProDev" and g["large"] is False and g["member_count"] == len(g["members"])
            assert {c["name"] for c in g["channels"]} >= {"prodevprojectnexus", "general", "staff-review"}
            assert {r["name"] for r in g["roles"]} >= {"@everyone", "Backend", "Frontend", "Staff"}
            alice = next(m for m in g["members"] if m["user"]["username"] == "alice")
            backend = next(r for r in g["roles"] if r["name"] == "Backend")
            assert alice["roles"] == [backend["id"]]
            await gw.ws.close()
    assert sandbox.identify_log[-1]["intents"] == INTENT_GUILDS | INTENT_GUILD_MEMBERS


async def test_heartbeat_ack(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as session:
        gw = await connect(session, sandbox, compressed=True)
        await gw.recv()
        await gw.send({"op": 1, "d": None})
        ack = await gw.recv()
        assert ack["op"] == 11
        await gw.ws.close()


async def test_bad_token_closes_4004(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as session:
        gw = await connect(session, sandbox, compressed=False)
        await gw.recv()
        payload = identify(sandbox)
        payload["d"]["token"] = "wrong"
        await gw.send(payload)
        msg = await gw.ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4004


async def test_resume_replays_missed_dispatches(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as session:
        gw = await connect(session, sandbox, compressed=True)
        ready, guild = await handshake(gw, sandbox)
        session_id, seq = ready["d"]["session_id"], guild["s"]
        await gw.ws.close()
        await sandbox.wait_disconnected()
        sandbox.add_member("frank", roles=["Backend"])  # dispatched while disconnected
        sandbox.remove_member("frank")
        gw2 = await connect(session, sandbox, compressed=False, url=ready["d"]["resume_gateway_url"])
        await gw2.recv()  # HELLO
        await gw2.send({"op": 6, "d": {"token": sandbox.token, "session_id": session_id, "seq": seq}})
        add = await gw2.recv()
        remove = await gw2.recv()
        resumed = await gw2.recv()
        assert (add["t"], add["s"]) == ("GUILD_MEMBER_ADD", seq + 1)
        assert add["d"]["user"]["username"] == "frank"
        assert (remove["t"], remove["s"]) == ("GUILD_MEMBER_REMOVE", seq + 2)
        assert resumed["t"] == "RESUMED"
        await gw2.ws.close()


async def test_resume_unknown_session_invalidates(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as session:
        gw = await connect(session, sandbox, compressed=False)
        await gw.recv()
        await gw.send({"op": 6, "d": {"token": sandbox.token, "session_id": "nope", "seq": 3}})
        invalid = await gw.recv()
        assert invalid["op"] == 9 and invalid["d"] is False
        await gw.ws.close()


async def test_request_guild_members_chunks(sandbox: SandboxServer) -> None:
    sandbox.world.add_learners(1500)
    async with aiohttp.ClientSession() as session:
        gw = await connect(session, sandbox, compressed=True)
        _ready, guild = await handshake(gw, sandbox)
        assert guild["d"]["large"] is True and guild["d"]["member_count"] == len(sandbox.world.guild.members)
        await gw.send({"op": 8, "d": {"guild_id": guild["d"]["id"], "query": "", "limit": 0, "nonce": "n1"}})
        first = await gw.recv_event("GUILD_MEMBERS_CHUNK")
        second = await gw.recv_event("GUILD_MEMBERS_CHUNK")
        assert (first["d"]["chunk_index"], first["d"]["chunk_count"]) == (0, 2)
        assert len(first["d"]["members"]) + len(second["d"]["members"]) == len(sandbox.world.guild.members)
        assert second["d"]["nonce"] == "n1"
        await gw.ws.close()


async def test_gateway_faults_reach_the_client(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as session:
        gw = await connect(session, sandbox, compressed=False)
        await handshake(gw, sandbox)
        await sandbox.gateway_reconnect()
        assert (await gw.recv())["op"] == 7
        await sandbox.gateway_invalidate(resumable=True)
        invalid = await gw.recv()
        assert invalid["op"] == 9 and invalid["d"] is True
        await sandbox.gateway_close(4000)
        msg = await gw.ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4000


async def test_frames_of_every_length_class_reach_a_websocket_client(sandbox: SandboxServer) -> None:
    """Frames are written by hand (see GatewayConnection): 7-bit, 16-bit and 64-bit lengths must all parse."""
    async with aiohttp.ClientSession() as session:
        for compressed in (False, True):
            gw = await connect(session, sandbox, compressed)
            await handshake(gw, sandbox)
            for size in (10, 126, 65_535, 70_000):
                sandbox.dispatch("NEXUS_TEST", {"blob": "x" * size})
                event = await gw.recv_event("NEXUS_TEST")
                assert event["d"]["blob"] == "x" * size
            await gw.ws.close()
            await sandbox.wait_disconnected()


async def test_presence_comes_from_op_3_or_identify(sandbox: SandboxServer) -> None:
    activity = {"type": 4, "name": "Custom Status", "state": "Announce your capstone"}
    async with aiohttp.ClientSession() as session:
        gw = await connect(session, sandbox, compressed=False)
        await handshake(gw, sandbox)
        assert sandbox.presence is None
        await gw.send({"op": 3, "d": {"since": None, "activities": [activity], "status": "online", "afk": False}})
        presence = await sandbox.wait_presence(timeout=5)
        assert presence["activities"] == [activity]
        await gw.ws.close()
        await sandbox.wait_disconnected()
        gw2 = await connect(session, sandbox, compressed=False)
        await handshake(gw2, sandbox)
        assert sandbox.presence is None  # a new session without a presence in its IDENTIFY
        await gw2.ws.close()
        await sandbox.wait_disconnected()
        gw3 = await connect(session, sandbox, compressed=False)
        await gw3.recv()  # HELLO
        payload = identify(sandbox)
        payload["d"]["presence"] = {"since": None, "activities": [activity], "status": "idle", "afk": False}
        await gw3.send(payload)
        await gw3.recv_event("GUILD_CREATE")
        assert sandbox.presence is not None and sandbox.presence["status"] == "idle"
        await gw3.ws.close()


async def test_role_create_and_permission_update_are_dispatched(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as session:
        gw = await connect(session, sandbox, compressed=False)
        await handshake(gw, sandbox)
        mods = sandbox.add_role("Mods", Perm.KICK_MEMBERS, position=2)
        created = await gw.recv_event("GUILD_ROLE_CREATE")
        assert created["d"]["role"]["id"] == str(mods) and created["d"]["role"]["permissions"] == str(Perm.KICK_MEMBERS)
        sandbox.set_role_permissions("Backend", Perm.ADMINISTRATOR)
        updated = await gw.recv_event("GUILD_ROLE_UPDATE")
        assert updated["d"]["role"]["name"] == "Backend"
        assert updated["d"]["role"]["permissions"] == str(Perm.ADMINISTRATOR)
        # The world serves the change too: a member holding the role now has every permission.
        assert sandbox.world.member_permissions(sandbox.world.user("alice").id) == Perm.ALL
        await gw.ws.close()
