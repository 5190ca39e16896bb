"""The PostgreSQL engine: migrations in step with SQLite's, SQL translation, and rules under several processes."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from db.database import MIGRATIONS_DIR, discover_migrations
from db.engines import is_postgres_url, open_database, redact_url
from db.engines.postgres import POSTGRES_MIGRATIONS_DIR, PostgresDatabase, missing_twins
from db.engines.sql import translate
from db.stores.jobs import JobStore
from db.stores.matching import MatchingStore, NewProfile
from db.stores.sessions import SessionStore


def test_every_migration_has_a_postgres_twin_with_the_same_number_and_name() -> None:
    sqlite = [(m.version, m.path.name) for m in discover_migrations(MIGRATIONS_DIR)]
    postgres = [(m.version, m.path.name) for m in discover_migrations(POSTGRES_MIGRATIONS_DIR)]
    missing = missing_twins()
    assert not missing, f"add db/migrations/postgres/ twins (or remove strays): {missing}"
    assert postgres == sqlite


def test_a_missing_twin_is_named(tmp_path: Path) -> None:
    root = tmp_path
    (root / "postgres").mkdir()
    (root / "0001_a.sql").write_text("")
    (root / "0002_b.sql").write_text("")
    (root / "postgres" / "0001_a.sql").write_text("")
    assert missing_twins(root, root / "postgres") == ["0002_b.sql"]


def test_placeholders_become_numbered_outside_literals_and_casts() -> None:
    t = translate("SELECT '?', \"a?\", x::text FROM t WHERE a = ? AND b = ? -- what?\n AND c = ?")
    assert t.sql == "SELECT '?', \"a?\", x::text FROM t WHERE a = $1 AND b = $2 -- what?\n AND c = $3"
    assert t.positional == 3 and t.returns_rows
    named = translate("SELECT :a, :b, :a")
    assert named.sql == "SELECT $1, $2, $1" and named.arguments({"a": 1, "b": 2}) == [1, 2]
    insert = translate("INSERT INTO jobs (kind) VALUES (?)")
    assert insert.insert_table == "jobs" and not insert.returns_rows
    assert translate("INSERT INTO jobs (kind) VALUES (?) RETURNING id").returns_rows


def test_urls_select_postgres_and_passwords_stay_out_of_messages() -> None:
    assert is_postgres_url("postgresql://u:p@h/db") and not is_postgres_url("data/nexus.db")
    assert isinstance(open_database("postgresql://u:secret@h/db"), PostgresDatabase)
    assert redact_url("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert "secret" not in repr(open_database("postgresql://u:secret@h/db"))


async def test_two_processes_on_one_postgres_keep_every_rule_and_run_each_job_once(tmp_path: Path) -> None:
    from tests.db import race_worker as w
    from tests.pg import postgres_url

    async with postgres_url() as url:
        async with PostgresDatabase(url) as db:
            store = MatchingStore(db)
            await store.join(NewProfile(w.GUILD, 1, "UTC", "", "{}"), w.NOW)
            requests = []
            for requester in range(100, 200):
                await store.join(NewProfile(w.GUILD, requester, "UTC", "", "{}"), w.NOW)
                made = await store.create_request(w.GUILD, requester, 1, "command", w.NOW, w.NOW + timedelta(days=3))
                assert made is not None
                requests.append(made.id)
            await store.join(NewProfile(w.GUILD, 2, "UTC", "", "{}", max_partners=5), w.NOW)
            await store.join(NewProfile(w.GUILD, 3, "UTC", "", "{}", max_partners=5), w.NOW)
            one = await store.create_request(w.GUILD, 2, 3, "command", w.NOW, w.NOW + timedelta(days=3))
            assert one is not None
            session = await SessionStore(db).create(
                guild_id=w.GUILD, creator_id=299, title="Pairing", starts_at=w.NOW + timedelta(hours=3),
                duration_minutes=60, timezone="UTC", topic=None, project=None, capacity=5, channel_id=50, now=w.NOW,
            )  # fmt: skip
            jobs = JobStore(db)
            job_ids = [await jobs.schedule(w.RACE_JOB, w.NOW, {"n": n}, w.NOW, f"race:{n}") for n in range(60)]
        setup = {"requests": requests, "one_request": one.id, "session": session.id}
        start_at = time.time() + 3
        outs = [tmp_path / f"out{i}.json" for i in range(2)]
        procs = []
        for i, out in enumerate(outs):
            Path(f"{out}.setup").write_text(json.dumps({**setup, "first_member": 300 + 40 * i}))
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "tests.db.race_worker", url, str(start_at), str(out),
                    cwd=Path(__file__).parents[2],
                )
            )  # fmt: skip
        assert [await p.wait() for p in procs] == [0, 0]
        seen = [json.loads(out.read_text()) for out in outs]
        async with PostgresDatabase(url) as db:
            active = await db.fetchall(
                "SELECT user_id, COUNT(*) AS n FROM announcements WHERE withdrawn_at IS NULL GROUP BY user_id"
            )
            assert len(active) == 40 and {r["n"] for r in active} == {1}
            assert sum(s["announced"] for s in seen) == 40
            # One slot: one pair with learner 1 across both processes; one pair for the one request.
            assert sum(s["paired"] for s in seen) == 1
            assert await db.fetchval("SELECT COUNT(*) FROM pairs WHERE backend_id = 1") == 1
            assert await db.fetchval("SELECT active_pairs FROM match_profiles WHERE user_id = 1") == 1
            assert sum(s["paired_one"] for s in seen) == 1
            assert await db.fetchval("SELECT COUNT(*) FROM pairs WHERE request_id = ?", (one.id,)) == 1
            # Capacity 5, the creator's seat included: four more, whichever process answered first.
            going = (await SessionStore(db).rsvps(session.id)).going
            assert len(going) == 5 and sum(s["going"] for s in seen) == 4
            # Three waiting requests per learner at most, whichever process sent them.
            waiting = await db.fetchall(
                "SELECT requester_id, COUNT(*) AS n FROM match_requests WHERE requester_id >= 900 GROUP BY requester_id"
            )
            assert {r["n"] for r in waiting} == {3} and len(waiting) == 30
            assert sum(s["asked"] for s in seen) == 90
        ran = [job for s in seen for job in s["jobs"]]
        assert sorted(ran) == sorted(j for j in job_ids if j is not None)  # every job once, none twice


def test_statements_past_postgres_parameter_limit_inline_integers_only() -> None:
    from db.engines.sql import MAX_PARAMETERS, inline_integers

    assert inline_integers("SELECT 1 WHERE a IN (?, ?) AND b = '?' AND c = ?", [1, True, None]) == (
        "SELECT 1 WHERE a IN (1, 1) AND b = '?' AND c = NULL"
    )
    with pytest.raises(ValueError, match=str(MAX_PARAMETERS)):
        inline_integers("SELECT ?", ["x'; DROP TABLE jobs; --"])


async def test_an_in_list_of_a_whole_cohort_runs_on_postgres() -> None:
    from tests.pg import postgres_database

    async with postgres_database() as db:
        ids = list(range(40_000))
        marks = ", ".join("?" for _ in ids)
        assert await db.fetchval(f"SELECT COUNT(*) FROM jobs WHERE id IN ({marks})", ids) == 0
