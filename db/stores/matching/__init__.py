"""Partner matching: profiles, requests, pairs, blocks and staff rounds (migration 0003).

Capacity is never checked by reading then writing: every pair creation increments both learners'
`active_pairs` with a conditional UPDATE (`active_pairs < max_partners`, rowcount checked) inside the
same transaction as the pair INSERT, and the unique indexes on `pairs` are the last guard.
"""

from __future__ import annotations

from db.stores.matching.models import (
    PROFILE_FIELDS,
    Block,
    CapacityReached,
    MatchProfile,
    MatchRequest,
    MatchRound,
    MootRequest,
    NewPair,
    NewProfile,
    Pair,
    RequestClosed,
    RequestCounts,
    RequestHistory,
    RoundJobs,
    RoundOutcome,
    RoundSummarizer,
)
from db.stores.matching.rounds import RoundStore


class MatchingStore(RoundStore):
    """Profiles, pairs, requests and rounds; each part in its own module, one object for the services."""


__all__ = [
    "PROFILE_FIELDS",
    "Block",
    "CapacityReached",
    "MatchProfile",
    "MatchRequest",
    "MatchRound",
    "MatchingStore",
    "MootRequest",
    "NewPair",
    "NewProfile",
    "Pair",
    "RequestClosed",
    "RequestCounts",
    "RequestHistory",
    "RoundJobs",
    "RoundOutcome",
    "RoundSummarizer",
]
