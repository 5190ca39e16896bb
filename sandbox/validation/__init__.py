"""Discord's documented request limits, answered with Discord's exact error shape.

``FormErrors`` (forms.py) collects ``(path, code, message)`` triples and renders them as Discord does::

    {"code": 50035, "errors": {"embeds": {"0": {"title": {"_errors": [{"code": ..., "message": ...}]}}}},
     "message": "Invalid Form Body"}

The limits live in commands.py (application commands) and messages.py (messages, components, modals,
callbacks). ``OpenAPIValidator`` (openapi.py) checks a request body against the request-body schema of
the matching operation in Discord's published OpenAPI spec (vendored as ``sandbox/discord_openapi.json``).
"""

from sandbox.validation.commands import valid_command_name, validate_command, validate_commands
from sandbox.validation.forms import FormErrors, Path_, merge
from sandbox.validation.messages import (
    SELECT_TYPES,
    embed_text_size,
    is_empty_message,
    validate_allowed_mentions,
    validate_autocomplete,
    validate_callback,
    validate_components,
    validate_embeds,
    validate_message,
    validate_modal,
    validate_thread_name,
)
from sandbox.validation.openapi import SPEC_PATH, OpenAPIValidator

__all__ = [
    "SELECT_TYPES",
    "SPEC_PATH",
    "FormErrors",
    "OpenAPIValidator",
    "Path_",
    "embed_text_size",
    "is_empty_message",
    "merge",
    "valid_command_name",
    "validate_allowed_mentions",
    "validate_autocomplete",
    "validate_callback",
    "validate_command",
    "validate_commands",
    "validate_components",
    "validate_embeds",
    "validate_message",
    "validate_modal",
    "validate_thread_name",
]
