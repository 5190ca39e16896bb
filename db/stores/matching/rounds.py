"""Partner matching store: rounds."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from db.errors import Conflict
from db.stores.jobs import JobStore
from db.stores.matching.models import (
    MatchRound,
    NewPair,
    Pair,
    RoundJobs,
    RoundOutcome,
    RoundSummarizer,
)
from db.stores.matching.requests import RequestStore


class RoundStore(RequestStore):
    """Staff rounds: one transaction commits the pairs with a job per side effect."""

    # --- rounds -----------------------------------------------------------------------------

    async def start_round(
        self, guild_id: int, project: str | None, started_by: int, dry_run: bool, now: datetime
    ) -> MatchRound:
        """Open a round; the partial unique index refuses a second running round in the guild."""
        try:
            round_id = await self.db.insert(
                "INSERT INTO match_rounds (guild_id, project, started_by, dry_run, started_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, project, started_by, int(dry_run), now.isoformat()),
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc).upper():
                raise Conflict(
                    "A matching round is already running in this server; wait for its summary, then try again."
                ) from None
            raise
        found = await self.get_round(round_id)
        assert found is not None
        return found

    async def finish_round(self, round_id: int, status: str, summary: dict[str, Any], now: datetime) -> None:
        await self.db.execute(
            "UPDATE match_rounds SET status = ?, summary = ?, finished_at = ? WHERE id = ? AND status = 'running'",
            (status, json.dumps(summary), now.isoformat(), round_id),
        )

    async def commit_round(
        self,
        round_id: int,
        pairs: Sequence[NewPair],
        summarize: RoundSummarizer,
        jobs: RoundJobs,
        now: datetime,
        names: Mapping[int, str] | None = None,
    ) -> RoundOutcome:
        """A round's pairs, its number, its summary and every side effect (as jobs) in ONE transaction.

        A kill before the commit leaves no pair (the round is marked failed at the next start, a rerun starts
        over); after it, the jobs finish the round. Pending requests the new pairs make moot are closed here too.
        """
        made: list[Pair] = []
        skipped: list[NewPair] = []
        job_ids: list[int] = []
        async with self.db.transaction() as conn:
            for new in pairs:
                await conn.execute("SAVEPOINT round_pair")
                try:
                    pair = await self._insert_pair(conn, new, now, names or {}, origin="round", round_id=round_id)
                except Conflict:
                    # Someone accepted a request while the round ran: their slot is gone, skip this pair.
                    await conn.execute("ROLLBACK TO round_pair")
                    skipped.append(new)
                else:
                    made.append(pair)
                await conn.execute("RELEASE round_pair")
            summary, unmatched = summarize(made, skipped)
            async with conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM match_rounds WHERE guild_id = "
                "(SELECT guild_id FROM match_rounds WHERE id = ?)",
                (round_id,),
            ) as cur:
                row = await cur.fetchone()
            number = int(row[0]) if row else 1
            cur = await conn.execute(
                "UPDATE match_rounds SET status = 'done', number = ?, summary = ?, finished_at = ? "
                "WHERE id = ? AND status = 'running'",
                (number, json.dumps(summary), now.isoformat(), round_id),
            )
            if cur.rowcount != 1:
                raise Conflict("This matching round was interrupted; run `/match run` again.")
            moot = await self._close_moot_requests(conn, made, now)
            for pair in made:
                payload: dict[str, Any] = {"round_id": round_id, "pair_id": pair.id}
                job_ids.append(await self._job(conn, jobs.pair, payload, now, f"match-round-pair:{pair.id}"))
            for user_id, reason in unmatched.items():
                payload = {"round_id": round_id, "user_id": user_id, "reason": reason}
                key = f"match-round-unmatched:{round_id}:{user_id}"
                job_ids.append(await self._job(conn, jobs.unmatched, payload, now, key))
            for m in moot:
                payload = {"request_id": m.request.id, "reason": m.reason}
                job_ids.append(await self._job(conn, jobs.moot, payload, now, f"match-request-moot:{m.request.id}"))
            summary_key = f"match-round-summary:{round_id}"
            job_ids.append(await self._job(conn, jobs.summary, {"round_id": round_id}, now, summary_key))
        found = await self.get_round(round_id)
        assert found is not None
        return RoundOutcome(found, made, skipped, unmatched, moot, job_ids)

    @staticmethod
    async def _job(conn: aiosqlite.Connection, kind: str, payload: dict[str, Any], now: datetime, key: str) -> int:
        job_id = await JobStore.insert(conn, kind, now, payload, now, key)
        assert job_id is not None, key
        return job_id

    async def round_pairs(self, round_id: int) -> list[Pair]:
        return await self._rows(Pair, "SELECT * FROM pairs WHERE round_id = ? ORDER BY id", (round_id,))

    async def next_round_number(self, guild_id: int) -> int:
        value = await self.db.fetchval(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM match_rounds WHERE guild_id = ?", (guild_id,)
        )
        return int(value or 1)

    async def last_real_round(self, guild_id: int) -> MatchRound | None:
        """The latest real round that committed (the one `/nexus export what:unmatched` reads)."""
        return await self._row(
            MatchRound,
            "SELECT * FROM match_rounds WHERE guild_id = ? AND number IS NOT NULL ORDER BY number DESC LIMIT 1",
            (guild_id,),
        )

    async def pairs_for_export(self, guild_id: int) -> list[tuple[Pair, int | None]]:
        """Every pair of the guild (active and ended) with the number of the round that made it, if any."""
        rows = await self.db.fetchall(
            "SELECT pairs.*, match_rounds.number AS round_number FROM pairs "
            "LEFT JOIN match_rounds ON match_rounds.id = pairs.round_id WHERE pairs.guild_id = ? ORDER BY pairs.id",
            (guild_id,),
        )
        return [(Pair.from_row(r), r["round_number"]) for r in rows]

    async def get_round(self, round_id: int) -> MatchRound | None:
        return await self._row(MatchRound, "SELECT * FROM match_rounds WHERE id = ?", (round_id,))

    async def last_round(self, guild_id: int) -> MatchRound | None:
        return await self._row(
            MatchRound, "SELECT * FROM match_rounds WHERE guild_id = ? ORDER BY id DESC LIMIT 1", (guild_id,)
        )

    async def fail_stale_rounds(self, now: datetime) -> int:
        """Rounds left 'running' by a crash would block every later round; close them on start."""
        return await self.db.execute(
            "UPDATE match_rounds SET status = 'failed', finished_at = ?, summary = ? WHERE status = 'running'",
            (now.isoformat(), json.dumps({"error": "interrupted by a restart"})),
        )
