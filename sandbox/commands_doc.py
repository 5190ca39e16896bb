"""The slash commands as a reader sees them: from registered command JSON, and from README's table.

`command_docs(...)` turns application command JSON (what the bot syncs, or `tree` `to_dict()`) into
one `CommandDoc` per invocable command (`/project list [project] [track] ...`); the console's `help`
prints them. `registered_commands()` loads every cog without connecting and returns that JSON.
`compare_readme(markdown, docs)` lists every difference between README's command table and them.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JSONDict = dict[str, Any]

SUBCOMMAND, GROUP = 1, 2
OPTION_TYPES = {3: "text", 4: "integer", 5: "true/false", 6: "member", 7: "channel", 8: "role", 9: "member or role"}
OPTION_TYPES |= {10: "number", 11: "file"}


@dataclass(frozen=True)
class OptionDoc:
    name: str
    required: bool
    description: str = ""
    type: int = 3
    choices: tuple[str, ...] = ()
    autocomplete: bool = False

    @property
    def usage(self) -> str:
        return self.name if self.required else f"[{self.name}]"

    def detail(self) -> str:
        """`track` (required, one of: backend, frontend): Your track."""
        kind = f"one of: {', '.join(self.choices)}" if self.choices else OPTION_TYPES.get(self.type, "value")
        if self.autocomplete:
            kind += ", suggestions as you type"
        return f"{self.name} ({'required' if self.required else 'optional'}, {kind}): {self.description}"


@dataclass(frozen=True)
class CommandDoc:
    path: str  # "project list", without the slash
    description: str
    options: tuple[OptionDoc, ...]

    @property
    def usage(self) -> str:
        return " ".join([f"/{self.path}", *(o.usage for o in self.options)])

    def option(self, name: str) -> OptionDoc | None:
        return next((o for o in self.options if o.name == name), None)


def _option_doc(raw: JSONDict) -> OptionDoc:
    return OptionDoc(
        name=raw["name"],
        required=bool(raw.get("required")),
        description=raw.get("description", ""),
        type=int(raw.get("type", 3)),
        choices=tuple(str(c.get("name", c.get("value"))) for c in raw.get("choices") or []),
        autocomplete=bool(raw.get("autocomplete")),
    )


def command_docs(commands: Iterable[JSONDict]) -> list[CommandDoc]:
    """One entry per invocable chat-input command, subcommand or grouped subcommand, sorted by path."""
    out: list[CommandDoc] = []

    def walk(path: str, node: JSONDict) -> None:
        children = node.get("options") or []
        nested = [o for o in children if o.get("type") in (SUBCOMMAND, GROUP)]
        if nested:
            for child in nested:
                walk(f"{path} {child['name']}", child)
        else:
            out.append(CommandDoc(path, node.get("description", ""), tuple(_option_doc(o) for o in children)))

    for command in commands:
        if command.get("type", 1) == 1:
            walk(command["name"], command)
    return sorted(out, key=lambda d: d.path)


async def registered_commands() -> list[JSONDict]:
    """The bot's application commands as it would sync them: every cog loaded, nothing connected."""
    from bot.app.nexus_bot import NexusBot, cog_extensions
    from bot.clock import SystemClock
    from bot.config import Settings
    from db.database import Database

    with tempfile.TemporaryDirectory(prefix="nexus-commands-") as tmp:
        path = Path(tmp) / "commands.db"
        db = Database(path)
        await db.connect()
        try:
            await db.migrate()
            settings = Settings(token="sandbox-token-not-used-0000", guild_id=None, database_path=path)
            bot = NexusBot(settings, db, SystemClock(), sync_commands=False)
            try:
                for extension in cog_extensions():
                    await bot.load_extension(extension)
                return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]
            finally:
                await bot.close()
        finally:
            await db.close()


# --- README's command table -------------------------------------------------------------------------

_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class ReadmeCommand:
    line: int  # 1-based line of README.md
    text: str  # the backticked span as written
    tokens: tuple[str, ...]  # words after the leading slash


def readme_commands(markdown: str) -> list[ReadmeCommand]:
    """Every `/command ...` span in the first column of the table under `## Commands`."""
    out: list[ReadmeCommand] = []
    in_section = False
    for number, line in enumerate(markdown.splitlines(), 1):
        if line.startswith("## "):
            in_section = line.strip() == "## Commands"
            continue
        if not in_section or not line.startswith("|"):
            continue
        first = re.split(r"(?<!\\)\|", line)[1] if line.count("|") >= 2 else ""
        for span in _SPAN.findall(first):
            if span.startswith("/"):
                out.append(ReadmeCommand(number, span, tuple(span[1:].split())))
    return out


def compare_readme(markdown: str, docs: list[CommandDoc]) -> list[str]:
    """Every difference between README's command table and the registered commands, one line each,
    saying which side lacks what and what to write in README."""
    problems: list[str] = []
    by_path = {d.path: d for d in docs}
    prefixes = {" ".join(d.path.split()[:n]) for d in docs for n in range(1, len(d.path.split()) + 1)}
    documented: set[str] = set()
    for entry in readme_commands(markdown):
        where = f"README.md line {entry.line}: `{entry.text}`"
        if any(("|" in t or "…" in t or t == "...") for t in entry.tokens):
            problems.append(f"{where}: write each command in full with its options, not `|` or `…`")
            continue
        # The path is the longest run of leading words that names a registered command.
        length = max((n for n in range(1, len(entry.tokens) + 1) if " ".join(entry.tokens[:n]) in by_path), default=0)
        if length == 0:
            head = [t for t in entry.tokens if not t.startswith("[")]
            longest = max((n for n in range(1, len(head) + 1) if " ".join(head[:n]) in prefixes), default=0)
            near = sorted(f"/{p}" for p in by_path if longest and p.startswith(" ".join(head[:longest]) + " "))
            hint = f"; registered under /{' '.join(head[:longest])}: {', '.join(near)}" if near else ""
            problems.append(f"{where}: the bot registers no such command{hint}")
            continue
        doc = by_path[" ".join(entry.tokens[:length])]
        documented.add(doc.path)
        written: dict[str, bool] = {}
        for token in entry.tokens[length:]:
            optional = token.startswith("[") and token.endswith("]")
            written[token.strip("[]")] = not optional
        for name, required in written.items():
            option = doc.option(name)
            if option is None:
                known = ", ".join(o.name for o in doc.options) or "none"
                problems.append(
                    f"{where}: option `{name}` is not registered by /{doc.path} (registered: {known}); "
                    f"README should read `{doc.usage}`"
                )
            elif option.required != required:
                state = "required" if option.required else "optional"
                problems.append(
                    f"{where}: option `{name}` is {state} in the bot; write `{option.usage}` "
                    f"(README should read `{doc.usage}`)"
                )
        missing = [o for o in doc.options if o.name not in written]
        if missing:
            names = ", ".join(f"`{o.usage}`" for o in missing)
            problems.append(f"{where}: lacks registered option(s) {names}; README should read `{doc.usage}`")
    for doc in docs:
        if doc.path not in documented:
            problems.append(
                f"README.md command table lacks /{doc.path}: add `{doc.usage}` to the first column of a row"
            )
    return problems
