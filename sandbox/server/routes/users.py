"""Routes for users, DMs, the gateway URL and the application."""

from __future__ import annotations

import hashlib

from sandbox.server.base import JSONDict
from sandbox.server.http import Request, api_error
from sandbox.server.routes.commands import CommandRoutes


class UserRoutes(CommandRoutes):
    """Routes for users, DMs, the gateway URL and the application."""

    # --- users, gateway, application
    async def _get_me(self, req: Request) -> JSONDict:
        return {**self.world.bot.to_dict(), "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"}

    async def _get_user(self, req: Request) -> JSONDict:
        try:
            return self.world.user(req.id("user_id")).to_dict()
        except KeyError as exc:
            raise api_error(404, 10013, "Unknown User") from exc

    async def _get_gateway(self, req: Request) -> JSONDict:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, req: Request) -> JSONDict:
        return {
            "url": self.gateway_url,
            "shards": self.world.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
        }

    async def _get_application(self, req: Request) -> JSONDict:
        owner = self.world.guild.members[self.world.guild.owner_id].user
        return {
            "id": str(self.world.application_id),
            "name": self.world.application_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(str(self.world.application_id).encode()).hexdigest(),
            "flags": self.world.application_flags,
            "owner": owner.to_dict(),
            "team": None,
            "bot": self.world.bot.to_dict(),
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
        }

    # --- DMs
    async def _create_dm(self, req: Request) -> JSONDict:
        body = req.json or {}
        try:
            user = self.world.user(str(body.get("recipient_id")))
        except KeyError as exc:
            raise api_error(404, 10013, "Unknown User") from exc
        cid = self.state.dm_channels.get(user.id)
        if cid is None:
            cid = self.world.snowflake()
            self.state.dm_channels[user.id] = cid
            self.state.channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [user.to_dict()],
            }
        return dict(self.state.channels[cid])
