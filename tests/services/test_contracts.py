"""bot/services/contracts: loading uploads (and refusing bad ones), summaries, diffs, path matching.

Every document goes through the real loader and the real openapi-spec-validator; nothing is mocked.
"""

from __future__ import annotations

import copy
import io
import json
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.errors import InvalidInput
from bot.services.contracts.diff import BREAKING, Change, ChangeCode, diff_contracts
from bot.services.contracts.document import MAX_BYTES, ApiDocument, ContractRejected, load_document
from bot.services.contracts.paths import (
    MAX_CHOICES,
    Need,
    NeedState,
    endpoint_choices,
    needs_status,
    normalise_method,
    normalise_path,
    same_shape,
    shape,
)
from bot.services.contracts.summary import render_summary, summarise
from bot.services.contracts.templates import load_template

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "contracts"


def spec(paths: dict[str, Any] | None = None, schemas: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Shop", "version": "1.0.0"},
        "paths": paths if paths is not None else {},
    }
    if schemas is not None:
        document["components"] = {"schemas": schemas}
    document.update(extra)
    return document


def ok(description: str = "OK", ref: str | None = None, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"$ref": ref} if ref else schema
    response: dict[str, Any] = {"description": description}
    if body is not None:
        response["content"] = {"application/json": {"schema": body}}
    return response


def get_returning(ref: str) -> dict[str, Any]:
    return {"/products/": {"get": {"responses": {"200": ok(ref=ref)}}}}


def load(data: dict[str, Any] | bytes | str, filename: str = "openapi.json") -> ApiDocument:
    if isinstance(data, dict):
        data = json.dumps(data)
    if isinstance(data, str):
        data = data.encode()
    return load_document(data, filename)


def refused(data: dict[str, Any] | bytes | str, filename: str = "openapi.json") -> str:
    with pytest.raises(ContractRejected) as caught:
        load(data, filename)
    return str(caught.value)


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


# ---- diff ------------------------------------------------------------------------------------------------------

PRODUCT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string"},
        "price": {"type": "string", "format": "decimal"},
        "category": {"$ref": "#/components/schemas/Category"},
    },
    "required": ["id", "name", "price"],
}
BASE_SCHEMAS = {
    "Category": {"type": "object", "properties": {"id": {"type": "integer"}, "slug": {"type": "string"}}},
    "Product": PRODUCT,
    "PaginatedProductList": {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "next": {"type": ["string", "null"]},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
        },
    },
    "Address": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "phone": {"type": "string"}},
        "required": ["city"],
    },
    "Checkout": {
        "type": "object",
        "properties": {"address": {"$ref": "#/components/schemas/Address"}, "note": {"type": "string"}},
        "required": ["address"],
    },
}


def base() -> dict[str, Any]:
    return spec(
        {
            "/products/": {
                "get": {
                    "parameters": [
                        {"$ref": "#/components/parameters/Page"},
                        {"name": "search", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": ok(ref="#/components/schemas/PaginatedProductList")},
                },
                "post": {
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}
                    },
                    "responses": {"201": ok(ref="#/components/schemas/Product")},
                },
            },
            "/products/{id}/": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "get": {"responses": {"200": ok(ref="#/components/schemas/Product")}},
            },
            "/orders/": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Checkout"}}},
                    },
                    "responses": {"201": ok()},
                }
            },
        },
        copy.deepcopy(BASE_SCHEMAS),
        components_parameters={"Page": {"name": "page", "in": "query", "schema": {"type": "integer"}}},
    )


def build(data: dict[str, Any]) -> ApiDocument:
    data = copy.deepcopy(data)
    parameters = data.pop("components_parameters", None)
    if parameters:
        data["components"]["parameters"] = parameters
    return load(data)


def changed(mutate: Any) -> list[tuple[ChangeCode, str]]:
    old = base()
    new = copy.deepcopy(old)
    new["info"]["version"] = "1.1.0"
    mutate(new)
    diff = diff_contracts(build(old), build(new))
    assert (diff.old_version, diff.new_version) == ("1.0.0", "1.1.0")
    return [(change.code, change.text) for change in diff.changes]


def test_identical_contracts_have_no_changes() -> None:
    assert changed(lambda new: None) == []


def test_endpoint_removed_and_added() -> None:
    def mutate(new: dict[str, Any]) -> None:
        del new["paths"]["/orders/"]
        new["paths"]["/cart/"] = {"get": {"responses": {"200": ok()}}}

    assert changed(mutate) == [
        (ChangeCode.ENDPOINT_REMOVED, "`POST /orders/` was removed"),
        (ChangeCode.ENDPOINT_ADDED, "`GET /cart/` is new"),
    ]


def test_trailing_slash_change_is_a_removal_that_says_where_it_went() -> None:
    codes = changed(lambda new: new["paths"].__setitem__("/orders", new["paths"].pop("/orders/")))
    assert codes == [
        (ChangeCode.ENDPOINT_REMOVED, "`POST /orders/` was removed (now `/orders`: the trailing slash changed)"),
        (ChangeCode.ENDPOINT_ADDED, "`POST /orders` is new"),
    ]


def test_renamed_path_parameter_is_the_same_endpoint() -> None:
    def mutate(new: dict[str, Any]) -> None:
        item = new["paths"].pop("/products/{id}/")
        item["parameters"][0]["name"] = "product_id"
        new["paths"]["/products/{product_id}/"] = item

    assert changed(mutate) == []


def test_parameter_changes() -> None:
    def mutate(new: dict[str, Any]) -> None:
        parameters = new["paths"]["/products/"]["get"]["parameters"]
        parameters[1] = {"name": "search", "in": "query", "required": True, "schema": {"type": "string"}}
        parameters.append({"name": "brand", "in": "query", "required": True, "schema": {"type": "string"}})
        parameters.append({"name": "X-Trace", "in": "header", "schema": {"type": "string"}})
        new["components_parameters"]["Page"]["schema"] = {"type": "string"}

    result = dict(changed(mutate))
    assert result == {
        ChangeCode.PARAMETER_RETYPED: "`GET /products/`: query parameter `page` changed from integer to string",
        ChangeCode.PARAMETER_BECAME_REQUIRED: "`GET /products/`: query parameter `search` is now required",
        ChangeCode.PARAMETER_ADDED_REQUIRED: "`GET /products/`: new required query parameter `brand`",
        ChangeCode.PARAMETER_ADDED_OPTIONAL: "`GET /products/`: new optional header parameter `X-Trace`",
    }


def test_parameter_relaxed_or_removed_is_not_breaking() -> None:
    def make_required(data: dict[str, Any]) -> None:
        data["paths"]["/products/"]["get"]["parameters"][1]["required"] = True

    old = base()
    make_required(old)
    relaxed = base()
    del relaxed["paths"]["/products/"]["get"]["parameters"][0]
    diff = diff_contracts(build(old), build(relaxed))
    assert diff.codes == [ChangeCode.PARAMETER_BECAME_OPTIONAL, ChangeCode.PARAMETER_REMOVED]
    assert diff.breaking == ()


def test_request_field_changes_through_refs() -> None:
    def mutate(new: dict[str, Any]) -> None:
        schemas = new["components"]["schemas"]
        schemas["Address"]["required"].append("phone")  # nested, behind a $ref
        schemas["Checkout"]["properties"]["coupon"] = {"type": "string"}
        schemas["Checkout"]["properties"]["terms"] = {"type": "boolean"}
        schemas["Checkout"]["required"].append("terms")
        schemas["Checkout"]["properties"]["note"] = {"type": "integer"}

    assert changed(mutate) == [
        (ChangeCode.REQUEST_FIELD_BECAME_REQUIRED, "`POST /orders/`: request field `address.phone` is now required"),
        (ChangeCode.REQUEST_FIELD_ADDED_OPTIONAL, "`POST /orders/`: new optional request field `coupon`"),
        (ChangeCode.REQUEST_FIELD_RETYPED, "`POST /orders/`: request field `note` changed from string to integer"),
        (ChangeCode.REQUEST_FIELD_ADDED_REQUIRED, "`POST /orders/`: new required request field `terms`"),
    ]


def test_request_field_relaxed_or_removed_and_body_required() -> None:
    def mutate(new: dict[str, Any]) -> None:
        schemas = new["components"]["schemas"]
        schemas["Address"]["required"] = []
        del schemas["Checkout"]["properties"]["note"]
        new["paths"]["/products/"]["post"]["requestBody"]["required"] = True

    result = changed(mutate)
    assert (ChangeCode.REQUEST_BODY_REQUIRED, "`POST /products/` now requires a request body") in result
    assert (
        ChangeCode.REQUEST_FIELD_BECAME_OPTIONAL,
        "`POST /orders/`: request field `address.city` is now optional",
    ) in result
    assert (ChangeCode.REQUEST_FIELD_REMOVED, "`POST /orders/`: request field `note` is no longer accepted") in result


def test_read_only_fields_are_not_request_fields() -> None:
    def mutate(new: dict[str, Any]) -> None:
        new["components"]["schemas"]["Product"]["properties"]["id"] = {"type": "string", "readOnly": True}

    # Only the responses see `id` change; the POST body does not.
    assert all(code == ChangeCode.RESPONSE_FIELD_RETYPED for code, _ in changed(mutate))


def test_response_field_changes_through_refs_and_arrays() -> None:
    def mutate(new: dict[str, Any]) -> None:
        product = new["components"]["schemas"]["Product"]["properties"]
        product["price"] = {"type": "number"}
        del product["name"]
        product["discount"] = {"type": "number"}
        new["components"]["schemas"]["Category"]["properties"]["slug"] = {"type": ["string", "null"]}

    result = changed(mutate)
    listing = [text for code, text in result if text.startswith("`GET /products/`")]
    assert listing == [
        "`GET /products/` (200): response field `results[].category.slug` changed from string to string or null",
        "`GET /products/` (200): new response field `results[].discount`",
        "`GET /products/` (200): response field `results[].name` was removed",
        "`GET /products/` (200): response field `results[].price` changed from string (decimal) to number",
    ]
    assert (
        ChangeCode.RESPONSE_FIELD_REMOVED,
        "`GET /products/{id}/` (200): response field `name` was removed",
    ) in result
    assert (ChangeCode.RESPONSE_FIELD_ADDED, "`POST /products/` (201): new response field `discount`") in result


def test_removed_object_is_reported_once_not_per_field() -> None:
    result = changed(lambda new: new["components"]["schemas"]["Product"]["properties"].pop("category"))
    texts = [text for _, text in result if "GET /products/{id}/" in text]
    assert texts == ["`GET /products/{id}/` (200): response field `category` was removed"]


def test_whole_response_body_retyped() -> None:
    def mutate(new: dict[str, Any]) -> None:
        new["paths"]["/products/"]["get"]["responses"]["200"] = ok(
            schema={"type": "array", "items": {"$ref": "#/components/schemas/Product"}}
        )

    assert changed(mutate) == [
        (
            ChangeCode.RESPONSE_FIELD_RETYPED,
            "`GET /products/` (200): the response body changed from object to array of object",
        )
    ]


def test_auth_required_and_dropped() -> None:
    def secure(data: dict[str, Any]) -> None:
        data["components"]["securitySchemes"] = {"jwt": {"type": "http", "scheme": "bearer"}}
        data["security"] = [{"jwt": []}]
        data["paths"]["/products/"]["get"]["security"] = []

    old = base()
    secure(old)
    new = copy.deepcopy(old)
    del new["paths"]["/products/"]["get"]["security"]
    new["paths"]["/orders/"]["post"]["security"] = [{}, {"jwt": []}]
    diff = diff_contracts(build(old), build(new))
    assert [(c.code, c.text) for c in diff.changes] == [
        (ChangeCode.AUTH_REQUIRED, "`GET /products/` now needs authentication"),
        (ChangeCode.AUTH_DROPPED, "`POST /orders/` no longer needs authentication"),
    ]
    assert [c.code for c in diff.breaking] == [ChangeCode.AUTH_REQUIRED]


def test_recursive_schemas_diff_without_looping() -> None:
    def comments(text_type: str) -> dict[str, Any]:
        return spec(
            get_returning("#/components/schemas/Comment"),
            {
                "Comment": {
                    "type": "object",
                    "properties": {
                        "text": {"type": text_type},
                        "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
                    },
                }
            },
        )

    diff = diff_contracts(load(comments("string")), load(comments("integer")))
    assert [c.text for c in diff.changes] == [
        "`GET /products/` (200): response field `text` changed from string to integer"
    ]


def test_nullable_spelled_the_30_or_the_31_way_is_the_same_type() -> None:
    old = spec(
        get_returning("#/components/schemas/P"),
        {"P": {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}}},
    )
    old["openapi"] = "3.0.3"
    new = spec(
        get_returning("#/components/schemas/P"),
        {"P": {"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}},
    )
    assert diff_contracts(load(old), load(new)).changes == ()


def test_every_change_code_has_a_text_and_a_side() -> None:
    for code in ChangeCode:
        change = Change(code, "GET", "/x/", name="f", where="query", old="a", new="b")
        assert change.text.startswith("`GET /x/`")
        assert change.breaking == (code in BREAKING)
    assert ChangeCode.ENDPOINT_ADDED not in BREAKING and ChangeCode.RESPONSE_FIELD_REMOVED in BREAKING


def test_template_against_itself_and_a_trimmed_copy() -> None:
    template = load_template("ecommerce")
    assert diff_contracts(template, template).changes == ()
    trimmed = copy.deepcopy(template.spec)
    del trimmed["paths"]["/api/cart/"]
    diff = diff_contracts(template, load(trimmed))
    assert [c.text for c in diff.breaking] == ["`GET /api/cart/` was removed"]


# ---- paths and needs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("/products/{id}", "/products/{product_id}", True),
        ("/products/{id}/", "/products/{product_id}", True),
        ("/products/", "/products", True),
        ("/products/{id}/reviews/", "/products/{pk}/reviews", True),
        ("/files/{name}.{ext}", "/files/{a}.{b}", True),
        ("/Products/{id}", "/products/{id}", False),
        ("/products/{id}", "/products/featured", False),
        ("/products/{id}/reviews", "/products/{id}", False),
        ("/", "/", True),
    ],
)
def test_path_shapes(a: str, b: str, same: bool) -> None:
    assert same_shape(a, b) is same


def test_strict_shape_keeps_the_trailing_slash() -> None:
    assert shape("/a/{x}/", strict_slash=True) == ("a", "{}", "")
    assert shape("/a/{x}", strict_slash=True) == ("a", "{}")


@pytest.mark.parametrize(
    ("typed", "path"),
    [
        ("/products/{id}/", "/products/{id}/"),
        ("products/:id", "/products/{id}"),
        ("/products/<int:pk>/", "/products/{pk}/"),
        ("/products/[slug]", "/products/{slug}"),
        ("https://api.example.com/api/products/?page=2", "/api/products/"),
        ("  /orders//{id}#top ", "/orders/{id}"),
        ("/", "/"),
    ],
)
def test_normalise_path(typed: str, path: str) -> None:
    assert normalise_path(typed) == path


def test_normalise_path_refuses_what_is_not_a_path() -> None:
    with pytest.raises(InvalidInput, match="has a space"):
        normalise_path("/my products/")
    with pytest.raises(InvalidInput, match="Give the endpoint's path"):
        normalise_path("   ")
    with pytest.raises(InvalidInput, match="keep it to 200"):
        normalise_path("/" + "a" * 300)


def test_normalise_method() -> None:
    assert normalise_method(" patch ") == "PATCH"
    with pytest.raises(InvalidInput, match="Did you mean `GET`"):
        normalise_method("GTE")
    with pytest.raises(InvalidInput, match="isn't an HTTP method"):
        normalise_method("FETCH")


def test_needs_met_or_missing() -> None:
    contract = load((FIXTURES / "spectacular.yaml").read_bytes(), "schema.yaml")
    needs = [
        Need("GET", "/api/orders/{order_id}", "order page"),
        Need("GET", "/api/orders"),
        Need("DELETE", "/api/orders/{id}/"),
        Need("GET", "/api/orders/{id}/items/"),
    ]
    status = needs_status(needs, contract)
    assert [s.state for s in status] == [NeedState.MET, NeedState.MET, NeedState.MISSING, NeedState.MISSING]
    assert status[0].endpoint is not None and status[0].endpoint.path == "/api/orders/{id}/"
    assert status[2].other_methods == ("GET", "PATCH") and status[3].other_methods == ()
    assert [s.state for s in needs_status(needs, None)] == [NeedState.MISSING] * 4


def test_needs_may_include_the_servers_base_path() -> None:
    contract = load(
        spec({"/products/": {"get": {"responses": {"200": ok()}}}}, servers=[{"url": "https://shop.io/api/v1"}])
    )
    status = needs_status(
        [Need("GET", "/api/v1/products"), Need("GET", "/products/"), Need("GET", "/v1/products")], contract
    )
    assert [s.state for s in status] == [NeedState.MET, NeedState.MET, NeedState.MISSING]


def test_endpoint_choices_contract_first_then_template() -> None:
    product_id = {"name": "product_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    paths = {
        "/api/products/{product_id}/": {"get": {"parameters": [product_id], "responses": {"200": ok()}}},
        "/api/brands/": {"get": {"responses": {"200": ok()}}},
    }
    contract = load(spec(paths))
    template = load_template("ecommerce")
    choices = endpoint_choices(contract, template, "/api/prod")
    assert choices[0] == "/api/products/{product_id}/"
    assert "/api/products/{id}/" not in choices  # same shape as the contract's
    assert "/api/products/" in choices
    assert endpoint_choices(contract, template, "cart") == ["/api/cart/", "/api/cart/items/", "/api/cart/items/{id}/"]
    assert endpoint_choices(None, template, "orders", method="post") == [
        "/api/orders/",
        "/api/orders/{id}/cancel/",
        "/api/orders/{id}/pay/",
    ]
    assert endpoint_choices(None, None, "") == []


def test_endpoint_choices_are_capped_for_discord() -> None:
    paths = {f"/items/{i}/": {"get": {"responses": {"200": ok()}}} for i in range(40)}
    paths["/" + "x" * 120 + "/"] = {"get": {"responses": {"200": ok()}}}
    choices = endpoint_choices(load(spec(paths)), None, "")
    assert len(choices) == MAX_CHOICES and all(len(c) <= 100 for c in choices)


# ---- layering ----------------------------------------------------------------------------------------------------


def test_contracts_package_imports_no_discord_and_no_validator_until_needed() -> None:
    code = (
        "import sys\n"
        "import bot.services.contracts.diff, bot.services.contracts.paths, bot.services.contracts.templates\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'openapi_spec_validator')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
