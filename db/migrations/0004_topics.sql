-- Learning topics: curated (shipped from content/topics/*.toml) and community-suggested.
-- aliases: one per line; key_points, resources ([[title, url], ...]) and related (slugs): JSON arrays.
CREATE TABLE topics (
    id                INTEGER PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    category          TEXT NOT NULL
                      CHECK (category IN ('technologies', 'concepts', 'challenges', 'best-practices', 'frontend')),
    aliases           TEXT NOT NULL DEFAULT '',
    summary           TEXT NOT NULL CHECK (length(summary) <= 300),
    body              TEXT NOT NULL DEFAULT '',
    key_points        TEXT NOT NULL DEFAULT '[]',
    resources         TEXT NOT NULL DEFAULT '[]',
    related           TEXT NOT NULL DEFAULT '[]',
    status            TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('approved', 'pending', 'rejected')),
    source            TEXT NOT NULL DEFAULT 'community' CHECK (source IN ('shipped', 'community')),
    content_hash      TEXT,                      -- sha256 of the shipped file; lets seeding skip unchanged files
    author_id         INTEGER,
    guild_id          INTEGER,
    uses              INTEGER NOT NULL DEFAULT 0,
    reviewed_by       INTEGER,
    review_reason     TEXT,
    review_channel_id INTEGER,
    review_message_id INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX topics_status_category ON topics (status, category);
CREATE INDEX topics_popular ON topics (status, uses DESC);

-- Full-text index over approved topics only (pending/rejected ones never show up in search).
CREATE VIRTUAL TABLE topics_fts USING fts5(
    title, aliases, summary, body,
    content = 'topics', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER topics_fts_insert AFTER INSERT ON topics WHEN new.status = 'approved' BEGIN
    INSERT INTO topics_fts (rowid, title, aliases, summary, body)
    VALUES (new.id, new.title, new.aliases, new.summary, new.body);
END;

CREATE TRIGGER topics_fts_delete AFTER DELETE ON topics WHEN old.status = 'approved' BEGIN
    INSERT INTO topics_fts (topics_fts, rowid, title, aliases, summary, body)
    VALUES ('delete', old.id, old.title, old.aliases, old.summary, old.body);
END;

-- One trigger, delete then insert, so the order is fixed; only indexed columns and status fire it
-- (counting uses must not rewrite the index).
CREATE TRIGGER topics_fts_update AFTER UPDATE OF title, aliases, summary, body, status ON topics BEGIN
    INSERT INTO topics_fts (topics_fts, rowid, title, aliases, summary, body)
    SELECT 'delete', old.id, old.title, old.aliases, old.summary, old.body WHERE old.status = 'approved';
    INSERT INTO topics_fts (rowid, title, aliases, summary, body)
    SELECT new.id, new.title, new.aliases, new.summary, new.body WHERE new.status = 'approved';
END;

-- Tip of the day history: one tip per guild per day; `cycle` makes "no repeats until all shown".
CREATE TABLE topic_tips (
    id        INTEGER PRIMARY KEY,
    guild_id  INTEGER NOT NULL,
    topic_id  INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    day       TEXT NOT NULL,                      -- YYYY-MM-DD (UTC)
    cycle     INTEGER NOT NULL,
    shown_at  TEXT NOT NULL,
    UNIQUE (guild_id, day)
);
CREATE INDEX topic_tips_cycle ON topic_tips (guild_id, cycle);

ALTER TABLE guild_settings ADD COLUMN tip_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN tip_hour INTEGER CHECK (tip_hour BETWEEN 0 AND 23);
