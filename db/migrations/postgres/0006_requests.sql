-- PostgreSQL twin of db/migrations/0006_requests.sql (same number and name; BIGINT for SQLite's INTEGER).
-- Partner requests: limits against repeated asking, a recipient's Block, declines that cool down instead
-- of blocking for good, and what each announcement post shows about looking for a partner.

-- Who asked not to be asked again (the Block button on a request); NULL for blocks of an ended pairing.
ALTER TABLE match_blocks ADD COLUMN blocked_by BIGINT;

-- Why a request was cancelled: 'withdrawn' (the requester left matching), 'addressee_left', or
-- 'undelivered' (the bot couldn't reach the addressee; it counts for no limit).
ALTER TABLE match_requests ADD COLUMN cancel_reason TEXT;

-- A decline used to block the two for good; it now starts the re-ask cooldown, read from match_requests.
DELETE FROM match_blocks WHERE reason = 'declined';

-- The request limits read a learner's recent requests and the last answers between two learners.
CREATE INDEX match_requests_by_requester ON match_requests (guild_id, requester_id, created_at);
CREATE INDEX match_requests_by_addressee ON match_requests (guild_id, addressee_id, requester_id);

-- Whether the announcement's post shows the learner as looking (1) or not (0), as last rendered; NULL:
-- as `looking_for_partner` says. Compared with capacity at start, so a post a stop left stale is fixed.
ALTER TABLE announcements ADD COLUMN post_looking BIGINT;
