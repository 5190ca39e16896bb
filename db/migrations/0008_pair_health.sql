-- Placeholder on branch h15 only, so that 0009 (API contracts) runs here: migrations must have no gaps.
-- Migration 0008 belongs to issue 14 (pair health, branch h14). At merge, keep h14's 0008_pair_health.sql.
SELECT 1;
