"""WEB_* settings, signed links and cookies, and `nexus-bot web` refusing a bad database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.cli import StartupError, run_web
from bot.config import ConfigError, load_settings
from bot.web import links
from bot.web.app import create_app
from db.database import Database
from tests.web.conftest import GUILD, SECRET, Api

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def settings(tmp_path: Path, **env: str) -> object:
    return load_settings({"DATABASE_PATH": str(tmp_path / "n.db"), **env}, dotenv_path=None, require_token=False)


def test_web_settings_default_to_localhost_8080_and_links_follow_host_and_port(tmp_path: Path) -> None:
    s = load_settings({"DATABASE_PATH": str(tmp_path / "n.db")}, dotenv_path=None, require_token=False)
    assert (s.web_host, s.web_port, s.web_base_url, s.web_secret) == ("127.0.0.1", 8080, "http://127.0.0.1:8080", None)
    s = load_settings(
        {"DATABASE_PATH": str(tmp_path / "n.db"), "WEB_HOST": "0.0.0.0", "WEB_PORT": "9000", "WEB_SECRET": SECRET},
        dotenv_path=None,
        require_token=False,
    )
    assert s.web_base_url == "http://0.0.0.0:9000" and SECRET not in repr(s)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WEB_PORT": "0"}, "WEB_PORT"),
        ({"WEB_PORT": "http"}, "WEB_PORT"),
        ({"WEB_PORT": "70000"}, "WEB_PORT"),
        ({"WEB_HOST": "a b"}, "WEB_HOST"),
        ({"WEB_BASE_URL": "ftp://x"}, "WEB_BASE_URL"),
        ({"WEB_SECRET": "s3cr3t-value"}, "WEB_SECRET"),
    ],
)
def test_bad_web_settings_stop_the_start_naming_the_setting(tmp_path: Path, env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as raised:
        load_settings({"DATABASE_PATH": str(tmp_path / "n.db"), **env}, dotenv_path=None, require_token=False)
    assert "s3cr3t-value" not in str(raised.value)  # a secret is never echoed


def test_a_link_verifies_until_it_expires_and_nothing_else_does() -> None:
    link, expires = links.dashboard_link(SECRET, "https://nexus.example/", GUILD, NOW)
    assert link.startswith("https://nexus.example/login?token=") and expires == NOW.timestamp() + links.LINK_SECONDS
    token = link.split("token=")[1]
    assert links.verify(SECRET, "link", token, NOW + timedelta(minutes=14)).guild_id == GUILD
    for when, kind, secret, bad in (
        (NOW + timedelta(minutes=15), "link", SECRET, "expired"),
        (NOW, "session", SECRET, "forged"),  # a link is not a cookie
        (NOW, "link", SECRET + "x", "forged"),
    ):
        with pytest.raises(links.BadToken, match=bad):
            links.verify(secret, kind, token, when)
    for mangled in ("", "1.2.3", "a.b.c.d", token + "x", token.replace(".", "..", 1), "9" * 300):
        with pytest.raises(links.BadToken):
            links.verify(SECRET, "link", mangled, NOW)


async def test_the_session_cookie_is_secure_behind_https(api: Api) -> None:
    app = create_app(api.services, api.clock, secret=SECRET, secure_cookie=True)
    async with TestClient(TestServer(app)) as client:
        link = links.dashboard_link(SECRET, "", GUILD, api.clock.now())[0]
        async with client.get(link) as response:
            cookie = response.headers["Set-Cookie"]
            assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_without_web_secret_the_dashboard_says_staff_must_set_it(api: Api) -> None:
    app = create_app(api.services, api.clock, secret=None)
    async with TestClient(TestServer(app)) as client, client.get("/") as response:
        assert response.status == 503 and "WEB_SECRET" in await response.text()


async def test_nexus_bot_web_refuses_a_missing_or_unmigrated_database(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="does not exist yet"):
        await run_web(settings(tmp_path))  # type: ignore[arg-type]
    async with Database(tmp_path / "n.db"):
        pass  # created, never migrated
    with pytest.raises(StartupError, match="schema version 0"):
        await run_web(settings(tmp_path))  # type: ignore[arg-type]
