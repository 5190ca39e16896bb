-- PostgreSQL twin of db/migrations/0007_rounds.sql (same number and name; BIGINT for SQLite's INTEGER).
-- Matching rounds finish after a restart (their side effects are resumable jobs) and count real rounds only.

-- A resumable job is claimed by setting started_at while it stays pending; it is marked done when its handler
-- returns. A job a kill cut short (started_at set, still pending) is released at the next start and runs again,
-- skipping the steps its payload records as done.
ALTER TABLE jobs ADD COLUMN started_at TEXT;

-- Round numbers staff read: only real rounds that committed their pairs take one (dry runs and rounds cut
-- short before committing take none). Existing finished real rounds are numbered in order.
ALTER TABLE match_rounds ADD COLUMN number BIGINT;
UPDATE match_rounds SET number = (
    SELECT COUNT(*) FROM match_rounds AS earlier
    WHERE earlier.guild_id = match_rounds.guild_id AND earlier.dry_run = 0 AND earlier.status = 'done'
      AND earlier.id <= match_rounds.id
) WHERE dry_run = 0 AND status = 'done';
CREATE UNIQUE INDEX match_rounds_number ON match_rounds (guild_id, number) WHERE number IS NOT NULL;
