-- The slash commands the bot last registered with Discord, per scope ('guild:<id>' or 'global'): the hash of the
-- payload it sent, and each command's version as Discord returned it (JSON, "type:name" -> version). A start
-- that would send the same payload to a scope Discord still holds at those versions sends nothing.
CREATE TABLE command_syncs (
    scope        TEXT PRIMARY KEY,
    payload_hash TEXT NOT NULL,
    versions     TEXT NOT NULL,
    synced_at    TEXT NOT NULL
);
