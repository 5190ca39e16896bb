-- API contracts (/api): a Backend learner's OpenAPI document, versioned; where it is pinned; the Frontend
-- partner's needs and which breaking versions they have acknowledged.

-- One contract per Backend learner in a guild (their partners all read the same one).
CREATE TABLE api_contracts (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    backend_id   INTEGER NOT NULL,
    project      TEXT NOT NULL,                      -- the pair's catalog key when first published
    created_at   TEXT NOT NULL,                      -- ISO-8601 UTC
    updated_at   TEXT NOT NULL,
    UNIQUE (guild_id, backend_id)
);

-- Every accepted upload; `number` counts 1, 2, 3... per contract.
CREATE TABLE api_contract_versions (
    id            INTEGER PRIMARY KEY,
    contract_id   INTEGER NOT NULL REFERENCES api_contracts (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL CHECK (number >= 1),
    title         TEXT NOT NULL,
    api_version   TEXT NOT NULL,                     -- the document's info.version
    openapi       TEXT NOT NULL,                     -- 3.0.x or 3.1.x
    filename      TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('json', 'yaml')),
    size          INTEGER NOT NULL,                  -- bytes uploaded
    document      TEXT NOT NULL,                     -- the validated document as JSON
    breaking      INTEGER NOT NULL DEFAULT 0,        -- breaking changes since the previous version
    changes       TEXT NOT NULL DEFAULT '[]',        -- JSON list of {"code", "text", "breaking"}
    published_at  TEXT NOT NULL,
    UNIQUE (contract_id, number)
);

-- The pinned post of a contract in each thread it lives in (one per pair or team thread).
CREATE TABLE api_contract_posts (
    contract_id  INTEGER NOT NULL REFERENCES api_contracts (id) ON DELETE CASCADE,
    thread_id    INTEGER NOT NULL,
    message_id   INTEGER NOT NULL,
    pinned       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (contract_id, thread_id)
);

-- What a Frontend learner's screens need (method + path template as typed, normalised).
CREATE TABLE api_needs (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    frontend_id  INTEGER NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    UNIQUE (guild_id, frontend_id, method, path)
);

-- The highest version of a contract a Frontend partner has acknowledged (its breaking changes included).
CREATE TABLE api_acknowledgements (
    contract_id     INTEGER NOT NULL REFERENCES api_contracts (id) ON DELETE CASCADE,
    frontend_id     INTEGER NOT NULL,
    number          INTEGER NOT NULL,
    acknowledged_at TEXT NOT NULL,
    PRIMARY KEY (contract_id, frontend_id)
);
