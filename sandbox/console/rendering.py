"""Console output: messages, embeds (as boxes), components, modals and interaction results as text."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime

from sandbox.client import InteractionResult, iter_components
from sandbox.console.parsing import (
    JSONDict,
)

_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link"}


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


def one_line(text: str, limit: int = 300) -> str:
    """Errors are shown on one line: the first line of the message, shortened."""
    first = " ".join(text.strip().splitlines()[:1]) or "something went wrong"
    return first if len(first) <= limit else first[: limit - 1] + "…"
