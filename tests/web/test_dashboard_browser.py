"""The staff dashboard in a real headless Chromium, through a signed link: figures from the database, the chart
drawn, 401 for an expired or forged link and without a session."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image

from bot.services.charts import TRACK_COLOURS
from bot.web import links
from bot.web.app import RateLimiter, create_app
from sandbox.web_process import free_port
from tests.web.browser import chromium_path, dump_dom, screenshot
from tests.web.conftest import GUILD, SECRET, Api, make_api


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Api, str]]:
    """The seeded app on a real TCP port, so Chromium can load it."""
    chromium_path()
    async for api in make_api(tmp_path):
        app = create_app(api.services, api.clock, secret=SECRET, limiter=RateLimiter(rate=1000, burst=1000))
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield api, f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


def link_for(api: Api, base: str) -> str:
    return links.dashboard_link(SECRET, base, GUILD, api.clock.now())[0]


def figure(dom: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}">(\d+)%?<', dom)
    assert found, f"no #{element_id} in the page"
    return int(found[1])


async def test_the_dashboard_in_chromium_shows_the_database_figures_and_draws_the_chart(
    served: tuple[Api, str], tmp_path: Path
) -> None:
    api, base = served
    dom = await dump_dom(link_for(api, base))
    assert "<title>Dashboard · Nexus Bot</title>" in dom, dom[:500]

    async with api.services.db.transaction() as conn:
        rows = await (
            await conn.execute(
                "SELECT project_key, track, COUNT(*) AS n FROM announcements WHERE withdrawn_at IS NULL "
                "GROUP BY project_key, track"
            )
        ).fetchall()
    counts = {(r["project_key"], r["track"]): r["n"] for r in rows}
    assert figure(dom, "fig-announced") == sum(counts.values()) == api.seeded.announced
    assert figure(dom, "fig-learners") == api.seeded.learners
    assert figure(dom, "fig-pairs") == api.seeded.pairs
    bars = {
        (m["project"], m["track"]): (int(m["value"]), int(m["width"]))
        for m in re.finditer(
            r'<rect class="bar" data-project="(?P<project>[^"]+)" data-track="(?P<track>\w+)" '
            r'data-value="(?P<value>\d+)" x="\d+" y="\d+" width="(?P<width>\d+)"',
            dom,
        )
    }
    for key, n in counts.items():
        assert bars[key][0] == n and bars[key][1] > 0, key
    assert f"Not announced yet ({len(api.seeded.not_announced)})" in dom
    assert api.seeded.not_announced[0] in dom
    assert f"Unmatched learners after round 1 ({len(api.seeded.unmatched)})" in dom
    assert "Django REST office hours" in dom and "WebSockets 101" in dom

    # Drawn, not only present: the screenshot has the Backend bars' colour, on a desktop and on a phone.
    for width, height in ((1000, 1400), (390, 844)):
        shot = await screenshot(link_for(api, base), tmp_path / f"dash-{width}.png", width, height)
        colours = {colour for _, colour in Image.open(shot).convert("RGB").getcolors(1 << 20) or []}
        assert TRACK_COLOURS["backend"] in colours and TRACK_COLOURS["frontend"] in colours


async def test_an_expired_link_gets_401(served: tuple[Api, str]) -> None:
    api, base = served
    link = link_for(api, base)
    api.clock.at += timedelta(seconds=links.LINK_SECONDS + 1)
    dom = await dump_dom(link)
    assert "This link has expired." in dom and 'id="fig-announced"' not in dom
    async with api.client.get(link.removeprefix(base)) as response:
        assert response.status == 401


async def test_a_forged_or_tampered_link_gets_401(served: tuple[Api, str]) -> None:
    api, base = served
    expires = int(api.clock.now().timestamp()) + 600
    forged = links.sign("another-secret-" + "x" * 32, "link", GUILD, expires)
    genuine = link_for(api, base).split("token=")[1]
    other_guild = genuine.replace(str(GUILD), str(GUILD + 1), 1)  # the signature covers the guild
    as_session = links.sign(SECRET, "session", GUILD, expires)  # a cookie value is not a link
    for token in (forged, other_guild, as_session, "x" * 500):
        dom = await dump_dom(f"{base}/login?token={token}")
        assert "This link is not valid." in dom, token
        async with api.client.get(f"/login?token={token}") as response:
            assert response.status == 401


async def test_without_a_session_the_dashboard_is_401(served: tuple[Api, str]) -> None:
    api, base = served
    dom = await dump_dom(f"{base}/")
    assert "You are not signed in" in dom and "Learner " not in dom
    async with api.client.get(
        "/", cookies={"nexus_session": links.sign("wrong-" + "k" * 32, "session", GUILD, 2**40)}
    ) as r:
        assert r.status == 401


async def test_the_pairs_table_shows_each_pairs_kind_check_in_answers_and_health(served: tuple[Api, str]) -> None:
    api, base = served
    services = api.services
    pairs = await services.matching.store.active_pairs(GUILD)
    met, quiet, waiting = pairs[:3]
    for n, p in enumerate((met, quiet, waiting)):
        await services.matching.set_thread(p.id, 8000 + n)
    for p in (met, quiet):
        fresh = await services.matching.get_pair(p.id)
        assert fresh is not None
        await services.pair_health.asked(fresh, 3, api.clock.now())
    await services.pair_health.answer(met.id, 3, met.frontend_id, "met")
    await services.pair_health.store.mark_inactive(quiet.id, quiet.backend_id, api.clock.now())
    async with services.db.transaction() as conn:  # a last-resort pair, as a balanced round makes them
        await conn.execute("UPDATE pairs SET kind = 'async' WHERE id = ?", (waiting.id,))
    names = {e.user_id: e.name for e in (await services.view.roster_of(GUILD) or pytest.fail("no roster")).learners}

    dom = await dump_dom(link_for(api, base))

    def row(pair_id: int) -> dict[str, str]:
        found = re.search(rf'<tr data-pair="{pair_id}">(.*?)</tr>', dom)
        assert found, f"no row for pair {pair_id}"
        cells = re.findall(r'<td(?: class="([\w ]+)")?>(.*?)</td>', found[1])
        return {cls.split()[0]: text for cls, text in cells if cls and cls != "num"}

    assert row(met.id) == {
        "kind": "partner",
        "checkin": f"day 3: {names[met.backend_id]}: no answer · {names[met.frontend_id]}: We've met",
        "health": "met",
    }
    assert row(quiet.id)["health"] == f"inactive partner: {names[quiet.backend_id]}"
    assert 'class="health bad">inactive partner' in dom
    assert row(waiting.id) == {"kind": "async", "checkin": "—", "health": "no check-in yet"}
    assert re.search(r'id="fig-met-rate">1 of 2 pairs \(50%\)<', dom) and 'id="fig-inactive">1<' in dom
