"""`nexus-bot sandbox`: try Nexus Bot without Discord.

Starts the local Discord-compatible server and the real bot against it, configures the sample server
as staff, then reads commands (interactively or from `--script FILE`):

    /learn topic name:django                 run a slash command as the current member (@alice)
    as @bob /match status                    run one command as another member
    click "Pair with me"                     press a button on the last message shown
    select "Pick a category" concepts        choose option values in a select menu
    modal Title=My topic | Summary=...       fill in and submit the last modal
    complete /learn topic name:dja           show autocomplete choices
    advance 2d                               move the bot's clock forward (30m, 2h, 3d)
    channel #prodevprojectnexus              show the channel's recent messages
    dms @bob                                 show the DMs the bot sent to @bob
    expect "some text"                       (scripts) fail unless the last reply contains it
    members, help, quit
"""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.client import InteractionResult, iter_components
from sandbox.nexus import NexusSandbox

JSONDict = dict[str, Any]

_OPTION = re.compile(r"(?:^|\s)([a-z][a-z0-9_-]*):")
_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link"}


class StepError(Exception):
    """A step that failed: the console says why and goes on; a script exits non-zero."""


def _inside_quotes(text: str, position: int) -> bool:
    quote: str | None = None
    for ch in text[:position]:
        if quote is None and ch in "\"'":
            quote = ch
        elif ch == quote:
            quote = None
    return quote is not None


def parse_options(text: str) -> dict[str, Any]:
    """`name:django level:"two words" flag:true` → {"name": "django", ...}; a value runs to the next `opt:`."""
    matches = [m for m in _OPTION.finditer(text) if not _inside_quotes(text, m.start(1))]
    if text.strip() and (not matches or text[: matches[0].start()].strip()):
        raise StepError(f"options are written name:value; could not read {text.strip()!r}")
    options: dict[str, Any] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        raw = text[match.end() : end].strip()
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
            raw = raw[1:-1]
        value: Any = raw
        if raw.lower() in ("true", "yes"):
            value = True
        elif raw.lower() in ("false", "no"):
            value = False
        options[match.group(1)] = value.lstrip("#@") if isinstance(value, str) and raw[:1] in "#@" else value
    return options


def split_command(text: str) -> tuple[str, dict[str, Any]]:
    """`/project list track:backend` → ("project list", {"track": "backend"})."""
    body = text.strip().removeprefix("/")
    first_option = _OPTION.search(body)
    path = body[: first_option.start()] if first_option else body
    options = parse_options(body[len(path) :]) if first_option else {}
    return " ".join(path.split()), options


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise StepError("durations look like 30m, 2h or 3d")
    amount, unit = int(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]


# --- rendering ------------------------------------------------------------------------------------


def _box(lines: list[str], width: int = 72) -> list[str]:
    inner = width - 4
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(textwrap.wrap(line, inner, replace_whitespace=False) or [""])
    return ["┌" + "─" * (width - 2) + "┐", *(f"│ {w.ljust(inner)} │" for w in wrapped), "└" + "─" * (width - 2) + "┘"]


def render_embed(embed: JSONDict) -> list[str]:
    lines: list[str] = []
    if embed.get("author"):
        lines.append(embed["author"].get("name", ""))
    if embed.get("title"):
        lines.append(f"** {embed['title']} **")
    if embed.get("description"):
        lines.extend(embed["description"].splitlines())
    for f in embed.get("fields") or []:
        lines.append("")
        lines.append(f"{f['name']}:")
        lines.extend("  " + v for v in str(f["value"]).splitlines())
    if embed.get("footer"):
        lines.extend(["", embed["footer"].get("text", "")])
    return _box(lines)


def render_components(components: list[JSONDict]) -> list[str]:
    out: list[str] = []
    for comp in iter_components(components):
        kind = comp.get("type")
        disabled = " (disabled)" if comp.get("disabled") else ""
        if kind == 2:
            label = comp.get("label") or comp.get("emoji", {}).get("name") or comp.get("custom_id")
            target = f" → {comp['url']}" if comp.get("url") else ""
            out.append(f"  [{label}]{target}{disabled}")
        elif kind in (3, 5, 6, 7, 8):
            options = ", ".join(o.get("label", "") for o in comp.get("options") or [])
            out.append(f"  <select: {comp.get('placeholder') or comp.get('custom_id')}> {options}{disabled}")
    return out


_MENTION = re.compile(r"<(#|@&|@!?)(\d+)>")


def humanize_mentions(text: str, names: dict[tuple[str, int], str]) -> str:
    """Show `<#id>`, `<@&id>` and `<@id>` as #channel, @role and @user, as Discord's client does."""

    def name_for(match: re.Match[str]) -> str:
        kind = {"#": "#", "@&": "@&", "@": "@", "@!": "@"}[match.group(1)]
        found = names.get((kind, int(match.group(2))))
        prefix = "#" if kind == "#" else "@"
        return f"{prefix}{found}" if found else match.group(0)

    return _TIMESTAMP.sub(_timestamp_text, _MENTION.sub(name_for, text))


_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::[tTdDfFR])?>")


def _timestamp_text(match: re.Match[str]) -> str:
    """A Discord timestamp as the console shows it (Discord shows it in each reader's own zone)."""
    return datetime.fromtimestamp(int(match.group(1)), UTC).strftime("%a %d %b %Y %H:%M UTC")


def render_message(message: JSONDict, *, ephemeral: bool = False, heading: str | None = None) -> str:
    lines: list[str] = []
    if heading:
        lines.append(heading)
    if message.get("content"):
        lines.extend(message["content"].splitlines())
    for embed in message.get("embeds") or []:
        lines.extend(render_embed(embed))
    for attachment in message.get("attachments") or []:
        lines.append(f"  📎 {attachment.get('filename')}")
    lines.extend(render_components(message.get("components") or []))
    if ephemeral:
        lines.append("  (ephemeral: only you can see this)")
    return "\n".join(lines)


def render_modal(modal: JSONDict) -> str:
    lines = [f"Modal: {modal.get('title')}  (answer with: modal Label=value | Label=value)"]
    for comp in iter_components(modal.get("components") or []):
        if comp.get("type") == 4:
            value = f" = {comp['value']!r}" if comp.get("value") else ""
            lines.append(f"  • {comp.get('label')}{' (required)' if comp.get('required', True) else ''}{value}")
    return "\n".join(lines)


def render_result(result: InteractionResult) -> str:
    if result.modal is not None:
        return render_modal(result.modal)
    if result.choices:
        return "\n".join(f"  {c['name']}  →  {c['value']}" for c in result.choices)
    parts = []
    for i, message in enumerate(result.messages):
        parts.append(render_message(message, ephemeral=result.ephemeral if i == 0 else False))
    return "\n".join(parts) if parts else "(acknowledged, nothing shown)"


# --- the session ----------------------------------------------------------------------------------


@dataclass
class Console:
    nexus: NexusSandbox
    user: str = "alice"
    last: InteractionResult | None = None
    last_message: JSONDict | int | None = None
    failures: int = 0
    seen_messages: set[int] = field(default_factory=set)
    out: Any = sys.stdout

    def say(self, text: str) -> None:
        print(humanize_mentions(text, self._names()), file=self.out, flush=True)

    def _names(self) -> dict[tuple[str, int], str]:
        world = self.nexus.server.world
        names: dict[tuple[str, int], str] = {}
        for channel_id, channel in self.nexus.server.state.channels.items():
            if channel.get("name"):
                names[("#", channel_id)] = channel["name"]
        for role in world.guild.roles.values():
            names[("@&", role.id)] = role.name
        for member in world.guild.members.values():
            names[("@", member.user.id)] = member.user.username
        return names

    def new_channel_posts(self) -> list[str]:
        """Messages the bot posted in channels, threads and DMs since the last step."""
        shown: list[str] = []
        for channel_id, messages in list(self.nexus.server.state.messages.items()):
            for stored in list(messages.values()):
                if stored.id in self.seen_messages or stored.deleted:
                    continue
                self.seen_messages.add(stored.id)
                if stored.interaction_id is not None:
                    continue  # already shown as a reply
                channel = self.nexus.server.state.channels.get(channel_id, {})
                where = f"#{channel.get('name')}" if channel.get("name") else "a DM"
                if channel.get("type") == 1:
                    recipients = channel.get("recipients") or [{}]
                    where = f"DM to @{recipients[0].get('username', '?')}"
                shown.append(render_message(stored.payload, heading=f"— posted in {where}:"))
                if stored.payload.get("components"):
                    self.last_message = stored.id
        return shown

    def mark_all_seen(self) -> None:
        for messages in self.nexus.server.state.messages.values():
            self.seen_messages.update(messages)

    async def step(self, line: str) -> None:
        line = line.strip()
        if not line or line.startswith("#"):
            return
        actor = self.user
        match = re.match(r"^as\s+@?(\S+)\s+(.*)$", line)
        if match:
            actor, line = match.group(1), match.group(2)
            try:
                self.nexus.server.world.user(actor)
            except Exception:
                raise StepError(f"no member @{actor}; try `members`") from None
        word, _, rest = line.partition(" ")
        word = word.lower()
        if line.startswith("/"):
            command, options = split_command(line)
            await self._run(self.nexus.client.slash(actor, command, options=options))
        elif word == "click":
            label = shlex.split(rest)[0] if rest.strip() else None
            target = self._target()
            await self._run(self.nexus.client.click(actor, target, label))
        elif word == "select":
            parts = shlex.split(rest)
            if len(parts) < 2:
                raise StepError('select "placeholder" value [value ...]')
            await self._run(self.nexus.client.select(actor, self._target(), parts[1:], placeholder=parts[0]))
        elif word == "modal":
            if self.last is None or self.last.modal is None:
                raise StepError("no modal is open")
            values = {}
            for pair in rest.split("|"):
                key, sep, value = pair.partition("=")
                if not sep:
                    raise StepError("modal Label=value | Label=value")
                values[key.strip()] = value.strip().replace("\\n", "\n")
            await self._run(self.nexus.client.submit_modal(actor, self.last, values))
        elif word == "complete":
            command, options = split_command(rest)
            if not options:
                raise StepError("complete /command option:partial-text")
            focused = list(options)[-1]
            value = str(options.pop(focused))
            choices = await self.nexus.client.autocomplete(actor, command, focused=focused, value=value, **options)
            self.say("\n".join(f"  {c['name']}  →  {c['value']}" for c in choices) or "  (no suggestions)")
        elif word == "advance":
            instant = self.nexus.advance(parse_duration(rest))
            self.say(f"  clock is now {instant:%a %Y-%m-%d %H:%M} UTC")
            await self._settle_background()
        elif word == "channel":
            name = rest.strip().lstrip("#") or "prodevprojectnexus"
            for message in self.nexus.server.messages_in(name)[-5:]:
                self.say(render_message(message))
        elif word == "dms":
            for message in self.nexus.server.dms_to(rest.strip().lstrip("@"))[-5:]:
                self.say(render_message(message))
        elif word == "expect":
            wanted = shlex.split(rest)[0] if rest.strip() else ""
            shown = "\n".join(self.last.texts()) if self.last else ""
            if wanted.lower() not in shown.lower():
                raise StepError(f"expected {wanted!r} in the last reply")
            self.say(f"  ✓ saw {wanted!r}")
        elif word == "members":
            for member in self.nexus.server.world.guild.members.values():
                roles = ", ".join(r.name for r in self.nexus.server.world.guild.roles.values() if r.id in member.roles)
                self.say(f"  @{member.user.username}  {roles}")
        elif word in ("help", "?"):
            self.say(__doc__ or "")
        elif word.startswith("@") or word == "as":
            self.user = word.lstrip("@") if word != "as" else rest.strip().lstrip("@")
            self.say(f"  you are now @{self.user}")
        else:
            raise StepError(f"unknown step {word!r}; type help")

    def _target(self) -> Any:
        if self.last_message is not None:
            return self.last_message
        if self.last is not None:
            return self.last
        raise StepError("there is no message with buttons yet")

    async def _run(self, awaitable: Any) -> None:
        try:
            result: InteractionResult = await awaitable
        except AssertionError as exc:
            raise StepError(str(exc).splitlines()[0]) from None
        self.last = result
        if result.messages and any(m.get("components") for m in result.messages):
            self.last_message = None
        self.say(render_result(result))
        for message in result.messages:
            if message.get("id"):
                self.seen_messages.add(int(message["id"]))
        posts = self.new_channel_posts()
        if posts:
            self.say("\n".join(posts))
        if result.error_id_seen:
            raise StepError("the bot reported an unexpected error")

    async def _settle_background(self) -> None:
        """After moving the clock, give the scheduler (which ticks twice a second) time to act."""
        await asyncio.sleep(1.5)
        posts = self.new_channel_posts()
        if posts:
            self.say("\n".join(posts))


async def _run_console(script: str | None, database: str | None) -> int:
    workdir = Path(database).resolve().parent if database else None
    start = datetime.now(UTC).replace(microsecond=0)
    nexus = NexusSandbox(workdir, start_time=start, log_level="WARNING")
    if database:
        nexus.db_path = Path(database).resolve()
    print("Starting the sandbox and Nexus Bot ...", flush=True)
    async with nexus:
        console = Console(nexus)
        setup = await nexus.setup_guild()
        console.mark_all_seen()
        assert setup.embed is not None, setup.describe()
        await nexus.wait_settled()
        activities = (nexus.server.presence or {}).get("activities") or [{}]
        print(f"Nexus Bot is online, its status reads: {activities[0].get('state', '')}")
        print("Ready. Server 'ProDev', channel #prodevprojectnexus, set up by @erin (staff).")
        print("You are @alice (Backend). Type help for what you can do, quit to leave.\n", flush=True)
        if script is not None:
            lines = Path(script).read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                print(f"» {line}", flush=True)
                try:
                    await console.step(line)
                except StepError as exc:
                    console.failures += 1
                    print(f"  ✗ line {number}: {exc}", flush=True)
            print(f"\nScript finished: {console.failures} failed step(s).")
            return 1 if console.failures else 0
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, input, f"@{console.user}> ")
            except EOFError:
                break
            if line.strip().lower() in ("quit", "exit"):
                break
            try:
                await console.step(line)
            except StepError as exc:
                print(f"  ✗ {exc}")
    return 0


def main(script: str | None = None, database: str | None = None) -> int:
    try:
        return asyncio.run(_run_console(script, database))
    except KeyboardInterrupt:
        return 0
