"""Interactions: creation, callbacks (ack window, token lifetime), webhook followups and edits."""

from __future__ import annotations

import secrets
import time
from typing import Any

from sandbox import validation as v
from sandbox.server.base import JSONDict
from sandbox.server.http import FormError, Request, api_error, json_copy, unknown_message, unknown_webhook
from sandbox.server.payloads import EPHEMERAL, LOADING
from sandbox.server.routes.events import EventRoutes
from sandbox.state import InteractionRecord, StoredMessage
from sandbox.world import Perm


class InteractionRoutes(EventRoutes):
    """Interactions: creation, callbacks (ack window, token lifetime), webhook followups and edits."""

    # --- interactions
    def create_interaction(
        self,
        itype: int,
        user_id: int,
        channel_id: int,
        data: JSONDict,
        *,
        message: StoredMessage | None = None,
    ) -> InteractionRecord:
        """Build an INTERACTION_CREATE payload, record it and dispatch it to the bot."""
        iid = self.world.snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96)
        guild = self.world.guild
        dm = self.is_dm(channel_id)
        chan = self.channel_payload(channel_id)
        payload: JSONDict = {
            "id": str(iid),
            "application_id": str(self.world.application_id),
            "type": itype,
            "data": data,
            "channel": chan,
            "channel_id": str(channel_id),
            "token": token,
            "version": 1,
            "app_permissions": str(self.bot_perms_in(channel_id) if not dm else Perm.ALL & ~Perm.ADMINISTRATOR),
            "locale": self.world.user(user_id).locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if dm:
            payload["user"] = self.world.user(user_id).to_dict()
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"1": str(user_id)}
        else:
            member = guild.members[user_id].to_dict()
            member["permissions"] = str(self.member_perms_in(user_id, channel_id))
            member["unusual_dm_activity_until"] = None
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member=member,
                context=0,
                authorizing_integration_owners={"0": str(guild.id)},
            )
        if message is not None:
            payload["message"] = dict(message.payload)
        record = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            user_id=user_id,
            channel_id=channel_id,
            guild_id=None if dm else guild.id,
            data=data,
            payload=payload,
            created=time.monotonic(),
            source_message_id=message.id if message is not None else None,
        )
        if message is not None:
            record.original_message_id = message.id
        self.state.interactions[iid] = record
        self.state.interactions_by_token[token] = record
        self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def _callback(self, req: Request) -> Any:
        inter = self.state.interactions.get(req.id("interaction_id"))
        if inter is None or inter.token != req.params["token"]:
            raise api_error(404, 10062, "Unknown interaction")
        now = time.monotonic()
        if inter.acknowledged:
            raise api_error(400, 40060, "Interaction has already been acknowledged.")
        if now - inter.created > self.ack_window:
            inter.errors.append({"path": req.path, "late_by": now - inter.created - self.ack_window})
            inter.touch()
            raise api_error(404, 10062, "Unknown interaction")
        body = req.json
        errors = v.FormErrors()
        v.validate_callback(body, errors)
        if errors:
            raise FormError(errors)
        rtype = int(body["type"])
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(inter.type, set())
        if rtype == 7 and inter.type == 5 and inter.source_message_id is None:
            allowed = allowed - {6, 7}
        if rtype not in allowed:
            errors.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid")
            raise FormError(errors)
        data = body.get("data") or {}
        inter.acknowledged = True
        inter.acked_at = now
        inter.response_type = rtype
        inter.response_data = json_copy(data)
        info: JSONDict = {"id": str(inter.id), "type": inter.type}
        resource: JSONDict = {"type": rtype}
        with_resource = rtype not in (8, 9)
        message: StoredMessage | None = None
        if rtype in (4, 5):
            if rtype == 4 and v.is_empty_message(data, len(req.files)):
                inter.acknowledged = False
                raise api_error(400, 50006, "Cannot send an empty message")
            msg_type = 20 if inter.type == 2 else 0
            extra = LOADING if rtype == 5 else 0
            body_for_msg = data if rtype == 4 else {"flags": int(data.get("flags") or 0) & EPHEMERAL}
            message = self._create_message(
                inter.channel_id,
                body_for_msg,
                req.files if rtype == 4 else [],
                interaction=inter,
                msg_type=msg_type,
                extra_flags=extra,
            )
            inter.original_message_id = message.id
            info["response_message_id"] = str(message.id)
            info["response_message_loading"] = rtype == 5
            info["response_message_ephemeral"] = message.ephemeral
            if rtype == 4:
                resource["message"] = dict(message.payload)
        elif rtype == 7:
            source = self.state.message_index.get(inter.source_message_id or 0)
            if source is not None:
                payload = self._edit_stored(source, data, req.files)
                info["response_message_id"] = str(source.id)
                info["response_message_loading"] = False
                info["response_message_ephemeral"] = source.ephemeral
                resource["message"] = payload
        elif rtype == 6:
            if inter.source_message_id:
                info["response_message_id"] = str(inter.source_message_id)
        inter.callbacks.append((200, json_copy(body), rtype))
        inter.touch()
        self.state.notify("interaction", inter)
        if not req.flag("with_response"):
            return None
        out: JSONDict = {"interaction": info}
        if with_resource:
            out["resource"] = resource
        return out

    def _interaction_for_webhook(self, req: Request) -> InteractionRecord:
        if req.id("app_id") != self.world.application_id:
            raise unknown_webhook()
        inter = self.state.interactions_by_token.get(req.params["token"])
        if inter is None:
            raise unknown_webhook()
        if time.monotonic() - inter.created > self.token_ttl:
            raise api_error(401, 50027, "Invalid Webhook Token")
        return inter

    def _webhook_message(self, inter: InteractionRecord, mid: str) -> StoredMessage:
        if mid == "@original":
            if not inter.acknowledged or inter.original_message_id is None:
                raise unknown_message()
            msg_id = inter.original_message_id
        else:
            msg_id = int(mid) if mid.isdigit() else -1
            if msg_id not in inter.followup_ids and msg_id != inter.original_message_id:
                raise unknown_message()
        stored = self.state.message_index.get(msg_id)
        if stored is None or stored.deleted:
            raise unknown_message()
        return stored

    async def _followup(self, req: Request) -> Any:
        inter = self._interaction_for_webhook(req)
        if not inter.acknowledged:
            raise unknown_webhook()
        body = self._validate_message_body(req.json, len(req.files), create=True)
        channel_id = int(req.query["thread_id"]) if req.query.get("thread_id", "").isdigit() else inter.channel_id
        stored = self._create_message(channel_id, body, req.files, interaction=inter, msg_type=0)
        inter.followup_ids.append(stored.id)
        inter.touch()
        self.state.notify("interaction", inter)
        return dict(stored.payload) if req.flag("wait") else None

    async def _webhook_get(self, req: Request) -> JSONDict:
        inter = self._interaction_for_webhook(req)
        return dict(self._webhook_message(inter, req.params["message_id"]).payload)

    async def _webhook_edit(self, req: Request) -> JSONDict:
        inter = self._interaction_for_webhook(req)
        stored = self._webhook_message(inter, req.params["message_id"])
        body = self._validate_message_body(req.json, len(req.files), create=False)
        out = self._edit_stored(stored, body, req.files)
        if req.params["message_id"] == "@original" or stored.id == inter.original_message_id:
            inter.original_edits += 1
        inter.touch()
        self.state.notify("interaction", inter)
        return out

    async def _webhook_delete(self, req: Request) -> None:
        inter = self._interaction_for_webhook(req)
        stored = self._webhook_message(inter, req.params["message_id"])
        self._delete_stored(stored)
        if stored.id == inter.original_message_id:
            inter.original_deleted = True
        inter.touch()
