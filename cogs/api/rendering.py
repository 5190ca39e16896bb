"""What /api shows: the pinned contract, change notices, needs and status, rendered from the service's outcomes.

Everything a member wrote (titles, summaries, paths, notes) goes through `summary.escape_markdown`/`code_span` or
`user_text`, so it never pings anyone or renders as a masked link; only the bot's own `<@id>` mentions remain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.app.ui import CONTENT_MAX, EMBED_FIELD_VALUE_MAX, SUCCESS, WARNING, clip, clip_lines, nexus_embed, timestamp
from bot.services.contracts.diff import ContractDiff
from bot.services.contracts.paths import NeedState, NeedStatus
from bot.services.contracts.service import ContractVersion, NeedAdded, PartnerContract, Published
from bot.services.contracts.summary import ContractSummary, code_span, render_summary
from bot.services.text import user_text

# Room left in the 4096-character description after the "by ... published ..." line.
SUMMARY_CHARS = 3800
MAX_CHANGES_SHOWN = 12


def contract_embed(summary: ContractSummary, version: ContractVersion, backend_id: int) -> discord.Embed:
    """The pinned post: version number, who and when, auth, endpoints grouped by tag."""
    when = timestamp(version.published_at.timestamp(), "R")
    head = f"By <@{backend_id}> · version {version.number} · published {when}"
    embed = nexus_embed(
        f"📜 API contract · version {version.number}", f"{head}\n{render_summary(summary, SUMMARY_CHARS)}"
    )
    embed.set_footer(text="Edited in place by /api publish · needs: /api need · /api status")
    return embed


def change_lines(diff: ContractDiff) -> tuple[list[str], list[str]]:
    breaking = [f"• {change.text}" for change in diff.breaking]
    other = [f"• {change.text}" for change in diff.non_breaking]
    return breaking, other


def notice_text(published: Published, frontend_ids: Sequence[int]) -> str | None:
    """The thread's note on a new version: breaking changes mention the Frontend partners; others don't."""
    diff = published.diff
    if diff is None:
        return None
    number = published.version.number
    backend = f"<@{published.contract.backend_id}>"
    breaking, other = change_lines(diff)
    if not breaking and not other:
        return f"{backend} published version {number} of the API contract: nothing changed in the endpoints."
    if breaking:
        who = " ".join(f"<@{uid}>" for uid in frontend_ids)
        head = (
            f"{who} ⚠️ **{len(breaking)} breaking change{'s' if len(breaking) != 1 else ''}** in {backend}'s API "
            f"contract, version {number}:"
        )
        tail = f"…and {len(other)} other change{'s' if len(other) != 1 else ''}, not breaking." if other else ""
        footer = "Press **Acknowledge** once your app is updated (or run `/api status`)."
        body = clip_lines(breaking, CONTENT_MAX - len(head) - len(tail) - len(footer) - 10, "see /api status")
        return "\n".join(part for part in (head, body, tail, footer) if part)
    head = f"{backend} published version {number} of the API contract; {len(other)} change(s), none breaking:"
    return head + "\n" + clip_lines(other, CONTENT_MAX - len(head) - 5)


def publish_reply(published: Published, delivered: list[str], problems: list[str]) -> str:
    version = published.version
    summary = published.summary
    lines = [
        f"Published version {version.number} of **{user_text(summary.title)}** (API version "
        f"{code_span(summary.version)}, {len(summary.endpoints)} endpoint{'s' if len(summary.endpoints) != 1 else ''})."
    ]
    if published.diff is not None:
        breaking, other = change_lines(published.diff)
        if breaking:
            lines.append(
                f"⚠️ {len(breaking)} breaking change(s); your Frontend partner was mentioned once in the thread:"
            )
            lines.append(clip_lines(breaking[:MAX_CHANGES_SHOWN], 900))
        if other:
            lines.append(f"{len(other)} change(s) that break nothing.")
        if not breaking and not other:
            lines.append("No endpoint changed since the previous version.")
    lines.extend(delivered)
    lines.extend(problems)
    if published.unthreaded:
        names = ", ".join(f"<@{uid}>" for uid in published.unthreaded)
        lines.append(f"Your pair with {names} has no thread yet; the contract will show there once it has one.")
    return clip("\n".join(lines), CONTENT_MAX)


def need_line(status: NeedStatus, backend_id: int, number: int | None) -> str:
    label = code_span(status.need.label)
    if number is None:
        return f"⏳ {label}: <@{backend_id}> hasn't published a contract yet"
    if status.state is NeedState.MET and status.endpoint is not None:
        return f"✅ {label}: met by <@{backend_id}>'s v{number} ({code_span(status.endpoint.label)})"
    others = f" (it has {', '.join(status.other_methods)} for that path)" if status.other_methods else ""
    return f"❌ {label}: missing from <@{backend_id}>'s v{number}{others}"


def need_reply(added: NeedAdded, numbers: dict[int, int | None]) -> str:
    need = added.need
    head = "Noted" if added.new else "You had noted that need already; updated"
    note = f" — {user_text(need.note)}" if need.note else ""
    lines = [f"{head}: {code_span(f'{need.method} {need.path}')}{note}."]
    lines.extend(need_line(status, backend_id, numbers.get(backend_id)) for backend_id, status in added.against)
    if added.new and added.thread_ids:
        lines.append("Your partner sees it in your thread; `/api status` lists all your needs.")
    return clip("\n".join(lines), CONTENT_MAX)


def need_post(added: NeedAdded, frontend_id: int, numbers: dict[int, int | None]) -> str:
    need = added.need
    note = f" — {user_text(need.note)}" if need.note else ""
    lines = [f"📝 <@{frontend_id}> needs {code_span(f'{need.method} {need.path}')}{note}"]
    lines.extend(need_line(status, backend_id, numbers.get(backend_id)) for backend_id, status in added.against)
    return clip("\n".join(lines), CONTENT_MAX)


def _age(published_at: datetime, now: datetime) -> str:
    seconds = max(0, int((now - published_at).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def status_embed(contracts: list[PartnerContract], member_id: int, now: datetime) -> discord.Embed:
    colour = WARNING if any(v for c in contracts for v in c.unacknowledged.values()) else SUCCESS
    embed = nexus_embed("API contracts", f"For <@{member_id}>", colour=colour)
    for item in contracts[:10]:
        lines: list[str] = []
        latest = item.latest
        if latest is None:
            lines.append(f"<@{item.backend_id}> hasn't published a contract yet (`/api publish`; `/api template`).")
        else:
            lines.append(
                f"<@{item.backend_id}>'s version {latest.number} ({code_span(latest.api_version)}), "
                f"published {timestamp(latest.published_at.timestamp(), 'R')} ({_age(latest.published_at, now)} ago), "
                f"{item.endpoint_count} endpoints."
            )
        for frontend_id in item.frontend_ids:
            needs = item.needs.get(frontend_id, [])
            met = [n for n in needs if n.state is NeedState.MET]
            missing = [n for n in needs if n.state is NeedState.MISSING]
            if needs:
                lines.append(f"Needs of <@{frontend_id}>: {len(met)} met, {len(missing)} missing")
                lines.extend(f"❌ {code_span(n.need.label)}" for n in missing[:8])
            else:
                lines.append(f"<@{frontend_id}> has listed no needs yet (`/api need`).")
            pending = item.unacknowledged.get(frontend_id, [])
            if pending:
                versions = ", ".join(f"v{v.number} ({v.breaking})" for v in pending[-5:])
                lines.append(f"⚠️ Breaking changes not acknowledged by <@{frontend_id}>: {versions}")
        embed.add_field(
            name=clip(f"Contract {item.project} · {'v' + str(latest.number) if latest else 'none yet'}", 256),
            value=clip_lines(lines, EMBED_FIELD_VALUE_MAX),
            inline=False,
        )
    return embed


def template_embed(key: str, summary: ContractSummary) -> discord.Embed:
    description = (
        f"A reference contract for `{key}`: edit it to match your API (or let drf-spectacular/FastAPI export "
        "yours), then `/api publish` it.\n" + render_summary(summary, SUMMARY_CHARS)
    )
    return nexus_embed(f"Reference API contract · {key}", description)
