"""/nexus dashboard and the first-week chart, end to end: the bot and `nexus-bot web` on one database file."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from sandbox.nexus import NexusSandbox
from sandbox.web_process import SECRET, WebProcess, free_port

CHANNEL = "prodevprojectnexus"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/login\?token=[\w.\-]+)")


@pytest.fixture
async def with_web(tmp_path: Path) -> AsyncIterator[tuple[NexusSandbox, int]]:
    port = free_port()
    env = {"WEB_SECRET": SECRET, "WEB_PORT": str(port)}
    harness = NexusSandbox(tmp_path, extra_env=env)
    await harness.start()
    try:
        yield harness, port
    finally:
        await harness.close()
    assert not harness.server.rejections, "\n".join(str(r) for r in harness.server.rejections)


def png_of(result: object) -> Image.Image:
    files = [f for f in result.files if f.filename == "first-week.png"]  # type: ignore[attr-defined]
    assert files, result.describe()  # type: ignore[attr-defined]
    image = Image.open(io.BytesIO(files[0].data))
    assert image.format == "PNG"
    return image


async def test_staff_get_an_ephemeral_link_that_opens_the_cohort_beside_the_running_bot(
    with_web: tuple[NexusSandbox, int],
) -> None:
    nexus, port = with_web
    await nexus.setup_guild()
    await nexus.client.slash("alice", "project announce", project="ecommerce", title="Shop", summary="A shop.")

    result = await nexus.client.slash("erin", "nexus dashboard")
    assert result.ephemeral, result.describe()
    found = LINK.search(result.content)
    assert found and f":{port}/login?token=" in found[1], result.content
    assert "don't share it" in result.content

    web = WebProcess(nexus.db_path, clock_file=nexus.clock_file)
    web.port, web.base_url = port, f"http://127.0.0.1:{port}"
    web.env["WEB_PORT"] = str(port)
    # unsafe=True: aiohttp keeps cookies of an IP address host only when told to.
    async with web, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # bot still runs
        async with session.get(found[1]) as login:
            assert login.status == 200
            assert "HttpOnly" in login.headers["Set-Cookie"] and "SameSite=Strict" in login.headers["Set-Cookie"]
        async with session.get(f"{web.base_url}/") as page:
            html = await page.text()
            assert page.status == 200, html
        async with nexus.db() as db:
            announced = await db.fetchval("SELECT COUNT(*) FROM announcements WHERE withdrawn_at IS NULL")
        guild = nexus.server.world.guild
        track_roles = {guild.role_by_name("Backend").id, guild.role_by_name("Frontend").id}
        learners = [m for m in guild.members.values() if track_roles & set(m.roles)]
        assert f'<b id="fig-announced">{announced}</b>' in html
        assert f'<span id="fig-learners">{len(learners)}</span>' in html
        assert 'id="first-week-chart"' in html
        # The bot still answers while the web reads the same file.
        again = await nexus.client.slash("bob", "project announce", project="ecommerce", title="Cart", summary="UI.")
        assert "Announced" in again.content, again.describe()
    # The web reads NEXUS_CLOCK_FILE like the bot: 16 minutes later the same link is refused.
    nexus.advance(timedelta(minutes=16))
    async with web, aiohttp.ClientSession() as fresh, fresh.get(found[1]) as late:
        assert late.status == 401 and "expired" in await late.text()


async def test_a_learner_is_refused_a_dashboard_link(with_web: tuple[NexusSandbox, int]) -> None:
    nexus, _ = with_web
    await nexus.setup_guild()
    result = await nexus.client.slash("alice", "nexus dashboard")
    assert result.ephemeral
    assert "login?token=" not in result.text
    assert "staff" in result.text.lower(), result.describe()


async def test_without_web_secret_staff_are_told_to_set_it(nexus: NexusSandbox) -> None:
    await nexus.setup_guild()
    result = await nexus.client.slash("erin", "nexus dashboard")
    assert result.ephemeral
    assert "WEB_SECRET" in result.content and "login?token=" not in result.content


async def test_board_and_digest_carry_the_first_week_chart(nexus: NexusSandbox) -> None:
    await nexus.setup_guild(cohort_start="2026-12-07", digest_hour=17)
    await nexus.client.slash("alice", "project announce", project="ecommerce", title="Shop", summary="A shop.")

    board = await nexus.client.slash("erin", "project board")
    assert board.embed is not None and board.embed["image"]["url"].endswith("first-week.png")
    assert png_of(board).width == 800

    nexus.set_time(nexus.now().replace(hour=17, minute=1))
    digest = await nexus.server.wait_for_message(
        CHANNEL, lambda m: bool(m.get("embeds")) and "day 1" in m["embeds"][0].get("title", ""), timeout=15
    )
    [attachment] = digest["attachments"]
    assert attachment["filename"] == "first-week.png"
    stored = nexus.server.state.files[int(attachment["id"])]
    assert Image.open(io.BytesIO(stored.data)).format == "PNG"


async def test_on_postgresql_the_web_reads_the_bots_roster_api_and_dashboard(tmp_path: Path) -> None:
    """DATABASE_URL for both processes: the roster the bot saves at /nexus dashboard reaches the web through the
    database (no file beside it), and the web's cache follows the bot's next commit."""
    from tests.pg import postgres_url

    port = free_port()
    async with postgres_url() as url:
        nexus = NexusSandbox(tmp_path, extra_env={"WEB_SECRET": SECRET, "WEB_PORT": str(port)}, database_url=url)
        await nexus.start()
        try:
            await nexus.setup_guild()
            await nexus.client.slash("alice", "project announce", project="ecommerce", title="Shop", summary="A shop.")
            result = await nexus.client.slash("erin", "nexus dashboard")
            found = LINK.search(result.content)
            assert found, result.describe()
            guild = nexus.server.world.guild
            track_roles = {guild.role_by_name("Backend").id, guild.role_by_name("Frontend").id}
            learners = [m for m in guild.members.values() if track_roles & set(m.roles)]

            web = WebProcess(tmp_path / "no-such.db", clock_file=nexus.clock_file, extra_env={"DATABASE_URL": url})
            web.port, web.base_url = port, f"http://127.0.0.1:{port}"
            web.env["WEB_PORT"] = str(port)
            jar = aiohttp.CookieJar(unsafe=True)
            async with web, aiohttp.ClientSession(cookie_jar=jar) as session:
                async with session.get(f"{web.base_url}/api/v1/guilds") as r:
                    assert r.status == 200
                    assert [g["id"] for g in (await r.json())["data"]] == [str(guild.id)]
                progress_url = f"{web.base_url}/api/v1/guilds/{guild.id}/progress"
                async with session.get(progress_url) as r:
                    progress = (await r.json())["data"]
                    assert r.status == 200 and progress["roster_taken_at"] is not None, progress
                    assert progress["learners"] == len(learners) and progress["announced"] == 1
                async with session.get(found[1]) as login:
                    assert login.status == 200
                async with session.get(f"{web.base_url}/") as page:
                    html = await page.text()
                    assert page.status == 200, html
                assert '<b id="fig-announced">1</b>' in html
                assert f'<span id="fig-learners">{len(learners)}</span>' in html
                again = await nexus.client.slash(
                    "bob", "project announce", project="ecommerce", title="Cart", summary="UI."
                )
                assert "Announced" in again.content, again.describe()
                async with session.get(progress_url) as r:  # the bot's commit moved the change marker
                    assert (await r.json())["data"]["announced"] == 2
        finally:
            await nexus.close()
