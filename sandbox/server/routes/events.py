"""Routes for guild scheduled events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox import validation as v
from sandbox.server.base import JSONDict
from sandbox.server.http import FormError, Request, api_error, missing_permissions
from sandbox.server.routes.guilds import GuildRoutes
from sandbox.world import Perm


class EventRoutes(GuildRoutes):
    """Routes for guild scheduled events."""

    # --- scheduled events
    def _event_errors(self, body: JSONDict, *, create: bool) -> None:
        errors = v.FormErrors()
        if create or "name" in body:
            errors.bad_len(("name",), body.get("name"), 1, 100)
        errors.max_len(("description",), body.get("description"), 1000)
        if create and body.get("privacy_level") != 2:
            errors.add(("privacy_level",), "BASE_TYPE_CHOICES", "Value must be one of {2}.")
        etype = body.get("entity_type")
        if create and etype not in (1, 2, 3):
            errors.add(("entity_type",), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        if etype == 3:
            loc = (body.get("entity_metadata") or {}).get("location")
            errors.bad_len(("entity_metadata", "location"), loc, 1, 100)
            if create and not body.get("scheduled_end_time"):
                errors.add(("scheduled_end_time",), "BASE_TYPE_REQUIRED", "This field is required")
        elif etype in (1, 2) and create and not body.get("channel_id"):
            errors.add(("channel_id",), "BASE_TYPE_REQUIRED", "This field is required")
        start = _parse_time(body.get("scheduled_start_time"))
        end = _parse_time(body.get("scheduled_end_time"))
        if create and start is None:
            errors.add(("scheduled_start_time",), "BASE_TYPE_REQUIRED", "This field is required")
        if start is not None and start < self.clock():
            errors.add(
                ("scheduled_start_time",), "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past."
            )
        if start is not None and end is not None and end < start:
            errors.add(
                ("scheduled_end_time",),
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "Cannot schedule event to end before starting.",
            )
        if errors:
            raise FormError(errors)

    def _events(self) -> dict[int, JSONDict]:
        return self.state.scheduled_events.setdefault(self.world.guild.id, {})

    async def _list_events(self, req: Request) -> list[JSONDict]:
        self._guild(req)
        return list(self._events().values())

    async def _create_event(self, req: Request) -> JSONDict:
        self._guild(req)
        if not self.world.bot_permissions() & Perm.MANAGE_EVENTS:
            raise missing_permissions()
        body = req.json or {}
        self._event_errors(body, create=True)
        eid = self.world.snowflake()
        event: JSONDict = {
            "id": str(eid),
            "guild_id": str(self.world.guild.id),
            "channel_id": str(body["channel_id"]) if body.get("channel_id") else None,
            "creator_id": str(self.world.bot.id),
            "creator": self.world.bot.to_dict(),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": 2,
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
            "auto_start": False,
        }
        self._events()[eid] = event
        self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event)
        self.state.notify("event_create", event)
        return event

    def _event(self, req: Request) -> JSONDict:
        self._guild(req)
        event = self._events().get(req.id("event_id"))
        if event is None:
            raise api_error(404, 10070, "Unknown Guild Scheduled Event")
        return event

    async def _get_event(self, req: Request) -> JSONDict:
        return self._event(req)

    async def _patch_event(self, req: Request) -> JSONDict:
        event = self._event(req)
        if not self.world.bot_permissions() & Perm.MANAGE_EVENTS:
            raise missing_permissions()
        body = req.json or {}
        self._event_errors({**{k: val for k, val in body.items() if k != "scheduled_start_time"}}, create=False)
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "status",
            "entity_metadata",
            "entity_type",
            "channel_id",
            "privacy_level",
        ):
            if key in body:
                event[key] = body[key]
        self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return event

    async def _delete_event(self, req: Request) -> None:
        event = self._event(req)
        if not self.world.bot_permissions() & Perm.MANAGE_EVENTS:
            raise missing_permissions()
        del self._events()[int(event["id"])]
        self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
