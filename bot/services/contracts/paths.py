"""Path templates matched by shape, and the Frontend partner's needs checked against a contract.

`/products/{id}` and `/products/{product_id}/` have the same shape: parameter names don't matter, a trailing
slash doesn't either (DRF adds them, people typing a need often don't), literal segments are case-sensitive.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from bot.errors import InvalidInput
from bot.services.contracts.document import ApiDocument
from bot.services.contracts.summary import HTTP_METHODS, Endpoint, endpoints
from bot.services.text import clean_line

METHODS = tuple(method.upper() for method in HTTP_METHODS)
MAX_PATH_LENGTH = 200
MAX_CHOICES = 25
# Discord's limit for an autocomplete choice's name and value.
MAX_CHOICE_LENGTH = 100

_TEMPLATE = re.compile(r"\{[^{}/]*\}")
# Other frameworks' ways of writing a parameter segment: `:id` (Express), `<int:pk>` (Django), `[id]` (Next.js).
_FOREIGN_PARAM = re.compile(r"^(?::(?P<colon>\w+)|<(?:\w+:)?(?P<angle>\w+)>|\[(?P<square>\w+)\])$")

Shape = tuple[str, ...]


def normalise_method(text: str) -> str:
    """`get` → `GET`; anything else is refused with the nearest method."""
    method = clean_line(text).upper()
    if method in METHODS:
        return method
    close = difflib.get_close_matches(method, METHODS, n=1, cutoff=0.3)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    raise InvalidInput(f"`{clean_line(text)[:20]}` isn't an HTTP method; use one of {', '.join(METHODS[:5])}.{hint}")


def normalise_path(text: str) -> str:
    """What a member typed, as a path template: `/products/:id?page=2` → `/products/{id}`."""
    value = clean_line(text)
    if value.lower().startswith(("http://", "https://")):
        value = urlsplit(value).path
    value = value.split("?", 1)[0].split("#", 1)[0]
    if not value.strip("/"):
        if value.startswith("/"):
            return "/"
        raise InvalidInput("Give the endpoint's path, e.g. `/api/products/{id}/`.")
    if any(char.isspace() for char in value):
        raise InvalidInput(f"`{value[:60]}` has a space; a path looks like `/api/products/{{id}}/`.")
    if len(value) > MAX_PATH_LENGTH:
        raise InvalidInput(f"That path is {len(value)} characters; keep it to {MAX_PATH_LENGTH}.")
    parts = [part for part in value.split("/") if part]
    converted = []
    for part in parts:
        match = _FOREIGN_PARAM.match(part)
        converted.append("{" + next(g for g in match.groups() if g) + "}" if match else part)
    return "/" + "/".join(converted) + ("/" if value.endswith("/") else "")


def shape(path: str, *, strict_slash: bool = False) -> Shape:
    """The path's segments with every `{parameter}` made anonymous; a trailing slash counts only if strict."""
    segments = tuple(_TEMPLATE.sub("{}", part) for part in path.split("/") if part)
    if strict_slash and path.endswith("/") and segments:
        return (*segments, "")
    return segments


def same_shape(a: str, b: str) -> bool:
    return shape(a) == shape(b)


def _base_paths(document: ApiDocument) -> list[str]:
    """Path prefixes of the contract's servers (`https://x.io/api/v1` → `/api/v1`): a need may include them."""
    bases = []
    for server in document.spec.get("servers") or []:
        url = server.get("url") if isinstance(server, dict) else None
        if isinstance(url, str):
            base = urlsplit(url).path.rstrip("/") if "://" in url else url.rstrip("/")
            if base.startswith("/") and base not in bases:
                bases.append(base)
    return bases


@dataclass(frozen=True)
class Need:
    method: str
    path: str
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class NeedState(StrEnum):
    MET = "met"
    MISSING = "missing"


@dataclass(frozen=True)
class NeedStatus:
    need: Need
    state: NeedState
    endpoint: Endpoint | None  # the contract's endpoint that meets it
    other_methods: tuple[str, ...] = ()  # when missing: the methods the contract has for that path


def needs_status(needs: Iterable[Need], document: ApiDocument | None) -> list[NeedStatus]:
    """Each need, met or missing against the contract (all missing when there is none yet)."""
    available = endpoints(document) if document is not None else []
    bases = _base_paths(document) if document is not None else []
    by_shape: dict[Shape, list[Endpoint]] = {}
    for endpoint in available:
        for full in [endpoint.path, *(base + endpoint.path for base in bases)]:
            entries = by_shape.setdefault(shape(full), [])
            if endpoint not in entries:
                entries.append(endpoint)
    result = []
    for need in needs:
        candidates = by_shape.get(shape(need.path), [])
        match = next((endpoint for endpoint in candidates if endpoint.method == need.method.upper()), None)
        if match is not None:
            result.append(NeedStatus(need, NeedState.MET, match))
        else:
            others = tuple(dict.fromkeys(endpoint.method for endpoint in candidates))
            result.append(NeedStatus(need, NeedState.MISSING, None, others))
    return result


def endpoint_choices(
    document: ApiDocument | None, template: ApiDocument | None, current: str, method: str | None = None
) -> list[str]:
    """Paths for `/api need`'s autocomplete: the contract's first, then the template's; prefix matches first.

    With `method`, only paths that have that method. At most 25, each short enough for Discord.
    """
    typed = clean_line(current).lower()
    wanted = method.upper() if method else None
    seen: set[Shape] = set()
    prefix: list[str] = []
    inside: list[str] = []
    for source in (document, template):
        if source is None:
            continue
        for endpoint in endpoints(source):
            if wanted and endpoint.method != wanted:
                continue
            key = shape(endpoint.path)
            if key in seen or len(endpoint.path) > MAX_CHOICE_LENGTH:
                continue
            lowered = endpoint.path.lower()
            if not typed or lowered.startswith(typed) or lowered.lstrip("/").startswith(typed.lstrip("/")):
                prefix.append(endpoint.path)
            elif typed in lowered:
                inside.append(endpoint.path)
            else:
                continue
            seen.add(key)
    return (prefix + inside)[:MAX_CHOICES]
