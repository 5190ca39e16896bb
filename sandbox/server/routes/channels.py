"""Routes for channels and threads: edit/delete channels, create threads and forum posts, thread members."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox import validation as v
from sandbox.server.base import JSONDict
from sandbox.server.http import FormError, Request, api_error, missing_permissions, unknown_channel
from sandbox.server.payloads import FORUM, HAS_THREAD
from sandbox.server.routes.pins import PinRoutes
from sandbox.world import Perm, iso


class ChannelRoutes(PinRoutes):
    """Routes for channels and threads: edit/delete channels, create threads and forum posts, thread members."""

    def _new_thread(
        self, parent_id: int, thread_id: int, body: JSONDict, ttype: int, *, applied_tags: list[str] | None = None
    ) -> JSONDict:
        now = iso(datetime.now(UTC))
        thread: JSONDict = {
            "id": str(thread_id),
            "type": ttype,
            "guild_id": str(self.world.guild.id),
            "parent_id": str(parent_id),
            "owner_id": str(self.world.bot.id),
            "name": body["name"],
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(body.get("auto_archive_duration") or 4320),
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
        }
        if ttype == 12:
            thread["thread_metadata"]["invitable"] = bool(body.get("invitable", True))
        if applied_tags is not None:
            thread["applied_tags"] = applied_tags
        self.state.channels[thread_id] = thread
        self.state.thread_members[thread_id] = {self.world.bot.id}
        self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        self.state.notify("thread_create", thread)
        return dict(
            thread, member={"id": str(thread_id), "user_id": str(self.world.bot.id), "join_timestamp": now, "flags": 1}
        )

    def _validate_thread_body(self, body: Any) -> JSONDict:
        body = body or {}
        errors = v.FormErrors()
        v.validate_thread_name(body, errors)
        if errors:
            raise FormError(errors)
        return body

    async def _create_thread(self, req: Request) -> tuple[int, JSONDict]:
        cid = req.id("channel_id")
        if cid not in self.world.guild.channels:
            raise unknown_channel()
        body = self._validate_thread_body(req.json)
        if self.world.guild.channels[cid].type == FORUM:
            return 201, self._create_forum_post(cid, body, req.files)
        ttype = int(body.get("type") or 12)
        self._require(cid, Perm.CREATE_PRIVATE_THREADS if ttype == 12 else Perm.CREATE_PUBLIC_THREADS)
        return 201, self._new_thread(cid, self.world.snowflake(), body, ttype)

    def _create_forum_post(self, forum_id: int, body: JSONDict, files: list[tuple[str, str, bytes, str]]) -> JSONDict:
        """A forum post: a public thread whose starter message (same id as the thread) comes in `message`."""
        self._require(forum_id, Perm.SEND_MESSAGES)
        if not isinstance(body.get("message"), dict):
            errors = v.FormErrors()
            errors.add(("message",), "BASE_TYPE_REQUIRED", "This field is required")
            raise FormError(errors)
        message_body = self._validate_message_body(body["message"], len(files), create=True, path=("message",))
        if files:
            self._require(forum_id, Perm.ATTACH_FILES)
        post_id = self.world.snowflake()
        thread = self._new_thread(forum_id, post_id, body, 11, applied_tags=list(body.get("applied_tags") or []))
        starter = self._create_message(post_id, message_body, files, message_id=post_id)
        return {**thread, "message": dict(starter.payload)}

    async def _create_thread_from_message(self, req: Request) -> tuple[int, JSONDict]:
        cid = req.id("channel_id")
        if cid not in self.world.guild.channels:
            raise unknown_channel()
        stored = self._message(cid, req.id("message_id"))
        body = self._validate_thread_body(req.json)
        self._require(cid, Perm.CREATE_PUBLIC_THREADS, Perm.READ_MESSAGE_HISTORY)
        if stored.id in self.state.channels:
            raise api_error(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(cid, stored.id, body, 11)
        stored.payload["flags"] = stored.payload.get("flags", 0) | HAS_THREAD
        stored.payload["thread"] = {k: val for k, val in thread.items() if k != "member"}
        return 201, thread

    def _thread_or_404(self, cid: int) -> JSONDict:
        thread = self._thread(cid)
        if thread is None:
            raise unknown_channel()
        return thread

    async def _add_thread_member(self, req: Request) -> None:
        cid = req.id("channel_id")
        thread = self._thread_or_404(cid)
        uid = self.world.bot.id if req.params["user_id"] == "@me" else req.id("user_id")
        if uid not in self.world.guild.members:
            raise api_error(404, 10013, "Unknown User")
        if thread["thread_metadata"]["archived"]:
            raise api_error(400, 50083, "Thread is archived")
        self._require(cid, Perm.SEND_MESSAGES_IN_THREADS)
        self._join_thread(cid, uid)

    async def _remove_thread_member(self, req: Request) -> None:
        cid = req.id("channel_id")
        thread = self._thread_or_404(cid)
        uid = self.world.bot.id if req.params["user_id"] == "@me" else req.id("user_id")
        if uid != self.world.bot.id:
            self._require(cid, Perm.MANAGE_THREADS)
        members = self.state.thread_members.setdefault(cid, set())
        members.discard(uid)
        thread["member_count"] = len(members)
        self.dispatch_thread_members(cid, len(members), removed_member_ids=[str(uid)])

    async def _get_thread_member(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._thread_or_404(cid)
        uid = req.id("user_id")
        if uid not in self.state.thread_members.get(cid, set()):
            raise api_error(404, 10007, "Unknown Member")
        return {"id": str(cid), "user_id": str(uid), "join_timestamp": iso(datetime.now(UTC)), "flags": 0}

    async def _list_thread_members(self, req: Request) -> list[JSONDict]:
        cid = req.id("channel_id")
        self._thread_or_404(cid)
        now = iso(datetime.now(UTC))
        return [
            {"id": str(cid), "user_id": str(uid), "join_timestamp": now, "flags": 0}
            for uid in sorted(self.state.thread_members.get(cid, set()))
        ]

    async def _patch_channel(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        body = req.json or {}
        thread = self._thread(cid)
        if thread is not None:
            errors = v.FormErrors()
            v.validate_thread_name(body, errors, required=False)
            if errors:
                raise FormError(errors)
            owner = int(thread["owner_id"]) == self.world.bot.id
            needs_manage = ("locked" in body) or ("name" in body and not owner) or ("archived" in body and not owner)
            if needs_manage:
                self._require(cid, Perm.MANAGE_THREADS)
            meta = thread["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    meta[key] = body[key]
            if "archived" in body:
                meta["archive_timestamp"] = iso(datetime.now(UTC))
            for key in ("name", "rate_limit_per_user", "flags", "applied_tags"):
                if key in body:
                    thread[key] = body[key]
            self.dispatch("THREAD_UPDATE", dict(thread))
            self.state.notify("thread_update", thread)
            return dict(thread)
        if self.is_dm(cid):
            raise missing_permissions()
        self._require(cid, Perm.MANAGE_CHANNELS)
        ch = self.world.guild.channels[cid]
        if "name" in body:
            ch.name = body["name"]
        if "topic" in body:
            ch.topic = body["topic"]
        payload = self.channel_payload(cid)
        self.dispatch("CHANNEL_UPDATE", payload)
        return payload

    async def _delete_channel(self, req: Request) -> JSONDict:
        cid = req.id("channel_id")
        thread = self._thread(cid)
        if thread is None:
            self._channel_exists(cid)
            raise missing_permissions()
        self._require(cid, Perm.MANAGE_THREADS)
        del self.state.channels[cid]
        self.dispatch(
            "THREAD_DELETE",
            {"id": str(cid), "guild_id": thread["guild_id"], "parent_id": thread["parent_id"], "type": thread["type"]},
        )
        return thread
