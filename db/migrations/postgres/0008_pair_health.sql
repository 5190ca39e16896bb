-- Issue 14: balanced rounds, team threads, last-resort partners, and pair health (check-ins, inactivity).

-- Whether the learner set max_partners themselves (/match join max_partners:). A balanced round may raise the
-- capacity of a learner on the scarcer track only when they did not. Anything but the default was chosen.
ALTER TABLE match_profiles ADD COLUMN max_partners_chosen BIGINT NOT NULL DEFAULT 0;
UPDATE match_profiles SET max_partners_chosen = 1 WHERE max_partners <> 1;
-- Set when a learner's partner went inactive and they asked for a new one: they go first in the next round.
ALTER TABLE match_profiles ADD COLUMN priority_since TEXT;

-- What kind of pairing: 'partner' (other track, shared free time), 'async' (other track, no shared hour: they
-- collaborate asynchronously) or 'buddy' (same track, same project, where the other track is absent).
ALTER TABLE pairs ADD COLUMN kind TEXT NOT NULL DEFAULT 'partner';

-- Check-ins posted in the pair's (team) thread on day 3 and day 10; each partner answers for themselves.
CREATE TABLE pair_checkins (
    pair_id     BIGINT NOT NULL REFERENCES pairs (id),
    day         BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    asked_at    TEXT NOT NULL,
    answer      TEXT CHECK (answer IN ('met', 'not_yet', 'silent')),
    answered_at TEXT,
    PRIMARY KEY (pair_id, day, user_id)
);

-- When each member last posted in a pair thread (authors only: the bot has no Message Content intent).
CREATE TABLE thread_activity (
    thread_id      BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    last_posted_at TEXT NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);

-- A partner found inactive (nothing posted in the thread for 7 days and a check-in left unanswered): who, and
-- when. The active partner is offered a new partner; staff count these pairs.
ALTER TABLE pairs ADD COLUMN inactive_user_id BIGINT;
ALTER TABLE pairs ADD COLUMN inactive_at TEXT;
