-- Partner matching: profiles, requests, pairs, blocks and staff rounds.

CREATE TABLE match_profiles (
    guild_id          INTEGER NOT NULL,
    user_id           INTEGER NOT NULL,
    timezone          TEXT NOT NULL DEFAULT 'UTC',
    availability_text TEXT NOT NULL DEFAULT '',
    availability      TEXT NOT NULL DEFAULT '[]',      -- JSON list of [start, end) UTC minute-of-week ranges
    offers            TEXT NOT NULL DEFAULT '',        -- comma-separated skill tags
    wants             TEXT NOT NULL DEFAULT '',
    max_partners      INTEGER NOT NULL DEFAULT 1 CHECK (max_partners BETWEEN 1 AND 5),
    -- Kept in step with active pairs by conditional updates, so capacity can never be exceeded.
    active_pairs      INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'left')),
    paused_until      TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id),
    CHECK (active_pairs >= 0 AND active_pairs <= max_partners)
);

CREATE TABLE match_requests (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    requester_id  INTEGER NOT NULL,
    addressee_id  INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'cancelled')),
    source        TEXT NOT NULL DEFAULT 'command',     -- command | suggest | announcement
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    decided_at    TEXT,
    channel_id    INTEGER,                             -- where the Accept/Decline message went (DM or channel)
    message_id    INTEGER,
    CHECK (requester_id <> addressee_id)
);
CREATE UNIQUE INDEX match_requests_one_pending ON match_requests (guild_id, requester_id, addressee_id)
    WHERE status = 'pending';
CREATE INDEX match_requests_expiry ON match_requests (status, expires_at);

CREATE TABLE pairs (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    backend_id   INTEGER NOT NULL,
    frontend_id  INTEGER NOT NULL,
    project      TEXT NOT NULL,
    score        INTEGER,
    reasons      TEXT NOT NULL DEFAULT '',
    origin       TEXT NOT NULL DEFAULT 'request',      -- request | round
    round_id     INTEGER REFERENCES match_rounds (id),
    request_id   INTEGER REFERENCES match_requests (id),
    thread_id    INTEGER,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    created_at   TEXT NOT NULL,
    ended_at     TEXT,
    end_reason   TEXT
);
CREATE UNIQUE INDEX pairs_one_active ON pairs (guild_id, backend_id, frontend_id) WHERE status = 'active';
CREATE UNIQUE INDEX pairs_one_per_request ON pairs (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX pairs_thread ON pairs (thread_id);

-- Pairs that must never be suggested or matched again (declined, unpaired, blocked). user_a < user_b.
CREATE TABLE match_blocks (
    guild_id   INTEGER NOT NULL,
    user_a     INTEGER NOT NULL,
    user_b     INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_a, user_b),
    CHECK (user_a < user_b)
);

CREATE TABLE match_rounds (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    project     TEXT,                                  -- NULL = all projects
    started_by  INTEGER NOT NULL,
    dry_run     INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    summary     TEXT,                                  -- JSON
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
-- Concurrent staff `/match run` calls: only one round may run per guild.
CREATE UNIQUE INDEX match_rounds_one_running ON match_rounds (guild_id) WHERE status = 'running';
