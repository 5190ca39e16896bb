"""Query and path parameters of the public API, checked strictly: anything else is a clean 400.

Every parameter has a parser here; an unknown, repeated, oversized, negative or malformed one raises ApiError
with the one error shape (`{"error": {"code", "message"}}`), never a stack trace.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from multidict import MultiMapping

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_QUERY = 100
MAX_PARAM = 200  # any raw value longer than this is refused before it is parsed
NOT_OUR_CURSOR = "`cursor` is not one this API returned: pass the last page's `next_cursor` as is."
SLUG_MAX = 100


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bad(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def _clean(name: str, value: str) -> str:
    if len(value) > MAX_PARAM:
        raise bad("invalid_parameter", f"`{name}` is too long ({len(value)} characters; at most {MAX_PARAM}).")
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in value):
        raise bad("invalid_parameter", f"`{name}` contains control or unassigned characters; send plain text.")
    return value


def parse_limit(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 3 or not 1 <= int(value) <= MAX_LIMIT:
        raise bad("invalid_limit", f"`limit` must be a whole number from 1 to {MAX_LIMIT}, e.g. limit={DEFAULT_LIMIT}.")
    return int(value)


def encode_cursor(kind: str, value: str | int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).rstrip(b"=").decode()


def _foreign_cursor() -> ApiError:
    return bad("invalid_cursor", "`cursor` is not one this API returned: pass `next_cursor` from the last page as is.")


def decode_cursor(value: str, kind: str) -> str:
    """The position a cursor from `next_cursor` carries; anything else is refused."""
    if len(value) > 140 or not value.isascii():
        raise _foreign_cursor()
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, ValueError):
        raise _foreign_cursor() from None
    prefix, _, rest = text.partition(":")
    if prefix != kind or not rest:
        raise _foreign_cursor()
    return rest


def _cursor_number(value: str, kind: str, fits: Callable[[str], bool]) -> int:
    rest = decode_cursor(value, kind)
    if not rest.isascii() or not rest.isdigit() or not fits(rest):
        raise _foreign_cursor()
    return int(rest)


def cursor_int(value: str) -> int:
    return _cursor_number(value, "id", lambda digits: len(digits) <= 18)


def cursor_offset(value: str) -> int:
    return _cursor_number(value, "at", lambda digits: int(digits) <= 10_000)


def cursor_slug(value: str) -> str:
    rest = decode_cursor(value, "slug")
    if len(rest) > SLUG_MAX:
        raise _foreign_cursor()
    return rest


def parse_query(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise bad("invalid_query", "`q` is empty: search for a word, e.g. q=django.")
    if len(text) > MAX_QUERY:
        raise bad("invalid_query", f"`q` is too long ({len(text)} characters; at most {MAX_QUERY}).")
    return text


def one_of(name: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise bad("invalid_parameter", f"`{name}` must be one of: {', '.join(choices)}.")
        return value

    return parse


def query_params(query: MultiMapping[str], allowed: Mapping[str, Callable[[str], Any]]) -> dict[str, Any]:
    """The parsed parameters; unknown and repeated ones are refused, naming the ones this endpoint takes."""
    out: dict[str, Any] = {}
    for name in query:
        if name not in allowed:
            known = ", ".join(f"`{n}`" for n in allowed) or "none"
            shown = _clean("parameter name", name)[:40]
            raise bad("unknown_parameter", f"Unknown query parameter `{shown}`; this endpoint takes: {known}.")
        values = query.getall(name)
        if len(values) > 1:
            raise bad("repeated_parameter", f"`{name}` is given {len(values)} times; give it once.")
        out[name] = allowed[name](_clean(name, values[0]))
    return out


def guild_id(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= len(value) <= 20 or int(value) >= 2**63:
        raise bad("invalid_guild_id", "The server id in the path must be a Discord id (digits), e.g. /api/v1/guilds.")
    return int(value)


def slug(value: str) -> str:
    text = _clean("topic", value).strip()
    if not text or len(text) > SLUG_MAX:
        raise bad(
            "invalid_topic", f"The topic in the path must be 1–{SLUG_MAX} characters, e.g. /api/v1/topics/django."
        )
    return text
