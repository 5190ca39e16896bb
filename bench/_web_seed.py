"""A cohort written straight through the stores, for the web's tests and its bench (not a benchmark itself).

Learners alternate Backend/Frontend; two in three announce (posted in the channel), spread over the catalog;
one round pairs the first announced Backend and Frontend learners of each project and leaves one unmatched;
two sessions and one pending topic suggestion. The roster snapshot is saved as the bot would save it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.services.container import Services
from db.stores.announcements import NewAnnouncement
from db.stores.matching import MatchingStore, NewPair, NewProfile, Pair, RoundJobs
from db.stores.sessions import SessionStore
from db.stores.topics import TopicDraft

CHANNEL_ID = 555_000_000_000_000_001
PROJECTS = ("ecommerce", "social-feed", "movie-recommendation", "job-board", "online-poll")


@dataclass(frozen=True)
class Seeded:
    guild_id: int
    cohort_start: date
    learners: int
    announced: int
    announced_ids: list[int]
    counts: dict[tuple[str, str], int]
    not_announced: list[str]
    pairs: int
    unmatched: dict[int, str]


def learner_id(guild_id: int, n: int) -> int:
    return guild_id * 10 + 1_000_000 + n


async def seed_cohort(
    services: Services, guild_id: int, learners: int, now: datetime, *, with_round: bool = True
) -> Seeded:
    start = (now - timedelta(days=2)).date()
    await services.staff.setup(guild_id, CHANNEL_ID, start.isoformat(), {})
    store = services.announcements.store
    counts: dict[tuple[str, str], int] = {}
    roster: dict[int, tuple[str, tuple[str, ...]]] = {}
    announced_ids, not_announced = [], []
    by_track: dict[tuple[str, str], list[int]] = {}
    for n in range(learners):
        uid = learner_id(guild_id, n)
        track = "backend" if n % 2 == 0 else "frontend"
        name = f"Learner {n:05d}"
        roster[uid] = (name, (track,))
        if n % 3 == 2:
            not_announced.append(name)
            continue
        project = PROJECTS[(n // 2) % len(PROJECTS)]
        created = await store.create(
            NewAnnouncement(
                guild_id,
                uid,
                start,
                project,
                track,
                f"Capstone {n} on {project}",
                "A capstone built in public.",
                ("python",),
                None,
                None,
                True,
                name,
            ),
            now - timedelta(minutes=learners - n),
        )
        assert created is not None
        announcement_id = created.announcement.id
        await store.set_message(announcement_id, CHANNEL_ID, 900_000_000_000_000_000 + announcement_id)
        announced_ids.append(announcement_id)
        counts[(project, track)] = counts.get((project, track), 0) + 1
        by_track.setdefault((project, track), []).append(uid)
    await services.view.save_roster(guild_id, roster)

    pairs = 0
    unmatched: dict[int, str] = {}
    if with_round:
        matching = MatchingStore(services.db)
        planned = []
        for project in PROJECTS:
            backends, frontends = by_track.get((project, "backend"), []), by_track.get((project, "frontend"), [])
            if backends and frontends:
                planned.append(NewPair(guild_id, backends[0], frontends[0], project, 80, "same project"))
                if len(backends) > 1:
                    unmatched.setdefault(backends[1], "no Frontend learner on the project is looking")
        for p in planned:
            for uid in (p.backend_id, p.frontend_id):
                await matching.join(NewProfile(guild_id, uid, "UTC", "weekdays 18-22", '{"v":1,"r":[]}'), now)
        real = await matching.start_round(guild_id, None, 1, False, now)

        def summarize(made: list[Pair], skipped: list[NewPair]) -> tuple[dict[str, Any], dict[int, str]]:
            return {"total_pairs": len(made), "unmatched": {str(k): v for k, v in unmatched.items()}}, unmatched

        outcome = await matching.commit_round(real.id, planned, summarize, RoundJobs("p", "u", "m", "s"), now)
        pairs = len(outcome.pairs)

    sessions = SessionStore(services.db)
    for i, title in enumerate(("Django REST office hours", "React state, pairs welcome")):
        await sessions.create(
            guild_id=guild_id,
            creator_id=learner_id(guild_id, i),
            title=title,
            starts_at=now + timedelta(days=1 + i, hours=2),
            duration_minutes=60,
            timezone="UTC",
            topic=None,
            project=None,
            capacity=10 if i else None,
            channel_id=CHANNEL_ID,
            now=now,
        )
    await services.learning.store.create(
        "websockets-101",
        TopicDraft("WebSockets 101", "technologies", "Push updates to the browser.", "Start with a ping."),
        now,
        author_id=learner_id(guild_id, 0),
        guild_id=guild_id,
    )
    return Seeded(
        guild_id, start, learners, len(announced_ids), announced_ids, counts, sorted(not_announced), pairs, unmatched
    )
