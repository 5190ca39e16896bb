"""What an interaction produced, as a test sees it: `InteractionResult`, plus component/text helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from sandbox.server import EPHEMERAL, JSONDict, SandboxServer
from sandbox.state import InteractionRecord, StoredFile

Until = Literal["final", "ack"]


class InteractionResult:
    """What the bot did in answer to one interaction. Properties always read the latest server state."""

    def __init__(self, sandbox: SandboxServer, record: InteractionRecord) -> None:
        self.sandbox = sandbox
        self.record = record

    def __repr__(self) -> str:
        return f"<InteractionResult type={self.type} ephemeral={self.ephemeral} content={self.content!r}>"

    # ---- raw
    @property
    def id(self) -> int:
        return self.record.id

    @property
    def type(self) -> int | None:
        """The interaction callback type the bot answered with (4, 5, 6, 7, 8, 9) or None."""
        return self.record.response_type

    @property
    def deferred(self) -> bool:
        return self.record.response_type in (5, 6)

    @property
    def acknowledged(self) -> bool:
        return self.record.acknowledged

    @property
    def errors(self) -> list[JSONDict]:
        """Rejected requests (and late acknowledgements) about this interaction."""
        return self.record.errors

    # ---- messages
    @property
    def message(self) -> JSONDict | None:
        """The response message (original response; for type 6/7 the message holding the component)."""
        mid = self.record.original_message_id
        if mid is None or self.record.response_type in (8, 9) or not self.record.acknowledged:
            return None
        stored = self.sandbox.state.message_index.get(mid)
        return None if stored is None else stored.payload

    @property
    def followups(self) -> list[JSONDict]:
        out = []
        for mid in self.record.followup_ids:
            stored = self.sandbox.state.message_index.get(mid)
            if stored is not None and not stored.deleted:
                out.append(stored.payload)
        return out

    @property
    def messages(self) -> list[JSONDict]:
        """The response message then the followups."""
        msg = self.message
        return ([msg] if msg is not None else []) + self.followups

    @property
    def last_message(self) -> JSONDict | None:
        msgs = self.messages
        return msgs[-1] if msgs else None

    def _primary(self) -> JSONDict | None:
        msg = self.message
        if msg is not None and (msg.get("content") or msg.get("embeds") or msg.get("components")):
            return msg
        followups = self.followups
        if followups:
            return followups[0]
        return msg

    @property
    def ephemeral(self) -> bool:
        msg = self._primary()
        return bool(msg and msg.get("flags", 0) & EPHEMERAL)

    @property
    def content(self) -> str:
        msg = self._primary()
        return "" if msg is None else msg.get("content") or ""

    @property
    def embeds(self) -> list[JSONDict]:
        msg = self._primary()
        return [] if msg is None else msg.get("embeds") or []

    @property
    def embed(self) -> JSONDict | None:
        embeds = self.embeds
        return embeds[0] if embeds else None

    @property
    def components(self) -> list[JSONDict]:
        msg = self._primary()
        return [] if msg is None else msg.get("components") or []

    @property
    def files(self) -> list[StoredFile]:
        out = []
        for msg in self.messages:
            for att in msg.get("attachments") or []:
                stored = self.sandbox.state.files.get(int(att["id"]))
                if stored is not None:
                    out.append(stored)
        return out

    @property
    def modal(self) -> JSONDict | None:
        return self.record.response_data if self.record.response_type == 9 else None

    @property
    def choices(self) -> list[JSONDict]:
        if self.record.response_type != 8:
            return []
        return list((self.record.response_data or {}).get("choices") or [])

    # ---- text helpers
    def texts(self) -> list[str]:
        """Every human-readable string in every message of this result (content, embeds, component labels)."""
        out: list[str] = []
        for msg in self.messages:
            out.extend(message_texts(msg))
        if self.modal:
            out.append(str(self.modal.get("title", "")))
        return [t for t in out if t]

    @property
    def text(self) -> str:
        return "\n".join(self.texts())

    @property
    def error_id_seen(self) -> bool:
        return any("error id" in t.lower() for t in self.texts())

    def buttons(self) -> list[JSONDict]:
        return [c for msg in self.messages for c in iter_components(msg.get("components") or []) if c.get("type") == 2]

    def describe(self) -> str:
        rec = self.record
        parts = [
            f"interaction {rec.id} type={rec.type} data={json.dumps(rec.data)[:300]}",
            f"acknowledged={rec.acknowledged} response_type={rec.response_type} original_edits={rec.original_edits}",
            f"callbacks={json.dumps([c[1] for c in rec.callbacks])[:1500]}",
            f"messages={json.dumps(self.messages)[:2000]}",
            f"errors={json.dumps(rec.errors)[:2000]}",
        ]
        rejections = self.sandbox.rejections[-5:]
        if rejections:
            parts.append("recent rejections: " + "; ".join(str(r) for r in rejections))
        return "\n  ".join(parts)

    def settled(self, until: Until = "final") -> bool:
        rec = self.record
        if not rec.acknowledged:
            return False
        if until == "ack":
            return True
        if rec.response_type in (4, 7, 8, 9):
            return True
        return rec.original_edits > 0 or bool(rec.followup_ids) or rec.original_deleted


def iter_components(components: list[Any]) -> Iterator[JSONDict]:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        yield comp
        for key in ("components", "items"):
            if isinstance(comp.get(key), list):
                yield from iter_components(comp[key])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield from iter_components([comp[key]])


def message_texts(msg: JSONDict) -> list[str]:
    out: list[str] = [msg.get("content") or ""]
    for e in msg.get("embeds") or []:
        out += [e.get("title") or "", e.get("description") or ""]
        out += [(e.get("footer") or {}).get("text") or "", (e.get("author") or {}).get("name") or ""]
        for f in e.get("fields") or []:
            out += [f.get("name") or "", f.get("value") or ""]
    for c in iter_components(msg.get("components") or []):
        out += [c.get("label") or "", c.get("content") or "", c.get("placeholder") or ""]
    return [t for t in out if t]


def modal_values(modal: dict[str, Any]) -> dict[str, str | None]:
    """Label → prefilled value, for action-row (type 1) and label (type 18) modal layouts."""
    out: dict[str, str | None] = {}
    for row in modal["components"]:
        if row["type"] == 18:
            out[row["label"]] = row["component"].get("value")
        else:
            for inp in row["components"]:
                out[inp["label"]] = inp.get("value")
    return out
