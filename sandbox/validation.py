"""Discord's documented request limits, answered with Discord's exact error shape.

``FormErrors`` collects ``(path, code, message)`` triples and renders them as Discord does::

    {"code": 50035, "errors": {"embeds": {"0": {"title": {"_errors": [{"code": ..., "message": ...}]}}}},
     "message": "Invalid Form Body"}

``OpenAPIValidator`` checks a request body against the request-body schema of the matching operation in
Discord's published OpenAPI spec (vendored as ``sandbox/discord_openapi.json``).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

Path_ = tuple[str | int, ...]
SPEC_PATH = Path(__file__).with_name("discord_openapi.json")


class FormErrors:
    """Collects validation failures and renders Discord's 50035 body."""

    def __init__(self) -> None:
        self.items: list[tuple[Path_, str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, path: Path_, code: str, message: str) -> None:
        self.items.append((tuple(path), code, message))

    def max_len(self, path: Path_, value: Any, limit: int) -> None:
        if isinstance(value, str | list | dict) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def bad_len(self, path: Path_, value: Any, lo: int, hi: int) -> None:
        if not isinstance(value, str | list):
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        elif not lo <= len(value) <= hi:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length.")

    def int_range(self, path: Path_, value: Any, lo: int, hi: int) -> None:
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        elif value < lo:
            self.add(path, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {lo}.")
        elif value > hi:
            self.add(path, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {hi}.")

    def errors_dict(self) -> dict[str, Any]:
        root: dict[str, Any] = {}
        for path, code, message in self.items:
            node = root
            for part in path:
                node = node.setdefault(str(part), {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        return root

    def body(self) -> dict[str, Any]:
        return {"code": 50035, "errors": self.errors_dict(), "message": "Invalid Form Body"}


# ---------------------------------------------------------------------------------------------- commands
_NAME_EXTRA = set("-_'")


def valid_command_name(name: str, *, chat_input: bool = True) -> bool:
    """``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`` and lowercase where a lowercase variant exists."""
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return False
    if not chat_input:
        return True
    for ch in name:
        cat = unicodedata.category(ch)
        ok = ch in _NAME_EXTRA or cat[0] in "LN" or 0x0900 <= ord(ch) <= 0x097F or 0x0E00 <= ord(ch) <= 0x0E7F
        if not ok or ch.lower() != ch:
            return False
    return True


SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, NUMBER = 3, 4, 10


def validate_commands(commands: Any, errors: FormErrors) -> None:
    """Bulk overwrite body (a list of commands)."""
    if not isinstance(commands, list):
        errors.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        return
    chat = [c for c in commands if isinstance(c, dict) and c.get("type", 1) == 1]
    if len(chat) > 100:
        errors.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    for kind in (2, 3):
        if len([c for c in commands if isinstance(c, dict) and c.get("type") == kind]) > 15:
            errors.add((), "BASE_TYPE_MAX_LENGTH", "Must be 15 or fewer in length.")
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        validate_command(cmd, errors, (i,))
        if isinstance(cmd, dict):
            key = (int(cmd.get("type", 1) or 1), str(cmd.get("name")))
            if key in seen:
                errors.add(
                    (i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
                )
            seen.add(key)


def validate_command(cmd: Any, errors: FormErrors, path: Path_ = ()) -> None:
    if not isinstance(cmd, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    ctype = cmd.get("type", 1) or 1
    chat = ctype == 1
    _name_and_description(cmd, errors, path, chat)
    options = cmd.get("options") or []
    if not chat and options:
        errors.add(
            (*path, "options"), "APPLICATION_COMMAND_OPTIONS_INVALID", "Only chat input commands may have options"
        )
    if chat:
        _validate_options(options, errors, (*path, "options"), depth=0)


def _name_and_description(obj: dict[str, Any], errors: FormErrors, path: Path_, chat: bool) -> None:
    name = obj.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        errors.bad_len((*path, "name"), name, 1, 32)
    elif not valid_command_name(name, chat_input=chat):
        errors.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if chat:
        errors.bad_len((*path, "description"), obj.get("description"), 1, 100)
    elif obj.get("description") not in (None, ""):
        errors.add((*path, "description"), "APPLICATION_COMMAND_INVALID_DESCRIPTION", "Description must be empty")
    for key, hi in (("name_localizations", 32), ("description_localizations", 100)):
        locs = obj.get(key) or {}
        if isinstance(locs, dict):
            for loc, text in locs.items():
                errors.bad_len((*path, key, loc), text, 1, hi)


def _validate_options(options: Any, errors: FormErrors, path: Path_, depth: int) -> None:
    if not isinstance(options, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    errors.max_len(path, options, 25)
    types = [o.get("type") for o in options if isinstance(o, dict)]
    subs = [t for t in types if t in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subs and len(subs) != len(types):
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to all other types",
        )
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        p = (*path, i)
        if not isinstance(opt, dict):
            errors.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        _name_and_description(opt, errors, p, True)
        name = opt.get("name")
        if name in names:
            errors.add(
                (*p, "name"), "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", "Command option names must be unique"
            )
        names.add(str(name))
        otype = opt.get("type")
        if not isinstance(otype, int) or not 1 <= otype <= 11:
            errors.add((*p, "type"), "BASE_TYPE_CHOICES", f"Value must be one of {set(range(1, 12))}.")
            continue
        if otype == SUB_COMMAND_GROUP:
            if depth > 0:
                errors.add(
                    (*p, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-command groups cannot be nested"
                )
                continue
            sub_opts = opt.get("options") or []
            bad = [o for o in sub_opts if isinstance(o, dict) and o.get("type") != SUB_COMMAND]
            if bad:
                errors.add(
                    (*p, "options"),
                    "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                    "Sub-command groups may only contain sub-commands",
                )
            _validate_options(sub_opts, errors, (*p, "options"), depth + 1)
            continue
        if otype == SUB_COMMAND:
            if depth > 1:
                errors.add((*p, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-commands nested too deeply")
            sub_opts = opt.get("options") or []
            if any(isinstance(o, dict) and o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in sub_opts):
                errors.add(
                    (*p, "options"),
                    "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                    "Sub-commands may not contain sub-commands or groups",
                )
            _validate_options(sub_opts, errors, (*p, "options"), depth + 2)
            continue
        required = bool(opt.get("required"))
        if required and seen_optional:
            errors.add(
                (*p, "required"),
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        if not required:
            seen_optional = True
        choices = opt.get("choices")
        if choices:
            if otype not in (STRING, INTEGER, NUMBER):
                errors.add((*p, "choices"), "APPLICATION_COMMAND_OPTION_CHOICES_INVALID", "Choices not allowed")
            errors.max_len((*p, "choices"), choices, 25)
            if opt.get("autocomplete"):
                errors.add(
                    (*p, "autocomplete"),
                    "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES_INVALID",
                    "Autocomplete cannot be enabled on options with choices",
                )
            for j, choice in enumerate(choices):
                cp = (*p, "choices", j)
                if not isinstance(choice, dict):
                    errors.add(cp, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                    continue
                errors.bad_len((*cp, "name"), choice.get("name"), 1, 100)
                value = choice.get("value")
                if otype == STRING:
                    if not isinstance(value, str):
                        errors.add((*cp, "value"), "BASE_TYPE_STRING", "Must be a string.")
                    else:
                        errors.max_len((*cp, "value"), value, 100)
                elif otype == INTEGER and (not isinstance(value, int) or isinstance(value, bool)):
                    errors.add((*cp, "value"), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        if otype == STRING:
            errors.int_range((*p, "min_length"), opt.get("min_length"), 0, 6000)
            errors.int_range((*p, "max_length"), opt.get("max_length"), 1, 6000)


# ---------------------------------------------------------------------------------------------- messages
def embed_text_size(embed: dict[str, Any]) -> int:
    total = 0
    for key in ("title", "description"):
        if isinstance(embed.get(key), str):
            total += len(embed[key])
    for sub, key in (("footer", "text"), ("author", "name")):
        val = (embed.get(sub) or {}).get(key) if isinstance(embed.get(sub), dict) else None
        if isinstance(val, str):
            total += len(val)
    for fld in embed.get("fields") or []:
        if isinstance(fld, dict):
            total += len(str(fld.get("name") or "")) + len(str(fld.get("value") or ""))
    return total


def validate_embeds(embeds: Any, errors: FormErrors, path: Path_) -> None:
    if not isinstance(embeds, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    errors.max_len(path, embeds, 10)
    total = 0
    for i, embed in enumerate(embeds):
        p = (*path, i)
        if not isinstance(embed, dict):
            errors.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        errors.max_len((*p, "title"), embed.get("title"), 256)
        errors.max_len((*p, "description"), embed.get("description"), 4096)
        if isinstance(embed.get("footer"), dict):
            errors.max_len((*p, "footer", "text"), embed["footer"].get("text"), 2048)
        if isinstance(embed.get("author"), dict):
            errors.max_len((*p, "author", "name"), embed["author"].get("name"), 256)
        fields = embed.get("fields") or []
        errors.max_len((*p, "fields"), fields, 25)
        for j, fld in enumerate(fields if isinstance(fields, list) else []):
            if not isinstance(fld, dict):
                continue
            errors.bad_len((*p, "fields", j, "name"), fld.get("name"), 1, 256)
            errors.bad_len((*p, "fields", j, "value"), fld.get("value"), 1, 1024)
        total += embed_text_size(embed)
    if total > 6000:
        errors.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


BUTTON, STRING_SELECT, TEXT_INPUT = 2, 3, 4
SELECT_TYPES = {3, 5, 6, 7, 8}
LINK, PREMIUM = 5, 6


def validate_components(components: Any, errors: FormErrors, path: Path_, *, v2: bool = False) -> None:
    if not isinstance(components, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if not v2:
        errors.max_len(path, components, 5)
    seen: set[str] = set()
    for i, comp in enumerate(components):
        _validate_component(comp, errors, (*path, i), seen, top=True, v2=v2)


def _check_custom_id(comp: dict[str, Any], errors: FormErrors, p: Path_, seen: set[str]) -> None:
    cid = comp.get("custom_id")
    if cid is None:
        return
    if not isinstance(cid, str) or not 1 <= len(cid) <= 100:
        errors.bad_len((*p, "custom_id"), cid, 1, 100)
    elif cid in seen:
        errors.add((*p, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
    seen.add(str(cid))


def _validate_component(comp: Any, errors: FormErrors, p: Path_, seen: set[str], *, top: bool, v2: bool) -> None:
    if not isinstance(comp, dict):
        errors.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    ctype = comp.get("type")
    if ctype == 1:
        children = comp.get("components")
        if not isinstance(children, list) or not children:
            errors.bad_len((*p, "components"), children, 1, 5)
            return
        errors.max_len((*p, "components"), children, 5)
        has_select = any(isinstance(c, dict) and c.get("type") in SELECT_TYPES for c in children)
        if has_select and len(children) > 1:
            errors.add(
                (*p, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, child in enumerate(children):
            if isinstance(child, dict) and child.get("type") == 1:
                errors.add((*p, "components", j), "COMPONENT_TYPE_INVALID", "Action rows cannot be nested")
                continue
            _validate_component(child, errors, (*p, "components", j), seen, top=False, v2=v2)
        return
    if top and not v2 and ctype != 1:
        errors.add(
            (*p, "type"),
            "UNION_TYPE_CHOICES",
            'Value of field "type" must be one of (1,).',
        )
        return
    if ctype == BUTTON:
        style = comp.get("style")
        errors.max_len((*p, "label"), comp.get("label"), 80)
        if style == LINK:
            if not comp.get("url"):
                errors.add((*p, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A url is required")
            if comp.get("custom_id") is not None:
                errors.add(
                    (*p, "custom_id"),
                    "BUTTON_COMPONENT_INVALID_CUSTOM_ID",
                    "A custom id may not be specified for link buttons",
                )
        elif style == PREMIUM:
            if not comp.get("sku_id"):
                errors.add((*p, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required")
        else:
            if comp.get("url") is not None:
                errors.add((*p, "url"), "BUTTON_COMPONENT_INVALID_URL", "A url may only be specified for link buttons")
            if not comp.get("custom_id"):
                errors.add((*p, "custom_id"), "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "A custom id is required")
            if not comp.get("label") and not comp.get("emoji"):
                errors.add((*p, "label"), "BUTTON_COMPONENT_LABEL_REQUIRED", "A label or emoji is required")
        _check_custom_id(comp, errors, p, seen)
        return
    if ctype in SELECT_TYPES:
        if not comp.get("custom_id"):
            errors.add((*p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        _check_custom_id(comp, errors, p, seen)
        errors.max_len((*p, "placeholder"), comp.get("placeholder"), 150)
        errors.int_range((*p, "min_values"), comp.get("min_values"), 0, 25)
        errors.int_range((*p, "max_values"), comp.get("max_values"), 1, 25)
        if ctype == STRING_SELECT:
            opts = comp.get("options")
            if not isinstance(opts, list) or not 1 <= len(opts) <= 25:
                errors.bad_len((*p, "options"), opts, 1, 25)
                opts = opts if isinstance(opts, list) else []
            values: set[str] = set()
            for k, opt in enumerate(opts):
                if not isinstance(opt, dict):
                    continue
                op = (*p, "options", k)
                errors.bad_len((*op, "label"), opt.get("label"), 1, 100)
                errors.bad_len((*op, "value"), opt.get("value"), 1, 100)
                errors.max_len((*op, "description"), opt.get("description"), 100)
                if opt.get("value") in values:
                    errors.add(
                        (*op, "value"),
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "Select component option values must be unique",
                    )
                values.add(str(opt.get("value")))
            max_values = comp.get("max_values")
            if isinstance(max_values, int) and opts and max_values > len(opts):
                errors.add(
                    (*p, "max_values"),
                    "SELECT_COMPONENT_MAX_VALUES_TOO_HIGH",
                    f"max_values must be less than or equal to the number of options ({len(opts)})",
                )
        return
    if ctype == TEXT_INPUT:
        _validate_text_input(comp, errors, p, seen, labelled=False)
        return
    # Components v2 containers: walk children for custom_id uniqueness and nested rules.
    for key in ("components",):
        children = comp.get(key)
        if isinstance(children, list):
            for j, child in enumerate(children):
                _validate_component(child, errors, (*p, key, j), seen, top=False, v2=True)
    for key in ("accessory", "component"):
        child = comp.get(key)
        if isinstance(child, dict):
            _validate_component(child, errors, (*p, key), seen, top=False, v2=True)
    if ctype == 10:
        errors.bad_len((*p, "content"), comp.get("content"), 1, 4000)
    if ctype == 18:
        errors.bad_len((*p, "label"), comp.get("label"), 1, 45)
        errors.max_len((*p, "description"), comp.get("description"), 100)


def _validate_text_input(comp: dict[str, Any], errors: FormErrors, p: Path_, seen: set[str], *, labelled: bool) -> None:
    if not comp.get("custom_id"):
        errors.add((*p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    _check_custom_id(comp, errors, p, seen)
    if not labelled or comp.get("label") is not None:
        errors.bad_len((*p, "label"), comp.get("label"), 1, 45)
    if comp.get("style") not in (1, 2, None):
        errors.add((*p, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
    errors.int_range((*p, "min_length"), comp.get("min_length"), 0, 4000)
    errors.int_range((*p, "max_length"), comp.get("max_length"), 1, 4000)
    errors.max_len((*p, "value"), comp.get("value"), 4000)
    errors.max_len((*p, "placeholder"), comp.get("placeholder"), 100)
    lo, hi, val = comp.get("min_length"), comp.get("max_length"), comp.get("value")
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        errors.add((*p, "min_length"), "BASE_TYPE_BAD_LENGTH", "min_length must be less than or equal to max_length")
    if isinstance(val, str) and val and isinstance(hi, int) and len(val) > hi:
        errors.add((*p, "value"), "BASE_TYPE_MAX_LENGTH", f"Must be {hi} or fewer in length.")


def validate_message(body: Any, errors: FormErrors, path: Path_ = (), *, files: int = 0, create: bool = True) -> None:
    if not isinstance(body, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    flags = body.get("flags") or 0
    v2 = isinstance(flags, int) and bool(flags & (1 << 15))
    if body.get("content") is not None:
        if not isinstance(body["content"], str):
            errors.add((*path, "content"), "BASE_TYPE_STRING", "Must be a string.")
        else:
            errors.max_len((*path, "content"), body["content"], 2000)
    if body.get("embeds") is not None:
        validate_embeds(body["embeds"], errors, (*path, "embeds"))
    if body.get("components") is not None:
        validate_components(body["components"], errors, (*path, "components"), v2=v2)
    if isinstance(body.get("allowed_mentions"), dict):
        validate_allowed_mentions(body["allowed_mentions"], errors, (*path, "allowed_mentions"))
    if v2 and (body.get("content") or body.get("embeds")):
        errors.add(
            (*path, "content"),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
        )


def validate_allowed_mentions(allowed: dict[str, Any], errors: FormErrors, path: Path_) -> None:
    """`parse: ["users"]` with a `users` list (or roles with roles) is refused; lists hold at most 100 ids."""
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        listed = allowed.get(kind) or []
        if kind in parse and listed:
            errors.add(
                path,
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
        if isinstance(listed, list) and len(listed) > 100:
            errors.add((*path, kind), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")


def is_empty_message(body: dict[str, Any], files: int) -> bool:
    return not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or files
        or body.get("attachments")
    )


def validate_modal(data: Any, errors: FormErrors, path: Path_) -> None:
    if not isinstance(data, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    errors.bad_len((*path, "title"), data.get("title"), 1, 45)
    errors.bad_len((*path, "custom_id"), data.get("custom_id"), 1, 100)
    comps = data.get("components")
    if not isinstance(comps, list) or not 1 <= len(comps) <= 5:
        errors.bad_len((*path, "components"), comps, 1, 5)
        return
    seen: set[str] = set()
    for i, row in enumerate(comps):
        p = (*path, "components", i)
        if not isinstance(row, dict):
            errors.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        if row.get("type") == 1:
            children = row.get("components") or []
            if len(children) != 1:
                errors.bad_len((*p, "components"), children, 1, 1)
            for j, child in enumerate(children):
                if isinstance(child, dict) and child.get("type") == TEXT_INPUT:
                    _validate_text_input(child, errors, (*p, "components", j), seen, labelled=False)
                else:
                    errors.add((*p, "components", j, "type"), "COMPONENT_TYPE_INVALID", "Invalid component type")
        elif row.get("type") == 18:
            errors.bad_len((*p, "label"), row.get("label"), 1, 45)
            errors.max_len((*p, "description"), row.get("description"), 100)
            child = row.get("component")
            if isinstance(child, dict) and child.get("type") == TEXT_INPUT:
                _validate_text_input(child, errors, (*p, "component"), seen, labelled=True)
            elif isinstance(child, dict):
                _validate_component(child, errors, (*p, "component"), seen, top=False, v2=True)
            else:
                errors.add((*p, "component"), "BASE_TYPE_REQUIRED", "This field is required")
        elif row.get("type") == 10:
            errors.bad_len((*p, "content"), row.get("content"), 1, 4000)
        else:
            errors.add((*p, "type"), "COMPONENT_TYPE_INVALID", "Invalid component type")


def validate_autocomplete(data: Any, errors: FormErrors, path: Path_) -> None:
    choices = (data or {}).get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        errors.add((*path, "choices"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    errors.max_len((*path, "choices"), choices, 25)
    for i, choice in enumerate(choices):
        p = (*path, "choices", i)
        if not isinstance(choice, dict):
            errors.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        errors.bad_len((*p, "name"), choice.get("name"), 1, 100)
        value = choice.get("value")
        if isinstance(value, str):
            errors.max_len((*p, "value"), value, 100)
        elif not isinstance(value, int | float) or isinstance(value, bool):
            errors.add((*p, "value"), "BASE_TYPE_REQUIRED", "This field is required")


def validate_thread_name(body: dict[str, Any], errors: FormErrors, *, required: bool = True) -> None:
    if "name" in body or required:
        errors.bad_len(("name",), body.get("name"), 1, 100)


def validate_callback(body: Any, errors: FormErrors) -> None:
    if not isinstance(body, dict):
        errors.add((), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    rtype = body.get("type")
    if rtype not in (1, 4, 5, 6, 7, 8, 9, 10, 12):
        errors.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.")
        return
    data = body.get("data")
    if rtype in (4, 7) and data is not None:
        validate_message(data, errors, ("data",), create=rtype == 4)
    elif rtype == 9:
        validate_modal(data, errors, ("data",))
    elif rtype == 8:
        validate_autocomplete(data, errors, ("data",))


# ---------------------------------------------------------------------------------------------- OpenAPI
class OpenAPIValidator:
    """Validates request bodies against Discord's OpenAPI spec. The spec is loaded and validators built lazily."""

    _shared: OpenAPIValidator | None = None
    _shared_lock = threading.Lock()

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        self._spec_path = spec_path
        self._spec: dict[str, Any] | None = None
        self._routes: list[tuple[re.Pattern[str], str, int]] = []
        self._validators: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> OpenAPIValidator:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def _load(self) -> dict[str, Any]:
        if self._spec is None:
            with self._lock:
                if self._spec is None:
                    spec = json.loads(self._spec_path.read_text(encoding="utf-8"))
                    schemas = spec["components"]["schemas"]
                    # Discord accepts snowflakes as JSON integers too (discord.py sends ints in a few places).
                    snow = copy.deepcopy(schemas["SnowflakeType"])
                    schemas["SnowflakeType"] = {"anyOf": [snow, {"type": "integer", "minimum": 0}]}
                    routes = []
                    for key in spec["paths"]:
                        parts = key.strip("/").split("/")
                        rx = "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
                        literal = sum(1 for p in parts if not p.startswith("{"))
                        routes.append((re.compile(f"^/{rx}$"), key, literal))
                    routes.sort(key=lambda r: (-r[2], r[1]))
                    self._routes = routes
                    self._spec = spec
        return self._spec

    def match(self, path: str) -> str | None:
        self._load()
        for rx, key, _ in self._routes:
            if rx.match(path):
                return key
        return None

    def _validator(self, method: str, key: str) -> Any:
        cache_key = (method, key)
        if cache_key in self._validators:
            return self._validators[cache_key]
        spec = self._load()
        op = spec["paths"][key].get(method.lower()) or {}
        content = ((op.get("requestBody") or {}).get("content")) or {}
        validator = None
        if "application/json" in content:
            import jsonschema
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            pointer = "/".join(
                p.replace("~", "~0").replace("/", "~1")
                for p in ("paths", key, method.lower(), "requestBody", "content", "application/json", "schema")
            )
            registry: Registry[Any] = Registry().with_resource(
                "urn:discord-openapi", Resource.from_contents(spec, default_specification=DRAFT202012)
            )
            base = jsonschema.Draft202012Validator
            checker = base.TYPE_CHECKER.redefine("integer", _is_integer).redefine("number", _is_number)
            cls = jsonschema.validators.extend(
                base,
                type_checker=checker,
                # integer strings are accepted as integers, so a string/integer oneOf may match twice: treat
                # oneOf as anyOf (Discord accepts a body when any alternative fits)
                validators={
                    **{k: _coercing(base.VALIDATORS[k]) for k in _NUMERIC_KEYWORDS},
                    "oneOf": base.VALIDATORS["anyOf"],
                },
            )
            validator = cls({"$ref": f"urn:discord-openapi#/{pointer}"}, registry=registry)
        self._validators[cache_key] = validator
        return validator

    def validate(self, method: str, path: str, body: Any) -> FormErrors:
        """``path`` is relative to ``/api/v10`` (e.g. ``/channels/1/messages``)."""
        errors = FormErrors()
        key = self.match(path)
        if key is None:
            return errors
        validator = self._validator(method, key)
        if validator is None:
            return errors
        for err in validator.iter_errors(body):
            for leaf in _leaves(err):
                rel: Sequence[Any] = list(leaf.absolute_path)
                errors.add(tuple(rel), f"SCHEMA_{str(leaf.validator).upper()}", leaf.message[:300])
        return errors


def _leaves(err: Any, depth: int = 0) -> list[Any]:
    """Expand anyOf/oneOf failures into the errors of the most plausible branch (by discriminator, then fewest)."""
    if err.validator not in ("anyOf", "oneOf") or not err.context or depth > 8:
        return [err]
    branches: dict[Any, list[Any]] = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    candidates = []
    for subs in branches.values():
        mismatch = any(
            s.validator in ("const", "enum", "type")
            and len(s.relative_path) <= 1
            and list(s.relative_path) in ([], ["type"])
            for s in subs
        )
        candidates.append((mismatch, len(subs), subs))
    candidates.sort(key=lambda c: (c[0], c[1]))
    mismatch, _, subs = candidates[0]
    if mismatch:
        return [err]
    out: list[Any] = []
    for sub in subs:
        out.extend(_leaves(sub, depth + 1))
    return out


def _is_integer(_checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, int):
        return True
    # Discord coerces integer strings (discord.py sends permissions as strings).
    return isinstance(instance, str) and bool(re.fullmatch(r"-?\d+", instance))


_NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _coercing(keyword: Any) -> Any:
    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if isinstance(instance, str) and re.fullmatch(r"-?\d+", instance):
            instance = int(instance)
        yield from keyword(validator, value, instance, schema)

    return check


def _is_number(_checker: Any, instance: Any) -> bool:
    return (isinstance(instance, int | float) and not isinstance(instance, bool)) or _is_integer(_checker, instance)


def merge(errors: Iterable[FormErrors]) -> FormErrors:
    out = FormErrors()
    for e in errors:
        out.items.extend(e.items)
    return out
