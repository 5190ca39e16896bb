"""Forgiving input end to end: time zones as people type them, 12-hour times, did-you-mean, retried forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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
