"""Validating a 1 MB API contract: `python -m bench.contracts [--size 1000000] [--repeat 3]`.

Builds a valid OpenAPI 3.1 document of about `--size` bytes (the E-Commerce template's paths and schemas
copied under `/v1`, `/v2`, ... until it is that large) and times, each in a fresh process as the bot's validation
pool runs it: `bot`, the bot's `load_document` (parse, version and `$ref` checks, then openapi-spec-validator on
its jsonschema-rs backend with Schema Object meta-checks asking jsonschema-rs first); `library-python`, the same
parse, then openapi-spec-validator as it comes, on its pure-Python jsonschema backend (what the bot did before).
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
if sys.argv[1] == "bot":
    load_document(data, "big.json")
else:  # the library alone, as before: openapi-spec-validator on its pure-Python jsonschema backend
    from jsonschema_path import SchemaPath
    from openapi_spec_validator import OpenAPIV31SpecValidator
    spec = load_document(data, "big.json", validate=False).spec
    assert not list(OpenAPIV31SpecValidator(SchemaPath.from_dict(spec, handlers={})).iter_errors())
print(time.perf_counter() - began)
"""

# What each figure runs: the bot's loader (jsonschema-rs backend, schema meta-checks on jsonschema-rs first), and the
# library's own validator on its pure-Python backend (what the bot did before).
MODES = {"bot": "jsonschema-rs", "library-python": "jsonschema"}


def time_load(data: bytes, mode: str) -> float:
    env = {**os.environ, "OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND": MODES[mode]}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, "bot" if mode == "bot" else "library"],
        input=data,
        capture_output=True,
        check=True,
        env=env,
        timeout=600,
    )
    return float(out.stdout.decode().strip().splitlines()[-1])


def measure(size: int, repeat: int, modes: tuple[str, ...]) -> dict[str, float]:
    data = big_document(size)
    result: dict[str, float] = {"bytes": float(len(data))}
    for mode in modes:
        result[mode] = statistics.median(time_load(data, mode) for _ in range(repeat))
    return result


def run(quick: bool) -> list[dict[str, Any]]:
    size = 200_000 if quick else 1_000_000
    figures = measure(size, 1, ("bot",))
    label = f"{figures['bytes'] / 1e6:.2f} MB contract"
    return [
        {
            "figure": f"{label}: load + validate (s)",
            "value": figures["bot"],
            "target": f"≤ {TARGET_SECONDS:g} s",
            "passed": figures["bot"] <= TARGET_SECONDS,
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default="bot,library-python", help="bot, library-python (comma-separated)")
    args = parser.parse_args()
    began = time.perf_counter()
    figures = measure(args.size, args.repeat, tuple(args.modes.split(",")))
    print(f"document: {figures.pop('bytes'):,.0f} bytes")
    for mode, seconds in figures.items():
        print(f"{mode:15}: {seconds:.2f} s (median of {args.repeat}, fresh process each)")
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
