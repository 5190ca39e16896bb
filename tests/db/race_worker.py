"""One of two processes racing on one PostgreSQL database (tests/db/test_engines.py starts two).

`python -m tests.db.race_worker URL START_AT OUT`: from the wall clock's START_AT on, in phases both processes
start at the same instants, it announces 40 learners, accepts 100 requests to one learner with one slot,
accepts one request 20 times, answers "going" for 40 members (its own) of a 5-seat session, has 30 learners
send 8 requests each under the 3-waiting limit, and runs the due jobs; it writes what it saw to OUT (JSON).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.errors import UserError
from bot.scheduler import Scheduler
from bot.services import request_limits
from db.engines.postgres import PostgresDatabase
from db.stores.announcements import AnnouncementStore, NewAnnouncement
from db.stores.jobs import Job, JobStore
from db.stores.matching import CapacityReached, MatchingStore, NewPair, RequestClosed, RequestHistory
from db.stores.sessions import SessionStore

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
COHORT = date(2026, 12, 1)
GUILD = 7
RACE_JOB = "race"
PHASE_SECONDS = 0.6


def announcement(user_id: int) -> NewAnnouncement:
    return NewAnnouncement(
        guild_id=GUILD,
        user_id=user_id,
        cohort_start=COHORT,
        project_key="ecommerce",
        track="backend",
        title=f"Project of {user_id} from {os.getpid()}",
        summary="Building a shop",
        stack=("Django",),
        display_name=f"user{user_id}",
    )


async def race(url: str, setup: dict[str, Any]) -> dict[str, Any]:
    async with PostgresDatabase(url) as db:
        announcements, matching, sessions = AnnouncementStore(db), MatchingStore(db), SessionStore(db)

        async def announce(uid: int) -> bool:
            return await announcements.create(announcement(uid), NOW) is not None

        async def accept(request_id: int, frontend: int) -> str:
            try:
                await matching.accept_request(request_id, 1, NewPair(GUILD, 1, frontend, "ecommerce", 50, ""), NOW)
            except CapacityReached:
                return "full"
            except RequestClosed:
                return "closed"
            return "paired"

        async def accept_one() -> str:
            try:
                await matching.accept_request(setup["one_request"], 3, NewPair(GUILD, 3, 2, "ecommerce", 50, ""), NOW)
            except RequestClosed:
                return "closed"
            return "paired"

        async def rsvp(uid: int) -> bool:
            try:
                await sessions.rsvp(setup["session"], uid, "going", NOW)
            except UserError:
                return False
            return True

        async def ask(requester: int, addressee: int) -> bool:
            def check(history: RequestHistory) -> None:
                request_limits.check(history, NOW, f"learner {addressee}", requester)

            try:
                made = await matching.create_request(
                    GUILD,
                    requester,
                    addressee,
                    "command",
                    NOW,
                    NOW + timedelta(hours=72),
                    check=check,
                    since=NOW - request_limits.LOOKBACK,
                )
            except UserError:
                return False
            return made is not None

        ran: list[int] = []
        scheduler = Scheduler(JobStore(db), ManualClock(NOW + timedelta(minutes=1)))

        async def handler(job: Job) -> None:
            ran.append(job.id)
            await asyncio.sleep(0.001)

        scheduler.register(RACE_JOB, handler)

        async def run_jobs() -> None:
            while await scheduler.run_due():
                pass

        phases: tuple[Callable[[], Awaitable[Any]], ...] = (
            lambda: asyncio.gather(*(announce(uid) for uid in range(1, 41))),
            lambda: asyncio.gather(*(accept(rid, 100 + i) for i, rid in enumerate(setup["requests"]))),
            lambda: asyncio.gather(*(accept_one() for _ in range(20))),
            lambda: asyncio.gather(*(rsvp(uid) for uid in range(setup["first_member"], setup["first_member"] + 40))),
            lambda: asyncio.gather(*(ask(r, a) for a in range(500, 508) for r in range(900, 930))),
            run_jobs,
        )
        results: list[Any] = []
        for n, phase in enumerate(phases):
            # Both processes start each phase at the same instant, so their writes overlap.
            await asyncio.sleep(max(0.0, setup["start_at"] + n * PHASE_SECONDS - time.time()))
            results.append(await phase())
        created, accepted, accepted_one, going, asked, _ = results
        return {
            "announced": sum(created),
            "paired": accepted.count("paired"),
            "paired_one": accepted_one.count("paired"),
            "going": sum(going),
            "asked": sum(asked),
            "jobs": ran,
        }


def main() -> None:
    url, start_at, out = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
    setup = {**json.loads(Path(f"{out}.setup").read_text()), "start_at": start_at}
    out.write_text(json.dumps(asyncio.run(race(url, setup))))


if __name__ == "__main__":
    main()
