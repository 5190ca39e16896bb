"""Routes for pinned messages: pin, unpin, list (both the current and the deprecated paths), 50 per channel."""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.server.base import JSONDict
from sandbox.server.http import Request, api_error, missing_permissions
from sandbox.server.routes.messages import MessageRoutes
from sandbox.state import StoredMessage
from sandbox.world import Perm, iso

MAX_PINS = 50
CHANNEL_PINNED_MESSAGE = 6


class PinRoutes(MessageRoutes):
    """Routes for pinned messages, as Discord answers them."""

    def _pinned(self, cid: int) -> list[StoredMessage]:
        return [m for m in self.state.channel_messages(cid) if m.payload.get("pinned") and not m.deleted]

    def _require_pin(self, cid: int) -> None:
        # Pin Messages (1 << 51) is the permission Discord split out of Manage Messages; either one works.
        if not self.is_dm(cid) and not self.bot_perms_in(cid) & (Perm.PIN_MESSAGES | Perm.MANAGE_MESSAGES):
            raise missing_permissions()

    def _pins_update(self, cid: int) -> None:
        data: JSONDict = {"channel_id": str(cid), "last_pin_timestamp": iso(datetime.now(UTC))}
        if not self.is_dm(cid):
            data["guild_id"] = str(self.world.guild.id)
        self.dispatch("CHANNEL_PINS_UPDATE", data)

    async def _pin_message(self, req: Request) -> None:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.READ_MESSAGE_HISTORY)
        self._require_pin(cid)
        stored = self._message(cid, req.id("message_id"))
        if stored.payload.get("pinned"):
            return
        if len(self._pinned(cid)) >= MAX_PINS:
            raise api_error(400, 30003, f"Maximum number of pins reached ({MAX_PINS})")
        stored.payload["pinned"] = True
        self.state.pins.setdefault(cid, []).append((stored.id, iso(datetime.now(UTC))))
        self.dispatch("MESSAGE_UPDATE", self._gateway_message(stored.payload))
        self._pins_update(cid)
        # Discord says so in the channel: "<bot> pinned a message to this channel."
        notice = self._create_message(
            cid,
            {"content": "", "message_reference": {"channel_id": str(cid), "message_id": str(stored.id)}},
            [],
            msg_type=CHANNEL_PINNED_MESSAGE,
        )
        notice.payload["message_reference"] = {"type": 0, "channel_id": str(cid), "message_id": str(stored.id)}

    async def _unpin_message(self, req: Request) -> None:
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require_pin(cid)
        stored = self._message(cid, req.id("message_id"))
        if not stored.payload.get("pinned"):
            return
        stored.payload["pinned"] = False
        self.state.pins[cid] = [(mid, at) for mid, at in self.state.pins.get(cid, []) if mid != stored.id]
        self.dispatch("MESSAGE_UPDATE", self._gateway_message(stored.payload))
        self._pins_update(cid)

    def _pin_order(self, cid: int) -> list[tuple[StoredMessage, str]]:
        out = []
        for mid, at in reversed(self.state.pins.get(cid, [])):
            stored = self.state.messages.get(cid, {}).get(mid)
            if stored is not None and not stored.deleted and stored.payload.get("pinned"):
                out.append((stored, at))
        return out

    async def _list_pins(self, req: Request) -> JSONDict:
        """GET /channels/{id}/messages/pins: `{"items": [{"pinned_at", "message"}], "has_more"}`, newest first."""
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.VIEW_CHANNEL, Perm.READ_MESSAGE_HISTORY)
        limit = max(1, min(50, int(req.query.get("limit", "50"))))
        pins = self._pin_order(cid)
        if "before" in req.query:
            pins = [(m, at) for m, at in pins if at < req.query["before"]]
        return {
            "items": [{"pinned_at": at, "message": dict(m.payload)} for m, at in pins[:limit]],
            "has_more": len(pins) > limit,
        }

    async def _list_pins_deprecated(self, req: Request) -> list[JSONDict]:
        """GET /channels/{id}/pins (deprecated): the pinned messages, newest first."""
        cid = req.id("channel_id")
        self._channel_exists(cid)
        self._require(cid, Perm.VIEW_CHANNEL, Perm.READ_MESSAGE_HISTORY)
        return [dict(m.payload) for m, _ in self._pin_order(cid)]
