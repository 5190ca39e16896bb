"""``OpenAPIValidator``: request bodies checked against Discord's OpenAPI spec (``sandbox/discord_openapi.json``)."""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sandbox.validation.forms import FormErrors

SPEC_PATH = Path(__file__).parent.parent / "discord_openapi.json"


class OpenAPIValidator:
    """Validates request bodies against Discord's OpenAPI spec. The spec is loaded and validators built lazily."""

    _shared: OpenAPIValidator | None = None
    _shared_lock = threading.Lock()

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        self._spec_path = spec_path
        self._spec: dict[str, Any] | None = None
        self._routes: list[tuple[re.Pattern[str], str, int]] = []
        self._validators: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> OpenAPIValidator:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def _load(self) -> dict[str, Any]:
        if self._spec is None:
            with self._lock:
                if self._spec is None:
                    spec = json.loads(self._spec_path.read_text(encoding="utf-8"))
                    schemas = spec["components"]["schemas"]
                    # Discord accepts snowflakes as JSON integers too (discord.py sends ints in a few places).
                    snow = copy.deepcopy(schemas["SnowflakeType"])
                    schemas["SnowflakeType"] = {"anyOf": [snow, {"type": "integer", "minimum": 0}]}
                    routes = []
                    for key in spec["paths"]:
                        parts = key.strip("/").split("/")
                        rx = "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
                        literal = sum(1 for p in parts if not p.startswith("{"))
                        routes.append((re.compile(f"^/{rx}$"), key, literal))
                    routes.sort(key=lambda r: (-r[2], r[1]))
                    self._routes = routes
                    self._spec = spec
        return self._spec

    def match(self, path: str) -> str | None:
        self._load()
        for rx, key, _ in self._routes:
            if rx.match(path):
                return key
        return None

    def _validator(self, method: str, key: str) -> Any:
        cache_key = (method, key)
        if cache_key in self._validators:
            return self._validators[cache_key]
        spec = self._load()
        op = spec["paths"][key].get(method.lower()) or {}
        content = ((op.get("requestBody") or {}).get("content")) or {}
        validator = None
        if "application/json" in content:
            import jsonschema
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            pointer = "/".join(
                p.replace("~", "~0").replace("/", "~1")
                for p in ("paths", key, method.lower(), "requestBody", "content", "application/json", "schema")
            )
            registry: Registry[Any] = Registry().with_resource(
                "urn:discord-openapi", Resource.from_contents(spec, default_specification=DRAFT202012)
            )
            base = jsonschema.Draft202012Validator
            checker = base.TYPE_CHECKER.redefine("integer", _is_integer).redefine("number", _is_number)
            cls = jsonschema.validators.extend(
                base,
                type_checker=checker,
                # integer strings are accepted as integers, so a string/integer oneOf may match twice: treat
                # oneOf as anyOf (Discord accepts a body when any alternative fits)
                validators={
                    **{k: _coercing(base.VALIDATORS[k]) for k in _NUMERIC_KEYWORDS},
                    "oneOf": base.VALIDATORS["anyOf"],
                },
            )
            validator = cls({"$ref": f"urn:discord-openapi#/{pointer}"}, registry=registry)
        self._validators[cache_key] = validator
        return validator

    def validate(self, method: str, path: str, body: Any) -> FormErrors:
        """``path`` is relative to ``/api/v10`` (e.g. ``/channels/1/messages``)."""
        errors = FormErrors()
        key = self.match(path)
        if key is None:
            return errors
        validator = self._validator(method, key)
        if validator is None:
            return errors
        for err in validator.iter_errors(body):
            for leaf in _leaves(err):
                rel: Sequence[Any] = list(leaf.absolute_path)
                errors.add(tuple(rel), f"SCHEMA_{str(leaf.validator).upper()}", leaf.message[:300])
        return errors


def _leaves(err: Any, depth: int = 0) -> list[Any]:
    """Expand anyOf/oneOf failures into the errors of the most plausible branch (by discriminator, then fewest)."""
    if err.validator not in ("anyOf", "oneOf") or not err.context or depth > 8:
        return [err]
    branches: dict[Any, list[Any]] = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    candidates = []
    for subs in branches.values():
        mismatch = any(
            s.validator in ("const", "enum", "type")
            and len(s.relative_path) <= 1
            and list(s.relative_path) in ([], ["type"])
            for s in subs
        )
        candidates.append((mismatch, len(subs), subs))
    candidates.sort(key=lambda c: (c[0], c[1]))
    mismatch, _, subs = candidates[0]
    if mismatch:
        return [err]
    out: list[Any] = []
    for sub in subs:
        out.extend(_leaves(sub, depth + 1))
    return out


def _is_integer(_checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, int):
        return True
    # Discord coerces integer strings (discord.py sends permissions as strings).
    return isinstance(instance, str) and bool(re.fullmatch(r"-?\d+", instance))


_NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _coercing(keyword: Any) -> Any:
    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if isinstance(instance, str) and re.fullmatch(r"-?\d+", instance):
            instance = int(instance)
        yield from keyword(validator, value, instance, schema)

    return check


def _is_number(_checker: Any, instance: Any) -> bool:
    return (isinstance(instance, int | float) and not isinstance(instance, bool)) or _is_integer(_checker, instance)
