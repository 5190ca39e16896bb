"""What a contract offers, ready to render: title, version, servers, auth schemes, endpoints grouped by tag."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.services.contracts.document import ApiDocument
from bot.services.text import clean_line

# In the order the pinned post lists an endpoint's methods.
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
UNTAGGED = "other"
_SUMMARY_LIMIT = 100
# Markdown that could restyle or link user text; parentheses are harmless once brackets are escaped.
_MD_SPECIAL = re.compile(r"([\\*_~`|\[\]])")
_LINE_START = re.compile(r"^([#>-])")


@dataclass(frozen=True)
class Endpoint:
    method: str  # upper case: GET, POST, ...
    path: str
    summary: str  # the operation's summary, else its operationId, else ""
    operation_id: str | None
    tag: str
    deprecated: bool
    secured: bool  # calling it needs credentials (no anonymous alternative)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class AuthScheme:
    name: str  # the key under components/securitySchemes
    description: str  # "Bearer token (JWT)", "API key in header `X-API-Key`", ...


@dataclass(frozen=True)
class TagGroup:
    tag: str
    description: str
    endpoints: tuple[Endpoint, ...]


@dataclass(frozen=True)
class ContractSummary:
    title: str
    version: str
    openapi: str
    servers: tuple[str, ...]
    auth: tuple[AuthScheme, ...]
    groups: tuple[TagGroup, ...]

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return tuple(endpoint for group in self.groups for endpoint in group.endpoints)


def _text(value: Any, limit: int = _SUMMARY_LIMIT) -> str:
    text = clean_line(value) if isinstance(value, str) else ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _first_line(value: Any) -> str:
    return _text(value.strip().split("\n", 1)[0]) if isinstance(value, str) else ""


def _is_secured(requirements: Any) -> bool:
    """A security requirement list needs credentials unless it is empty or offers `{}` (anonymous)."""
    if not isinstance(requirements, list) or not requirements:
        return False
    return all(isinstance(requirement, Mapping) and requirement for requirement in requirements)


def endpoints(document: ApiDocument) -> list[Endpoint]:
    """Every operation of the contract, in document order (methods in HTTP_METHODS order within a path)."""
    spec = document.spec
    global_security = spec.get("security")
    found: list[Endpoint] = []
    paths = spec.get("paths")
    if not isinstance(paths, Mapping):
        return found
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            tags = operation.get("tags")
            tag = _text(tags[0], 60) if isinstance(tags, list) and tags and isinstance(tags[0], str) else ""
            operation_id = operation.get("operationId") if isinstance(operation.get("operationId"), str) else None
            security = operation["security"] if "security" in operation else global_security
            found.append(
                Endpoint(
                    method=method.upper(),
                    path=str(path),
                    summary=_text(operation.get("summary"))
                    or _first_line(operation.get("description"))
                    or _text(operation_id),
                    operation_id=operation_id,
                    tag=tag or UNTAGGED,
                    deprecated=operation.get("deprecated") is True,
                    secured=_is_secured(security),
                )
            )
    return found


def describe_scheme(scheme: Mapping[str, Any]) -> str:
    kind = scheme.get("type")
    if kind == "http":
        http = str(scheme.get("scheme", "")).lower()
        if http == "bearer":
            bearer_format = _text(scheme.get("bearerFormat"), 20)
            return f"Bearer token ({bearer_format})" if bearer_format else "Bearer token"
        if http == "basic":
            return "HTTP Basic (username and password)"
        return f"HTTP {_text(http, 20) or 'authentication'}"
    if kind == "apiKey":
        where = {"header": "header", "query": "query parameter", "cookie": "cookie"}.get(str(scheme.get("in")), "")
        name = _text(scheme.get("name"), 40)
        return f'API key in {where} "{name}"'.replace("  ", " ") if name else "API key"
    if kind == "oauth2":
        flows = scheme.get("flows")
        names = ", ".join(_text(flow, 30) for flow in flows) if isinstance(flows, Mapping) else ""
        return f"OAuth 2 ({names})" if names else "OAuth 2"
    if kind == "openIdConnect":
        return "OpenID Connect"
    if kind == "mutualTLS":
        return "Mutual TLS"
    return "Unknown scheme"


def summarise(document: ApiDocument) -> ContractSummary:
    spec = document.spec
    components = spec.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    auth = tuple(
        AuthScheme(name=_text(name, 40), description=describe_scheme(scheme))
        for name, scheme in (schemes.items() if isinstance(schemes, Mapping) else ())
        if isinstance(scheme, Mapping)
    )
    servers = spec.get("servers")
    server_urls = tuple(
        _text(server.get("url"), 100)
        for server in (servers if isinstance(servers, list) else [])
        if isinstance(server, Mapping) and isinstance(server.get("url"), str)
    )[:3]

    declared: dict[str, str] = {}
    for tag in spec.get("tags") or []:
        if isinstance(tag, Mapping) and isinstance(tag.get("name"), str):
            declared.setdefault(_text(tag["name"], 60), _text(tag.get("description")))
    by_tag: dict[str, list[Endpoint]] = {name: [] for name in declared}
    for endpoint in endpoints(document):
        by_tag.setdefault(endpoint.tag, []).append(endpoint)
    order = [name for name in by_tag if name != UNTAGGED] + ([UNTAGGED] if UNTAGGED in by_tag else [])
    groups = tuple(
        TagGroup(tag=name, description=declared.get(name, ""), endpoints=tuple(by_tag[name]))
        for name in order
        if by_tag[name]
    )
    return ContractSummary(
        title=document.title,
        version=document.version,
        openapi=document.openapi,
        servers=server_urls,
        auth=auth,
        groups=groups,
    )


def escape_markdown(text: str) -> str:
    """User text made inert for Discord: markdown escaped and mentions broken (`@​everyone`)."""
    return _LINE_START.sub(r"\\\1", _MD_SPECIAL.sub(r"\\\1", text)).replace("@", "@\u200b")


def code_span(text: str) -> str:
    """Inline code for Discord: backticks replaced, mentions broken."""
    return "`" + text.replace("`", "ˋ").replace("@", "@\u200b") + "`"


def render_summary(summary: ContractSummary, max_chars: int = 4000) -> str:
    """The pinned contract as Discord markdown, cut at a whole line with a count of what is left out."""
    head = [f"**{escape_markdown(summary.title)}** · version {code_span(summary.version)} · OpenAPI {summary.openapi}"]
    if summary.auth:
        schemes = "; ".join(f"{escape_markdown(a.description)} ({code_span(a.name)})" for a in summary.auth)
        head.append(f"Auth: {schemes}")
    if summary.servers:
        head.append("Servers: " + ", ".join(code_span(url) for url in summary.servers))
    total = len(summary.endpoints)
    head.append(f"{total} endpoint{'s' if total != 1 else ''}")
    lines = ["\n".join(head)]
    used = len(lines[0])
    shown = 0
    for group in summary.groups:
        title = f"\n**{escape_markdown(group.tag)}**"
        if group.description:
            title += f" — {escape_markdown(group.description)}"
        body = [title]
        for endpoint in group.endpoints:
            line = f"{code_span(endpoint.method)} {code_span(endpoint.path)}"
            if endpoint.summary:
                line += f" — {escape_markdown(endpoint.summary)}"
            if endpoint.deprecated:
                line += " *(deprecated)*"
            body.append(line)
        for index, line in enumerate(body):
            rest = total - shown
            tail = f"\n… and {rest} more endpoint{'s' if rest != 1 else ''}"
            if used + len(line) + 1 + len(tail) > max_chars:
                lines.append(tail.lstrip("\n"))
                return "\n".join(lines)
            lines.append(line)
            used += len(line) + 1
            shown += 1 if index else 0
    return "\n".join(lines)
