"""Routes for messages: create, read, edit, delete, reactions, typing; mentions and pings."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sandbox import validation as v
from sandbox.server.base import JSONDict
from sandbox.server.gateway import GatewayMixin
from sandbox.server.http import FormError, Request, api_error, json_copy, missing_access, unknown_message
from sandbox.server.payloads import EPHEMERAL, FORUM, LOADING
from sandbox.state import InteractionRecord, Ping, StoredMessage
from sandbox.world import Perm, iso

# Discord checks an enforced nonce against the same author's messages of the past few minutes.
NONCE_WINDOW = 5 * 60.0


class MessageRoutes(GatewayMixin):
    """Routes for messages: create, read, edit, delete, reactions, typing; mentions and pings."""

    def _record_pings(self, stored: StoredMessage, *, edit: bool) -> None:
        """Who the bot's message notifies: `state.pings`. In a thread, a mentioned member joins it (as on
        Discord, where mentioning someone in a private thread adds them). A DM notifies only its recipient."""
        if stored.ephemeral:
            return
        cid = stored.channel_id
        ch = self.state.channels.get(cid)
        dm_to = {int(u["id"]) for u in ch.get("recipients", [])} if ch is not None and ch["type"] == 1 else None
        body = stored.edits[-1] if edit else stored.sent
        allowed = body.get("allowed_mentions") if isinstance(body, dict) else None
        for user in stored.payload.get("mentions", []):
            uid = int(user["id"])
            if dm_to is not None and uid not in dm_to:
                continue
            listed = isinstance(allowed, dict) and str(uid) in {str(x) for x in allowed.get("users") or []}
            self.state.pings.append(Ping(stored.id, cid, uid, listed=listed, edit=edit))
            if not edit and ch is not None and ch["type"] in (11, 12):
                self._join_thread(cid, uid)

    def _join_thread(self, cid: int, uid: int) -> None:
        thread = self.state.channels[cid]
        members = self.state.thread_members.setdefault(cid, set())
        if uid in members:
            return
        members.add(uid)
        thread["member_count"] = len(members)
        joined = {
            "id": str(cid),
            "user_id": str(uid),
            "join_timestamp": iso(datetime.now(UTC)),
            "flags": 0,
            "member": self.member_payload(uid),
            "presence": None,
        }
        self.dispatch_thread_members(cid, len(members), added_members=[joined])

    def _create_message(
        self,
        channel_id: int,
        body: JSONDict,
        files: list[tuple[str, str, bytes, str]],
        *,
        interaction: InteractionRecord | None = None,
        msg_type: int = 0,
        extra_flags: int = 0,
        message_id: int | None = None,
    ) -> StoredMessage:
        flags = int(body.get("flags") or 0) | extra_flags
        ephemeral = bool(flags & EPHEMERAL) and interaction is not None
        attachments = self._attachments(body, files, channel_id)
        payload = self._message_payload(
            channel_id,
            body,
            attachments,
            author=self.world.bot,
            msg_type=msg_type,
            flags=flags,
            interaction=interaction,
            message_id=message_id,
        )
        stored = StoredMessage(
            payload=payload,
            sent=json_copy(body),
            files=[self.state.files[int(a["id"])] for a in attachments],
            ephemeral=ephemeral,
            interaction_id=interaction.id if interaction else None,
        )
        self.state.store_message(stored, in_channel=not ephemeral)
        if not ephemeral:
            self._record_pings(stored, edit=False)
            self._after_message_create(channel_id, stored)
        return stored

    def _after_message_create(self, channel_id: int, stored: StoredMessage) -> None:
        ch = self.state.channels.get(channel_id)
        if ch is not None:
            ch["last_message_id"] = str(stored.id)
            if ch["type"] in (11, 12):
                ch["message_count"] = ch.get("message_count", 0) + 1
                ch["total_message_sent"] = ch.get("total_message_sent", 0) + 1
        self.dispatch("MESSAGE_CREATE", self._gateway_message(stored.payload))

    def _validate_message_body(self, body: Any, files: int, *, create: bool, path: tuple[str, ...] = ()) -> JSONDict:
        if body is None:
            body = {}
        errors = v.FormErrors()
        v.validate_message(body, errors, path, files=files, create=create)
        if errors:
            raise FormError(errors)
        if create and v.is_empty_message(body, files):
            raise api_error(400, 50006, "Cannot send an empty message")
        return body

    def _edit_stored(self, stored: StoredMessage, body: JSONDict, files: list[tuple[str, str, bytes, str]]) -> JSONDict:
        stored.updated = time.monotonic()
        p = stored.payload
        for key in ("content", "embeds", "components", "flags", "poll"):
            if key in body:
                value = body[key]
                if key == "embeds":
                    value = [{"type": "rich", "content_scan_version": 0, **e} for e in value or []]
                elif key == "components":
                    value = self._normalise_components(value)
                elif key == "flags":
                    value = (int(value or 0) & ~LOADING) | (p.get("flags", 0) & EPHEMERAL)
                elif key == "content":
                    value = value or ""
                p[key] = value
        if "content" in body:
            p["mentions"], p["mention_roles"] = self._mentions(p["content"], body.get("allowed_mentions"))
        if "attachments" in body or files:
            keep_ids = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)}
            kept = (
                [a for a in p.get("attachments", []) if a["id"] in keep_ids]
                if "attachments" in body
                else list(p.get("attachments", []))
            )
            new = self._attachments(body, files, int(p["channel_id"]))
            p["attachments"] = kept + new
            stored.files = [
                self.state.files[int(a["id"])] for a in p["attachments"] if int(a["id"]) in self.state.files
            ]
        p["flags"] = p.get("flags", 0) & ~LOADING
        p["edited_timestamp"] = iso(datetime.now(UTC))
        stored.edits.append(json_copy(body))
        if "content" in body:
            self._record_pings(stored, edit=True)
        if not stored.ephemeral:
            self.dispatch("MESSAGE_UPDATE", self._gateway_message(p))
        self.state.notify("message_update", stored)
        return dict(p)

    def _delete_stored(self, stored: StoredMessage) -> None:
        stored.deleted = True
        if not stored.ephemeral:
            data: JSONDict = {"id": str(stored.id), "channel_id": str(stored.channel_id)}
            if not self.is_dm(stored.channel_id):
                data["guild_id"] = str(self.world.guild.id)
            self.dispatch("MESSAGE_DELETE", data)
        self.state.notify("message_delete", stored)

    def _message(self, channel_id: int, message_id: int) -> StoredMessage:
        stored = self.state.messages.get(channel_id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise unknown_message()
        return stored

    async def _get_channel(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        if not self.is_dm(cid) and not self.bot_perms_in(cid) & Perm.VIEW_CHANNEL:
            raise missing_access()
        return self.channel_payload(cid)

    async def _typing(self, req: Request) -> None:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.SEND_MESSAGES)

    async def _post_message(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        thread = self._thread(cid)
        if self.is_dm(cid):
            user_id = int(self.state.channels[cid]["recipients"][0]["id"])
            body = self._validate_message_body(req.json, len(req.files), create=True)
            if self.world.guild.members[user_id].user.dms_closed:
                raise api_error(403, 50007, "Cannot send messages to this user")
        else:
            if cid in self.world.guild.channels and self.world.guild.channels[cid].type == FORUM:
                raise api_error(400, 50008, "Cannot send messages in a non-text channel")
            self._require(cid, Perm.SEND_MESSAGES_IN_THREADS if thread else Perm.SEND_MESSAGES)
            body = self._validate_message_body(req.json, len(req.files), create=True)
            if req.files:
                self._require(cid, Perm.ATTACH_FILES)
            if thread is not None:
                meta = thread["thread_metadata"]
                if meta.get("locked") and not self.bot_perms_in(cid) & Perm.MANAGE_THREADS:
                    raise api_error(400, 50083, "Thread is locked")
                if meta.get("archived"):
                    meta["archived"] = False
                    meta["archive_timestamp"] = iso(datetime.now(UTC))
                    self.dispatch("THREAD_UPDATE", dict(thread))
        if body.get("embeds") and not self.is_dm(cid) and not self.bot_perms_in(cid) & Perm.EMBED_LINKS:
            body = {**body, "embeds": []}  # Discord accepts the message but drops the embeds
        nonce_key = str(body["nonce"]) if body.get("enforce_nonce") and body.get("nonce") is not None else None
        if nonce_key is not None:
            # enforce_nonce: the same author's message with this nonce in the past few minutes is returned instead.
            seen = self.state.nonces.get(nonce_key)
            earlier = self.state.message_index.get(seen[0]) if seen else None
            if seen and earlier is not None and not earlier.deleted and time.monotonic() - seen[1] < NONCE_WINDOW:
                return dict(earlier.payload)
        stored = self._create_message(cid, body, req.files)
        if nonce_key is not None:
            self.state.nonces[nonce_key] = (stored.id, time.monotonic())
        return dict(stored.payload)

    async def _get_messages(self, req: Request) -> list[JSONDict]:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(req.query.get("limit", "50"))))
        msgs = sorted(self.state.channel_messages(cid), key=lambda m: m.id, reverse=True)
        if "before" in req.query:
            msgs = [m for m in msgs if m.id < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if m.id > int(req.query["after"])]
            msgs = sorted(msgs, key=lambda m: m.id)[:limit]
            msgs.reverse()
        return [dict(m.payload) for m in msgs[:limit]]

    async def _get_message(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.READ_MESSAGE_HISTORY)
        return dict(self._message(cid, req.id("message_id")).payload)

    async def _edit_message(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        stored = self._message(cid, req.id("message_id"))
        if int(stored.payload["author"]["id"]) != self.world.bot.id:
            raise api_error(403, 50005, "Cannot edit a message authored by another user")
        body = self._validate_message_body(req.json, len(req.files), create=False)
        return self._edit_stored(stored, body, req.files)

    async def _delete_message_route(self, req: Request) -> None:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        stored = self._message(cid, req.id("message_id"))
        if int(stored.payload["author"]["id"]) != self.world.bot.id:
            self._require(cid, Perm.MANAGE_MESSAGES)
        self._delete_stored(stored)

    async def _add_reaction(self, req: Request) -> None:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.READ_MESSAGE_HISTORY, Perm.ADD_REACTIONS)
        stored = self._message(cid, req.id("message_id"))
        reactions = stored.payload.setdefault("reactions", [])
        name = req.params["emoji"]
        for r in reactions:
            if r["emoji"]["name"] == name:
                if not r["me"]:
                    r["count"] += 1
                    r["me"] = True
                return
        reactions.append({"emoji": {"id": None, "name": name}, "count": 1, "me": True, "burst_colors": []})
