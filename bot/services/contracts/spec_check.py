"""openapi-spec-validator, run fast: its jsonschema-rs backend, Schema Object meta-checks on jsonschema-rs first, and a
second, describing pass on the library's Python path only for a document that has problems.

Imported only when a contract is checked (in the validation worker): the validator and its dependencies take about
30 MB. No URL handlers at all (not even file:): whatever the document says, the validator reads nothing else.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.services.contracts.refs import pointer

log = logging.getLogger(__name__)

MAX_PROBLEMS = 3
# Problems counted (not shown) before the message says "or more".
COUNT_LIMIT = 20
_MESSAGE_LIMIT = 180


def spec_problems(spec: dict[str, Any], openapi: str, name: str) -> tuple[list[str], int]:
    """The first problems (JSON pointer and message) and how many were counted; ([], 0) for a valid document."""
    # The fast pass only decides valid or not (it stops at the first problem); the describing pass lists them.
    problems, count = _problems(spec, openapi, name, describing=False, limit=1)
    if problems:
        described, described_count = _problems(spec, openapi, name, describing=True)
        if described:
            return described, described_count
    return problems, count


def _validator_classes(openapi: str, *, describing: bool) -> Any:
    """The validator class for this version; `describing`: on the pure-Python jsonschema backend.

    openapi-spec-validator picks jsonschema-rs when it is installed (pinned), and `_fast` makes its Schema Object
    meta-checks ask jsonschema-rs first: a 1 MB document in 2.3 s instead of 11.8 s (`python -m bench.contracts`).
    But the Rust errors stop at `oneOf` ("is not valid under any of the schemas") where jsonschema's say what is
    missing. So a document is checked fast, and only one that has problems is checked again on the Python backend,
    for the messages the uploader reads.
    """
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    base = OpenAPIV31SpecValidator if openapi.startswith("3.1") else OpenAPIV30SpecValidator
    if not describing:
        return _FAST.setdefault(base, _fast(base))
    return _DESCRIBING.setdefault(base, _describing(base))


_DESCRIBING: dict[Any, Any] = {}
_FAST: dict[Any, Any] = {}
_RS_META: dict[int, Any] = {}


def _rs_meta_validator(meta_schema: Any) -> Any:
    """A jsonschema-rs validator for a Schema Object meta-schema (OAS 3.0, or 3.1's dialect), or None."""
    key = id(meta_schema)
    if key not in _RS_META:
        try:
            import jsonschema_rs
            from openapi_schema_validator._specifications import REGISTRY

            registry = jsonschema_rs.Registry([(uri, REGISTRY[uri].contents) for uri in REGISTRY])
            _RS_META[key] = jsonschema_rs.validator_for(meta_schema, registry=registry, validate_formats=True)
        except Exception:  # no jsonschema-rs, or a meta-schema it can't compile: the Python check alone
            log.warning("no jsonschema-rs meta-schema validator; schemas are checked in Python", exc_info=True)
            _RS_META[key] = None
    return _RS_META[key]


def _fast(base: Any) -> Any:
    """`base` whose Schema Object meta-check asks jsonschema-rs first (half of a large document's time in Python).

    Only a schema jsonschema-rs calls invalid goes on to the library's own Python check, so what is refused, and
    how it is worded, stays openapi-spec-validator's.
    """
    schema_keyword = base.keyword_validators["schema"]

    class FastSchemaValidator(schema_keyword):  # type: ignore[misc, valid-type]
        def _get_schema_checker(self, schema: Any, schema_value: Any) -> Any:
            slow = super()._get_schema_checker(schema, schema_value)
            bound = getattr(slow, "func", slow)  # partial(check_schema, format_checker=...) or check_schema
            meta = getattr(getattr(bound, "__self__", None), "META_SCHEMA", None)
            fast = _rs_meta_validator(meta) if meta is not None else None
            if fast is None:
                return slow

            def check(value: Any) -> None:
                if not fast.is_valid(value):
                    slow(value)

            return check

    keywords = {**base.keyword_validators, "schema": FastSchemaValidator}
    return type(f"Fast{base.__name__}", (base,), {"keyword_validators": keywords})


def _describing(base: Any) -> Any:
    from openapi_spec_validator.schemas import schema_v30, schema_v31
    from openapi_spec_validator.schemas.backend.jsonschema import create_validator

    schema = schema_v31 if base.__name__ == "OpenAPIV31SpecValidator" else schema_v30
    return type(f"Describing{base.__name__}", (base,), {"schema_validator": create_validator(schema)})


def _problems(
    spec: dict[str, Any], openapi: str, name: str, *, describing: bool, limit: int = COUNT_LIMIT + 1
) -> tuple[list[str], int]:
    # Imported here: the validator and its dependencies take about 30 MB, needed only when a contract arrives.
    import referencing.exceptions
    from jsonschema_path import SchemaPath

    validator_cls = _validator_classes(openapi, describing=describing)
    # No URL handlers at all (not even file:): whatever the document says, the validator reads nothing else.
    validator = validator_cls(SchemaPath.from_dict(spec, handlers={}))

    problems: list[str] = []
    seen: set[str] = set()
    count = 0
    try:
        for error in validator.iter_errors():
            text = _error_text(error)
            if text in seen:
                continue
            seen.add(text)
            count += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append(text)
            if count >= limit:
                break
    except RecursionError:
        problems, count = ["Its schemas nest or refer to each other too deeply to check."], 1
    except referencing.exceptions.Unresolvable as error:
        log.info("contract %s: unresolvable reference %s", name, error)
        problems, count = ["A `$ref` could not be resolved inside the document."], 1
    return problems, count


def _error_text(error: Any) -> str:
    """One problem: the JSON pointer of the offending value and the validator's first line, shortened."""
    context = getattr(error, "context", None)
    if context:
        from jsonschema.exceptions import best_match

        deeper = best_match(context)
        if deeper is not None and len(deeper.absolute_path) >= len(error.absolute_path):
            error = deeper
    message = str(getattr(error, "message", error)).split("\n", 1)[0].strip()
    instance = getattr(error, "instance", None)
    for shown in (repr(instance), json.dumps(instance, default=str) if instance is not None else ""):
        if shown and len(shown) > 40 and message.startswith(shown):
            message = "This " + ("object" if isinstance(instance, dict) else "value") + message[len(shown) :]
            break
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1].rstrip() + "…"
    path = list(getattr(error, "absolute_path", []) or [])
    return f"`{pointer(path)}`: {message}" if path else message
