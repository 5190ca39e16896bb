"""The configurable world the sandbox serves: application, bot user, one guild with channels, roles and members."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

logger = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1420070400000


class Perm:
    """Discord permission bits used by the sandbox."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    CREATE_EVENTS = 1 << 44
    PIN_MESSAGES = 1 << 51
    ALL = (1 << 51) - 1


EVERYONE_PERMS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.ADD_REACTIONS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.CHANGE_NICKNAME
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CREATE_INSTANT_INVITE
)
STAFF_PERMS = Perm.MANAGE_GUILD | Perm.MANAGE_MESSAGES | Perm.MANAGE_EVENTS | Perm.MANAGE_THREADS | Perm.KICK_MEMBERS
BOT_PERMS = (
    EVERYONE_PERMS
    | Perm.MANAGE_ROLES
    | Perm.MANAGE_EVENTS
    | Perm.CREATE_EVENTS
    | Perm.MANAGE_MESSAGES
    | Perm.MANAGE_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.MENTION_EVERYONE
)


class SnowflakeGenerator:
    """Time-based Discord snowflakes (ms since the Discord epoch << 22 | worker << 17 | increment)."""

    def __init__(self, worker: int = 1) -> None:
        self._worker = worker & 0x1F
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> int:
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            ms = max(ms, self._last)
            self._last = ms
            inc = next(self._counter) & 0xFFF
            if inc == 0xFFF:
                self._last += 1
            return (ms << 22) | (self._worker << 17) | inc


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dms_closed: bool = False
    locale: str = "en-US"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "primary_guild": None,
            "collectibles": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Channel:
    id: int
    name: str
    type: int = 0  # 0 text, 2 voice, 4 category, 11/12 threads, 1 DM
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    bot_allow: int = 0
    bot_deny: int = 0  # permissions removed for the bot user in this channel (a member overwrite)
    # role id (the guild id for @everyone) -> (allow, deny)
    role_overwrites: dict[int, tuple[int, int]] = field(default_factory=dict)

    def overwrites(self, guild_id: int, bot_id: int) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for rid, (allow, deny) in self.role_overwrites.items():
            out.append({"id": str(rid), "type": 0, "allow": str(allow), "deny": str(deny)})
        if self.bot_allow or self.bot_deny:
            out.append({"id": str(bot_id), "type": 1, "allow": str(self.bot_allow), "deny": str(self.bot_deny)})
        return out


@dataclass
class Member:
    user: User
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self, with_user: bool = True) -> dict[str, object]:
        data: dict[str, object] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.to_dict()
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    locale: str = "en-US"
    # name -> user id of the first member found with it; checked on every hit, so it never goes stale
    _name_index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def role_by_name(self, name: str) -> Role:
        for role in self.roles.values():
            if role.name.lower() == name.lower().lstrip("@") or role.name.lower() == name.lower():
                return role
        raise KeyError(f"no role named {name!r}")

    def channel_by_name(self, name: str) -> Channel:
        for ch in self.channels.values():
            if ch.name == name.lstrip("#"):
                return ch
        raise KeyError(f"no channel named {name!r}")

    def member_by_name(self, name: str) -> Member:
        cached = self.members.get(self._name_index.get(name, 0))
        if cached is not None and name in (cached.user.username, cached.user.global_name):
            return cached
        # a miss rebuilds the whole index in one pass: looking up N new names costs N, not N^2
        self._name_index = {}
        for m in self.members.values():
            for key in (m.user.username, m.user.global_name):
                if key:
                    self._name_index.setdefault(key, m.user.id)
        if name in self._name_index:
            return self.members[self._name_index[name]]
        raise KeyError(f"no member named {name!r}")

    def base_permissions(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return Perm.ALL
        member = self.members.get(user_id)
        perms = self.roles[self.id].permissions
        if member is not None:
            for rid in member.roles:
                role = self.roles.get(rid)
                if role is not None:
                    perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        return perms

    def channel_permissions(self, user_id: int, channel_id: int, bot_id: int) -> int:
        perms = self.base_permissions(user_id)
        if perms == Perm.ALL:
            return perms
        channel = self.channels.get(channel_id)
        if channel is None:
            return perms
        if channel.parent_id is not None and channel.type in (10, 11, 12):
            channel = self.channels.get(channel.parent_id, channel)
        everyone = channel.role_overwrites.get(self.id)
        if everyone is not None:
            perms = (perms & ~everyone[1]) | everyone[0]
        member = self.members.get(user_id)
        allow = deny = 0
        for rid in member.roles if member is not None else []:
            if rid in channel.role_overwrites:
                allow |= channel.role_overwrites[rid][0]
                deny |= channel.role_overwrites[rid][1]
        perms = (perms & ~deny) | allow
        if user_id == bot_id:
            perms = (perms & ~channel.bot_deny) | channel.bot_allow
        return perms

    def top_role_position(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return 1 << 30
        member = self.members.get(user_id)
        if member is None:
            return 0
        return max([self.roles[r].position for r in member.roles if r in self.roles] + [0])


# The guild a request, an event or a test step is about (None: the first guild). Set per aiohttp request and by
# `World.using(guild_id)`; a ContextVar, so concurrent requests about different guilds never see each other's.
_CURRENT_GUILD: ContextVar[int | None] = ContextVar("sandbox_guild", default=None)


@dataclass
class World:
    """Everything the sandbox serves. Build with ``World.default()`` and adjust before starting the server.

    One guild unless `add_guild` adds more; `world.guild` is the guild of the current request or test step
    (`with world.using(guild_id):`), the first one otherwise. `shard_count` is what GET /gateway/bot recommends;
    each guild's events go only to shard (guild_id >> 22) % shard_count, as Discord does.
    """

    application_id: int
    application_name: str
    bot: User
    home: Guild
    token: str
    snowflake: SnowflakeGenerator
    application_flags: int = (1 << 15) | (1 << 19)  # GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED
    large_threshold: int = 250
    others: dict[int, Guild] = field(default_factory=dict)
    shard_count: int = 1

    @property
    def guild(self) -> Guild:
        current = _CURRENT_GUILD.get()
        if current is None or current == self.home.id:
            return self.home
        return self.others.get(current, self.home)

    @property
    def guilds(self) -> list[Guild]:
        return [self.home, *self.others.values()]

    def guild_by_id(self, guild_id: int) -> Guild | None:
        return self.home if guild_id == self.home.id else self.others.get(guild_id)

    def guild_of_channel(self, channel_id: int) -> Guild | None:
        for guild in self.guilds:
            if channel_id in guild.channels:
                return guild
        return None

    def shard_of(self, guild_id: int) -> int:
        return (guild_id >> 22) % max(1, self.shard_count)

    @contextmanager
    def using(self, guild_id: int | None) -> Iterator[Guild]:
        """`world.guild` (and everything built from it) is this guild inside the block."""
        token = _CURRENT_GUILD.set(guild_id)
        try:
            yield self.guild
        finally:
            _CURRENT_GUILD.reset(token)

    def add_guild(self, name: str, *, shard: int | None = None) -> Guild:
        """A second (third...) guild laid out like the first: the same roles, channels and members (the same
        users, so alice is in both). With `shard`, its id is one Discord sends to that shard."""
        guild_id = self.snowflake()
        while shard is not None and self.shard_of(guild_id) != shard:
            guild_id += 1 << 22  # one millisecond later: the shard follows the id's timestamp
        home = self.home
        guild = Guild(id=guild_id, name=name, owner_id=home.owner_id, locale=home.locale)
        role_ids = {home.id: guild_id}
        for role in home.roles.values():
            new_id = guild_id if role.id == home.id else self.snowflake()
            role_ids[role.id] = new_id
            guild.roles[new_id] = Role(
                id=new_id, name=role.name, permissions=role.permissions, position=role.position, color=role.color,
                hoist=role.hoist, mentionable=role.mentionable, managed=role.managed, bot_id=role.bot_id,
            )  # fmt: skip
        channel_ids = {c.id: self.snowflake() for c in home.channels.values()}
        for ch in home.channels.values():
            guild.channels[channel_ids[ch.id]] = Channel(
                id=channel_ids[ch.id], name=ch.name, type=ch.type, position=ch.position,
                parent_id=channel_ids.get(ch.parent_id) if ch.parent_id else None, topic=ch.topic,
                role_overwrites={role_ids.get(r, r): v for r, v in ch.role_overwrites.items()},
            )  # fmt: skip
        for uid, member in home.members.items():
            guild.members[uid] = Member(user=member.user, roles=[role_ids[r] for r in member.roles if r in role_ids])
        self.others[guild_id] = guild
        return guild

    @classmethod
    def default(cls, token: str = "sandbox-bot-token.NEXUS.0123456789") -> World:
        gen = SnowflakeGenerator()
        app_id = gen()
        bot = User(id=app_id, username="Nexus Bot", global_name=None, bot=True)
        guild_id = gen()
        owner = User(id=gen(), username="owner", global_name="Guild Owner")
        guild = Guild(id=guild_id, name="ProDev", owner_id=owner.id)
        guild.roles[guild_id] = Role(id=guild_id, name="@everyone", permissions=EVERYONE_PERMS, position=0)
        backend = Role(id=gen(), name="Backend", permissions=0, position=1, color=0x3498DB, mentionable=True)
        frontend = Role(id=gen(), name="Frontend", permissions=0, position=2, color=0xE67E22, mentionable=True)
        staff = Role(id=gen(), name="Staff", permissions=STAFF_PERMS, position=3, color=0x2ECC71, hoist=True)
        bot_role = Role(id=gen(), name="Nexus Bot", permissions=BOT_PERMS, position=4, managed=True, bot_id=bot.id)
        for role in (backend, frontend, staff, bot_role):
            guild.roles[role.id] = role
        category = Channel(id=gen(), name="Text Channels", type=4, position=0)
        staff_only = {
            guild_id: (0, Perm.VIEW_CHANNEL),
            staff.id: (Perm.VIEW_CHANNEL, 0),
            bot_role.id: (Perm.VIEW_CHANNEL, 0),
        }
        for ch in (
            category,
            Channel(id=gen(), name="general", position=0, parent_id=category.id, topic="General chat"),
            Channel(id=gen(), name="prodevprojectnexus", position=1, parent_id=category.id, topic="Project Nexus"),
            Channel(id=gen(), name="staff-review", position=2, parent_id=category.id, role_overwrites=staff_only),
        ):
            guild.channels[ch.id] = ch
        guild.members[owner.id] = Member(user=owner, roles=[])
        guild.members[bot.id] = Member(user=bot, roles=[bot_role.id])
        world = cls(
            application_id=app_id, application_name="Nexus Bot", bot=bot, home=guild, token=token, snowflake=gen
        )
        for name, role in (("alice", backend), ("bob", frontend), ("carol", backend), ("dave", frontend)):
            world.add_member(name, roles=[role.name])
        world.add_member("erin", roles=[staff.name])
        return world

    # ------------------------------------------------------------------ helpers
    def add_member(self, username: str, roles: list[str] | None = None, dms_closed: bool = False) -> Member:
        user = User(id=self.snowflake(), username=username, global_name=username.capitalize(), dms_closed=dms_closed)
        role_ids = [self.guild.role_by_name(r).id for r in roles or []]
        member = Member(user=user, roles=role_ids)
        self.guild.members[user.id] = member
        return member

    def add_learners(self, n: int, prefix: str = "learner") -> list[Member]:
        """Add ``n`` generated members, alternating Backend and Frontend."""
        out = []
        for i in range(n):
            track = "Backend" if i % 2 == 0 else "Frontend"
            out.append(self.add_member(f"{prefix}{i:05d}", roles=[track]))
        return out

    def add_role(
        self, name: str, permissions: int = 0, *, position: int = 1, managed: bool = False, bot_id: int | None = None
    ) -> Role:
        """A new role (Discord puts new roles at position 1, just above @everyone; ties order by id)."""
        role = Role(
            id=self.snowflake(), name=name, permissions=permissions, position=position, managed=managed, bot_id=bot_id
        )
        self.guild.roles[role.id] = role
        return role

    def add_channel(self, name: str, type: int = 0, parent: str | None = None) -> Channel:
        parent_id = self.guild.channel_by_name(parent).id if parent else None
        ch = Channel(id=self.snowflake(), name=name, type=type, position=len(self.guild.channels), parent_id=parent_id)
        self.guild.channels[ch.id] = ch
        return ch

    @property
    def bot_role(self) -> Role:
        for role in self.guild.roles.values():
            if role.bot_id == self.bot.id:
                return role
        raise KeyError("bot role missing")

    def user(self, ref: str | int) -> User:
        """Find a user by id, username or global name."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            uid = int(ref)
            if uid == self.bot.id:
                return self.bot
            return self.guild.members[uid].user
        return self.guild.member_by_name(ref).user

    def member(self, ref: str | int) -> Member:
        return self.guild.members[self.user(ref).id]

    def channel(self, ref: str | int) -> Channel:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self.guild.channels[int(ref)]
        return self.guild.channel_by_name(ref)

    def role(self, ref: str | int) -> Role:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self.guild.roles[int(ref)]
        return self.guild.role_by_name(ref)

    def bot_permissions(self, channel_id: int | None = None) -> int:
        if channel_id is None:
            return self.guild.base_permissions(self.bot.id)
        return self.guild.channel_permissions(self.bot.id, channel_id, self.bot.id)

    def member_permissions(self, user_id: int, channel_id: int | None = None) -> int:
        if channel_id is None:
            return self.guild.base_permissions(user_id)
        return self.guild.channel_permissions(user_id, channel_id, self.bot.id)
