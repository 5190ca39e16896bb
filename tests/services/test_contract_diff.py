"""Diffs between contract versions: which changes break the Frontend partner's code, `$ref`s resolved."""

from __future__ import annotations

import copy
from typing import Any

from bot.services.contracts.diff import BREAKING, Change, ChangeCode, diff_contracts
from bot.services.contracts.document import ApiDocument
from bot.services.contracts.templates import load_template
from tests.services.contract_docs import get_returning, load, ok, spec

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
