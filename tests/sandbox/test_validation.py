from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from sandbox.server import SandboxServer
from sandbox.validation import valid_command_name

API = "/api/v10"


def err(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def form(errors: dict[str, Any]) -> dict[str, Any]:
    return {"code": 50035, "errors": errors, "message": "Invalid Form Body"}


def max_len(n: int) -> dict[str, Any]:
    return err("BASE_TYPE_MAX_LENGTH", f"Must be {n} or fewer in length.")


def bad_len(lo: int, hi: int) -> dict[str, Any]:
    return err("BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length.")


def cmd(name: str = "ping", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "d", "type": 1, **extra}


def opt(name: str, otype: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "d", "type": otype, **extra}


async def put_commands(sandbox: SandboxServer, http: aiohttp.ClientSession, body: Any) -> tuple[int, Any]:
    url = f"{API}/applications/{sandbox.world.application_id}/guilds/{sandbox.world.guild.id}/commands"
    async with http.put(url, json=body) as r:
        return r.status, await r.json()


COMMAND_CASES = [
    ([cmd("x" * 33)], {"0": {"name": bad_len(1, 32)}}),
    ([cmd("Ping")], {"0": {"name": err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")}}),
    ([cmd("pi ng")], {"0": {"name": err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")}}),
    ([cmd(description="")], {"0": {"description": bad_len(1, 100)}}),
    ([cmd(description="d" * 101)], {"0": {"description": bad_len(1, 100)}}),
    ([cmd(options=[opt(f"o{i}") for i in range(26)])], {"0": {"options": max_len(25)}}),
    (
        [cmd(options=[opt("a", choices=[{"name": str(i), "value": str(i)} for i in range(26)])])],
        {"0": {"options": {"0": {"choices": max_len(25)}}}},
    ),
    (
        [cmd(options=[opt("a", choices=[{"name": "n" * 101, "value": "v"}])])],
        {"0": {"options": {"0": {"choices": {"0": {"name": bad_len(1, 100)}}}}}},
    ),
    (
        [cmd(options=[opt("a", max_length=6001)])],
        {
            "0": {
                "options": {
                    "0": {"max_length": err("NUMBER_TYPE_MAX", "int value should be less than or equal to 6000.")}
                }
            }
        },
    ),
    (
        [cmd(options=[opt("a"), opt("b", required=True)])],
        {
            "0": {
                "options": {
                    "1": {
                        "required": err(
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options",
                        )
                    }
                }
            }
        },
    ),
    (
        [cmd(options=[opt("sub", 1), opt("a")])],
        {
            "0": {
                "options": err(
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Sub-command and sub-command group option types are mutually exclusive to all other types",
                )
            }
        },
    ),
    (
        [cmd(options=[opt("grp", 2, options=[opt("inner", 2, options=[opt("s", 1)])])])],
        {
            "0": {
                "options": {
                    "0": {
                        "options": {
                            "_errors": [
                                {
                                    "code": "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                                    "message": "Sub-command groups may only contain sub-commands",
                                }
                            ],
                            "0": {
                                "type": err(
                                    "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-command groups cannot be nested"
                                )
                            },
                        }
                    }
                }
            }
        },
    ),
    (
        [cmd(options=[opt("s", 1, options=[opt("t", 1)])])],
        {
            "0": {
                "options": {
                    "0": {
                        "options": {
                            **err(
                                "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                                "Sub-commands may not contain sub-commands or groups",
                            ),
                            "0": {
                                "type": err("APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-commands nested too deeply")
                            },
                        }
                    }
                }
            }
        },
    ),
    (
        [cmd(options=[opt("a", 3, choices=["x", {"name": "n", "value": 5}])])],
        {
            "0": {
                "options": {
                    "0": {
                        "choices": {
                            "0": err("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"),
                            "1": {"value": err("BASE_TYPE_STRING", "Must be a string.")},
                        }
                    }
                }
            }
        },
    ),
    ([cmd(f"c{i}") for i in range(101)], max_len(100)),
]


@pytest.mark.parametrize(("body", "errors"), COMMAND_CASES)
async def test_command_limits(sandbox: SandboxServer, http: aiohttp.ClientSession, body: Any, errors: Any) -> None:
    status, data = await put_commands(sandbox, http, body)
    assert status == 400
    assert data == form(errors)
    assert sandbox.rejections and sandbox.rejections[-1].errors == errors


async def test_valid_commands_are_stored_with_ids(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    body = [
        cmd("project", options=[opt("announce", 1, options=[opt("project", required=True), opt("track")])]),
        cmd("learn", options=[opt("grp", 2, options=[opt("topic", 1)])]),
        cmd("नमस्ते"),
    ]
    status, data = await put_commands(sandbox, http, body)
    assert status == 200, data
    assert [c["name"] for c in data] == ["project", "learn", "नमस्ते"]
    ids = [c["id"] for c in data]
    status, again = await put_commands(sandbox, http, body)
    assert [c["id"] for c in again] == ids  # ids are stable across re-syncs
    assert sandbox.rejections == []


def test_command_name_rule() -> None:
    assert valid_command_name("ping")
    assert valid_command_name("peer-review_2")
    assert valid_command_name("ünïcode")
    assert not valid_command_name("UPPER")
    assert not valid_command_name("a.b")
    assert not valid_command_name("")


def embed(**kw: Any) -> dict[str, Any]:
    return {"title": "t", **kw}


def button(label: str = "b", custom_id: str = "c", **kw: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id, **kw}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def select(custom_id: str = "s", n: int = 2, **kw: Any) -> dict[str, Any]:
    options = [{"label": f"l{i}", "value": f"v{i}"} for i in range(n)]
    return {"type": 3, "custom_id": custom_id, "options": options, **kw}


MESSAGE_CASES = [
    ({"content": "x" * 2001}, {"content": max_len(2000)}),
    ({"embeds": [embed() for _ in range(11)]}, {"embeds": max_len(10)}),
    ({"embeds": [embed(title="x" * 257)]}, {"embeds": {"0": {"title": max_len(256)}}}),
    ({"embeds": [embed(description="x" * 4097)]}, {"embeds": {"0": {"description": max_len(4096)}}}),
    (
        {"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 26)]},
        {"embeds": {"0": {"fields": max_len(25)}}},
    ),
    (
        {"embeds": [embed(fields=[{"name": "n" * 257, "value": "v" * 1025}])]},
        {"embeds": {"0": {"fields": {"0": {"name": bad_len(1, 256), "value": bad_len(1, 1024)}}}}},
    ),
    ({"embeds": [embed(footer={"text": "x" * 2049})]}, {"embeds": {"0": {"footer": {"text": max_len(2048)}}}}),
    ({"embeds": [embed(author={"name": "x" * 257})]}, {"embeds": {"0": {"author": {"name": max_len(256)}}}}),
    (
        {"embeds": [embed(description="x" * 4000), embed(description="y" * 2000)]},
        {"embeds": err("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")},
    ),
    ({"components": [row(button(custom_id=str(i))) for i in range(6)]}, {"components": max_len(5)}),
    (
        {"components": [row(*[button(custom_id=str(i)) for i in range(6)])]},
        {"components": {"0": {"components": max_len(5)}}},
    ),
    (
        {"components": [row(select(), button())]},
        {
            "components": {
                "0": {
                    "components": err(
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
                    )
                }
            }
        },
    ),
    (
        {"components": [row(button(custom_id="x" * 101))]},
        {"components": {"0": {"components": {"0": {"custom_id": bad_len(1, 100)}}}}},
    ),
    (
        {"components": [row(button(custom_id="same"), button(custom_id="same"))]},
        {
            "components": {
                "0": {
                    "components": {
                        "1": {
                            "custom_id": err(
                                "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
                            )
                        }
                    }
                }
            }
        },
    ),
    (
        {"components": [row(button(label="x" * 81))]},
        {"components": {"0": {"components": {"0": {"label": max_len(80)}}}}},
    ),
    (
        {"components": [row({"type": 2, "style": 5, "label": "docs", "custom_id": "c"})]},
        {
            "components": {
                "0": {
                    "components": {
                        "0": {
                            "url": err("BUTTON_COMPONENT_URL_REQUIRED", "A url is required"),
                            "custom_id": err(
                                "BUTTON_COMPONENT_INVALID_CUSTOM_ID",
                                "A custom id may not be specified for link buttons",
                            ),
                        }
                    }
                }
            }
        },
    ),
    (
        {"components": [row(select(n=26))]},
        {"components": {"0": {"components": {"0": {"options": bad_len(1, 25)}}}}},
    ),
    (
        {"components": [row(select(placeholder="p" * 151))]},
        {"components": {"0": {"components": {"0": {"placeholder": max_len(150)}}}}},
    ),
    (
        {"components": [row({"type": 3, "custom_id": "s", "options": [{"label": "l" * 101, "value": "v" * 101}]})]},
        {
            "components": {
                "0": {"components": {"0": {"options": {"0": {"label": bad_len(1, 100), "value": bad_len(1, 100)}}}}}
            }
        },
    ),
]


@pytest.mark.parametrize(("body", "errors"), MESSAGE_CASES)
async def test_message_limits(sandbox: SandboxServer, http: aiohttp.ClientSession, body: Any, errors: Any) -> None:
    cid = sandbox.world.channel("general").id
    async with http.post(f"{API}/channels/{cid}/messages", json=body) as r:
        assert r.status == 400
        assert await r.json() == form(errors)
    assert sandbox.rejections[-1].source == "limits"


async def test_thread_name_limit(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("general").id
    async with http.post(f"{API}/channels/{cid}/threads", json={"name": "x" * 101, "type": 11}) as r:
        assert r.status == 400
        assert await r.json() == form({"name": bad_len(1, 100)})
    async with http.post(f"{API}/channels/{cid}/threads", json={"name": "", "type": 11}) as r:
        assert r.status == 400


async def test_openapi_rejects_malformed_body(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    cid = sandbox.world.channel("general").id
    async with http.post(
        f"{API}/channels/{cid}/messages", json={"content": "hi", "tts": "yes", "sticker_ids": "1"}
    ) as r:
        assert r.status == 400
        body = await r.json()
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert set(body["errors"]) == {"sticker_ids", "tts"}
    assert body["errors"]["tts"]["_errors"][0]["code"] == "SCHEMA_TYPE"
    assert sandbox.rejections[-1].source == "openapi"
    async with http.post(f"{API}/channels/{cid}/messages", json={"embeds": [{"title": 3}]}) as r:
        body = await r.json()
    assert list(body["errors"]) == ["embeds"] and "title" in body["errors"]["embeds"]["0"]
