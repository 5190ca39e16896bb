"""Shared by the contract test modules: small OpenAPI documents, and loading them through the real loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.services.contracts.document import ApiDocument, ContractRejected, load_document

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
