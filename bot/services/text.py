"""Cleaning of free text typed by members, before it is validated, stored or shown."""

from __future__ import annotations

import re

from bot.errors import InvalidInput

# C0/C1 control characters except tab and newline: invisible, and SQLite's length() stops at NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """Normalise newlines, drop control characters and trim surrounding whitespace."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean_line(value: str) -> str:
    """One line of text: control characters dropped, every run of whitespace made one space, trimmed."""
    return _SPACES.sub(" ", _CONTROL.sub("", value)).strip()


def require_text(value: str, field: str, *, min_length: int = 1, max_length: int) -> str:
    """Cleaned text within the limits, or an InvalidInput naming the field and the limits."""
    cleaned = clean_text(value)
    if len(cleaned) < min_length:
        need = "some text" if min_length == 1 else f"at least {min_length} characters"
        raise InvalidInput(f"`{field}` needs {need} (spaces and invisible characters don't count).")
    if len(cleaned) > max_length:
        raise InvalidInput(f"`{field}` is {len(cleaned)} characters; keep it to {max_length}.")
    return cleaned


# Bare links (kept as typed: escaping inside them would break the address) and the <scheme:...> form.
_LINK = r"<[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]"
# Characters that start or end inline markdown anywhere, and constructs that only count at a line start
# (quotes, headings, subtext, list items). Every "[" is escaped, so no masked link can open. Only characters
# Discord's markdown treats as escapable are escaped: before others (`(`, `]`, `.`) a backslash would show.
_INLINE = r"[\\*_~`|\[]"
_LINE_START = r"^[ \t]*(?:>|#|-)"
_MARKDOWN = re.compile(rf"(?P<link>{_LINK})|(?P<line>{_LINE_START})|(?P<inline>{_INLINE})", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here)|<@([!&]?)(\d+)>")


def neutral_mentions(value: str) -> str:
    """Mention syntax made inert with a zero-width space: no client renders or parses it as a mention."""
    return _MENTION.sub(lambda m: f"@\u200b{m[1]}" if m[1] else f"<@\u200b{m[2]}{m[3]}>", value)


def _escape(match: re.Match[str]) -> str:
    if match["link"]:
        return match["link"]
    if match["line"]:
        text = match["line"]
        stripped = text.lstrip(" \t")
        return text[: len(text) - len(stripped)] + "\\" + stripped
    return "\\" + match["inline"]


def user_text(value: str) -> str:
    """Text a member typed, safe to echo in message content or an embed: shown exactly as typed.

    Markdown is escaped (no bold, headings, quotes or masked links `[text](url)` made of user text; a URL
    stays a plain link that shows its address) and mention syntax is made inert. Not for plain-text
    places (thread names, embed footers and authors, labels, choices), where a backslash would show.
    """
    return neutral_mentions(_MARKDOWN.sub(_escape, value))


def plain_link(url: str) -> str:
    """A URL shown as itself, never as a masked link, and without an embed preview."""
    return f"<{url}>" if re.fullmatch(r"https?://\S+", url) and ">" not in url else user_text(url)
