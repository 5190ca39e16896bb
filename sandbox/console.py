"""`nexus-bot sandbox`: try Nexus Bot without Discord.

Starts the local Discord-compatible server and the real bot against it, configures the sample server
as staff, then reads commands (interactively or from `--script FILE`):

    /learn topic name:django                 run a slash command as the current member (@alice)
    as @bob /match status                    run one command as another member
    in #thread-name /solved                  run a command in a channel or thread (quote names with spaces)
    click "Pair with me"                     press a button on the last message that has it
    click 3 "Next"                           press a button on message [3]
    select "Pick a category" concepts        choose option values in a select menu (select 3 "..." on [3])
    modal Title=My topic | Summary=...       fill in and submit the last modal
    complete /learn topic name:dja           show autocomplete choices
    advance 2d                               move the bot's clock forward (30m, 2h, 3d; at most 365d)
    channel #prodevprojectnexus              show the channel's (or a thread's) recent messages
    threads                                  list the threads the bot opened
    dms @bob                                 show the DMs the bot sent to @bob
    members                                  list the members and their roles
    add member NAME [backend|frontend|staff] a new member joins the server
    @bob                                     become @bob for the following commands
    expect "some text"                       (scripts) fail unless the last step showed it
    help                                     this list, then every slash command and its options
    help /project list                       one command's options in detail
    quit

Messages are numbered [N] as they are shown. With `--database PATH` the bot's database and the
sandbox world (members, channels, threads, messages, the clock) are kept in PATH and
PATH.sandbox.json, and restored the next time.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import shlex
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox import snapshot
from sandbox.client import InteractionResult, iter_components
from sandbox.commands_doc import CommandDoc, command_docs
from sandbox.nexus import NexusSandbox
from sandbox.state import StoredMessage

JSONDict = dict[str, Any]

_OPTION = re.compile(r"(?:^|\s)([a-z][a-z0-9_-]*):")
_DURATION = re.compile(r"^(\d{1,6})\s*([mhd])$")
MAX_ADVANCE = timedelta(days=365)
QUIT = ("quit", "exit")
ROLES = {"backend": "Backend", "frontend": "Frontend", "staff": "Staff"}
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
    delta = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
    if delta > MAX_ADVANCE:
        raise StepError("advance at most 365d at a time")
    return delta


def split_words(text: str) -> list[str]:
    """Words, with "quoted phrases" kept together; StepError (not ValueError) on an unclosed quote."""
    try:
        return shlex.split(text)
    except ValueError:
        raise StepError('a quote is not closed: write it like click "Pair with me"') from None


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


def render_result(result: InteractionResult, numbers: list[int] | None = None) -> str:
    if result.modal is not None:
        return render_modal(result.modal)
    if result.choices:
        return "\n".join(f"  {c['name']}  →  {c['value']}" for c in result.choices)
    parts = []
    for i, message in enumerate(result.messages):
        heading = f"[{numbers[i]}]" if numbers and i < len(numbers) else None
        parts.append(render_message(message, ephemeral=result.ephemeral if i == 0 else False, heading=heading))
    return "\n".join(parts) if parts else "(acknowledged, nothing shown)"


# --- the session ----------------------------------------------------------------------------------


def one_line(text: str, limit: int = 300) -> str:
    """Errors are shown on one line: the first line of the message, shortened."""
    first = " ".join(text.strip().splitlines()[:1]) or "something went wrong"
    return first if len(first) <= limit else first[: limit - 1] + "…"


@dataclass
class Console:
    nexus: NexusSandbox
    user: str = "alice"
    last: InteractionResult | None = None
    last_message: int | None = None  # the last message shown that has components
    failures: int = 0
    seen_messages: set[int] = field(default_factory=set)
    numbers: dict[int, int] = field(default_factory=dict)  # message id -> the [N] it was shown with
    by_number: dict[int, int] = field(default_factory=dict)  # [N] -> message id
    shown: list[str] = field(default_factory=list)  # what the current step printed
    previous: list[str] = field(default_factory=list)  # what the step before printed (for expect)
    out: Any = sys.stdout
    snapshot_file: Path | None = None
    restored: bool = False  # the world came from the snapshot (not a fresh World.default())

    def say(self, text: str) -> None:
        text = humanize_mentions(text, self._names())
        self.shown.append(text)
        try:
            print(text, file=self.out, flush=True)
        except UnicodeEncodeError:  # e.g. a stray byte typed at a strict UTF-8 terminal
            encoding = getattr(self.out, "encoding", None) or "utf-8"
            print(text.encode(encoding, "replace").decode(encoding), file=self.out, flush=True)

    def _names(self) -> dict[tuple[str, int], str]:
        world = self.nexus.server.world
        names: dict[tuple[str, int], str] = {}
        for guild_channel in world.guild.channels.values():
            names[("#", guild_channel.id)] = guild_channel.name
        for channel_id, channel in self.nexus.server.state.channels.items():
            if channel.get("name"):
                names[("#", channel_id)] = channel["name"]
        for role in world.guild.roles.values():
            names[("@&", role.id)] = role.name
        for member in world.guild.members.values():
            names[("@", member.user.id)] = member.user.username
        return names

    def number(self, message_id: int) -> int:
        """The [N] a message is shown with (the same N each time)."""
        if message_id not in self.numbers:
            n = len(self.numbers) + 1
            self.numbers[message_id] = n
            self.by_number[n] = message_id
        return self.numbers[message_id]

    def where(self, channel_id: int) -> str:
        """#channel, thread #name or DM to @member: where a message was posted."""
        server = self.nexus.server
        try:
            channel = server.channel_payload(channel_id)
        except Exception:
            return "a deleted channel"
        if channel.get("type") == 1:
            recipients = channel.get("recipients") or [{}]
            return f"DM to @{recipients[0].get('username', '?')}"
        kind = "thread " if channel.get("type") in (10, 11, 12) else ""
        return f"{kind}#{channel.get('name')}"

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
                heading = f"[{self.number(stored.id)}] — posted in {self.where(channel_id)}:"
                shown.append(render_message(stored.payload, heading=heading))
                if stored.payload.get("components"):
                    self.last_message = stored.id
        return shown

    def mark_all_seen(self) -> None:
        for messages in self.nexus.server.state.messages.values():
            self.seen_messages.update(messages)

    # --- one line of input ------------------------------------------------------------------

    async def handle(self, line: str, where: str = "") -> bool:
        """Run one line; never raises. False when the line asks to quit. Errors are printed on one line."""
        if line.strip().lower() in QUIT:
            return False
        self.previous, self.shown = self.shown, []
        try:
            await self.step(line)
        except StepError as exc:
            self.failures += 1
            self.say(f"  ✗ {where}{one_line(str(exc))}")
        except Exception as exc:  # the console must survive anything; the line says what went wrong
            self.failures += 1
            self.say(f"  ✗ {where}{type(exc).__name__}: {one_line(str(exc))}")
        self.save()
        return True

    def save(self) -> None:
        if self.snapshot_file is None:
            return
        try:
            clock = self.nexus.now() if self.nexus.clock_file is not None else None
            snapshot.save(self.snapshot_file, self.nexus.server, clock, {"user": self.user})
        except Exception as exc:
            print(f"  ✗ could not save {self.snapshot_file}: {one_line(str(exc))}", file=self.out, flush=True)

    async def step(self, line: str) -> None:
        line = line.strip()
        if not line or line.startswith("#"):
            return
        actor = self.user
        channel: str | None = None
        while True:
            match = re.match(r"^as\s+@?(\S+)(?:\s+(.*))?$", line, re.S)
            if match and match.group(2):
                actor, line = match.group(1), match.group(2).strip()
                self._member(actor)
                continue
            match = re.match(r"""^in\s+#?("[^"]*"|'[^']*'|\S+)(?:\s+(.*))?$""", line, re.S)
            if match:
                if not match.group(2):
                    raise StepError("in #channel-or-thread /command: say what to run there")
                channel, line = self._channel(match.group(1).strip("\"'").lstrip("#")), match.group(2).strip()
                continue
            break
        word, _, rest = line.partition(" ")
        word = word.lower()
        if line.startswith("/"):
            command, options = self._command(line)
            cid = channel if channel is not None else self.nexus.client.channel
            self._check_can_post(actor, cid)
            await self._run(self.nexus.client.slash(actor, command, channel=cid, options=options))
        elif word == "click":
            target, words = self._message_and_words(rest)
            label = words[0] if words else None
            stored = self._with_component(target, label, types={2}, actor=actor)
            await self._run(self.nexus.client.click(actor, stored.id, label))
        elif word == "select":
            target, words = self._message_and_words(rest)
            if len(words) < 2:
                raise StepError('select "placeholder" value [value ...]')
            stored = self._with_component(target, words[0], types={3, 5, 6, 7, 8}, actor=actor, placeholder=True)
            await self._run(self.nexus.client.select(actor, stored.id, words[1:], placeholder=words[0]))
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
            await self._complete(actor, rest, channel)
        elif word == "advance":
            instant = self.nexus.advance(parse_duration(rest))
            self.say(f"  clock is now {instant:%a %Y-%m-%d %H:%M} UTC")
            await self._settle_background()
        elif word == "channel":
            name = rest.strip().strip("\"'").lstrip("#") or "prodevprojectnexus"
            cid = self.nexus.server.channel_id(self._channel(name))
            messages = self.nexus.server.stored_messages_in(cid)[-5:]
            if not messages:
                self.say(f"  (no messages in {self.where(cid)})")
            for stored in messages:
                self._show_stored(stored)
        elif word == "threads":
            self._list_threads()
        elif word == "dms":
            name = rest.strip().lstrip("@")
            self._member(name)
            dm = self.nexus.server.state.dm_channels.get(self.nexus.server.world.user(name).id)
            messages = self.nexus.server.stored_messages_in(dm)[-5:] if dm is not None else []
            if not messages:
                self.say(f"  (no DMs to @{name})")
            for stored in messages:
                self._show_stored(stored)
        elif word == "expect":
            words = split_words(rest)
            wanted = words[0] if words else ""
            shown = "\n".join(self.last.texts()) if self.last else ""
            if wanted.lower() not in (shown + "\n" + "\n".join(self.previous)).lower():
                raise StepError(f"expected {wanted!r} in what the last step showed")
            self.say(f"  ✓ saw {wanted!r}")
        elif word == "members":
            for member in self.nexus.server.world.guild.members.values():
                roles = ", ".join(r.name for r in self.nexus.server.world.guild.roles.values() if r.id in member.roles)
                self.say(f"  @{member.user.username}  {roles}")
        elif word == "add":
            self._add_member(rest)
            await self._settle_background(0.5)
        elif word == "in":
            raise StepError("in #channel-or-thread /command (quote names with spaces)")
        elif word in ("help", "?"):
            self._help(rest)
        elif word.startswith("@") or word == "as":
            name = word.lstrip("@") if word != "as" else rest.strip().lstrip("@")
            if not name or (word.startswith("@") and rest.strip()):
                raise StepError("@name to become that member, or as @name /command for one command")
            self._member(name)
            self.user = name
            self.say(f"  you are now @{self.user}")
        else:
            near = difflib.get_close_matches(word, VERBS, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise StepError(f"unknown step {word!r}; {hint}type help")

    # --- lookups ----------------------------------------------------------------------------

    def _member(self, name: str) -> None:
        try:
            self.nexus.server.world.user(name)
        except KeyError:
            raise StepError(f"no member @{name}; try `members`") from None

    def _channel(self, name: str) -> str:
        """A channel or thread by name: exact, else the one whose name starts with (or contains) it."""
        server = self.nexus.server
        names = [c.name for c in server.world.guild.channels.values() if c.type != 4]
        names += [c["name"] for c in server.state.channels.values() if c.get("name")]
        if name in names:
            return name
        for test in (lambda n: n.lower().startswith(name.lower()), lambda n: name.lower() in n.lower()):
            found = sorted({n for n in names if test(n)})
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise StepError(f"#{name} could be {', '.join('#' + n for n in found[:5])}; say which")
        raise StepError(f"no channel or thread #{name}; channels: {', '.join('#' + n for n in names[:8])}")

    def _check_can_post(self, actor: str, channel: str | int) -> None:
        server = self.nexus.server
        cid = server.channel_id(channel)
        thread = server.state.channels.get(cid)
        user = server.world.user(actor)
        if thread is not None and thread.get("type") == 12 and user.id not in server.state.thread_members.get(cid, ()):
            raise StepError(f"@{actor} is not in the private thread #{thread.get('name')}")

    def _registered(self) -> list[CommandDoc]:
        state = self.nexus.server.state
        return command_docs(state.guild_commands.get(self.nexus.server.world.guild.id, []) + state.global_commands)

    def _command(self, line: str) -> tuple[str, dict[str, Any]]:
        """Split `/path opt:value` and check the path names a registered command."""
        command, options = split_command(line)
        docs = {d.path: d for d in self._registered()}
        if command not in docs:
            longest = max((p for p in docs if command.startswith(p + " ")), key=len, default=None)
            if longest is not None:
                raise StepError(f"options are written name:value: try `{docs[longest].usage}`")
            near = difflib.get_close_matches(command, list(docs), n=1, cutoff=0.5)
            groups = sorted(p for p in docs if p.startswith(command + " "))
            hint = f"; it has {', '.join('/' + g for g in groups)}" if groups else ""
            hint = hint or (f"; did you mean /{near[0]}?" if near else "; type help for the list")
            raise StepError(f"no command /{command}{hint}")
        return command, options

    def _message_and_words(self, rest: str) -> tuple[int | None, list[str]]:
        """`3 "Label"` → (message id of [3], ["Label"]); a first word that is a shown [N] picks the message."""
        words = split_words(rest)
        if words and words[0].strip("[]").isdigit() and int(words[0].strip("[]")) in self.by_number:
            return self.by_number[int(words[0].strip("[]"))], words[1:]
        if words and words[0].strip("[]").isdigit() and len(words) > 1:
            raise StepError(f"no message [{words[0].strip('[]')}] has been shown")
        return None, words

    def _with_component(
        self, target: int | None, wanted: str | None, *, types: set[int], actor: str, placeholder: bool = False
    ) -> StoredMessage:
        """The message to press: [N] if given, else the last one with components that has `wanted`."""
        index = self.nexus.server.state.message_index
        key = "placeholder" if placeholder else "label"

        def has(stored: StoredMessage) -> bool:
            comps = [c for c in iter_components(stored.payload.get("components") or []) if c.get("type") in types]
            return bool(comps) and (wanted is None or any(c.get(key) == wanted for c in comps))

        if target is not None:
            candidates = [target]
        else:
            recent = sorted(self.by_number.values(), key=lambda m: self.numbers[m], reverse=True)
            candidates = ([self.last_message] if self.last_message is not None else []) + recent
        for mid in candidates:
            stored = index.get(mid)
            if stored is None or stored.deleted or not has(stored):
                continue
            self._check_visible(stored, actor)
            return stored
        what = f"{'select' if placeholder else 'button'}" + (f" {wanted!r}" if wanted else "")
        if target is not None:
            stored = index.get(target)
            found = [
                str(c.get(key) or c.get("custom_id"))
                for c in iter_components((stored.payload.get("components") if stored else None) or [])
                if c.get("type") in types
            ]
            raise StepError(f"message [{self.numbers[target]}] has no {what}; it has: {', '.join(found) or 'none'}")
        raise StepError(f"no message shown so far has a {what}")

    def _check_visible(self, stored: StoredMessage, actor: str) -> None:
        if not stored.ephemeral or stored.interaction_id is None:
            return
        record = self.nexus.server.state.interactions.get(stored.interaction_id)
        user = self.nexus.server.world.user(actor)
        if record is not None and record.user_id != user.id:
            owner = self.nexus.server.world.user(record.user_id).username
            raise StepError(f"message [{self.number(stored.id)}] was shown only to @{owner}; only they can press it")

    # --- steps ------------------------------------------------------------------------------

    async def _complete(self, actor: str, rest: str, channel: str | None) -> None:
        if not rest.strip().startswith("/"):
            raise StepError("complete /command option:partial-text")
        command, options = self._command(rest)
        if not options:
            raise StepError("complete /command option:partial-text")
        focused = list(options)[-1]
        doc = next(d for d in self._registered() if d.path == command)
        option = doc.option(focused) or doc.option(focused.replace("_", "-"))
        if option is None:
            raise StepError(f"/{command} has no option {focused!r}; it has {', '.join(o.name for o in doc.options)}")
        if not option.autocomplete:
            offer = f"its choices: {', '.join(option.choices)}" if option.choices else "type any value"
            raise StepError(f"option {option.name!r} of /{command} has no suggestions; {offer}")
        value = str(options.pop(focused))
        cid = channel if channel is not None else self.nexus.client.channel
        try:
            choices = await self.nexus.client.autocomplete(
                actor, command, focused=focused, value=value, channel=cid, options=options
            )
        except (AssertionError, ValueError, KeyError) as exc:
            raise StepError(one_line(str(exc))) from None
        self.say("\n".join(f"  {c['name']}  →  {c['value']}" for c in choices) or "  (no suggestions)")

    def _add_member(self, rest: str) -> None:
        words = split_words(rest)
        if len(words) < 2 or words[0].lower() != "member" or len(words) > 3:
            raise StepError("add member NAME [backend|frontend|staff]")
        name = words[1].lstrip("@")
        if not re.fullmatch(r"[a-z0-9_.]{2,32}", name):
            raise StepError("member names are 2–32 lowercase letters, digits, _ or .")
        try:
            self.nexus.server.world.user(name)
        except KeyError:
            pass
        else:
            raise StepError(f"@{name} is already a member")
        role = words[2].lower() if len(words) == 3 else None
        if role is not None and role not in ROLES:
            raise StepError(f"the role is one of: {', '.join(ROLES)} (or leave it out)")
        self.nexus.server.add_member(name, roles=[ROLES[role]] if role else [])
        self.say(f"  @{name} joined the server{f' with the {ROLES[role]} role' if role else ''}")

    def _list_threads(self) -> None:
        server = self.nexus.server
        threads = server.threads()
        if not threads:
            self.say("  (no threads yet)")
        for thread in threads:
            meta = thread.get("thread_metadata") or {}
            state = "archived" if meta.get("archived") else "open"
            kind = "private" if thread.get("type") == 12 else "public"
            members = ", ".join(
                "@" + server.world.user(u).username
                for u in sorted(server.state.thread_members.get(int(thread["id"]), ()))
                if u != server.world.bot.id and u in server.world.guild.members
            )
            parent = self.where(int(thread["parent_id"]))
            self.say(f"  #{thread['name']}  ({kind}, {state}, in {parent}){f'  {members}' if members else ''}")

    def _help(self, rest: str) -> None:
        docs = self._registered()
        if rest.strip():
            path = " ".join(rest.strip().lstrip("/").split())
            matching = [d for d in docs if d.path == path or d.path.startswith(path + " ")]
            if not matching:
                raise StepError(f"no command /{path}; type help for the list")
            for doc in matching:
                self.say(f"  {doc.usage}\n    {doc.description}")
                for option in doc.options:
                    self.say(f"      {option.detail()}")
            return
        self.say((__doc__ or "").strip())
        self.say("\nSlash commands the bot registered ([option] = optional; write options as name:value):")
        for doc in docs:
            self.say(f"  {doc.usage}\n      {doc.description}")

    def _show_stored(self, stored: StoredMessage) -> None:
        author = (stored.payload.get("author") or {}).get("username", "?")
        self.seen_messages.add(stored.id)
        self.say(render_message(stored.payload, heading=f"[{self.number(stored.id)}] @{author}:"))
        if stored.payload.get("components"):
            self.last_message = stored.id

    async def _run(self, awaitable: Any) -> None:
        try:
            result: InteractionResult = await awaitable
        except (AssertionError, ValueError, KeyError, PermissionError) as exc:
            raise StepError(one_line(str(exc))) from None
        self.last = result
        numbers = [self.number(int(m["id"])) for m in result.messages if m.get("id")]
        self.say(render_result(result, numbers))
        for message in result.messages:
            if message.get("id"):
                self.seen_messages.add(int(message["id"]))
                if message.get("components"):
                    self.last_message = int(message["id"])
        posts = self.new_channel_posts()
        if posts:
            self.say("\n".join(posts))
        if result.error_id_seen:
            raise StepError("the bot reported an unexpected error")

    async def _settle_background(self, seconds: float = 1.5) -> None:
        """After moving the clock, give the scheduler (which ticks twice a second) time to act."""
        await asyncio.sleep(seconds)
        posts = self.new_channel_posts()
        if posts:
            self.say("\n".join(posts))


VERBS = ["click", "select", "modal", "complete", "advance", "channel", "threads", "dms", "expect", "members"]
VERBS += ["add", "help", "as", "in", "quit"]


@asynccontextmanager
async def open_console(database: str | Path | None = None, *, out: Any = sys.stdout) -> AsyncIterator[Console]:
    """The sandbox, the bot and a console on them. With `database`, the world is restored from (and
    saved to) the snapshot beside it, so members, channels, threads and messages match the database."""
    db_path = Path(database).resolve() if database else None
    saved: snapshot.Snapshot | None = None
    snapshot_file = snapshot.snapshot_path(db_path) if db_path else None
    if snapshot_file is not None and snapshot_file.exists():
        if db_path is not None and not db_path.exists():
            raise ValueError(
                f"{snapshot_file} is there but its database {db_path} is not: restore the database, "
                "or delete the snapshot to start afresh"
            )
        saved = snapshot.load(snapshot_file)
    elif db_path is not None and db_path.exists():
        raise ValueError(
            f"{db_path} exists but {snapshot_file} does not: the sandbox can't restore the members, channels and "
            "messages that database refers to; pass a new --database path"
        )
    start = saved.clock if saved and saved.clock else datetime.now(UTC).replace(microsecond=0)
    nexus = NexusSandbox(None, world=saved.world if saved else None, start_time=start, log_level="WARNING")
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        nexus.db_path = db_path
    if saved is not None:
        snapshot.restore_state(nexus.server.state, saved.state)
    print("Starting the sandbox and Nexus Bot ...", file=out, flush=True)
    async with nexus:
        console = Console(nexus, out=out, snapshot_file=snapshot_file)
        if saved is None:
            setup = await nexus.setup_guild()
            assert setup.embed is not None, setup.describe()
        else:
            console.user = str(saved.console.get("user") or console.user)
            console.restored = True
        console.mark_all_seen()
        await nexus.wait_settled()
        console.mark_all_seen()
        console.save()
        try:
            yield console
        finally:
            console.save()


async def _run_console(script: str | None, database: str | None) -> int:
    try:
        context = open_console(database)
        console = await context.__aenter__()
    except ValueError as exc:
        print(f"  ✗ {exc}", flush=True)
        return 2
    try:
        nexus = console.nexus
        activities = (nexus.server.presence or {}).get("activities") or [{}]
        print(f"Nexus Bot is online, its status reads: {activities[0].get('state', '')}")
        if console.snapshot_file is not None:
            print(f"Database {nexus.db_path}; the sandbox world is kept in {console.snapshot_file}.")
        if console.restored:
            messages = sum(len(m) for m in nexus.server.state.messages.values())
            members = len(nexus.server.world.guild.members)
            print(f"Restored: {members} members, {len(nexus.server.threads())} threads, {messages} messages.")
        else:
            print("Ready. Server 'ProDev', channel #prodevprojectnexus, set up by @erin (staff).")
        print(f"You are @{console.user}. Type help for what you can do, quit to leave.\n", flush=True)
        if script is not None:
            try:
                lines = Path(script).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError as exc:
                print(f"  ✗ cannot read the script: {one_line(str(exc))}", flush=True)
                return 2
            for number, line in enumerate(lines, 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                print(f"» {line}", flush=True)
                if not await console.handle(line, where=f"line {number}: "):
                    break
            print(f"\nScript finished: {console.failures} failed step(s).")
            return 1 if console.failures else 0
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, input, f"@{console.user}> ")
            except EOFError:
                break
            except UnicodeDecodeError:
                print("  ✗ that line is not valid UTF-8 text; type it again", flush=True)
                continue
            if not await console.handle(line):
                break
        return 0
    finally:
        await context.__aexit__(None, None, None)


def main(script: str | None = None, database: str | None = None) -> int:
    try:
        return asyncio.run(_run_console(script, database))
    except KeyboardInterrupt:
        return 0
