"""The matching feature's application layer: one operation per user action, discord-free.

`MatchingService` is the one facade the cogs call; its workflows live beside it in this package:
``core`` (stores, who is who, pools, the stored links), ``profiles`` (/match join, leave, pause),
``requests`` (requests, answers and pairs) and ``rounds`` (suggestions and staff rounds). "May A pair with B?"
is decided in ONE place, :func:`bot.services.matching.rules.pair_problem`, for every path (request, accept,
suggest, round); the request limits (cooldowns, pending and daily caps, `request_limits.check`) run inside the
request's insert transaction.
"""

from __future__ import annotations

from bot.services.matching.balance import Balance, PairKind
from bot.services.matching.core import ANNOUNCEMENTS_MAX, POOL_TTL, Someone, esc, name_in
from bot.services.matching.profiles import Joined, Left, ProfilesFlow
from bot.services.matching.requests import AcceptedPair, RequestDraft, RequestsFlow
from bot.services.matching.rounds import SLOT_TAKEN, RoundPlan, RoundsFlow, Suggestions
from db.stores.announcements import Announcement
from db.stores.catalog import CatalogProject
from db.stores.guild_settings import GuildSettings
from db.stores.jobs import Job
from db.stores.matching import (
    Block,
    MatchingStore,
    MatchProfile,
    MatchRequest,
    MatchRound,
    NewPair,
    NewProfile,
    Pair,
    RoundJobs,
)

# Store types the cog renders are re-exported here: cogs never import db.stores.
__all__ = [
    "ANNOUNCEMENTS_MAX",
    "POOL_TTL",
    "SLOT_TAKEN",
    "AcceptedPair",
    "Announcement",
    "Balance",
    "Block",
    "CatalogProject",
    "GuildSettings",
    "Job",
    "Joined",
    "Left",
    "MatchProfile",
    "MatchRequest",
    "MatchRound",
    "MatchingService",
    "MatchingStore",
    "NewPair",
    "NewProfile",
    "Pair",
    "PairKind",
    "RequestDraft",
    "RoundJobs",
    "RoundPlan",
    "Someone",
    "Suggestions",
    "esc",
    "name_in",
]


class MatchingService(ProfilesFlow, RequestsFlow, RoundsFlow):
    """Profiles, requests and pairs, suggestions and rounds: one object for the cogs (see the module notes)."""
