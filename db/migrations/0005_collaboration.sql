-- Collaboration: study/pairing sessions with RSVPs, Q&A threads, scheduled staff posts, onboarding settings.

CREATE TABLE study_sessions (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    creator_id        INTEGER NOT NULL,
    title             TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    starts_at         TEXT NOT NULL,                  -- ISO-8601 UTC
    duration_minutes  INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 720),
    timezone          TEXT NOT NULL DEFAULT 'UTC',    -- the zone `when` was read in
    topic             TEXT,                           -- learning topic slug (or free text)
    project           TEXT,
    capacity          INTEGER CHECK (capacity IS NULL OR capacity >= 1),
    channel_id        INTEGER,                        -- where the post lives (project channel or a pair thread)
    message_id        INTEGER,
    thread_id         INTEGER,                        -- thread for reminder mentions, created on demand
    event_id          INTEGER,                        -- Discord scheduled event, when the bot could create one
    status            TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_at        TEXT NOT NULL,
    cancelled_at      TEXT
);
CREATE INDEX study_sessions_upcoming ON study_sessions (guild_id, status, starts_at);

CREATE TABLE session_rsvps (
    session_id  INTEGER NOT NULL REFERENCES study_sessions (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('going', 'maybe', 'not_going')),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

CREATE TABLE questions (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    asker_id     INTEGER NOT NULL,
    question     TEXT NOT NULL CHECK (length(question) BETWEEN 1 AND 1000),
    topic        TEXT,
    channel_id   INTEGER NOT NULL,                    -- parent: the project channel or the Q&A forum
    thread_id    INTEGER NOT NULL UNIQUE,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'solved')),
    helper_id    INTEGER,
    answer       TEXT,
    created_at   TEXT NOT NULL,
    solved_at    TEXT
);
CREATE INDEX questions_open ON questions (guild_id, status, created_at);

-- Staff announcements: posted now or at a time (the job only publishes rows still 'scheduled').
CREATE TABLE staff_posts (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    author_id   INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 256),
    body        TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    role_id     INTEGER,                              -- the one role to ping, if any
    due_at      TEXT NOT NULL,                        -- ISO-8601 UTC
    status      TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'posting', 'posted', 'cancelled', 'failed')),
    message_id  INTEGER,
    error       TEXT,
    created_at  TEXT NOT NULL,
    posted_at   TEXT
);
CREATE INDEX staff_posts_scheduled ON staff_posts (guild_id, status, due_at);

ALTER TABLE guild_settings ADD COLUMN welcome_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE guild_settings ADD COLUMN forum_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN rolepicker_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN rolepicker_message_id INTEGER;
