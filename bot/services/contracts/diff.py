"""What changed between two versions of a contract, and which changes break the Frontend partner's code.

Endpoints are paired by method and path shape (a renamed path parameter is the same endpoint; a trailing slash
that comes or goes is not, since DRF answers 404 to the other spelling). Schemas are compared as flattened
fields (`results[].price`) with `$ref`s and `allOf` resolved; a schema that contains itself is walked once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.services.contracts.document import ApiDocument
from bot.services.contracts.paths import Shape, shape
from bot.services.contracts.refs import pointer, ref_name, resolve, split_ref
from bot.services.contracts.summary import HTTP_METHODS, code_span, endpoints

# Fields nested deeper than this are not compared (no real frontend reads `a.b.c.d.e.f.g`).
MAX_FIELD_DEPTH = 6
MAX_FIELDS = 2000
WHOLE_BODY = ""


class ChangeCode(StrEnum):
    ENDPOINT_REMOVED = "endpoint_removed"
    ENDPOINT_ADDED = "endpoint_added"
    AUTH_REQUIRED = "auth_required"
    AUTH_DROPPED = "auth_dropped"
    PARAMETER_ADDED_REQUIRED = "parameter_added_required"
    PARAMETER_ADDED_OPTIONAL = "parameter_added_optional"
    PARAMETER_BECAME_REQUIRED = "parameter_became_required"
    PARAMETER_BECAME_OPTIONAL = "parameter_became_optional"
    PARAMETER_RETYPED = "parameter_retyped"
    PARAMETER_REMOVED = "parameter_removed"
    REQUEST_BODY_REQUIRED = "request_body_required"
    REQUEST_FIELD_ADDED_REQUIRED = "request_field_added_required"
    REQUEST_FIELD_ADDED_OPTIONAL = "request_field_added_optional"
    REQUEST_FIELD_BECAME_REQUIRED = "request_field_became_required"
    REQUEST_FIELD_BECAME_OPTIONAL = "request_field_became_optional"
    REQUEST_FIELD_RETYPED = "request_field_retyped"
    REQUEST_FIELD_REMOVED = "request_field_removed"
    RESPONSE_FIELD_REMOVED = "response_field_removed"
    RESPONSE_FIELD_RETYPED = "response_field_retyped"
    RESPONSE_FIELD_ADDED = "response_field_added"


# What a client written against the old version can no longer do unchanged.
BREAKING = frozenset(
    {
        ChangeCode.ENDPOINT_REMOVED,
        ChangeCode.AUTH_REQUIRED,
        ChangeCode.PARAMETER_ADDED_REQUIRED,
        ChangeCode.PARAMETER_BECAME_REQUIRED,
        ChangeCode.PARAMETER_RETYPED,
        ChangeCode.REQUEST_BODY_REQUIRED,
        ChangeCode.REQUEST_FIELD_ADDED_REQUIRED,
        ChangeCode.REQUEST_FIELD_BECAME_REQUIRED,
        ChangeCode.REQUEST_FIELD_RETYPED,
        ChangeCode.RESPONSE_FIELD_REMOVED,
        ChangeCode.RESPONSE_FIELD_RETYPED,
    }
)


@dataclass(frozen=True)
class Change:
    code: ChangeCode
    method: str
    path: str  # the new version's spelling when the endpoint is in both
    name: str = ""  # parameter name or field path (`results[].price`; "" is the whole body)
    where: str = ""  # parameter location (query, header, cookie) or response status
    old: str = ""  # old type, or for a removed endpoint the path that replaced it
    new: str = ""

    @property
    def breaking(self) -> bool:
        return self.code in BREAKING

    @property
    def text(self) -> str:
        return describe(self)


@dataclass(frozen=True)
class ContractDiff:
    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.breaking)

    @property
    def non_breaking(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if not change.breaking)

    @property
    def codes(self) -> list[ChangeCode]:
        return [change.code for change in self.changes]


def _field(name: str) -> str:
    return code_span(name) if name else ""


def describe(change: Change) -> str:
    """The one place where a change becomes a sentence."""
    endpoint = code_span(f"{change.method} {change.path}")
    param = f"{change.where} parameter {code_span(change.name)}"
    body = "the request body" if change.name == WHOLE_BODY else f"request field {_field(change.name)}"
    status = f" ({change.where})" if change.where else ""
    answer = "the response body" if change.name == WHOLE_BODY else f"response field {_field(change.name)}"
    retyped = f"changed from {change.old or 'untyped'} to {change.new or 'untyped'}"
    texts = {
        ChangeCode.ENDPOINT_REMOVED: f"{endpoint} was removed"
        + (f" (now {code_span(change.new)}: the trailing slash changed)" if change.new else ""),
        ChangeCode.ENDPOINT_ADDED: f"{endpoint} is new",
        ChangeCode.AUTH_REQUIRED: f"{endpoint} now needs authentication",
        ChangeCode.AUTH_DROPPED: f"{endpoint} no longer needs authentication",
        ChangeCode.PARAMETER_ADDED_REQUIRED: f"{endpoint}: new required {param}",
        ChangeCode.PARAMETER_ADDED_OPTIONAL: f"{endpoint}: new optional {param}",
        ChangeCode.PARAMETER_BECAME_REQUIRED: f"{endpoint}: {param} is now required",
        ChangeCode.PARAMETER_BECAME_OPTIONAL: f"{endpoint}: {param} is now optional",
        ChangeCode.PARAMETER_RETYPED: f"{endpoint}: {param} {retyped}",
        ChangeCode.PARAMETER_REMOVED: f"{endpoint}: {param} was removed",
        ChangeCode.REQUEST_BODY_REQUIRED: f"{endpoint} now requires a request body",
        ChangeCode.REQUEST_FIELD_ADDED_REQUIRED: f"{endpoint}: new required {body}",
        ChangeCode.REQUEST_FIELD_ADDED_OPTIONAL: f"{endpoint}: new optional {body}",
        ChangeCode.REQUEST_FIELD_BECAME_REQUIRED: f"{endpoint}: {body} is now required",
        ChangeCode.REQUEST_FIELD_BECAME_OPTIONAL: f"{endpoint}: {body} is now optional",
        ChangeCode.REQUEST_FIELD_RETYPED: f"{endpoint}: {body} {retyped}",
        ChangeCode.REQUEST_FIELD_REMOVED: f"{endpoint}: {body} is no longer accepted",
        ChangeCode.RESPONSE_FIELD_REMOVED: f"{endpoint}{status}: {answer} was removed",
        ChangeCode.RESPONSE_FIELD_RETYPED: f"{endpoint}{status}: {answer} {retyped}",
        ChangeCode.RESPONSE_FIELD_ADDED: f"{endpoint}{status}: new {answer}",
    }
    return texts[change.code]


# ---- operations -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    operation: Mapping[str, Any]
    path_item: Mapping[str, Any]
    secured: bool


def _operations(document: ApiDocument) -> dict[tuple[str, Shape], _Operation]:
    secured = {(e.method, e.path): e.secured for e in endpoints(document)}
    found: dict[tuple[str, Shape], _Operation] = {}
    paths = document.spec.get("paths")
    for path, item in paths.items() if isinstance(paths, Mapping) else ():
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, Mapping):
                key = (method.upper(), shape(path, strict_slash=True))
                found.setdefault(
                    key, _Operation(method.upper(), path, operation, item, secured[(method.upper(), path)])
                )
    return found


# ---- schemas as flat fields -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    type: str
    required: bool


def _types(node: Mapping[str, Any]) -> tuple[set[str], bool]:
    declared = node.get("type")
    types = set(declared) if isinstance(declared, list) else {declared} if isinstance(declared, str) else set()
    nullable = "null" in types or node.get("nullable") is True
    types.discard("null")
    if not types:
        if "properties" in node or "additionalProperties" in node:
            types = {"object"}
        elif "items" in node:
            types = {"array"}
        elif isinstance(node.get("enum"), list):
            values = [v for v in node["enum"] if v is not None]
            nullable = nullable or None in node["enum"]
            kinds = {"string" if isinstance(v, str) else "boolean" if isinstance(v, bool) else "number" for v in values}
            types = kinds
    return types, nullable


class _Schemas:
    """Flattens schemas of one document; `stack` holds the `$ref`s being expanded, so recursion stops."""

    def __init__(self, document: ApiDocument, direction: str) -> None:
        self.spec = document.spec
        self.skip = "readOnly" if direction == "request" else "writeOnly"

    def expand(self, node: Any, stack: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...], bool]:
        """The schema with its `$ref` chain followed and `allOf` merged; the flag says it is a recursion point."""
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            parts = split_ref(node["$ref"])
            target = pointer(parts) if parts is not None else node["$ref"]
            if target in stack:
                return {"type": "object", "title": ref_name(node["$ref"])}, stack, True
            return self.expand(resolve(self.spec, {"$ref": node["$ref"]}), (*stack, target))
        if not isinstance(node, Mapping):
            return {}, stack, False
        merged = dict(node)
        members = node.get("allOf")
        if isinstance(members, list):
            merged.pop("allOf")
            properties: dict[str, Any] = {}
            required: list[Any] = []
            for member in members:
                part, _, _ = self.expand(member, stack)
                properties.update(part.get("properties") or {})
                required.extend(part.get("required") or [])
                for key, value in part.items():
                    merged.setdefault(key, value)
            properties.update(node.get("properties") or {})
            required.extend(node.get("required") or [])
            if properties:
                merged["properties"] = properties
            if required:
                merged["required"] = required
        for keyword in ("oneOf", "anyOf"):
            options = node.get(keyword)
            if isinstance(options, list):
                real = [o for o in options if not self._is_null(o, stack)]
                if len(real) == 1 and len(real) < len(options):
                    # `oneOf: [X, null]` (drf-spectacular and FastAPI's nullable): X that may be null.
                    inner, inner_stack, recursion = self.expand(real[0], stack)
                    merged = {**inner, "nullable": True}
                    return merged, inner_stack, recursion
        return merged, stack, False

    def _is_null(self, node: Any, stack: tuple[str, ...]) -> bool:
        expanded, _, _ = self.expand(node, stack)
        types, nullable = _types(expanded)
        return not types and (nullable or expanded.get("type") == "null")

    def label(self, node: Mapping[str, Any], stack: tuple[str, ...]) -> str:
        types, nullable = _types(node)
        if not types:
            for keyword in ("oneOf", "anyOf"):
                options = node.get(keyword)
                if isinstance(options, list):
                    labels = set()
                    for option in options:
                        expanded, inner_stack, _ = self.expand(option, stack)
                        if self._is_null(option, stack):
                            nullable = True
                        else:
                            labels.add(self.label(expanded, inner_stack))
                    text = " or ".join(sorted(labels)) or "any"
                    return f"{text} or null" if nullable else text
        names = []
        for kind in sorted(types):
            text = kind
            if kind == "array":
                items, inner_stack, _ = self.expand(node.get("items"), stack)
                text = f"array of {self.label(items, inner_stack)}" if items else "array"
            elif isinstance(node.get("format"), str):
                text = f"{kind} ({node['format']})"
            names.append(text)
        label = " or ".join(names) or "any"
        return f"{label} or null" if nullable else label

    def fields(self, schema: Any, root_required: bool) -> dict[str, _Field]:
        found: dict[str, _Field] = {}
        node, stack, recursion = self.expand(schema, ())
        if not node and not recursion:
            return found
        found[WHOLE_BODY] = _Field(self.label(node, stack), root_required)
        self._walk(node, stack, recursion, "", 0, found)
        return found

    def _walk(
        self,
        node: dict[str, Any],
        stack: tuple[str, ...],
        recursion: bool,
        prefix: str,
        depth: int,
        found: dict[str, _Field],
    ) -> None:
        if recursion or depth >= MAX_FIELD_DEPTH or len(found) >= MAX_FIELDS:
            return
        types, _ = _types(node)
        if "array" in types:
            items, inner_stack, inner_recursion = self.expand(node.get("items"), stack)
            self._walk(items, inner_stack, inner_recursion, f"{prefix}[]", depth + 1, found)
            return
        properties = node.get("properties")
        if not isinstance(properties, Mapping):
            return
        required = set(node.get("required") or [])
        for name, value in properties.items():
            child, child_stack, child_recursion = self.expand(value, stack)
            if child.get(self.skip) is True or (isinstance(value, Mapping) and value.get(self.skip) is True):
                continue
            path = f"{prefix}.{name}" if prefix else str(name)
            found[path] = _Field(self.label(child, child_stack), name in required)
            self._walk(child, child_stack, child_recursion, path, depth + 1, found)


def _paired_fields(
    old: dict[str, _Field], new: dict[str, _Field], reported: list[str]
) -> Iterator[tuple[str, _Field | None, _Field | None]]:
    """Each field of either schema with its old and new form, by name; a field inside one the caller put in
    `reported` meanwhile (added, removed or retyped whole) is skipped, so a removed object is one change."""
    for name in sorted(old.keys() | new.keys()):
        if not _under(name, reported):
            yield name, old.get(name), new.get(name)


def _under(path: str, ancestors: list[str]) -> bool:
    """Whether `path` sits inside one of `ancestors` (`results[].id` is inside `results`; all is inside "")."""
    for ancestor in ancestors:
        if ancestor == WHOLE_BODY and path != WHOLE_BODY:
            return True
        if ancestor and (path.startswith(ancestor + ".") or path.startswith(ancestor + "[]")):
            return True
    return False


def _media_schema(content: Any) -> Any:
    if not isinstance(content, Mapping) or not content:
        return None
    names = list(content)
    chosen = next((n for n in names if n == "application/json"), None) or next(
        (n for n in names if "json" in n), names[0]
    )
    media = content.get(chosen)
    return media.get("schema") if isinstance(media, Mapping) else None


# ---- the comparison -------------------------------------------------------------------------------------------


def _parameters(document: ApiDocument, op: _Operation) -> dict[tuple[str, str], Mapping[str, Any]]:
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for source in (op.path_item.get("parameters"), op.operation.get("parameters")):
        for raw in source if isinstance(source, list) else []:
            parameter = resolve(document.spec, raw)
            if isinstance(parameter, Mapping) and parameter.get("in") != "path":
                merged[(str(parameter.get("in")), str(parameter.get("name")))] = parameter
    return merged


def _parameter_type(schemas: _Schemas, parameter: Mapping[str, Any]) -> str:
    schema = parameter.get("schema")
    if schema is None:
        schema = _media_schema(parameter.get("content"))
    node, stack, _ = schemas.expand(schema, ())
    return schemas.label(node, stack) if node else "any"


def _success_response(document: ApiDocument, op: _Operation) -> tuple[str, Any] | None:
    responses = op.operation.get("responses")
    if not isinstance(responses, Mapping):
        return None
    codes = sorted(str(code) for code in responses if str(code).startswith("2"))
    if not codes:
        return None
    response = resolve(document.spec, responses[codes[0]])
    schema = _media_schema(response.get("content")) if isinstance(response, Mapping) else None
    return codes[0], schema


def _request_body(document: ApiDocument, op: _Operation) -> tuple[bool, Any]:
    body = resolve(document.spec, op.operation.get("requestBody"))
    if not isinstance(body, Mapping) or not body:
        return False, None
    return body.get("required") is True, _media_schema(body.get("content"))


class _Differ:
    def __init__(self, old: ApiDocument, new: ApiDocument) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []

    def add(
        self, code: ChangeCode, op: _Operation, name: str = "", where: str = "", old: str = "", new: str = ""
    ) -> None:
        self.changes.append(Change(code, op.method, op.path, name, where, old, new))

    def run(self) -> ContractDiff:
        old_ops, new_ops = _operations(self.old), _operations(self.new)
        loose_new = {(method, key[:-1] if key and key[-1] == "" else key): op for (method, key), op in new_ops.items()}
        for key, op in old_ops.items():
            if key not in new_ops:
                method, strict = key
                twin = loose_new.get((method, strict[:-1] if strict and strict[-1] == "" else strict))
                self.add(ChangeCode.ENDPOINT_REMOVED, op, new=twin.path if twin else "")
        for key, op in new_ops.items():
            if key not in old_ops:
                self.add(ChangeCode.ENDPOINT_ADDED, op)
            else:
                self.compare(old_ops[key], op)
        return ContractDiff(self.old.version, self.new.version, tuple(self.changes))

    def compare(self, before: _Operation, after: _Operation) -> None:
        if after.secured and not before.secured:
            self.add(ChangeCode.AUTH_REQUIRED, after)
        elif before.secured and not after.secured:
            self.add(ChangeCode.AUTH_DROPPED, after)
        self.compare_parameters(before, after)
        self.compare_request(before, after)
        self.compare_response(before, after)

    def compare_parameters(self, before: _Operation, after: _Operation) -> None:
        old_params, new_params = _parameters(self.old, before), _parameters(self.new, after)
        old_schemas, new_schemas = _Schemas(self.old, "request"), _Schemas(self.new, "request")
        for key, parameter in new_params.items():
            where, name = key
            required = parameter.get("required") is True
            if key not in old_params:
                code = ChangeCode.PARAMETER_ADDED_REQUIRED if required else ChangeCode.PARAMETER_ADDED_OPTIONAL
                self.add(code, after, name, where)
                continue
            was_required = old_params[key].get("required") is True
            old_type, new_type = _parameter_type(old_schemas, old_params[key]), _parameter_type(new_schemas, parameter)
            if old_type != new_type:
                self.add(ChangeCode.PARAMETER_RETYPED, after, name, where, old_type, new_type)
            if required and not was_required:
                self.add(ChangeCode.PARAMETER_BECAME_REQUIRED, after, name, where)
            elif was_required and not required:
                self.add(ChangeCode.PARAMETER_BECAME_OPTIONAL, after, name, where)
        for key in old_params.keys() - new_params.keys():
            self.add(ChangeCode.PARAMETER_REMOVED, after, key[1], key[0])

    def compare_request(self, before: _Operation, after: _Operation) -> None:
        old_required, old_schema = _request_body(self.old, before)
        new_required, new_schema = _request_body(self.new, after)
        if new_required and not old_required:
            self.add(ChangeCode.REQUEST_BODY_REQUIRED, after)
            if old_schema is None:
                return
        old_fields = _Schemas(self.old, "request").fields(old_schema, old_required)
        new_fields = _Schemas(self.new, "request").fields(new_schema, new_required)
        old_fields.pop(WHOLE_BODY, None)
        new_fields.pop(WHOLE_BODY, None)
        reported: list[str] = []
        for name, was, now in _paired_fields(old_fields, new_fields, reported):
            if was is None and now is not None:
                code = (
                    ChangeCode.REQUEST_FIELD_ADDED_REQUIRED if now.required else ChangeCode.REQUEST_FIELD_ADDED_OPTIONAL
                )
                self.add(code, after, name)
                reported.append(name)
            elif now is None and was is not None:
                self.add(ChangeCode.REQUEST_FIELD_REMOVED, after, name)
                reported.append(name)
            elif was is not None and now is not None:
                if was.type != now.type:
                    self.add(ChangeCode.REQUEST_FIELD_RETYPED, after, name, old=was.type, new=now.type)
                    reported.append(name)
                elif now.required and not was.required:
                    self.add(ChangeCode.REQUEST_FIELD_BECAME_REQUIRED, after, name)
                elif was.required and not now.required:
                    self.add(ChangeCode.REQUEST_FIELD_BECAME_OPTIONAL, after, name)

    def compare_response(self, before: _Operation, after: _Operation) -> None:
        old_response, new_response = _success_response(self.old, before), _success_response(self.new, after)
        if old_response is None or new_response is None:
            return
        status = new_response[0]
        old_fields = _Schemas(self.old, "response").fields(old_response[1], True)
        new_fields = _Schemas(self.new, "response").fields(new_response[1], True)
        reported: list[str] = []
        for name, was, now in _paired_fields(old_fields, new_fields, reported):
            if was is None and now is not None:
                self.add(ChangeCode.RESPONSE_FIELD_ADDED, after, name, status)
                reported.append(name)
            elif now is None and was is not None:
                self.add(ChangeCode.RESPONSE_FIELD_REMOVED, after, name, status)
                reported.append(name)
            elif was is not None and now is not None and was.type != now.type:
                self.add(ChangeCode.RESPONSE_FIELD_RETYPED, after, name, status, was.type, now.type)
                reported.append(name)


def diff_contracts(old: ApiDocument, new: ApiDocument) -> ContractDiff:
    """Every change from `old` to `new`, in the new document's endpoint order after removed endpoints."""
    return _Differ(old, new).run()
