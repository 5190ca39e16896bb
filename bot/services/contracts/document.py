"""Loading an uploaded OpenAPI contract: size, encoding, JSON or YAML, version, `$ref`s, then the real validator.

Every refusal is a `ContractRejected` whose text the uploader reads: what is wrong, where, and what to do.
Nothing here reads the network or the disk: external `$ref`s are refused, and the validator gets no URL handlers.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from bot.errors import InvalidInput
from bot.services.contracts.refs import lookup, pointer, split_ref
from bot.services.contracts.spec_check import COUNT_LIMIT, spec_problems
from bot.services.text import clean_line

log = logging.getLogger(__name__)

MAX_BYTES = 1_000_000
# A 1 MB export has about 150,000 values; more means YAML aliases repeating a subtree (an "alias bomb").
MAX_NODES = 300_000
MAX_DEPTH = 100

EXPORT_HINT = "drf-spectacular: `python manage.py spectacular --file schema.yaml`; FastAPI: save `/openapi.json`"
_VERSION = re.compile(r"^3\.(?P<minor>[01])\.\d+(?:-[0-9A-Za-z.-]+)?$")
# Literal data, not part of the contract's structure: never searched for `$ref`s.
_LITERAL_KEYS = frozenset({"example", "default", "const", "enum"})
# Keywords that apply a schema to the same value: a cycle through only these never reaches any content.
_IN_PLACE = ("allOf", "anyOf", "oneOf")

Format = Literal["json", "yaml"]


class ContractRejected(InvalidInput):
    """An uploaded contract that cannot be used; the message says why and what to do."""


@dataclass(frozen=True, eq=False)
class ApiDocument:
    """A validated OpenAPI 3.0/3.1 document (plain JSON-compatible data) and what identifies it."""

    spec: dict[str, Any]
    openapi: str
    title: str
    version: str
    format: Format
    size: int

    @property
    def minor(self) -> str:
        """`3.0` or `3.1`."""
        return self.openapi[:3]


def load_document(data: bytes, filename: str, *, validate: bool = True) -> ApiDocument:
    """Parse and validate an upload, or raise ContractRejected with the first problems found.

    `validate=False` skips only openapi-spec-validator (for the shipped templates, which tests validate).
    """
    name = f"`{clean_line(filename)[:80] or 'the file'}`"
    if len(data) > MAX_BYTES:
        raise ContractRejected(
            f"{name} is {_megabytes(len(data))}; a contract can be at most 1 MB. Upload the OpenAPI document "
            "alone (JSON or YAML), without bundled examples or assets."
        )
    text = _decode(data, name)
    if not text.strip():
        raise ContractRejected(f"{name} is empty. Export your contract again ({EXPORT_HINT}) and upload that file.")
    raw, fmt = _parse(text, name)
    spec = _plain(raw, name)
    openapi = _check_version(spec, name)
    _check_refs(spec, name)
    if validate:
        _validate(spec, openapi, name)
    info = spec.get("info", {})
    return ApiDocument(
        spec=spec,
        openapi=openapi,
        title=clean_line(str(info.get("title", "")))[:100] or "Untitled API",
        version=clean_line(str(info.get("version", "")))[:40] or "?",
        format=fmt,
        size=len(data),
    )


def _megabytes(size: int) -> str:
    return f"{size / MAX_BYTES:.1f} MB"


# ---- bytes → text -------------------------------------------------------------------------------------------

_BINARY_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"%PDF", "a PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


def _decode(data: bytes, name: str) -> str:
    for magic, kind in _BINARY_KINDS:
        if data.startswith(magic):
            extra = " Unzip it and upload the OpenAPI file inside." if "archive" in kind else ""
            raise ContractRejected(f"{name} is {kind}, not a JSON or YAML text file.{extra}")
    # Windows PowerShell's `>` writes UTF-16 with a byte order mark: read it rather than refuse it.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise ContractRejected(
            f"{name} is a binary file, not a JSON or YAML text file. Upload the exported OpenAPI document itself."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContractRejected(
            f"{name} isn't UTF-8 text (bad byte at position {error.start}). Save it as UTF-8 and upload it again."
        ) from None


# ---- text → data --------------------------------------------------------------------------------------------


def _parse(text: str, name: str) -> tuple[Any, Format]:
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text), "json"
        except json.JSONDecodeError as error:
            raise ContractRejected(
                f"{name} isn't valid JSON: {error.msg} at line {error.lineno}, column {error.colno}. "
                "Fix it there, or export the contract again."
            ) from None
        except RecursionError:
            raise ContractRejected(f"{name} is nested too deeply to be an OpenAPI document.") from None
    import yaml  # here: only an uploaded YAML contract needs PyYAML (~2 MB of the bot's memory otherwise)

    # libyaml's loader when PyYAML has it (about 5 times faster); both construct only plain types.
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader), "yaml"
    except yaml.YAMLError as error:
        raise ContractRejected(
            f"{name} isn't valid YAML: {_yaml_problem(error)}. Fix it there, or export the contract again."
        ) from None
    except RecursionError:
        raise ContractRejected(f"{name} is nested too deeply to be an OpenAPI document.") from None


def _yaml_problem(error: Exception) -> str:
    problem = str(getattr(error, "problem", None) or "it could not be read")
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        problem += f" at line {mark.line + 1}, column {mark.column + 1}"
    return problem


def _plain(raw: Any, name: str) -> dict[str, Any]:
    """A fresh JSON-compatible tree (string keys, no shared or cyclic nodes), within the size limits."""
    if isinstance(raw, list):
        raise ContractRejected(
            f"{name} holds a list; an OpenAPI document is an object that starts with `openapi: 3.1.0` "
            '(in JSON: `{"openapi": "3.1.0", ...}`).'
        )
    if not isinstance(raw, dict):
        raise ContractRejected(
            f"{name} holds plain text, not an OpenAPI document; it should start with `openapi: 3.1.0`. "
            f"Export it again ({EXPORT_HINT})."
        )
    budget = [MAX_NODES]
    active: set[int] = set()

    def copy(node: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise ContractRejected(
                f"{name} expands to more than {MAX_NODES:,} values (YAML aliases repeating a large part?). "
                "Upload a plain export without anchors and aliases."
            )
        if depth > MAX_DEPTH:
            raise ContractRejected(f"{name} is nested more than {MAX_DEPTH} levels deep; no real contract is.")
        if isinstance(node, dict | list):
            if id(node) in active:
                raise ContractRejected(
                    f"{name} has a YAML anchor that contains itself, so it never ends. Remove that alias."
                )
            active.add(id(node))
            try:
                if isinstance(node, dict):
                    return {_key(key): copy(value, depth + 1) for key, value in node.items()}
                return [copy(value, depth + 1) for value in node]
            finally:
                active.discard(id(node))
        if isinstance(node, set | frozenset):
            return [copy(value, depth + 1) for value in node]
        if isinstance(node, dt.date | dt.datetime):
            return node.isoformat()
        if isinstance(node, bytes):
            raise ContractRejected(f"{name} has a YAML `!!binary` value; contracts hold text only. Remove it.")
        return node

    result: dict[str, Any] = copy(raw, 0)
    return result


def _key(key: Any) -> str:
    """YAML keys as JSON would have them: `200:` → `"200"`, `true:` → `"true"`."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return json.dumps(key)
    if isinstance(key, dt.date | dt.datetime):
        return key.isoformat()
    return str(key)


# ---- what kind of document ------------------------------------------------------------------------------------


def _check_version(spec: dict[str, Any], name: str) -> str:
    if "swagger" in spec:
        raise ContractRejected(
            f"{name} is Swagger {clean_line(str(spec['swagger']))[:10] or '2.0'}; the bot reads OpenAPI 3.0 and 3.1. "
            "Convert it (`npx swagger2openapi swagger.json -o openapi.yaml`), or export OpenAPI 3 directly: "
            "drf-spectacular does (drf-yasg only writes Swagger 2.0), and so does FastAPI."
        )
    if "openapi" not in spec:
        raise ContractRejected(
            f"{name} has no `openapi` field, so it isn't an OpenAPI document. It should start with "
            f"`openapi: 3.1.0` (or 3.0.x). Export it again ({EXPORT_HINT})."
        )
    value = spec["openapi"]
    if not isinstance(value, str):
        raise ContractRejected(
            f"{name} says `openapi: {clean_line(str(value))[:20]}`; write the full version as text, "
            "e.g. `openapi: '3.1.0'`."
        )
    if not _VERSION.match(value):
        shown = clean_line(value)[:20]
        raise ContractRejected(
            f"{name} is OpenAPI `{shown}`; the bot reads 3.0.x and 3.1.x. Export OpenAPI 3.1 "
            "(drf-spectacular: `SPECTACULAR_SETTINGS = {'OAS_VERSION': '3.1.0'}`)."
        )
    return value


# ---- $refs ----------------------------------------------------------------------------------------------------


# Maps whose keys are names (properties, status codes, media types, component names...), not keywords: a property
# called `default` or a `default` response is structure, not literal data.
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
        "schemas",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
        "content",
        "encoding",
        "paths",
        "webhooks",
        "variables",
    }
)


def iter_refs(
    node: Any, path: tuple[str | int, ...] = (), *, names: bool = False
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every `$ref` in the document's structure with where it is (literal examples and `x-` extensions skipped).

    `names`: `node` is a map of names (`properties`, `responses`...), whose keys are never keywords.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not names:
            yield path, ref
        for key, value in node.items():
            if names:
                yield from iter_refs(value, (*path, key))
                continue
            if key in _LITERAL_KEYS or key.startswith("x-") or (key == "examples" and isinstance(value, list)):
                continue
            if key == "examples" and isinstance(value, dict):
                # A map of Example Objects: each may be a `$ref`; its `value` is literal data.
                for example_name, example in value.items():
                    if isinstance(example, dict) and isinstance(example.get("$ref"), str):
                        yield (*path, key, example_name), example["$ref"]
                continue
            yield from iter_refs(value, (*path, key), names=key in _NAME_MAPS and isinstance(value, dict))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_refs(value, (*path, index))


def _check_refs(spec: dict[str, Any], name: str) -> None:
    problems: list[str] = []
    targets: set[str] = set()
    for where, ref in iter_refs(spec):
        shown = clean_line(ref)[:80]
        parts = split_ref(ref)
        if parts is None:
            if ref.startswith("#"):
                problems.append(
                    f"`{pointer(where)}`: `$ref: '{shown}'` is not a JSON pointer; write it like "
                    "`#/components/schemas/Product`."
                )
            else:
                problems.append(
                    f"`{pointer(where)}`: `$ref: '{shown}'` points outside this file, which the bot never "
                    "opens. Bundle the contract into one file (`npx @redocly/cli bundle openapi.yaml -o one.yaml`)."
                )
            continue
        try:
            lookup(spec, parts)
        except KeyError:
            problems.append(f"`{pointer(where)}`: `$ref: '{shown}'` points to nothing{_did_you_mean(spec, parts)}.")
            continue
        targets.add(pointer(parts))
    if not problems:
        loop = _find_alias_loop(spec, targets)
        if loop:
            chain = " → ".join(f"`#{target}`" for target in loop)
            problems.append(
                f"`$ref` loop: {chain}. None of them has content of its own, so the schema never ends; "
                "give one of them real content (e.g. `type: object` with `properties`). A schema may refer to "
                "itself inside `properties` or `items` (a tree of comments is fine)."
            )
    if problems:
        raise ContractRejected(_problem_text(name, "has broken `$ref`s", problems, len(problems)))


def _did_you_mean(spec: dict[str, Any], parts: list[str]) -> str:
    for depth in range(len(parts) - 1, -1, -1):
        try:
            parent = lookup(spec, parts[:depth])
        except KeyError:
            continue
        if isinstance(parent, dict):
            close = difflib.get_close_matches(parts[depth], [str(k) for k in parent], n=1, cutoff=0.6)
            if close:
                return f" (did you mean `{close[0]}`?)"
        return ""
    return ""


def _in_place_refs(node: Any) -> Iterator[str]:
    """The local `$ref`s that apply to this very value: its own, and those under allOf/anyOf/oneOf."""
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        parts = split_ref(ref)
        if parts is not None:
            yield pointer(parts)
    for keyword in _IN_PLACE:
        members = node.get(keyword)
        if isinstance(members, list):
            for member in members:
                yield from _in_place_refs(member)


def _find_alias_loop(spec: dict[str, Any], targets: set[str]) -> list[str] | None:
    """A cycle of `$ref` targets that only alias each other (recursion through properties/items is fine)."""
    edges: dict[str, list[str]] = {}
    for target in targets:
        node = lookup(spec, split_ref("#" + target) or [])
        edges[target] = list(_in_place_refs(node))
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(edges):
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(edges[start]))]
        state[start] = 1
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[current] = 2
                stack.pop()
            elif state.get(child) == 1:
                cycle = [entry for entry, _ in stack]
                return [*cycle[cycle.index(child) :], child]
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(edges.get(child, []))))
    return None


# ---- the real validator (spec_check.py) ------------------------------------------------------------------------


def _validate(spec: dict[str, Any], openapi: str, name: str) -> None:
    problems, count = spec_problems(spec, openapi, name)
    if problems:
        label = f"isn't a valid OpenAPI {openapi[:3]} document"
        raise ContractRejected(_problem_text(name, label, problems, count))


def _problem_text(name: str, label: str, problems: list[str], count: int) -> str:
    total = f"{COUNT_LIMIT}+" if count > COUNT_LIMIT else str(count)
    heading = f"{name} {label} ({total} problem{'s' if count != 1 else ''}"
    heading += f", first {len(problems)}):" if count > len(problems) else "):"
    lines = "\n".join(f"• {problem}" for problem in problems)
    return f"{heading}\n{lines}\nFix {'these' if len(problems) > 1 else 'it'} and publish again."
