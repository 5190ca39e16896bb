"""Path templates matched by shape, the Frontend partner's needs, and the autocomplete choices."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
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
from bot.services.contracts.templates import load_template
from tests.services.contract_docs import FIXTURES, load, ok, spec

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
