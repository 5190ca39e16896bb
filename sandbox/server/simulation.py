"""Simulation helpers for tests and the console: lookups, waiting, and changing the world from outside."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.server.base import JSONDict
from sandbox.server.routes.users import UserRoutes
from sandbox.state import StoredFile, StoredMessage


class Simulation(UserRoutes):
    """What tests, the client and the console call: read the state, wait for it, change the world."""

    async def wait_ready(self, timeout: float = 30, *, commands: bool = True) -> None:
        """Wait until a bot is connected (IDENTIFY done, GUILD_CREATE sent) and, by default, has synced commands."""

        def ready() -> bool:
            if self.live_session() is None:
                return False
            if not commands:
                return True
            return self.state.command_syncs > 0 or bool(self.state.guild_commands.get(self.world.guild.id))

        await self.wait_until(ready, timeout, "the bot to identify and sync commands")

    async def wait_presence(self, timeout: float = 30) -> JSONDict:
        """Wait for the connected bot's presence update (Nexus Bot sends it once ready)."""
        presence: JSONDict = await self.wait_until(lambda: self.presence, timeout, "the bot's presence update")
        return presence

    async def wait_disconnected(self, timeout: float = 10) -> None:
        await self.wait_until(lambda: self.live_session() is None, timeout, "the bot to disconnect")

    # ------------------------------------------------------------------ lookups used by the client
    def channel_id(self, ref: str | int) -> int:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return int(ref)
        for cid, ch in self.state.channels.items():
            if ch.get("name") == ref:
                return cid
        return self.world.channel(ref).id

    def messages_in(self, channel: str | int, *, include_deleted: bool = False) -> list[JSONDict]:
        cid = self.channel_id(channel)
        return [m.payload for m in self.state.channel_messages(cid, include_deleted=include_deleted)]

    def stored_messages_in(self, channel: str | int) -> list[StoredMessage]:
        return self.state.channel_messages(self.channel_id(channel))

    def dms_to(self, user: str | int) -> list[JSONDict]:
        uid = self.world.user(user).id
        cid = self.state.dm_channels.get(uid)
        return [] if cid is None else [m.payload for m in self.state.channel_messages(cid)]

    def threads(self, parent: str | int | None = None) -> list[JSONDict]:
        pid = None if parent is None else self.channel_id(parent)
        return [
            c
            for c in self.state.channels.values()
            if c["type"] in (11, 12) and (pid is None or int(c["parent_id"]) == pid)
        ]

    def file(self, attachment: JSONDict | int) -> StoredFile:
        aid = int(attachment["id"]) if isinstance(attachment, dict) else int(attachment)
        return self.state.files[aid]

    async def wait_for_message(
        self,
        channel: str | int,
        predicate: Callable[[JSONDict], bool] | None = None,
        timeout: float = 5,
        *,
        after: int | None = None,
    ) -> JSONDict:
        """Wait for a (non-deleted) message in a channel, thread or DM channel (name, id, or ``@username`` for DMs)."""

        def find() -> JSONDict | None:
            if isinstance(channel, str) and channel.startswith("@"):
                msgs = self.dms_to(channel[1:])
            else:
                try:
                    msgs = self.messages_in(channel)
                except KeyError:
                    return None
            for m in msgs:
                if after is not None and int(m["id"]) <= after:
                    continue
                if predicate is None or predicate(m):
                    return m
            return None

        return await self.wait_until(find, timeout, f"a message in {channel!r}")

    # ------------------------------------------------------------------ simulation helpers (moderators, users)
    def delete_message(self, channel: str | int, message_id: int | str) -> None:
        """Delete a message as a moderator would: removes it and dispatches MESSAGE_DELETE."""
        cid = self.channel_id(channel)
        stored = self._message(cid, int(message_id))
        self._delete_stored(stored)

    def post_user_message(self, user: str | int, channel: str | int, content: str) -> JSONDict:
        """A member posts a plain message (dispatches MESSAGE_CREATE)."""
        cid = self.channel_id(channel)
        author = self.world.user(user)
        payload = self._message_payload(cid, {"content": content}, [], author=author)
        stored = StoredMessage(payload=payload, sent={"content": content})
        self.state.store_message(stored)
        self._after_message_create(cid, stored)
        return payload

    def add_member(self, username: str, roles: list[str] | None = None, *, dms_closed: bool = False) -> int:
        member = self.world.add_member(username, roles=roles, dms_closed=dms_closed)
        self.dispatch("GUILD_MEMBER_ADD", {"guild_id": str(self.world.guild.id), **member.to_dict()})
        return member.user.id

    def add_channel(self, name: str, type: int = 0, *, parent: str | None = None) -> int:
        """Create a guild channel (e.g. ``type=FORUM``) and dispatch CHANNEL_CREATE; returns its id."""
        channel = self.world.add_channel(name, type=type, parent=parent)
        self.dispatch("CHANNEL_CREATE", self.channel_payload(channel.id))
        return channel.id

    def delete_channel(self, channel: str | int) -> None:
        """Delete a guild channel, as a moderator would; dispatches CHANNEL_DELETE."""
        ch = self.world.channel(channel)
        payload = self.channel_payload(ch.id)
        del self.world.guild.channels[ch.id]
        self.dispatch("CHANNEL_DELETE", payload)

    def remove_member(self, user: str | int) -> None:
        u = self.world.user(user)
        del self.world.guild.members[u.id]
        self.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(self.world.guild.id), "user": u.to_dict()})

    def set_member_roles(self, user: str | int, roles: list[str]) -> None:
        member = self.world.member(user)
        member.roles = [self.world.role(r).id for r in roles]
        self._member_update(member.user.id)

    def set_bot_channel_permissions(self, channel: str | int, *, deny: int = 0, allow: int = 0) -> None:
        """Set the bot's member overwrite in a channel (e.g. ``deny=Perm.SEND_MESSAGES``); dispatches CHANNEL_UPDATE."""
        ch = self.world.channel(channel)
        ch.bot_deny, ch.bot_allow = deny, allow
        self.dispatch("CHANNEL_UPDATE", self.channel_payload(ch.id))

    def set_bot_permissions(self, permissions: int) -> None:
        """Replace the bot role's guild permissions; dispatches GUILD_ROLE_UPDATE."""
        role = self.world.bot_role
        role.permissions = permissions
        self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.world.guild.id), "role": role.to_dict()})

    def set_role_position(self, role: str | int, position: int) -> None:
        r = self.world.role(role)
        r.position = position
        self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.world.guild.id), "role": r.to_dict()})

    def set_role_permissions(self, role: str | int, permissions: int) -> None:
        """Replace a role's guild permissions (e.g. ``Perm.ADMINISTRATOR``); dispatches GUILD_ROLE_UPDATE."""
        r = self.world.role(role)
        r.permissions = permissions
        self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.world.guild.id), "role": r.to_dict()})

    def add_role(
        self, name: str, permissions: int = 0, *, position: int = 1, managed: bool = False, bot_id: int | None = None
    ) -> int:
        """Create a role (``managed=True, bot_id=`` for another bot's role); dispatches GUILD_ROLE_CREATE."""
        role = self.world.add_role(name, permissions, position=position, managed=managed, bot_id=bot_id)
        self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.world.guild.id), "role": role.to_dict()})
        return role.id
