"""The staff dashboard at `/`: a signed link from `/nexus dashboard` → a session cookie → server-rendered HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.clock import Clock
from bot.errors import NotFound
from bot.services.charts import chart_rows
from bot.services.first_week import days_left_text
from bot.web import links
from bot.web.api import SERVICES
from bot.web.cache import CACHE
from bot.web.svg import first_week_svg

COOKIE = "nexus_session"
SECRET: web.AppKey[str | None] = web.AppKey("secret", str)
CLOCK: web.AppKey[Clock] = web.AppKey("clock", Clock)  # type: ignore[type-abstract]
SECURE: web.AppKey[bool] = web.AppKey("secure_cookie", bool)

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

HTML_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def page(name: str, status: int = 200, **values: Any) -> web.Response:
    return web.Response(
        status=status,
        text=templates.get_template(name).render(**values),
        content_type="text/html",
        charset="utf-8",
        headers=HTML_HEADERS,
    )


def message(status: int, title: str, text: str, refresh: str | None = None) -> web.Response:
    return page("message.html", status, title=title, message=text, refresh=refresh)


def unauthorised(why: str) -> web.Response:
    return message(
        401,
        "Sign in with a staff link",
        f"{why} Staff get a link with /nexus dashboard in Discord; it works for 15 minutes.",
    )


def secret_of(request: web.Request) -> str:
    secret = request.app[SECRET]
    if not secret:
        raise web.HTTPServiceUnavailable(
            text="The dashboard is off: staff must set WEB_SECRET (the same in the bot's and the web's settings).",
            headers=HTML_HEADERS,
        )
    return secret


async def login(request: web.Request) -> web.Response:
    secret = secret_of(request)
    if set(request.query) - {"token"} or len(request.query.getall("token", [])) != 1:
        return message(400, "Not a dashboard link", "Open the link exactly as /nexus dashboard gave it.")
    now = request.app[CLOCK].now()
    try:
        grant = links.verify(secret, "link", request.query["token"], now)
    except links.BadToken as exc:
        reason = "This link has expired." if str(exc) == "expired" else "This link is not valid."
        return unauthorised(reason)
    expires = int(now.timestamp()) + links.SESSION_SECONDS
    # The page refreshes to `/`: a SameSite=Strict cookie set on a navigation that came from Discord is only sent
    # on a navigation that starts on this site.
    response = message(200, "Signed in", "Opening the dashboard…", refresh="/")
    response.set_cookie(
        COOKIE,
        links.sign(secret, "session", grant.guild_id, expires),
        max_age=links.SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[SECURE] or request.secure,
    )
    return response


def session_guild(request: web.Request) -> tuple[int, int] | None:
    """(guild id, expiry) of a valid session cookie."""
    secret = request.app[SECRET]
    token = request.cookies.get(COOKIE)
    if not secret or not token:
        return None
    try:
        grant = links.verify(secret, "session", token, request.app[CLOCK].now())
    except links.BadToken:
        return None
    return grant.guild_id, grant.expires


async def home(request: web.Request) -> web.Response:
    secret_of(request)
    found = session_guild(request)
    if found is None:
        return unauthorised("You are not signed in, or your session has ended.")
    guild_id, expires = found
    try:
        view = request.app[SERVICES].view
        dashboard = await request.app[CACHE].get(
            await view.version(), ("dashboard", guild_id), lambda: view.dashboard(guild_id)
        )
    except NotFound:
        return message(404, "Server not set up", f"Server {guild_id} is not set up with Nexus Bot (/nexus setup).")
    chart = dashboard.progress.chart
    return page(
        "dashboard.html",
        d=dashboard,
        guild_id=guild_id,
        chart=first_week_svg(chart),
        rows=chart_rows(chart),
        when=days_left_text(chart.days_left, chart.over),
        session_ends=datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M"),
    )
