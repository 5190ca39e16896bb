"""Hostile-input driver: every string option of every registered command, through the sandbox.

Used by tests/e2e/test_fuzz.py (a short hypothesis run) and bench/hostile.py (a long one). For each
target (command path + string option) the other required options get plausible values (first choice,
first autocomplete suggestion, a member, the project channel, ...), and the target gets hostile text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sandbox.client import InteractionResult
from sandbox.nexus import NexusSandbox
from sandbox.state import Ping
from sandbox.world import World

JSONDict = dict[str, Any]

HOSTILE_SAMPLES: tuple[str, ...] = (
    "@everyone",
    "@here",
    "@everyone please look",
    "<@&{role}>",
    "<@{user}>",
    "<@!{user}> <@{user}> please join",
    "hi <@&{role}> and @everyone and @here",
    "[Claim your certificate](https://evil.example/claim) and **bold**",
    "'; DROP TABLE announcements; --",
    '" OR 1=1 --',
    'NEAR(a b) AND c OR -d NOT "e" *',
    'c++ "unterminated',
    "-",
    "*",
    "(",
    "^",
    "```py\nprint('x')\n```",
    "**bold** __under__ ~~strike~~ ||spoiler|| > quote",
    "\u200b\u200b\u200b",
    "\u202eevil\u202c",
    "line one\nline two\r\nline three",
    "🙂" * 30,
    "x" * 10_000,
    "https://example.com/" + "a" * 300,
    "javascript:alert(1)",
    "=cmd|' /C calc'!A0",
    "\x00\x01\x02",
    "   ",
    "",
)


#: A member no option names and no template is about: hostile text mentions her, so any ping of her leaked.
BYSTANDER = "mallory"


def fuzz_world() -> World:
    """The default world plus the bystander that hostile text tries to ping."""
    world = World.default()
    world.add_member(BYSTANDER, roles=["Backend"])
    return world


def hostile_text(sample: str, role_id: int, user_id: int) -> str:
    return sample.replace("{role}", str(role_id)).replace("{user}", str(user_id))


@dataclass(frozen=True)
class Target:
    path: str  # "project announce"
    option: str  # the string option that receives hostile text
    max_length: int | None
    min_length: int | None


@dataclass
class FuzzReport:
    dispatched: int = 0
    unexpected_errors: list[str] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)
    mention_leaks: list[str] = field(default_factory=list)
    ping_leaks: list[str] = field(default_factory=list)


def _leaves(options: list[JSONDict], prefix: list[str]) -> list[tuple[list[str], list[JSONDict]]]:
    subs = [o for o in options if o["type"] in (1, 2)]
    if not subs:
        return [(prefix, options)]
    out: list[tuple[list[str], list[JSONDict]]] = []
    for sub in subs:
        out.extend(_leaves(sub.get("options") or [], [*prefix, sub["name"]]))
    return out


def command_leaves(nexus: NexusSandbox) -> list[tuple[str, list[JSONDict]]]:
    """Every invocable slash command path with its options, as the bot registered them."""
    commands = nexus.server.state.guild_commands.get(nexus.server.world.guild.id, [])
    leaves: list[tuple[str, list[JSONDict]]] = []
    for command in commands:
        if command.get("type", 1) != 1:
            continue
        for path, options in _leaves(command.get("options") or [], [command["name"]]):
            leaves.append((" ".join(path), options))
    return leaves


def fuzz_targets(nexus: NexusSandbox) -> list[Target]:
    targets = []
    for path, options in command_leaves(nexus):
        for option in options:
            if option["type"] == 3 and not option.get("choices"):
                targets.append(Target(path, option["name"], option.get("max_length"), option.get("min_length")))
    return targets


def fit(text: str, target: Target) -> str:
    """Discord's client enforces option lengths before sending (and values max out at 6000)."""
    limit = min(target.max_length or 6000, 6000)
    text = text[:limit]
    if target.min_length and len(text) < target.min_length:
        text = text + "x" * (target.min_length - len(text))
    return text


class Fuzzer:
    def __init__(self, nexus: NexusSandbox, *, staff: str = "erin", learner: str = "alice") -> None:
        self.nexus = nexus
        self.staff = staff
        self.learner = learner
        self.report = FuzzReport()
        self._plausible: dict[tuple[str, str], Any] = {}
        world = nexus.server.world
        self.role_id = next(r.id for r in world.guild.roles.values() if r.name == "Backend")
        # Mentioned by hostile text; bob (the plausible member option) when the world has no bystander.
        try:
            self.user_id = world.user(BYSTANDER).id
        except KeyError:
            self.user_id = world.user("bob").id

    async def plausible(self, user: str, path: str, option: JSONDict, filled: dict[str, Any]) -> Any:
        key = (path, option["name"])
        if key in self._plausible:
            return self._plausible[key]
        otype = option["type"]
        value: Any
        if option.get("choices"):
            value = option["choices"][0]["value"]
        elif otype == 3 and option.get("autocomplete"):
            try:
                choices = await self.nexus.client.autocomplete(user, path, focused=option["name"], value="", **filled)
            except AssertionError:
                choices = []
            value = choices[0]["value"] if choices else "x"
        elif otype == 3:
            value = "Plausible text"
        elif otype in (4, 10):
            value = option.get("min_value", 1)
        elif otype == 5:
            value = True
        elif otype in (6, 9):
            value = "bob"
        elif otype == 7:
            value = "prodevprojectnexus"
        elif otype == 8:
            value = "Backend"
        else:
            value = None
        self._plausible[key] = value
        return value

    async def dispatch(self, target: Target, text: str, *, as_staff: bool = True) -> InteractionResult | None:
        user = self.staff if as_staff else self.learner
        leaf = dict(command_leaves(self.nexus))[target.path]
        options: dict[str, Any] = {}
        for option in leaf:
            if option["name"] == target.option:
                continue
            if option.get("required"):
                value = await self.plausible(user, target.path, option, options)
                if value is not None:
                    options[option["name"]] = value
        options[target.option] = fit(text, target)
        before = len(self.nexus.server.requests)
        pings_before = len(self.nexus.server.state.pings)
        self.report.dispatched += 1
        try:
            result = await self.nexus.client.slash(user, target.path, options=options, timeout=15)
        except AssertionError as exc:
            self.report.unsettled.append(f"/{target.path} {target.option}={text[:40]!r}: {str(exc)[:300]}")
            return None
        if result.error_id_seen:
            self.report.unexpected_errors.append(f"/{target.path} {target.option}={text[:60]!r}")
        self.check_mentions(self.nexus.server.requests[before:])
        self.check_pings(self.nexus.server.state.pings[pings_before:])
        return result

    def check_pings(self, pings: list[Ping]) -> None:
        """Every member a message notified must be one its template named (in `allowed_mentions.users`),
        and never the bystander, whom only hostile text mentions."""
        for ping in pings:
            if ping.user_id == self.user_id or not ping.listed:
                self.report.ping_leaks.append(
                    f"message {ping.message_id} in {ping.channel_id} pinged {ping.user_id}"
                    + (" (edit)" if ping.edit else "")
                    + ("" if ping.listed else ", not named in allowed_mentions.users")
                )

    def check_mentions(self, requests: list[Any]) -> None:
        for request in requests:
            body = request.json
            if isinstance(body, dict) and isinstance(body.get("data"), dict):
                body = body["data"]  # interaction callbacks wrap the message
            # Only message content can ping (mentions inside embeds never notify anyone).
            if not isinstance(body, dict) or not body.get("content"):
                continue
            mentions = body.get("allowed_mentions")
            if mentions is None:
                self.report.mention_leaks.append(f"{request.route}: no allowed_mentions")
                continue
            parse = mentions.get("parse") or []
            if "everyone" in parse or "roles" in parse:
                self.report.mention_leaks.append(f"{request.route}: allowed_mentions={json.dumps(mentions)}")
