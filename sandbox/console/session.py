"""`Console`: one line at a time, as a member, against the sandbox and the bot."""

from __future__ import annotations

import asyncio
import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import snapshot
from sandbox.client import InteractionResult, iter_components
from sandbox.commands_doc import CommandDoc, command_docs
from sandbox.console.parsing import (
    QUIT,
    ROLES,
    StepError,
    parse_duration,
    split_command,
    split_words,
)
from sandbox.console.rendering import (
    humanize_mentions,
    one_line,
    render_message,
    render_result,
)
from sandbox.nexus import NexusSandbox
from sandbox.state import StoredMessage


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
