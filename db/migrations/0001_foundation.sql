-- Per-guild configuration set by staff with /nexus setup.
CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    channel_id        INTEGER,
    cohort_start      TEXT,                      -- YYYY-MM-DD (UTC)
    first_week_days   INTEGER NOT NULL DEFAULT 7 CHECK (first_week_days BETWEEN 1 AND 14),
    backend_role_id   INTEGER,
    frontend_role_id  INTEGER,
    staff_role_id     INTEGER,
    digest_hour       INTEGER NOT NULL DEFAULT 17 CHECK (digest_hour BETWEEN 0 AND 23),
    review_channel_id INTEGER,
    updated_at        TEXT NOT NULL
);

-- Scheduled work (digests, reminders, posts). dedupe_key makes scheduling idempotent, status makes
-- running a job at-most-once across restarts.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    due_at      TEXT NOT NULL,                   -- ISO-8601 UTC
    payload     TEXT NOT NULL DEFAULT '{}',      -- JSON
    dedupe_key  TEXT UNIQUE,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX jobs_due ON jobs (status, due_at);
