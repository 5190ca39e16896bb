"""The reference contracts shipped with the bot, one per catalog project (content/api_templates/<key>.yaml).

Read through importlib.resources from the `content` package, so they are found in an installed wheel too.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from bot.errors import NotFound
from bot.services.contracts.document import ApiDocument, load_document

SUFFIX = ".yaml"


def templates_dir() -> Traversable:
    return files("content") / "api_templates"


@dataclass(frozen=True)
class TemplateInfo:
    key: str  # the catalog key (`ecommerce`, `social-feed`, ...)
    filename: str


def list_templates() -> list[TemplateInfo]:
    """Every shipped template, by catalog key."""
    found = [
        TemplateInfo(entry.name.removesuffix(SUFFIX), entry.name)
        for entry in templates_dir().iterdir()
        if entry.is_file() and entry.name.endswith(SUFFIX)
    ]
    return sorted(found, key=lambda info: info.key)


def template_keys() -> list[str]:
    return [info.key for info in list_templates()]


def _info(key: str) -> TemplateInfo:
    for info in list_templates():
        if info.key == key:
            return info
    keys = template_keys()
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
    hint = f"Did you mean `{close[0]}`? " if close else ""
    raise NotFound(
        f"There is no reference contract for `{key[:40]}`. {hint}Templates exist for: {', '.join(keys)}. "
        "For another project, start from the closest one."
    )


def template_bytes(key: str) -> bytes:
    """The template file as shipped (to attach for a Backend learner to start from)."""
    return templates_dir().joinpath(_info(key).filename).read_bytes()


@lru_cache(maxsize=8)
def load_template(key: str) -> ApiDocument:
    """The template, parsed and checked like an upload but for openapi-spec-validator (tests/test_api_templates.py
    runs it on every template): autocomplete reads templates on the event loop, where a full pass costs ~0.1 s.
    Cached: the files never change while running."""
    info = _info(key)
    return load_document(template_bytes(key), info.filename, validate=False)
