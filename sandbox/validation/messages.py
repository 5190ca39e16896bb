"""Discord's documented limits for messages, embeds, components, modals, autocomplete and callbacks."""

from __future__ import annotations

from typing import Any

from sandbox.validation.forms import FormErrors, Path_


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
    for p, value in errors.choices(path, choices):
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
