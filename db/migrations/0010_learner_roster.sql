-- The learner roster the bot last saw (from Discord's member list), for the web process, which cannot see it: in
-- the database so the web reads it on either engine and from another host. Replaced per server in one transaction.

-- One row per server the bot has counted: when (a server counted with no learners still has its row).
CREATE TABLE roster_snapshots (
    guild_id INTEGER PRIMARY KEY,
    taken_at TEXT NOT NULL
);

-- The learners of that count: display name and track ('backend', 'frontend', or NULL for none or both).
CREATE TABLE roster_learners (
    guild_id     INTEGER NOT NULL REFERENCES roster_snapshots (guild_id),
    user_id      INTEGER NOT NULL,
    display_name TEXT NOT NULL,
    track        TEXT CHECK (track IN ('backend', 'frontend')),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
