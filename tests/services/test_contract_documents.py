"""Loading uploads: what is accepted, what is refused and why (the real loader and openapi-spec-validator)."""

from __future__ import annotations

import copy
import io
import json
import socket
import subprocess
import sys
import zipfile

import pytest

from bot.errors import InvalidInput
from bot.services.contracts.document import MAX_BYTES, ContractRejected
from bot.services.contracts.summary import render_summary, summarise
from tests.services.contract_docs import FIXTURES, ROOT, get_returning, load, ok, refused, spec

# ---- loading: what is accepted -------------------------------------------------------------------------------


def test_contract_rejected_is_a_user_error() -> None:
    assert issubclass(ContractRejected, InvalidInput)


def test_recursive_schema_is_accepted() -> None:
    tree = {
        "Comment": {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
                "parent": {"anyOf": [{"$ref": "#/components/schemas/Comment"}, {"type": "null"}]},
            },
        }
    }
    document = load(spec(get_returning("#/components/schemas/Comment"), tree))
    assert document.title == "Shop" and document.version == "1.0.0" and document.minor == "3.1"


def test_yaml_with_bare_status_codes_utf16_and_bom_is_read() -> None:
    text = (
        "openapi: 3.0.3\ninfo: {title: Café, version: '2'}\n"
        "paths:\n  /a/:\n    get:\n      responses:\n        200: {description: ok}\n"
    )
    for data in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        document = load(data, "schema.yaml")
        assert document.format == "yaml" and document.title == "Café"
        assert "200" in document.spec["paths"]["/a/"]["get"]["responses"]


def test_drf_spectacular_export_loads_and_summarises() -> None:
    document = load((FIXTURES / "spectacular.yaml").read_bytes(), "schema.yaml")
    assert (document.openapi, document.title, document.version, document.format) == (
        "3.0.3",
        "Shop API",
        "0.3.0",
        "yaml",
    )
    summary = summarise(document)
    assert [a.description for a in summary.auth] == ['API key in cookie "sessionid"', "Bearer token (JWT)"]
    assert [group.tag for group in summary.groups] == ["api"]
    labels = [e.label for e in summary.endpoints]
    assert labels == [
        "GET /api/orders/",
        "POST /api/orders/",
        "GET /api/orders/{id}/",
        "PATCH /api/orders/{id}/",
        "GET /api/schema/",
        "POST /api/token/",
    ]
    by_label = {e.label: e for e in summary.endpoints}
    assert by_label["GET /api/orders/"].secured and not by_label["GET /api/schema/"].secured  # `{}` allows anonymous
    assert by_label["GET /api/orders/"].summary == "api_orders_list"  # no summary: the operationId
    assert by_label["POST /api/token/"].summary.startswith("Takes a set of user credentials")  # docstring's first line


def test_fastapi_export_loads_and_summarises() -> None:
    document = load((FIXTURES / "fastapi.json").read_bytes(), "openapi.json")
    assert (document.openapi, document.title, document.format) == ("3.1.0", "Polls", "json")
    summary = summarise(document)
    assert [a.description for a in summary.auth] == ["OAuth 2 (password)"]
    assert [(g.tag, len(g.endpoints)) for g in summary.groups] == [("auth", 1), ("polls", 3), ("other", 1)]
    by_label = {e.label: e for e in summary.endpoints}
    assert not by_label["GET /polls/"].secured and by_label["POST /polls/"].secured
    assert by_label["POST /polls/{poll_id}/vote"].summary == "Vote"
    text = render_summary(summary)
    assert text.startswith("**Polls** · version `0.1.0` · OpenAPI 3.1.0")
    assert "**polls**\n`GET` `/polls/` — List Polls" in text


def test_render_summary_cuts_at_a_line_and_neutralises_user_text() -> None:
    paths = {
        f"/items{i}/": {"get": {"summary": "@everyone see <@123> *now*", "tags": ["t"], "responses": {"200": ok()}}}
        for i in range(40)
    }
    summary = summarise(load(spec(paths, info={"title": "Evil @here", "version": "1"})))
    text = render_summary(summary, max_chars=600)
    assert len(text) <= 600
    assert text.endswith("more endpoints")
    shown = text.count("`GET`")
    assert f"… and {40 - shown} more endpoints" in text
    assert "@everyone" not in text and "@here" not in text and "<@123>" not in text
    assert "\\*now\\*" in text
    assert len(render_summary(summary, max_chars=100_000).splitlines()) == 4 + 40  # title, count, blank line, tag


# ---- loading: what is refused ----------------------------------------------------------------------------------


def test_invalid_yaml_is_refused_with_its_line() -> None:
    message = refused("openapi: 3.1.0\ninfo:\n  title: [unclosed\n  version: 1\n", "schema.yaml")
    assert message.startswith("`schema.yaml` isn't valid YAML:") and "line " in message and "column " in message


def test_invalid_json_is_refused_with_its_line() -> None:
    message = refused('{"openapi": "3.1.0",\n "info": {}, }')
    assert "isn't valid JSON" in message and "line 2" in message


def test_a_5_mb_file_is_refused_before_parsing() -> None:
    data = json.dumps(spec(info={"title": "x" * 5_000_000, "version": "1"})).encode()
    message = refused(data)
    assert "5.0 MB" in message and "at most 1 MB" in message
    assert MAX_BYTES == 1_000_000


def test_a_zip_renamed_json_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("openapi.json", json.dumps(spec()))
    message = refused(buffer.getvalue(), "openapi.json")
    assert (
        message
        == "`openapi.json` is a zip archive, not a JSON or YAML text file. Unzip it and upload the OpenAPI file inside."
    )


def test_binary_and_non_utf8_files_are_refused() -> None:
    assert "is a binary file" in refused(b"openapi: 3.1.0\x00\x01\x02", "schema.yaml")
    assert "is a PNG image" in refused(b"\x89PNG\r\n\x1a\n....", "schema.json")
    assert "isn't UTF-8 text" in refused("openapi: 3.1.0\ninfo: {title: caf\xe9}".encode("latin-1"), "s.yaml")


def test_empty_file_is_refused_with_how_to_export() -> None:
    for data in (b"", b"  \n\t\n"):
        message = refused(data, "schema.yaml")
        assert message.startswith("`schema.yaml` is empty.") and "spectacular" in message


def test_json_array_and_plain_text_are_refused() -> None:
    assert "holds a list" in refused(b'[{"openapi": "3.1.0"}]')
    assert "holds plain text" in refused(b"just some notes", "notes.yaml")


def test_swagger_2_is_refused_with_how_to_convert() -> None:
    for data, name in (
        (b'swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n', "swagger.yaml"),
        (json.dumps({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}).encode(), "swagger.json"),
    ):
        message = refused(data, name)
        assert f"`{name}` is Swagger 2.0" in message
        assert "swagger2openapi" in message and "drf-spectacular" in message


def test_other_openapi_versions_are_refused() -> None:
    assert "OpenAPI `3.2.0`; the bot reads 3.0.x and 3.1.x" in refused(spec(openapi="3.2.0"))
    assert "write the full version as text" in refused(
        b"openapi: 3.1\ninfo: {title: t, version: '1'}\npaths: {}\n", "a.yaml"
    )
    assert "has no `openapi` field" in refused({"info": {"title": "t"}, "paths": {}})


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        previous, name = chr(96 + level), chr(97 + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    message = refused("\n".join(lines) + "\nopenapi: 3.1.0\n", "bomb.yaml")
    assert "expands to more than" in message and "aliases" in message


def test_yaml_anchor_containing_itself_is_refused() -> None:
    assert "contains itself" in refused(b"openapi: 3.1.0\nloop: &a [*a]\n", "loop.yaml")


def test_nesting_too_deep_is_refused() -> None:
    assert "nested" in refused(b'{"openapi": "3.1.0", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert "nested more than" in refused(b'{"openapi": "3.1.0", "x": ' + b"[" * 150 + b"]" * 150 + b"}")


def test_ref_alias_loop_is_refused() -> None:
    schemas = {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}
    message = refused(spec(get_returning("#/components/schemas/A"), schemas))
    assert "`$ref` loop: `#/components/schemas/A` → `#/components/schemas/B` → `#/components/schemas/A`" in message
    assert "a tree of comments is fine" in message


def test_ref_loop_through_all_of_and_self_alias_are_refused() -> None:
    through_all_of = {
        "A": {"allOf": [{"$ref": "#/components/schemas/B"}]},
        "B": {"allOf": [{"$ref": "#/components/schemas/A"}]},
    }
    assert "`$ref` loop" in refused(spec(get_returning("#/components/schemas/A"), through_all_of))
    assert "`$ref` loop: `#/components/schemas/A` → `#/components/schemas/A`" in refused(
        spec(get_returning("#/components/schemas/A"), {"A": {"$ref": "#/components/schemas/A"}})
    )


def test_dangling_ref_is_refused_with_its_pointer_and_a_suggestion() -> None:
    message = refused(spec(get_returning("#/components/schemas/Prodcut"), {"Product": {"type": "object"}}))
    assert "`/paths/~1products~1/get/responses/200/content/application~1json/schema`" in message
    assert "`$ref: '#/components/schemas/Prodcut'` points to nothing (did you mean `Product`?)" in message


def test_external_refs_are_refused_without_any_request() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        for ref in (f"http://127.0.0.1:{port}/schemas.json#/Product", "./schemas.yaml#/Product", "file:///etc/passwd"):
            message = refused(spec(get_returning(ref), {"Product": {"type": "object"}}))
            assert "points outside this file, which the bot never opens" in message and "bundle" in message
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected


def test_invalid_document_lists_the_first_three_problems_with_pointers() -> None:
    bad = {
        "openapi": "3.0.3",
        "info": {"title": "t"},
        "paths": {
            "/products": {"get": {"responses": {"200": {"content": {}}}}},
            "/orders": {"post": {"responses": {"201": {}}}},
            "/carts": {"put": {"responses": {"200": {"x": 1}}}},
            "/users": {"delete": {"responses": {"204": {}}}},
        },
    }
    message = refused(bad, "schema.json")
    lines = message.splitlines()
    assert lines[0].startswith("`schema.json` isn't a valid OpenAPI 3.0 document (") and lines[0].endswith(
        ", first 3):"
    )
    assert len([line for line in lines if line.startswith("• ")]) == 3
    assert "• `/info`: 'version' is a required property" in lines
    assert "• `/paths/~1products/get/responses/200`: 'description' is a required property" in lines
    assert lines[-1] == "Fix these and publish again."


def test_missing_path_parameter_is_reported_by_the_validator() -> None:
    message = refused(spec({"/products/{id}/": {"get": {"responses": {"200": ok()}}}}))
    assert "Path parameter 'id'" in message and "(1 problem):" in message


def test_refs_in_examples_and_extensions_are_literal_data() -> None:
    schemas = {
        "Product": {"type": "object", "examples": [{"$ref": "http://example.com/x"}], "x-meta": {"$ref": "nope"}}
    }
    load(spec(get_returning("#/components/schemas/Product"), schemas))


# ---- layering ----------------------------------------------------------------------------------------------------


def test_contracts_package_imports_no_discord_and_no_validator_until_needed() -> None:
    code = (
        "import sys\n"
        "import bot.services.contracts.diff, bot.services.contracts.paths, bot.services.contracts.templates\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'openapi_spec_validator')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_openapi_spec_validator_runs_on_the_fast_jsonschema_rs_backend() -> None:
    from openapi_spec_validator.schemas.backend import get_validator_backend

    assert get_validator_backend() == "jsonschema-rs"


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_schema_meta_errors_are_still_found_with_the_fast_meta_check(version: str) -> None:
    from bot.services.contracts import spec_check

    bad = spec({"/things": {"get": {"responses": {"200": ok(ref="#/components/schemas/Thing")}}}}, {"Thing": {}})
    bad["openapi"] = version
    bad["components"]["schemas"]["Thing"] = {"type": "object", "properties": {"n": {"type": "strng"}}}
    spec_check._RS_META.clear()  # what this test's own documents built, not what earlier tests left
    message = refused(bad)
    assert "`/properties/n/type`: 'strng' is not one of" in message, message
    fine = copy.deepcopy(bad)
    fine["components"]["schemas"]["Thing"]["properties"]["n"]["type"] = "string"
    assert load(fine).openapi == version
    # jsonschema-rs checked the valid document's schemas (a 3.0 document with a problem can stop at an earlier,
    # structural one before any Schema Object is meta-checked, so the check is asserted on the valid one).
    assert any(v is not None for v in spec_check._RS_META.values())


def test_refs_under_names_that_look_like_keywords_are_checked() -> None:
    """A property called `default` and the `default` response are structure: their `$ref`s are checked too."""
    product = {"type": "object", "properties": {"default": {"$ref": "#/components/schemas/Missing"}}}
    message = refused(spec(get_returning("#/components/schemas/Product"), {"Product": product}))
    assert "`/components/schemas/Product/properties/default`: `$ref: '#/components/schemas/Missing'`" in message
    default_response = {"/products/": {"get": {"responses": {"default": {"$ref": "#/components/responses/Eror"}}}}}
    errors = {"Error": {"description": "Something went wrong"}}
    message = refused(spec(default_response, components={"responses": errors}))
    assert "`/paths/~1products~1/get/responses/default`" in message and "did you mean `Error`?" in message
