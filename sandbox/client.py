"""Test/console client: plays Discord users against a running ``SandboxServer`` (in-process)."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from pathlib import Path
from typing import Any, Literal

from sandbox.result import InteractionResult, Until, iter_components, message_texts, modal_values
from sandbox.server import JSONDict, SandboxServer
from sandbox.state import InteractionRecord, StoredFile, StoredMessage

logger = logging.getLogger(__name__)

__all__ = ["InteractionResult", "SandboxClient", "Until", "iter_components", "message_texts", "modal_values"]


# Discord's default upload limit (a server without boosts): the client refuses larger files.
UPLOAD_LIMIT = 25 * 2**20


class SandboxClient:
    """Drives interactions as guild members. Users are referred to by username or id."""

    def __init__(
        self,
        sandbox: SandboxServer,
        *,
        channel: str | int = "prodevprojectnexus",
        timeout: float = 10.0,
        enforce_default_permissions: bool = False,
        reaction_time: float = 0.1,
    ) -> None:
        self.sandbox = sandbox
        self.channel = channel
        self.timeout = timeout
        self.enforce_default_permissions = enforce_default_permissions
        # A person sees a message only after Discord has answered the bot's request for it, and takes
        # a moment to press its button. Without this pause a click could reach the bot before the
        # HTTP response that tells discord.py which message its view belongs to, and be ignored.
        self.reaction_time = reaction_time

    async def _react_to(self, shown_at: float | None) -> None:
        """Wait until `reaction_time` has passed since something was shown (monotonic clock)."""
        if shown_at is not None:
            delay = shown_at + self.reaction_time - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    @property
    def world(self) -> Any:
        return self.sandbox.world

    # ------------------------------------------------------------------ waiting
    async def _run_command(
        self, cmd: JSONDict, user_id: int, channel_id: int, data: JSONDict, until: Until, timeout: float | None
    ) -> InteractionResult:
        """An application command (type 2) interaction, refused first as Discord would without the permissions."""
        self._check_default_permissions(cmd, user_id, channel_id)
        record = self.sandbox.create_interaction(2, user_id, channel_id, data)
        return await self._settle(record, until, timeout)

    async def _use_component(
        self, user: str | int, stored: StoredMessage, data: JSONDict, until: Until, timeout: float | None
    ) -> InteractionResult:
        """A component (type 3) interaction on `stored`, after a person's reaction time."""
        uid = self.world.user(user).id
        await self._react_to(stored.updated)
        record = self.sandbox.create_interaction(3, uid, stored.channel_id, data, message=stored)
        return await self._settle(record, until, timeout)

    async def _settle(self, record: InteractionRecord, until: Until, timeout: float | None) -> InteractionResult:
        result = InteractionResult(self.sandbox, record)
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            record.changed.clear()  # cleared before the check so that a change in between is not missed
            if result.settled(until):
                return result
            if any("late_by" in e for e in record.errors) and not record.acknowledged:
                raise AssertionError(
                    f"the bot acknowledged too late (after {self.sandbox.ack_window}s): 10062 Unknown interaction\n  "
                    + result.describe()
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"interaction not answered within {limit}s ({until}):\n  " + result.describe())
            try:
                # a timer, not wait_for: wait_for makes a task per wait, which adds up across a burst
                async with asyncio.timeout(min(remaining, 0.5)):
                    await record.changed.wait()
            except TimeoutError:
                pass

    # ------------------------------------------------------------------ commands
    def _find_command(self, name: str, ctype: int = 1) -> JSONDict:
        state = self.sandbox.state
        for cmd in state.guild_commands.get(self.world.guild.id, []) + state.global_commands:
            if cmd["name"] == name and cmd.get("type", 1) == ctype:
                return cmd
        known = [c["name"] for c in state.guild_commands.get(self.world.guild.id, []) + state.global_commands]
        raise AssertionError(f"no registered command {name!r} (type {ctype}); registered: {known}")

    def _check_default_permissions(self, cmd: JSONDict, user_id: int, channel_id: int) -> None:
        if not self.enforce_default_permissions or cmd.get("default_member_permissions") is None:
            return
        needed = int(cmd["default_member_permissions"])
        have = self.sandbox.member_perms_in(user_id, channel_id)
        if have & needed != needed:
            raise PermissionError(f"{cmd['name']!r} is hidden from this user by default_member_permissions={needed}")

    def _resolve_user_option(self, value: Any, resolved: JSONDict, channel_id: int) -> str:
        user = self.world.user(value if not isinstance(value, dict) else value["id"])
        resolved.setdefault("users", {})[str(user.id)] = user.to_dict()
        member = self.world.guild.members.get(user.id)
        if member is not None:
            m = member.to_dict(with_user=False)
            m["permissions"] = str(self.sandbox.member_perms_in(user.id, channel_id))
            resolved.setdefault("members", {})[str(user.id)] = m
        return str(user.id)

    def _resolve_role_option(self, value: Any, resolved: JSONDict) -> str:
        role = self.world.role(value)
        resolved.setdefault("roles", {})[str(role.id)] = role.to_dict()
        return str(role.id)

    def _resolve_channel_option(self, value: Any, resolved: JSONDict) -> str:
        cid = self.sandbox.channel_id(value)
        payload = self.sandbox.channel_payload(cid)
        keys = ("id", "name", "type", "parent_id", "thread_metadata")
        entry: JSONDict = {k: payload[k] for k in keys if k in payload}
        entry["permissions"] = str(self.sandbox.bot_perms_in(cid))
        resolved.setdefault("channels", {})[str(cid)] = entry
        return str(cid)

    def _resolve_attachment(self, value: Any, resolved: JSONDict, channel_id: int) -> str:
        if isinstance(value, str | Path):  # a local file (the console's `/api publish file:openapi.yaml`)
            path = Path(value).expanduser()
            if not path.is_file():
                raise AssertionError(f"attachment option: there is no file {str(value)!r}")
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            value = (path.name, path.read_bytes(), ctype)
        if isinstance(value, tuple):
            filename, data = value[0], value[1]
            ctype = value[2] if len(value) > 2 else "application/octet-stream"
        else:
            raise AssertionError("attachment options take (filename, bytes[, content_type])")
        if len(data) > UPLOAD_LIMIT:
            raise AssertionError(f"Discord's client refuses uploads over {UPLOAD_LIMIT // 2**20} MiB")
        aid = self.world.snowflake()
        self.sandbox.state.files[aid] = StoredFile(aid, filename, data, ctype)
        url = f"{self.sandbox.base_url}/attachments/{channel_id}/{aid}/{filename}"
        resolved.setdefault("attachments", {})[str(aid)] = {
            "id": str(aid),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": ctype,
            "ephemeral": True,
        }
        return str(aid)

    def _option_value(self, opt: JSONDict, value: Any, resolved: JSONDict, channel_id: int, focused: bool) -> Any:
        otype = opt["type"]
        if focused:
            return str(value)
        if opt.get("choices"):
            for choice in opt["choices"]:
                if value == choice["value"] or value == choice["name"]:
                    return choice["value"]
            names = [c["value"] for c in opt["choices"]]
            raise AssertionError(f"option {opt['name']!r}: {value!r} is not one of the choices {names}")
        if otype == 3:
            value = str(value)
            if opt.get("max_length") is not None and len(value) > opt["max_length"]:
                raise AssertionError(f"option {opt['name']!r} is longer than max_length={opt['max_length']}")
            if opt.get("min_length") is not None and len(value) < opt["min_length"]:
                raise AssertionError(f"option {opt['name']!r} is shorter than min_length={opt['min_length']}")
            return value
        if otype in (4, 10):
            value = int(value) if otype == 4 else float(value)
            if opt.get("min_value") is not None and value < opt["min_value"]:
                raise AssertionError(f"option {opt['name']!r} is below min_value={opt['min_value']}")
            if opt.get("max_value") is not None and value > opt["max_value"]:
                raise AssertionError(f"option {opt['name']!r} is above max_value={opt['max_value']}")
            return value
        if otype == 5:
            return bool(value)
        if otype == 6:
            return self._resolve_user_option(value, resolved, channel_id)
        if otype == 7:
            return self._resolve_channel_option(value, resolved)
        if otype == 8:
            return self._resolve_role_option(value, resolved)
        if otype == 9:
            try:
                return self._resolve_user_option(value, resolved, channel_id)
            except KeyError:
                return self._resolve_role_option(value, resolved)
        if otype == 11:
            return self._resolve_attachment(value, resolved, channel_id)
        return value

    def build_command_data(
        self,
        command: str,
        options: dict[str, Any],
        channel_id: int,
        *,
        focused: str | None = None,
    ) -> tuple[JSONDict, JSONDict]:
        """Build ``data`` for an application command interaction from the registered command definition."""
        parts = command.strip().lstrip("/").split()
        cmd = self._find_command(parts[0])
        data: JSONDict = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        container = data
        defs = cmd.get("options") or []
        for part in parts[1:]:
            sub = next((o for o in defs if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise AssertionError(f"{command!r}: no subcommand {part!r}; has {[o['name'] for o in defs]}")
            node: JSONDict = {"type": sub["type"], "name": sub["name"]}
            container.setdefault("options", []).append(node)
            container = node
            defs = sub.get("options") or []
        if any(o["type"] in (1, 2) for o in defs):
            raise AssertionError(f"{command!r} needs a subcommand: {[o['name'] for o in defs]}")
        by_name = {o["name"]: o for o in defs}
        resolved: JSONDict = {}
        values: list[JSONDict] = []
        remaining = dict(options)
        for opt in defs:
            key = opt["name"]
            if key not in remaining and key.replace("-", "_") in remaining:
                key = key.replace("-", "_")
            if key not in remaining:
                if opt.get("required") and focused is None:
                    raise AssertionError(f"{command!r}: required option {opt['name']!r} missing")
                continue
            raw = remaining.pop(key)
            is_focused = focused is not None and opt["name"] in (focused, focused.replace("_", "-"))
            entry: JSONDict = {
                "type": opt["type"],
                "name": opt["name"],
                "value": self._option_value(opt, raw, resolved, channel_id, is_focused),
            }
            if is_focused:
                entry["focused"] = True
            values.append(entry)
        if remaining:
            raise AssertionError(f"{command!r}: unknown options {sorted(remaining)}; known: {sorted(by_name)}")
        if values:
            container["options"] = values
        elif container is not data:
            container["options"] = []
        if resolved:
            data["resolved"] = resolved
        return data, cmd

    async def slash(
        self,
        user: str | int,
        command: str,
        /,
        *,
        channel: str | int | None = None,
        options: dict[str, Any] | None = None,
        timeout: float | None = None,
        until: Until = "final",
        **kwargs: Any,
    ) -> InteractionResult:
        """Run ``/command`` (``"group sub"`` paths allowed) as ``user``; options by name (kwargs or ``options``)."""
        uid = self.world.user(user).id
        cid = self.sandbox.channel_id(channel if channel is not None else self.channel)
        data, cmd = self.build_command_data(command, {**(options or {}), **kwargs}, cid)
        return await self._run_command(cmd, uid, cid, data, until, timeout)

    async def context_command(
        self,
        user: str | int,
        name: str,
        target: str | int | JSONDict,
        *,
        kind: Literal["user", "message"] = "user",
        channel: str | int | None = None,
        timeout: float | None = None,
        until: Until = "final",
    ) -> InteractionResult:
        """Run a user (type 2) or message (type 3) context-menu command on ``target``."""
        uid = self.world.user(user).id
        cid = self.sandbox.channel_id(channel if channel is not None else self.channel)
        cmd = self._find_command(name, 2 if kind == "user" else 3)
        data: JSONDict = {"id": cmd["id"], "name": cmd["name"], "type": cmd["type"]}
        resolved: JSONDict = {}
        if kind == "user":
            data["target_id"] = self._resolve_user_option(target, resolved, cid)
        else:
            msg = target if isinstance(target, dict) else self.sandbox.state.message_index[int(target)].payload
            data["target_id"] = msg["id"]
            resolved["messages"] = {msg["id"]: msg}
        data["resolved"] = resolved
        return await self._run_command(cmd, uid, cid, data, until, timeout)

    async def autocomplete(
        self,
        user: str | int,
        command: str,
        /,
        *,
        focused: str,
        value: str = "",
        channel: str | int | None = None,
        timeout: float | None = None,
        options: dict[str, Any] | None = None,
        **other_options: Any,
    ) -> list[JSONDict]:
        """Type ``value`` into option ``focused`` and return the choices the bot offered (other options filled
        in by name, as kwargs or ``options``)."""
        uid = self.world.user(user).id
        cid = self.sandbox.channel_id(channel if channel is not None else self.channel)
        filled = {**(options or {}), **other_options, focused: value}
        data, _cmd = self.build_command_data(command, filled, cid, focused=focused)
        record = self.sandbox.create_interaction(4, uid, cid, data)
        result = await self._settle(record, "final", timeout)
        if result.type != 8:
            raise AssertionError(f"autocomplete answered with type {result.type}, expected 8")
        return result.choices

    # ------------------------------------------------------------------ components
    def _candidate_messages(self, message: Any) -> list[StoredMessage]:
        index = self.sandbox.state.message_index
        ids: list[int] = []
        if isinstance(message, InteractionResult):
            ids = [int(m["id"]) for m in reversed(message.messages)]
        elif isinstance(message, StoredMessage):
            ids = [message.id]
        elif isinstance(message, dict):
            ids = [int(message["id"])]
        elif isinstance(message, int | str):
            ids = [int(message)]
        out = [index[i] for i in ids if i in index and not index[i].deleted]
        if not out:
            raise AssertionError(f"no live message to interact with in {message!r}")
        return out

    def _find_component(
        self, message: Any, *, label: str | None, custom_id: str | None, types: set[int], placeholder: str | None = None
    ) -> tuple[StoredMessage, JSONDict]:
        seen: list[str] = []
        for stored in self._candidate_messages(message):
            for comp in iter_components(stored.payload.get("components") or []):
                if comp.get("type") not in types:
                    continue
                seen.append(str(comp.get("label") or comp.get("placeholder") or comp.get("custom_id")))
                if custom_id is not None and comp.get("custom_id") != custom_id:
                    continue
                if label is not None and comp.get("label") != label:
                    continue
                if placeholder is not None and comp.get("placeholder") != placeholder:
                    continue
                return stored, comp
        want = custom_id or label or placeholder or "any"
        raise AssertionError(f"no component {want!r} (types {sorted(types)}) in the message; found {seen}")

    async def click(
        self,
        user: str | int,
        message: Any,
        label: str | None = None,
        *,
        custom_id: str | None = None,
        timeout: float | None = None,
        until: Until = "final",
    ) -> InteractionResult:
        """Press a button (by label or custom_id) on a message, an InteractionResult, or a message id."""
        stored, comp = self._find_component(message, label=label, custom_id=custom_id, types={2})
        if comp.get("disabled"):
            raise AssertionError(f"button {comp.get('label') or comp.get('custom_id')!r} is disabled")
        if comp.get("style") == 5 or not comp.get("custom_id"):
            raise AssertionError("link buttons do not create interactions")
        data: JSONDict = {"custom_id": comp["custom_id"], "component_type": 2}
        if comp.get("id") is not None:
            data["id"] = comp["id"]
        return await self._use_component(user, stored, data, until, timeout)

    async def select(
        self,
        user: str | int,
        message: Any,
        values: list[Any],
        *,
        custom_id: str | None = None,
        placeholder: str | None = None,
        timeout: float | None = None,
        until: Until = "final",
    ) -> InteractionResult:
        """Choose ``values`` in a select menu (string values or labels; users/roles/channels by name for those)."""
        stored, comp = self._find_component(
            message, label=None, custom_id=custom_id, types={3, 5, 6, 7, 8}, placeholder=placeholder
        )
        if comp.get("disabled"):
            raise AssertionError("select menu is disabled")
        ctype = comp["type"]
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise AssertionError(f"select needs between {lo} and {hi} values, got {len(values)}")
        data: JSONDict = {"custom_id": comp["custom_id"], "component_type": ctype}
        if comp.get("id") is not None:
            data["id"] = comp["id"]
        resolved: JSONDict = {}
        out: list[str] = []
        for val in values:
            if ctype == 3:
                opt = next((o for o in comp.get("options", []) if val in (o["value"], o["label"])), None)
                if opt is None:
                    raise AssertionError(f"{val!r} is not an option: {[o['value'] for o in comp.get('options', [])]}")
                out.append(opt["value"])
            elif ctype == 5:
                out.append(self._resolve_user_option(val, resolved, stored.channel_id))
            elif ctype == 6:
                out.append(self._resolve_role_option(val, resolved))
            elif ctype == 8:
                out.append(self._resolve_channel_option(val, resolved))
            else:
                try:
                    out.append(self._resolve_user_option(val, resolved, stored.channel_id))
                except KeyError:
                    out.append(self._resolve_role_option(val, resolved))
        data["values"] = out
        if resolved:
            data["resolved"] = resolved
        return await self._use_component(user, stored, data, until, timeout)

    # ------------------------------------------------------------------ modals
    async def submit_modal(
        self,
        user: str | int,
        result: InteractionResult | JSONDict,
        values: dict[str, str],
        *,
        timeout: float | None = None,
        until: Until = "final",
    ) -> InteractionResult:
        """Fill the modal the bot opened (keys: input label or custom_id) and submit it."""
        parent: InteractionRecord | None = None
        if isinstance(result, InteractionResult):
            modal = result.modal
            parent = result.record
            if modal is None:
                raise AssertionError(f"the bot did not open a modal:\n  {result.describe()}")
        else:
            modal = result
        remaining = dict(values)

        def fill(inp: JSONDict, label: str | None) -> JSONDict:
            key = next((k for k in (inp.get("custom_id"), label) if k is not None and k in remaining), None)
            if key is not None:
                value = str(remaining.pop(key))
            else:
                value = inp.get("value") or ""
                if inp.get("required", True) and not value:
                    raise AssertionError(f"modal input {label or inp.get('custom_id')!r} is required")
            lo, hi = inp.get("min_length"), inp.get("max_length")
            if value and lo is not None and len(value) < lo:
                raise AssertionError(f"modal input {label!r} shorter than min_length={lo}")
            if hi is not None and len(value) > hi:
                raise AssertionError(f"modal input {label!r} longer than max_length={hi}")
            return {"type": 4, "id": inp.get("id"), "custom_id": inp["custom_id"], "value": value}

        comps: list[JSONDict] = []
        for row in modal.get("components") or []:
            if row.get("type") == 1:
                children = [fill(c, c.get("label")) for c in row.get("components", []) if c.get("type") == 4]
                comps.append({"type": 1, "id": row.get("id"), "components": children})
            elif row.get("type") == 18 and (row.get("component") or {}).get("type") == 4:
                comps.append({"type": 18, "id": row.get("id"), "component": fill(row["component"], row.get("label"))})
        if remaining:
            raise AssertionError(f"unknown modal inputs {sorted(remaining)}")
        data: JSONDict = {"custom_id": modal["custom_id"], "components": comps}
        uid = self.world.user(user).id
        channel_id = parent.channel_id if parent else self.sandbox.channel_id(self.channel)
        source = None
        if parent is not None and parent.source_message_id is not None:
            source = self.sandbox.state.message_index.get(parent.source_message_id)
        await self._react_to(parent.acked_at if parent is not None else None)
        record = self.sandbox.create_interaction(5, uid, channel_id, data, message=source)
        return await self._settle(record, until, timeout)
