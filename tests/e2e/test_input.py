"""Forgiving input end to end: time zones as people type them, 12-hour times, did-you-mean, retried forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.client import modal_values

CHANNEL = "prodevprojectnexus"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday


async def start(nexus: Any) -> None:
    nexus.set_time(T0)
    await nexus.setup_guild()


async def test_utc_offsets_and_abbreviations_pick_a_zone_with_that_offset(nexus: Any) -> None:
    await start(nexus)
    # Autocomplete: UTC+1 offers West African zones first and never Etc/GMT+1 (which is UTC-1).
    for command in ("project announce", "match join", "session create"):
        zones = await nexus.client.autocomplete("alice", command, focused="timezone", value="UTC+1")
        values = [c["value"] for c in zones]
        assert values[0] == "Africa/Lagos" and "Etc/GMT+1" not in values, values
        assert all("UTC+01:00" in c["name"] for c in zones), zones
    eat = await nexus.client.autocomplete("bob", "match join", focused="timezone", value="EAT")
    assert eat[0]["value"] == "Africa/Nairobi" and all("UTC+03:00" in c["name"] for c in eat)

    # Every command that takes a time zone accepts offsets and abbreviations and says which zone it chose.
    announced = await nexus.client.slash(
        "alice", "project announce", project="ecommerce", title="ShopLite", summary="A shop.", timezone="WAT"
    )
    assert "Announced" in announced.content and "`WAT` read as Africa/Lagos (UTC+01:00)" in announced.content
    edited = await nexus.client.slash("alice", "project edit", timezone="GMT+03:00")
    assert "`GMT+03:00` read as Africa/Nairobi (UTC+03:00)" in edited.content, edited.describe()
    joined = await nexus.client.slash(
        "alice", "match join", timezone="UTC+1", availability="weekdays 18-22", offers="django"
    )
    assert "`UTC+1` read as Africa/Lagos (UTC+01:00)" in joined.embed["description"], joined.describe()
    async with nexus.db() as db:
        assert await db.fetchval("SELECT timezone FROM announcements") == "Africa/Nairobi"
        assert await db.fetchval("SELECT timezone FROM match_profiles") == "Africa/Lagos"

    session = await nexus.client.slash(
        "alice", "session create", title="Standup", when="2026-12-01 18:00", duration=30, timezone="EST"
    )
    assert session.ephemeral and not session.error_id_seen, session.describe()
    assert "America/New_York" in session.content and "daylight saving" in session.content
    async with nexus.db() as db:
        row = await db.fetchone("SELECT starts_at, timezone FROM study_sessions")
    # 18:00 in New York in December (EST, UTC-5) is 23:00 UTC.
    assert (datetime.fromisoformat(row["starts_at"]), row["timezone"]) == (
        datetime(2026, 12, 1, 23, 0, tzinfo=UTC),
        "America/New_York",
    )

    impossible = await nexus.client.slash("bob", "match join", timezone="UTC+15")
    assert impossible.ephemeral and "UTC-12 to UTC+14" in impossible.content


async def test_typos_get_did_you_mean_and_a_refused_join_reopens_with_its_text(nexus: Any) -> None:
    await start(nexus)
    typo = await nexus.client.slash(
        "alice", "project announce", project="ecomerce", title="ShopLite", summary="A shop.", timezone="WAT"
    )
    assert typo.ephemeral and "Did you mean E-Commerce (`ecommerce`)?" in typo.content, typo.describe()
    ok = await nexus.client.slash("alice", "project announce", project="ecommerce", title="ShopLite", summary="A shop.")
    assert "Announced" in ok.content

    # A misspelt day: refused with the nearest day and the corrected text, and nothing typed is lost.
    bad = await nexus.client.slash(
        "alice", "match join", timezone="UTC+1", availability="wekdays 18-22, sat 10am-2pm", offers="css, djnago"
    )
    assert bad.ephemeral and not bad.error_id_seen
    assert "did you mean `weekdays`?" in bad.content and "Try `weekdays 18-22, sat 10am-2pm`." in bad.content
    assert "Did you mean `django` for `djnago`?" in bad.content  # every bad option is named at once
    assert [b["label"] for b in bad.buttons()] == ["Edit and retry"]
    async with nexus.db() as db:
        assert await db.fetchval("SELECT COUNT(*) FROM match_profiles") == 0
    stranger = await nexus.client.click("bob", bad, "Edit and retry")
    assert stranger.ephemeral and stranger.modal is None  # only alice's form
    form = await nexus.client.click("alice", bad, "Edit and retry")
    assert form.modal is not None, form.describe()
    assert modal_values(form.modal) == {
        "Time zone": "UTC+1",
        "Availability (your time)": "wekdays 18-22, sat 10am-2pm",
        "Offers (skills, comma-separated)": "css, djnago",
        "Wants (skills, comma-separated)": None,
    }
    # Fixing only the day still trips on the skill typo: the form comes back again with the new text.
    fixed_day = {"Availability (your time)": "weekdays 6-10pm, sat 10am-2pm"}
    again = await nexus.client.submit_modal("alice", form, fixed_day)
    assert "Did you mean `django` for `djnago`?" in again.content and "Try `css, django`." in again.content
    form2 = await nexus.client.click("alice", again, "Edit and retry")
    assert modal_values(form2.modal)["Availability (your time)"] == "weekdays 6-10pm, sat 10am-2pm"
    joined = await nexus.client.submit_modal("alice", form2, {"Offers (skills, comma-separated)": "css, django"})
    assert joined.ephemeral and not joined.error_id_seen, joined.describe()
    fields = {f["name"]: f["value"] for f in joined.embed["fields"]}
    assert fields["Free each week (your time)"] == "Mon–Fri 18:00–22:00, Sat 10:00–14:00"
    assert fields["Offers"] == "css, django"
    async with nexus.db() as db:
        row = await db.fetchone("SELECT timezone, availability_text, offers FROM match_profiles")
    assert (row["timezone"], row["availability_text"], row["offers"]) == (
        "Africa/Lagos",
        "weekdays 6-10pm, sat 10am-2pm",
        "css,django",
    )

    # Staff commands and sessions name the nearest project too.
    run = await nexus.client.slash("erin", "match run", project="ecomerce", dry_run=True)
    assert run.ephemeral and "Did you mean E-Commerce" in run.content, run.describe()
    session = await nexus.client.slash(
        "alice", "session create", title="Cart review", when="tomorrow 6pm", duration=30, project="ecomerce"
    )
    assert session.ephemeral and "Did you mean E-Commerce" in session.content
    named = await nexus.client.slash(
        "alice", "session create", title="Cart review", when="tomorrow 6pm", duration=30, project="ecommerce"
    )
    assert "posted" in named.content, named.describe()
    async with nexus.db() as db:
        assert await db.fetchval("SELECT project FROM study_sessions") == "E-Commerce"


async def test_a_refused_learning_suggestion_reopens_with_its_text(nexus: Any) -> None:
    await start(nexus)
    suggestion = {
        "Title": "CSS Grid layouts",
        "Category": "misc",
        "Summary (one or two sentences)": "Two-dimensional layouts with grid-template-areas.",
        "Body (markdown: when to use it, pitfalls)": "Name your areas; avoid fixed heights.",
        "Resources: one `Title | https://url` a line": "MDN grid | https://developer.mozilla.org/en-US/docs/Web/CSS/grid",
    }
    form = await nexus.client.slash("bob", "learn suggest")
    refused = await nexus.client.submit_modal("bob", form, suggestion)
    assert refused.ephemeral and "not a category" in refused.content and not refused.error_id_seen
    reopened = await nexus.client.click("bob", refused, "Edit and retry")
    assert reopened.modal is not None
    assert modal_values(reopened.modal) == suggestion  # everything typed is still there
    saved = await nexus.client.submit_modal("bob", reopened, {"Category": "frontend"})
    assert saved.ephemeral and not saved.error_id_seen, saved.describe()
    async with nexus.db() as db:
        row = await db.fetchone("SELECT category, status, author_id FROM topics WHERE slug = 'css-grid-layouts'")
    assert (row["category"], row["status"]) == ("frontend", "pending")
