"""Discord's documented limits for application commands (names, descriptions, options, choices)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from sandbox.validation.forms import FormErrors, Path_

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


def _sub_options(
    opt: dict[str, Any], errors: FormErrors, p: Path_, depth: int, refused: Callable[[Any], bool], why: str
) -> None:
    """The options of a sub-command group or sub-command: none of a `refused` type, then each checked in turn."""
    sub_opts = opt.get("options") or []
    if any(isinstance(o, dict) and refused(o.get("type")) for o in sub_opts):
        errors.add((*p, "options"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", why)
    _validate_options(sub_opts, errors, (*p, "options"), depth)


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
            why = "Sub-command groups may only contain sub-commands"
            _sub_options(opt, errors, p, depth + 1, lambda t: t != SUB_COMMAND, why)
            continue
        if otype == SUB_COMMAND:
            if depth > 1:
                errors.add((*p, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-commands nested too deeply")
            why = "Sub-commands may not contain sub-commands or groups"
            _sub_options(opt, errors, p, depth + 2, lambda t: t in (SUB_COMMAND, SUB_COMMAND_GROUP), why)
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
            for cp, value in errors.choices(p, choices):
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
