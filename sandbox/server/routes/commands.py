"""Routes for application commands (global and guild)."""

from __future__ import annotations

from sandbox import validation as v
from sandbox.server.base import JSONDict
from sandbox.server.http import FormError, Request, api_error, json_copy, missing_access
from sandbox.server.routes.interactions import InteractionRoutes


class CommandRoutes(InteractionRoutes):
    """Routes for application commands (global and guild)."""

    # --- commands
    def _check_app(self, req: Request) -> int | None:
        if req.id("app_id") != self.world.application_id:
            raise missing_access()
        if "guild_id" in req.params:
            gid = req.id("guild_id")
            if gid != self.world.guild.id:
                raise missing_access()
            return gid
        return None

    def _commands_for(self, guild_id: int | None) -> list[JSONDict]:
        if guild_id is None:
            return self.state.global_commands
        return self.state.guild_commands.setdefault(guild_id, [])

    def _command_object(self, body: JSONDict, guild_id: int | None, old: JSONDict | None) -> JSONDict:
        ctype = body.get("type") or 1
        dmp = body.get("default_member_permissions")
        cmd: JSONDict = {
            "id": old["id"] if old else str(self.world.snowflake()),
            "application_id": str(self.world.application_id),
            "version": str(self.world.snowflake()),
            "default_member_permissions": None if dmp is None else str(dmp),
            "type": ctype,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True) if guild_id is None else True,
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw", False)),
        }
        if body.get("options"):
            cmd["options"] = json_copy(body["options"])
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
        return cmd

    async def _get_commands(self, req: Request) -> list[JSONDict]:
        return self._commands_for(self._check_app(req))

    async def _put_commands(self, req: Request) -> list[JSONDict]:
        gid = self._check_app(req)
        body = req.json if req.json is not None else []
        errors = v.FormErrors()
        v.validate_commands(body, errors)
        if errors:
            raise FormError(errors)
        old = {(c["type"], c["name"]): c for c in self._commands_for(gid)}
        new = [self._command_object(c, gid, old.get((c.get("type") or 1, c["name"]))) for c in body]
        if gid is None:
            self.state.global_commands = new
        else:
            self.state.guild_commands[gid] = new
        self.state.command_syncs += 1
        self.state.notify("commands", new)
        return new

    async def _post_command(self, req: Request) -> tuple[int, JSONDict]:
        gid = self._check_app(req)
        body = req.json or {}
        errors = v.FormErrors()
        v.validate_command(body, errors)
        if errors:
            raise FormError(errors)
        cmds = self._commands_for(gid)
        ctype = body.get("type") or 1
        existing = next((c for c in cmds if c["type"] == ctype and c["name"] == body.get("name")), None)
        if existing is None and len([c for c in cmds if c["type"] == ctype]) >= (100 if ctype == 1 else 15):
            raise api_error(400, 30032, "Maximum number of application commands reached (100)")
        cmd = self._command_object(body, gid, existing)
        if existing is not None:
            cmds[cmds.index(existing)] = cmd
        else:
            cmds.append(cmd)
        self.state.command_syncs += 1
        self.state.notify("commands", cmds)
        return (200 if existing else 201), cmd

    def _find_command(self, req: Request) -> tuple[list[JSONDict], JSONDict]:
        cmds = self._commands_for(self._check_app(req))
        cid = req.params["command_id"]
        for c in cmds:
            if c["id"] == cid:
                return cmds, c
        raise api_error(404, 10063, "Unknown application command")

    async def _get_command(self, req: Request) -> JSONDict:
        return self._find_command(req)[1]

    async def _patch_command(self, req: Request) -> JSONDict:
        cmds, cmd = self._find_command(req)
        merged = {**cmd, **(req.json or {})}
        errors = v.FormErrors()
        v.validate_command(merged, errors)
        if errors:
            raise FormError(errors)
        new = self._command_object(merged, int(cmd["guild_id"]) if cmd.get("guild_id") else None, cmd)
        cmds[cmds.index(cmd)] = new
        return new

    async def _delete_command(self, req: Request) -> None:
        cmds, cmd = self._find_command(req)
        cmds.remove(cmd)
