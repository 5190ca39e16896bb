"""Local `$ref`s: JSON pointers into the same document, resolved without following loops."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

# A chain of aliases longer than this is refused at load time, so resolution never needs more hops.
MAX_HOPS = 32


def escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(parts: Iterable[str | int]) -> str:
    """`["paths", "/products", "get"]` → `/paths/~1products/get` (RFC 6901)."""
    return "".join("/" + escape(part) for part in parts)


def split_ref(ref: str) -> list[str] | None:
    """The pointer parts of a local `$ref` (`#/components/schemas/A`), or None if it isn't one."""
    if not ref.startswith("#"):
        return None
    fragment = unquote(ref[1:])
    if fragment == "":
        return []
    if not fragment.startswith("/"):
        return None
    return [part.replace("~1", "/").replace("~0", "~") for part in fragment[1:].split("/")]


def lookup(document: Any, parts: list[str]) -> Any:
    """The value at `parts`; KeyError if there is none."""
    node = document
    for part in parts:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(part)
    return node


def ref_name(ref: str) -> str:
    """The last part of a `$ref` (`#/components/schemas/Product` → `Product`)."""
    parts = split_ref(ref)
    return parts[-1] if parts else ref


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """`node` with its `$ref` chain followed; a dangling or looping chain gives an empty mapping.

    Documents from `load_document` have neither, so that fallback only keeps hand-built input safe.
    """
    for _ in range(MAX_HOPS):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            return node
        parts = split_ref(node["$ref"])
        if parts is None:
            return {}
        try:
            node = lookup(document, parts)
        except KeyError:
            return {}
    return {}
