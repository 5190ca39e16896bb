-- Project catalog: the capstone projects learners announce. Data, not code, so staff can edit it.
CREATE TABLE project_catalog (
    key               TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 32),
    name              TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    backend_variant   TEXT NOT NULL,
    frontend_variant  TEXT NOT NULL,
    is_custom         INTEGER NOT NULL DEFAULT 0,     -- "Other": the learner's title names the project
    position          INTEGER NOT NULL DEFAULT 100,
    active            INTEGER NOT NULL DEFAULT 1,     -- removed projects stay for old announcements
    created_at        TEXT NOT NULL
);

INSERT INTO project_catalog (key, name, backend_variant, frontend_variant, is_custom, position, created_at) VALUES
    ('ecommerce', 'E-Commerce', 'E-Commerce Backend', 'Product Catalog', 0, 10, '2026-01-01T00:00:00+00:00'),
    ('social-feed', 'Social Media Feed', 'Social Media Feed Backend', 'Social Media Feed Frontend', 0, 20,
     '2026-01-01T00:00:00+00:00'),
    ('movie-recommendation', 'Movie Recommendation', 'Movie Recommendation Backend',
     'Movie Recommendation Frontend', 0, 30, '2026-01-01T00:00:00+00:00'),
    ('job-board', 'Job Board', 'Job Board Backend', 'Job Board Frontend', 0, 40, '2026-01-01T00:00:00+00:00'),
    ('online-poll', 'Online Poll System', 'Online Poll System Backend', 'Online Poll System Frontend', 0, 50,
     '2026-01-01T00:00:00+00:00'),
    ('other', 'Other', 'Custom Backend project', 'Custom Frontend project', 1, 1000, '2026-01-01T00:00:00+00:00');

-- One row per announcement; withdrawn ones are kept (withdrawn_at) for the staff export.
CREATE TABLE announcements (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    user_id             INTEGER NOT NULL,
    cohort_start        TEXT NOT NULL,                  -- YYYY-MM-DD: the cohort the announcement belongs to
    project_key         TEXT NOT NULL REFERENCES project_catalog (key) ON UPDATE CASCADE,
    track               TEXT NOT NULL CHECK (track IN ('backend', 'frontend')),
    title               TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    summary             TEXT NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),
    stack               TEXT NOT NULL DEFAULT '[]',     -- JSON list of strings
    repo                TEXT,
    timezone            TEXT,
    looking_for_partner INTEGER NOT NULL DEFAULT 1,
    display_name        TEXT NOT NULL DEFAULT '',
    channel_id          INTEGER,
    message_id          INTEGER,
    late                INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    withdrawn_at        TEXT,
    left_guild_at       TEXT
);
-- One active announcement per learner per cohort, enforced by the database (races included).
CREATE UNIQUE INDEX announcements_one_active ON announcements (guild_id, cohort_start, user_id)
    WHERE withdrawn_at IS NULL;
CREATE INDEX announcements_listing ON announcements (guild_id, cohort_start, withdrawn_at, project_key, track);
CREATE INDEX announcements_user ON announcements (guild_id, user_id);

-- "Pair with me" presses recorded until partner matching takes them over.
CREATE TABLE partner_interest (
    id               INTEGER PRIMARY KEY,
    announcement_id  INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (announcement_id, user_id)
);

-- Learners who turned first-week reminder DMs off.
CREATE TABLE reminder_prefs (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Every reminder DM attempted: at most one per learner, cohort and kind; failures are kept, never retried.
CREATE TABLE reminder_log (
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    cohort_start  TEXT NOT NULL,
    kind          TEXT NOT NULL,                          -- 'day3' or 'last'
    status        TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'skipped')),
    detail        TEXT,
    at            TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id, cohort_start, kind)
);

-- One digest per guild and day, whatever happens to the jobs that post it.
CREATE TABLE digest_log (
    guild_id    INTEGER NOT NULL,
    day         TEXT NOT NULL,                            -- YYYY-MM-DD
    cohort_start TEXT NOT NULL,
    message_id  INTEGER,
    posted_at   TEXT NOT NULL,
    PRIMARY KEY (guild_id, day)
);
