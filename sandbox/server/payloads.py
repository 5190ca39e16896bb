"""Discord JSON objects built from the world and state: guild, channels, members, messages."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from sandbox.server.base import JSONDict
from sandbox.server.http import HttpMixin, api_error, json_copy, unknown_channel
from sandbox.state import InteractionRecord, StoredFile
from sandbox.world import User, iso

EPHEMERAL = 1 << 6
LOADING = 1 << 7
HAS_THREAD = 1 << 5
FORUM = 15  # channel type


class PayloadsMixin(HttpMixin):
    """Builders of the Discord objects the REST routes and the gateway send."""

    # ------------------------------------------------------------------ payload builders
    def guild_payload(self, *, counts: bool = False) -> JSONDict:
        g = self.world.guild
        general = next((c.id for c in g.channels.values() if c.name == "general"), None)
        data: JSONDict = {
            "id": str(g.id),
            "name": g.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(g.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.to_dict() for r in g.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(general) if general else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_members": 500000,
            "max_presences": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": g.locale,
            "public_updates_channel_id": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "incidents_data": None,
            "hub_type": None,
            "latest_onboarding_question_id": None,
        }
        if counts:
            data["approximate_member_count"] = len(g.members)
            data["approximate_presence_count"] = 0
        return data

    def guild_create_payload(self) -> JSONDict:
        g = self.world.guild
        large = len(g.members) > self.world.large_threshold
        members = [g.members[self.world.bot.id]] if large else list(g.members.values())
        data = self.guild_payload()
        data.update(
            {
                "joined_at": iso(g.members[self.world.bot.id].joined_at),
                "large": large,
                "unavailable": False,
                "member_count": len(g.members),
                "voice_states": [],
                "members": [m.to_dict() for m in members],
                "channels": [self.channel_payload(c.id) for c in g.channels.values()],
                "threads": [
                    dict(t)
                    for t in self.state.channels.values()
                    if t["type"] in (11, 12) and not t["thread_metadata"]["archived"] and t.get("guild_id") == str(g.id)
                ],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": list(self.state.scheduled_events.get(g.id, {}).values()),
                "soundboard_sounds": [],
                "embedded_activities": [],
                "activity_instances": [],
                "lazy": True,
                "application_command_counts": {},
                "version": int(time.time() * 1000),
            }
        )
        return data

    def channel_payload(self, channel_id: int) -> JSONDict:
        if channel_id in self.state.channels:
            return dict(self.state.channels[channel_id])
        ch = self.world.guild.channels.get(channel_id)
        if ch is None:
            raise unknown_channel()
        data: JSONDict = {
            "id": str(ch.id),
            "type": ch.type,
            "guild_id": str(self.world.guild.id),
            "name": ch.name,
            "position": ch.position,
            "permission_overwrites": ch.overwrites(self.world.guild.id, self.world.bot.id),
            "parent_id": str(ch.parent_id) if ch.parent_id else None,
            "flags": 0,
            "nsfw": False,
        }
        if ch.type in (0, 5):
            msgs = self.state.messages.get(ch.id)
            data.update(
                topic=ch.topic,
                last_message_id=str(next(reversed(msgs))) if msgs else None,
                rate_limit_per_user=0,
                default_auto_archive_duration=1440,
                default_thread_rate_limit_per_user=0,
            )
        if ch.type == 2:
            data.update(bitrate=64000, user_limit=0, rtc_region=None, last_message_id=None, rate_limit_per_user=0)
        if ch.type == FORUM:
            posts = [t for t in self.state.channels.values() if t.get("parent_id") == str(ch.id)]
            data.update(
                topic=ch.topic,
                last_message_id=posts[-1]["id"] if posts else None,  # a forum's last message is its newest post
                rate_limit_per_user=0,
                default_auto_archive_duration=4320,
                default_thread_rate_limit_per_user=0,
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
            )
        return data

    def member_payload(self, user_id: int, *, with_user: bool = True) -> JSONDict:
        member = self.world.guild.members.get(user_id)
        if member is None:
            raise api_error(404, 10007, "Unknown Member")
        return member.to_dict(with_user=with_user)

    # --- messages (shared by channels, interaction responses and followups)
    def _attachments(self, body: JSONDict, files: list[tuple[str, str, bytes, str]], channel_id: int) -> list[JSONDict]:
        meta = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        out = []
        for index, (field_name, filename, data, ctype) in enumerate(files):
            m = re.match(r"files\[(\d+)\]", field_name)
            key = m.group(1) if m else str(index)
            info = meta.get(key, {})
            aid = self.world.snowflake()
            name = info.get("filename") or filename
            stored = StoredFile(aid, name, data, ctype)
            self.state.files[aid] = stored
            url = f"{self.base_url}/attachments/{channel_id}/{aid}/{name}"
            att: JSONDict = {
                "id": str(aid),
                "filename": name,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": ctype,
            }
            if info.get("description"):
                att["description"] = info["description"]
            out.append(att)
        return out

    def _normalise_components(self, comps: list[Any] | None) -> list[Any]:
        counter = [0]

        def walk(c: Any) -> Any:
            if not isinstance(c, dict):
                return c
            c = dict(c)
            counter[0] += 1
            c.setdefault("id", counter[0])
            for key in ("components", "items"):
                if isinstance(c.get(key), list):
                    c[key] = [walk(x) for x in c[key]]
            for key in ("accessory", "component"):
                if isinstance(c.get(key), dict):
                    c[key] = walk(c[key])
            return c

        return [walk(c) for c in json_copy(comps or [])]

    def _mentions(self, content: str, allowed: Any = None) -> tuple[list[JSONDict], list[str]]:
        """Users and roles the content mentions, as Discord resolves them under `allowed_mentions`.

        Without `allowed_mentions` every mention counts; with it, a user counts only when `parse` holds
        "users" or `users` lists them (roles likewise), so the message's `mentions` are exactly who it pings.
        """
        parse = (allowed.get("parse") or []) if isinstance(allowed, dict) else None

        def permitted(kind: str, ident: str) -> bool:
            if parse is None or kind in parse:
                return True
            return ident in {str(x) for x in allowed.get(kind) or []}

        users = []
        for uid in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)):
            member = self.world.guild.members.get(int(uid))
            if member is not None and permitted("users", uid):
                users.append({**member.user.to_dict(), "member": member.to_dict(with_user=False)})
        roles = [
            rid
            for rid in dict.fromkeys(re.findall(r"<@&(\d+)>", content))
            if int(rid) in self.world.guild.roles and permitted("roles", rid)
        ]
        return users, roles

    def _message_payload(
        self,
        channel_id: int,
        body: JSONDict,
        attachments: list[JSONDict],
        *,
        author: User,
        msg_type: int = 0,
        flags: int = 0,
        interaction: InteractionRecord | None = None,
        message_id: int | None = None,
    ) -> JSONDict:
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        mentions, mention_roles = self._mentions(content, allowed)
        everyone = "@everyone" in content and (allowed is None or "everyone" in (allowed.get("parse") or []))
        embeds = []
        for e in json_copy(body.get("embeds") or []):
            e.setdefault("type", "rich")
            e.setdefault("content_scan_version", 0)
            embeds.append(e)
        msg: JSONDict = {
            "id": str(message_id if message_id is not None else self.world.snowflake()),
            "channel_id": str(channel_id),
            "author": author.to_dict(),
            "content": content,
            "timestamp": iso(datetime.now(UTC)),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "mention_everyone": everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments,
            "embeds": embeds,
            "pinned": False,
            "type": msg_type,
            "flags": flags,
            "components": self._normalise_components(body.get("components")),
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if body.get("message_reference"):
            ref = body["message_reference"]
            msg["message_reference"] = {
                "type": ref.get("type", 0),
                "channel_id": str(ref.get("channel_id") or channel_id),
                "message_id": str(ref.get("message_id")),
                "guild_id": str(self.world.guild.id),
            }
            if msg_type == 0:
                msg["type"] = 19
            referenced = self.state.message_index.get(int(ref.get("message_id") or 0))
            if referenced is not None:
                msg["referenced_message"] = dict(referenced.payload)
        if body.get("poll"):
            msg["poll"] = body["poll"]
        if interaction is not None:
            user = self.world.user(interaction.user_id).to_dict()
            msg["webhook_id"] = str(self.world.application_id)
            msg["application_id"] = str(self.world.application_id)
            metadata: JSONDict = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": {"0": str(self.world.guild.id)},
            }
            if interaction.type == 2:
                metadata["name"] = interaction.data.get("name")
                metadata["command_type"] = interaction.data.get("type", 1)
            if interaction.source_message_id:
                metadata["interacted_message_id"] = str(interaction.source_message_id)
            msg["interaction_metadata"] = metadata
            msg["interaction"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "name": interaction.data.get("name", ""),
                "user": user,
            }
        ch = self.state.channels.get(channel_id)
        if ch is not None and ch["type"] in (11, 12):
            msg["position"] = ch.get("total_message_sent", 0)
        return msg

    def _gateway_message(self, payload: JSONDict) -> JSONDict:
        data = dict(payload)
        cid = int(payload["channel_id"])
        if not self.is_dm(cid):
            data["guild_id"] = str(self.world.guild.id)
            author_id = int(payload["author"]["id"])
            if author_id in self.world.guild.members and "webhook_id" not in payload:
                data["member"] = self.world.guild.members[author_id].to_dict(with_user=False)
        return data

    # --- channels
    def _thread(self, channel_id: int) -> JSONDict | None:
        ch = self.state.channels.get(channel_id)
        return ch if ch is not None and ch["type"] in (10, 11, 12) else None
