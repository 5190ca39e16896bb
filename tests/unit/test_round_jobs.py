"""A round's commit (pairs, number, summary, jobs in one transaction) and resumable jobs, on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app.ui import clip_lines
from bot.clock import FileClock, write_clock_file
from bot.scheduler import MAX_ATTEMPTS, JobSteps, Scheduler, nonce_for
from bot.services import pairing
from db.database import Database
from db.stores.jobs import Job, JobStore
from db.stores.matching import MatchingStore, NewPair, NewProfile, Pair, RoundJobs

NOW = datetime(2026, 12, 8, 10, tzinfo=UTC)
GUILD = 7
KINDS = RoundJobs(pair="p", unmatched="u", moot="m", summary="s")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "n.db") as database:
        await database.migrate()
        yield database


def profile(user_id: int, max_partners: int = 1) -> NewProfile:
    return NewProfile(GUILD, user_id, "UTC", "weekdays 18-22", '{"v":1,"r":[]}', max_partners=max_partners)


def summarize(made: list[Pair], skipped: list[NewPair]) -> tuple[dict[str, Any], dict[int, str]]:
    unmatched = {uid: "slot taken" for p in skipped for uid in (p.backend_id, p.frontend_id)}
    return {"total_pairs": len(made), "unmatched": {str(k): v for k, v in unmatched.items()}}, unmatched


async def test_commit_round_numbers_real_rounds_skips_taken_slots_and_closes_moot_requests(db: Database) -> None:
    store = MatchingStore(db)
    for uid in (1, 2, 3, 4):
        await store.join(profile(uid), NOW)
    # 4 asked 1 before the round; 3 asked 2. The round pairs 1+2 and 1+4 (1 has one slot: 1+4 is skipped).
    to_one = await store.create_request(GUILD, 4, 1, "command", NOW, NOW + timedelta(hours=72))
    between = await store.create_request(GUILD, 2, 1, "command", NOW, NOW + timedelta(hours=72))
    assert to_one is not None and between is not None
    dry = await store.start_round(GUILD, None, 99, True, NOW)
    await store.finish_round(dry.id, "done", {}, NOW)
    real = await store.start_round(GUILD, None, 99, False, NOW)
    pairs = [NewPair(GUILD, 1, 2, "ecommerce", 80, "x"), NewPair(GUILD, 1, 4, "ecommerce", 70, "y")]
    outcome = await store.commit_round(real.id, pairs, summarize, KINDS, NOW)

    assert outcome.round.number == 1 and outcome.round.status == "done"  # the dry run took no number
    assert [(p.backend_id, p.frontend_id) for p in outcome.pairs] == [(1, 2)]
    assert [(p.backend_id, p.frontend_id) for p in outcome.skipped] == [(1, 4)]
    assert outcome.unmatched == {1: "slot taken", 4: "slot taken"}
    assert sorted((m.request.id, m.reason) for m in outcome.moot) == [
        (to_one.id, "addressee_full"),
        (between.id, "paired_together"),
    ]
    assert {r.status for r in (await store.get_request(to_one.id), await store.get_request(between.id)) if r} == {
        "cancelled"
    }
    jobs = [await JobStore(db).get(j) for j in outcome.job_ids]
    assert sorted(j.kind for j in jobs if j) == ["m", "m", "p", "s", "u", "u"]
    assert (await store.get_profile(GUILD, 4)).active_pairs == 0  # type: ignore[union-attr]  # rolled back

    second = await store.start_round(GUILD, None, 99, False, NOW)
    again = await store.commit_round(second.id, [], summarize, KINDS, NOW)
    assert again.round.number == 2 and await store.next_round_number(GUILD) == 3
    last = await store.last_real_round(GUILD)
    assert last is not None and last.id == second.id


async def test_a_round_failing_inside_its_commit_leaves_nothing(db: Database) -> None:
    store = MatchingStore(db)
    for uid in (1, 2):
        await store.join(profile(uid), NOW)
    real = await store.start_round(GUILD, None, 99, False, NOW)

    def broken(made: list[Pair], skipped: list[NewPair]) -> tuple[dict[str, Any], dict[int, str]]:
        raise RuntimeError("killed mid-commit")

    with pytest.raises(RuntimeError):
        await store.commit_round(real.id, [NewPair(GUILD, 1, 2, "ecommerce", 80, "x")], broken, KINDS, NOW)
    assert await store.active_pairs(GUILD) == []
    assert await db.fetchval("SELECT COUNT(*) FROM jobs") == 0
    assert (await store.get_profile(GUILD, 1)).active_pairs == 0  # type: ignore[union-attr]
    assert await store.fail_stale_rounds(NOW) == 1  # what the next start does; a rerun can start over


async def test_a_resumable_job_cut_short_runs_again_skipping_its_done_steps(tmp_path: Path, db: Database) -> None:
    clock_file = tmp_path / "clock"
    write_clock_file(clock_file, NOW)
    jobs = JobStore(db)
    steps_run: list[str] = []

    async def handler(job: Job) -> None:
        steps = JobSteps(jobs, job)
        for step in ("thread", "dm:1", "dm:2"):
            await steps.run(step, lambda s=step: _record(steps_run, s))  # type: ignore[misc]

    # The killed process had claimed the job and finished its first step.
    job_id = await jobs.schedule("pair", NOW, {"pair_id": 5}, NOW, "pair:5")
    once = await jobs.schedule("once", NOW, {}, NOW, "once:1")
    assert job_id is not None and once is not None
    assert await jobs.start(job_id, NOW) and await jobs.claim(once, NOW)
    await jobs.save_progress(job_id, {"pair_id": 5, "done": ["thread"]})

    restarted = Scheduler(jobs, FileClock(clock_file))
    restarted.register("pair", handler, resumable=True)
    ran_once: list[int] = []

    async def once_handler(job: Job) -> None:
        ran_once.append(job.id)

    restarted.register("once", once_handler)
    assert await restarted.run_due() == 1
    assert steps_run == ["dm:1", "dm:2"] and ran_once == []  # a job claimed the old way never runs twice
    done = await jobs.get(job_id)
    assert done is not None and done.status == "done" and done.payload["done"] == ["dm:1", "dm:2", "thread"]
    assert await restarted.run_due() == 0


async def test_a_job_interrupted_too_often_is_given_up(db: Database) -> None:
    jobs = JobStore(db)
    job_id = await jobs.schedule("pair", NOW, {}, NOW, "pair:9")
    assert job_id is not None
    for _ in range(MAX_ATTEMPTS):
        assert await jobs.start(job_id, NOW)
        await jobs.release_started(MAX_ATTEMPTS)
    job = await jobs.get(job_id)
    assert job is not None and job.status == "failed" and job.attempts == MAX_ATTEMPTS


def test_nonces_fit_discord_and_differ_per_message() -> None:
    a, b = nonce_for("pair-dm", 5, 111), nonce_for("pair-dm", 5, 112)
    assert len(a) <= 25 and a != b and a == nonce_for("pair-dm", 5, 111)


def test_pairs_export_cells_are_formula_safe() -> None:
    pair = Pair(1, GUILD, 1, 2, "ecommerce", 80, "x", "round", 3, None, 10, "ended", NOW, NOW, "=HYPERLINK()")
    export = pairing.pairs_csv([(pair, 1)], {1: "@alice", 2: "Bob"}, NOW)
    assert export.rows == 1 and export.filename.startswith("pairs-")
    line = export.text.splitlines()[1]
    assert "'@alice" in line and "'=HYPERLINK()" in line


async def _record(out: list[str], step: str) -> None:
    out.append(step)


def test_staff_lists_keep_whole_lines_and_point_to_the_export() -> None:
    lines = [f"Learner{n:05d}: all compatible partners are at capacity" for n in range(40)]
    text = clip_lines(lines, 1024, "`/nexus export what:unmatched`")
    shown = text.splitlines()
    assert len(text) <= 1024 and shown[-1].startswith("…and ") and shown[-1].endswith("what:unmatched`")
    assert all(line in lines for line in shown[:-1]) and int(shown[-1].split()[1]) == 40 - (len(shown) - 1)
    assert clip_lines(lines[:3], 1024, "x") == "\n".join(lines[:3])
