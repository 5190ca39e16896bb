"""Routes for the guild: channels, active threads, members and roles."""

from __future__ import annotations

from sandbox import validation as v
from sandbox.server.base import JSONDict
from sandbox.server.http import FormError, Request, api_error, missing_permissions
from sandbox.server.routes.channels import ChannelRoutes
from sandbox.world import Member, Perm


class GuildRoutes(ChannelRoutes):
    """Routes for the guild: channels, active threads, members and roles."""

    # --- guild
    def _guild(self, req: Request) -> None:
        if req.id("guild_id") != self.world.guild.id:
            raise api_error(404, 10004, "Unknown Guild")

    async def _get_guild(self, req: Request) -> JSONDict:
        self._guild(req)
        return self.guild_payload(counts=req.flag("with_counts"))

    async def _get_guild_channels(self, req: Request) -> list[JSONDict]:
        self._guild(req)
        return [self.channel_payload(c) for c in self.world.guild.channels]

    async def _get_active_threads(self, req: Request) -> JSONDict:
        self._guild(req)
        threads = [
            dict(t)
            for t in self.state.channels.values()
            if t["type"] in (11, 12) and not t["thread_metadata"]["archived"]
        ]
        return {"threads": threads, "members": []}

    async def _get_member(self, req: Request) -> JSONDict:
        self._guild(req)
        return self.member_payload(req.id("user_id"))

    async def _list_members(self, req: Request) -> list[JSONDict]:
        self._guild(req)
        try:
            limit = int(req.query.get("limit", "1"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 1000:
            errors = v.FormErrors()
            errors.int_range(("limit",), limit, 1, 1000)
            raise FormError(errors)
        after = int(req.query.get("after", "0") or 0)
        ids = sorted(uid for uid in self.world.guild.members if uid > after)[:limit]
        return [self.world.guild.members[uid].to_dict() for uid in ids]

    async def _get_roles(self, req: Request) -> list[JSONDict]:
        self._guild(req)
        return [r.to_dict() for r in self.world.guild.roles.values()]

    def _can_manage_role(self, role_id: int) -> None:
        role = self.world.guild.roles.get(role_id)
        if role is None:
            raise api_error(404, 10011, "Unknown Role")
        if not self.world.bot_permissions() & Perm.MANAGE_ROLES:
            raise missing_permissions()
        if role.managed or role.id == self.world.guild.id:
            raise missing_permissions()
        if role.position >= self.world.guild.top_role_position(self.world.bot.id):
            raise missing_permissions()

    def _member_update(self, user_id: int) -> None:
        member = self.world.guild.members[user_id]
        self.dispatch("GUILD_MEMBER_UPDATE", {"guild_id": str(self.world.guild.id), **member.to_dict()})
        self.state.notify("member_update", member)

    def _role_change(self, req: Request) -> tuple[Member, int]:
        """The member and role of a role add/remove request, once the bot may manage that role."""
        self._guild(req)
        uid, rid = req.id("user_id"), req.id("role_id")
        member = self.world.guild.members.get(uid)
        if member is None:
            raise api_error(404, 10007, "Unknown Member")
        self._can_manage_role(rid)
        return member, rid

    async def _add_role(self, req: Request) -> None:
        member, rid = self._role_change(req)
        if rid not in member.roles:
            member.roles.append(rid)
            self._member_update(member.user.id)

    async def _remove_role(self, req: Request) -> None:
        member, rid = self._role_change(req)
        if rid in member.roles:
            member.roles.remove(rid)
            self._member_update(member.user.id)

    async def _patch_member(self, req: Request) -> JSONDict:
        self._guild(req)
        uid = req.id("user_id")
        member = self.world.guild.members.get(uid)
        if member is None:
            raise api_error(404, 10007, "Unknown Member")
        body = req.json or {}
        if "roles" in body:
            new = [int(r) for r in body["roles"] or []]
            for rid in set(new) ^ set(member.roles):
                self._can_manage_role(rid)
            member.roles = new
        if "nick" in body:
            if uid != self.world.guild.owner_id and self.world.bot_permissions() & (1 << 27):
                member.nick = body["nick"]
            else:
                raise missing_permissions()
        self._member_update(uid)
        return member.to_dict()
