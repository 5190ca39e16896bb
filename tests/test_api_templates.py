"""The reference contracts in content/api_templates/: one per catalog project, valid, realistic, installable."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from bot.errors import NotFound
from bot.services.contracts.refs import resolve
from bot.services.contracts.summary import endpoints
from bot.services.contracts.templates import list_templates, load_template, template_bytes, templates_dir

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "content" / "api_templates"
KEYS = ["ecommerce", "job-board", "movie-recommendation", "online-poll", "social-feed"]

# What each project's brief asks for: tags and the endpoints a frontend cannot do without.
EXPECTED: dict[str, dict[str, Any]] = {
    "ecommerce": {
        "tags": {"auth", "categories", "products", "cart", "orders", "payments"},
        "endpoints": {
            "POST /api/auth/register/",
            "POST /api/auth/token/",
            "POST /api/auth/token/refresh/",
            "GET /api/products/",
            "GET /api/products/{id}/",
            "GET /api/categories/",
            "GET /api/cart/",
            "POST /api/cart/items/",
            "POST /api/orders/",
            "GET /api/orders/{id}/",
            "POST /api/orders/{id}/pay/",
        },
        "query": ("GET /api/products/", {"page", "page_size", "category", "search", "ordering", "min_price"}),
    },
    "social-feed": {
        "tags": {"auth", "users", "feed", "posts", "comments", "likes"},
        "endpoints": {
            "GET /api/feed/",
            "POST /api/posts/",
            "GET /api/posts/{id}/comments/",
            "POST /api/posts/{id}/comments/",
            "POST /api/posts/{id}/like/",
            "DELETE /api/posts/{id}/like/",
            "POST /api/users/{username}/follow/",
        },
        "query": ("GET /api/feed/", {"cursor", "page_size"}),
    },
    "movie-recommendation": {
        "tags": {"auth", "movies", "trending", "recommendations", "favorites", "ratings"},
        "endpoints": {
            "GET /api/movies/",
            "GET /api/movies/{tmdb_id}/",
            "GET /api/trending/",
            "GET /api/recommendations/",
            "GET /api/favorites/",
            "POST /api/favorites/",
            "PUT /api/movies/{tmdb_id}/rating/",
        },
        "query": ("GET /api/movies/", {"search", "genre", "page"}),
    },
    "job-board": {
        "tags": {"auth", "categories", "jobs", "applications"},
        "endpoints": {
            "POST /api/auth/register/",
            "GET /api/jobs/",
            "POST /api/jobs/",
            "GET /api/jobs/{id}/",
            "POST /api/jobs/{id}/applications/",
            "GET /api/jobs/{id}/applications/",
            "PATCH /api/applications/{id}/",
        },
        "query": ("GET /api/jobs/", {"category", "location", "remote", "employment_type", "search", "page"}),
    },
    "online-poll": {
        "tags": {"auth", "polls", "options", "votes", "results"},
        "endpoints": {
            "GET /api/polls/",
            "POST /api/polls/",
            "GET /api/polls/{id}/",
            "POST /api/polls/{id}/options/",
            "POST /api/polls/{id}/vote/",
            "GET /api/polls/{id}/results/",
        },
        "query": ("GET /api/polls/", {"status", "search", "page"}),
    },
}


def _raw(key: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((TEMPLATES / f"{key}.yaml").read_text(encoding="utf-8"))
    return data


def test_one_template_per_catalog_project() -> None:
    sql = (ROOT / "db" / "migrations" / "0002_announcements.sql").read_text(encoding="utf-8")
    catalog = set(re.findall(r"\('([a-z-]+)', '[^']+', '[^']+',\s*'[^']+', 0,", sql))
    assert catalog == set(KEYS)
    assert [info.key for info in list_templates()] == KEYS
    assert sorted(p.stem for p in TEMPLATES.glob("*.yaml")) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_template_validates_with_openapi_spec_validator(key: str) -> None:
    raw = _raw(key)
    validate(raw)  # the validator itself, not only our loader
    assert raw["openapi"] == "3.1.0"
    document = load_template(key)
    assert document.spec == raw
    assert document.version == "1.0.0" and document.title.endswith("API")


@pytest.mark.parametrize("key", KEYS)
def test_template_has_the_projects_resources(key: str) -> None:
    document = load_template(key)
    expected = EXPECTED[key]
    labels = {endpoint.label for endpoint in endpoints(document)}
    assert expected["endpoints"] <= labels, expected["endpoints"] - labels
    assert {tag["name"] for tag in document.spec["tags"]} == expected["tags"]
    label, query = expected["query"]
    method, path = label.split()
    operation = document.spec["paths"][path][method.lower()]
    names = {
        resolve(document.spec, p)["name"] for p in operation["parameters"] if resolve(document.spec, p)["in"] == "query"
    }
    assert query <= names, query - names


@pytest.mark.parametrize("key", KEYS)
def test_template_follows_drf_spectacular_conventions(key: str) -> None:
    document = load_template(key)
    spec = document.spec
    assert spec["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert spec["security"] == [{"jwtAuth": []}]
    declared = {tag["name"] for tag in spec["tags"]}
    operation_ids = []
    for path, item in spec["paths"].items():
        assert path.startswith("/api/") and path.endswith("/"), path  # DRF's routers add the trailing slash
        for method, operation in item.items():
            if method == "parameters":
                continue
            operation_ids.append(operation["operationId"])
            assert operation["summary"] and set(operation["tags"]) <= declared, (method, path)
            statuses = set(operation["responses"])
            assert any(code.startswith("2") for code in statuses), (method, path)
            if method in ("post", "put", "patch") and "requestBody" in operation:
                assert "400" in statuses or "401" in statuses or "403" in statuses, (method, path)
    assert len(operation_ids) == len(set(operation_ids))
    # Auth endpoints are public; the token pair follows SimpleJWT.
    assert spec["paths"]["/api/auth/token/"]["post"]["security"] == []
    assert set(spec["components"]["schemas"]["TokenPair"]["required"]) == {"access", "refresh"}
    # Page-number pagination envelopes have DRF's four keys.
    for name, schema in spec["components"]["schemas"].items():
        if name.startswith("Paginated"):
            assert set(schema["properties"]) == {"count", "next", "previous", "results"}, name
    assert {"Error", "ValidationError"} <= set(spec["components"]["schemas"])


@pytest.mark.parametrize("key", KEYS)
def test_template_stays_a_readable_size(key: str) -> None:
    lines = (TEMPLATES / f"{key}.yaml").read_text(encoding="utf-8").count("\n")
    assert 300 < lines <= 620


def test_social_feed_comments_are_a_recursive_tree() -> None:
    comment = load_template("social-feed").spec["components"]["schemas"]["Comment"]
    assert comment["properties"]["replies"]["items"] == {"$ref": "#/components/schemas/Comment"}


def test_templates_are_package_data_read_through_importlib() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "api_templates/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["content"]
    deps = pyproject["project"]["dependencies"]
    assert any(d.startswith("openapi-spec-validator==") for d in deps) and any(d.startswith("PyYAML==") for d in deps)
    shipped = sorted(entry.name for entry in templates_dir().iterdir() if entry.name.endswith(".yaml"))
    assert shipped == [f"{key}.yaml" for key in KEYS]
    assert template_bytes("online-poll") == (TEMPLATES / "online-poll.yaml").read_bytes()


def test_unknown_template_names_the_nearest_and_the_list() -> None:
    with pytest.raises(NotFound) as caught:
        load_template("ecomerce")
    assert "Did you mean `ecommerce`?" in str(caught.value)
    assert "social-feed" in str(caught.value)
    with pytest.raises(NotFound, match="no reference contract for `other`"):
        template_bytes("other")
