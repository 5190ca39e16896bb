"""Validating a 1 MB API contract: `python -m bench.contracts [--size 1000000] [--repeat 3]`.

Builds a valid OpenAPI 3.1 document of about `--size` bytes (the E-Commerce template's paths and schemas
copied under `/v1`, `/v2`, ... until it is that large) and times `load_document` on it: the cheap checks
(parse, version, `$ref`s) and the full openapi-spec-validator pass, with the jsonschema-rs backend the bot
pins and, for comparison, the pure-Python jsonschema backend (each in a fresh process, as the bot's
validation pool runs it).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import yaml

from bot.services.contracts.templates import template_bytes

TARGET_SECONDS = 5.0  # the bot's validation timeout (bot/services/contracts/validation.py)


def big_document(size: int) -> bytes:
    """A valid OpenAPI 3.1 JSON document of at least `size` bytes (and at most 1 MB if size is 1 MB)."""
    base: dict[str, Any] = yaml.safe_load(template_bytes("ecommerce"))
    paths: dict[str, Any] = dict(base["paths"])
    schemas: dict[str, Any] = dict(base["components"]["schemas"])
    doc = copy.deepcopy(base)
    copy_index = 0
    while True:
        copy_index += 1
        prefix = f"/v{copy_index}"
        suffix = f"V{copy_index}"
        text = json.dumps({"paths": base["paths"], "schemas": base["components"]["schemas"]})
        text = text.replace("#/components/schemas/", "#/components/schemas/" + suffix)
        part = json.loads(text)
        trial_paths = {**paths, **{prefix + p: item for p, item in part["paths"].items()}}
        trial_schemas = {**schemas, **{suffix + name: s for name, s in part["schemas"].items()}}
        for item in trial_paths.values():
            for operation in item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    operation["operationId"] = operation["operationId"].split("__")[0] + f"__{id(operation)}"
        doc["paths"] = trial_paths
        doc["components"]["schemas"] = trial_schemas
        data = json.dumps(doc, indent=1).encode()
        if len(data) > size:
            doc["paths"], doc["components"]["schemas"] = paths, schemas
            return json.dumps(doc, indent=1).encode()
        paths, schemas = trial_paths, trial_schemas


_CHILD = """
import sys, time
from bot.services.contracts.document import load_document
data = sys.stdin.buffer.read()
began = time.perf_counter()
load_document(data, "big.json")
print(time.perf_counter() - began)
"""


def time_load(data: bytes, backend: str) -> float:
    env = {**os.environ, "OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND": backend}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], input=data, capture_output=True, check=True, env=env, timeout=600
    )
    return float(out.stdout.decode().strip().splitlines()[-1])


def measure(size: int, repeat: int, backends: tuple[str, ...]) -> dict[str, float]:
    data = big_document(size)
    result: dict[str, float] = {"bytes": float(len(data))}
    for backend in backends:
        result[backend] = statistics.median(time_load(data, backend) for _ in range(repeat))
    return result


def run(quick: bool) -> list[dict[str, Any]]:
    size = 200_000 if quick else 1_000_000
    figures = measure(size, 1, ("jsonschema-rs",))
    label = f"{figures['bytes'] / 1e6:.2f} MB contract"
    return [
        {
            "figure": f"{label}: load + validate, jsonschema-rs (s)",
            "value": figures["jsonschema-rs"],
            "target": f"≤ {TARGET_SECONDS:g} s",
            "passed": figures["jsonschema-rs"] <= TARGET_SECONDS,
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="jsonschema-rs,jsonschema")
    args = parser.parse_args()
    began = time.perf_counter()
    figures = measure(args.size, args.repeat, tuple(args.backends.split(",")))
    print(f"document: {figures.pop('bytes'):,.0f} bytes")
    for backend, seconds in figures.items():
        print(f"load_document with {backend:14}: {seconds:.2f} s (median of {args.repeat}, fresh process each)")
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
