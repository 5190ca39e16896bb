"""How often a learner may send partner requests, so a request DM can't be used to harass someone.

The limits are read from the stored request history (`RequestHistory`), never from a profile, so leaving
and re-joining matching or a restart resets nothing. Every refusal says when the learner can try again.
Nothing here imports discord.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.errors import Conflict
from db.stores.matching import RequestHistory

# Requests waiting for an answer at once (the oldest frees a slot when it is answered or expires).
MAX_PENDING_REQUESTS = 3
# Requests sent in any rolling DAILY_WINDOW.
DAILY_REQUEST_CAP = 10
DAILY_WINDOW = timedelta(hours=24)
# After a decline (either way round), or when one's request to the other expired or was withdrawn.
REASK_COOLDOWN = timedelta(days=7)
# How far back `check` needs the history.
LOOKBACK = max(DAILY_WINDOW, REASK_COOLDOWN)


class RequestLimited(Conflict):
    """A partner request refused by a limit; `retry_at` is when the learner may try again."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


def when(at: datetime) -> str:
    """`<t:…:R> (<t:…:f>)`: relative and absolute, each reader in their own time zone."""
    unix = int(at.timestamp())
    return f"<t:{unix}:R> (<t:{unix}:f>)"


def check(history: RequestHistory, now: datetime, their_name: str, requester_id: int) -> None:
    """Refuse a new request from `requester_id` to `their_name` if a limit stands in the way."""
    if history.pending_to_them is not None:
        return  # the same request is already waiting: the caller says so (with its expiry)
    decline = history.last_decline
    if decline is not None and decline.decided_at is not None and decline.decided_at + REASK_COOLDOWN > now:
        until = decline.decided_at + REASK_COOLDOWN
        who = (
            f"{their_name} declined your last request"
            if decline.requester_id == requester_id
            else (f"You declined {their_name}'s last request")
        )
        raise RequestLimited(
            f"{who}, so a new request between you two waits a week: you can ask {when(until)}. "
            "`/match suggest` shows other good partners meanwhile.",
            until,
        )
    lapse = history.last_lapse
    if lapse is not None and lapse.decided_at is not None and lapse.decided_at + REASK_COOLDOWN > now:
        until = lapse.decided_at + REASK_COOLDOWN
        what = "expired without an answer" if lapse.status == "expired" else "was withdrawn when you left matching"
        raise RequestLimited(
            f"Your last request to {their_name} {what}; you can ask them again {when(until)}. "
            "`/match suggest` shows other good partners meanwhile.",
            until,
        )
    if len(history.pending_expiries) >= MAX_PENDING_REQUESTS:
        until = history.pending_expiries[0]
        raise RequestLimited(
            f"You have {len(history.pending_expiries)} requests waiting for an answer, the most at once "
            f"({MAX_PENDING_REQUESTS}). You can send another when one is answered, or {when(until)} when the "
            "oldest expires; `/match status` lists them.",
            until,
        )
    recent = [at for at in history.sent_at if at > now - DAILY_WINDOW]
    if len(recent) >= DAILY_REQUEST_CAP:
        until = recent[len(recent) - DAILY_REQUEST_CAP] + DAILY_WINDOW
        raise RequestLimited(
            f"You've sent {len(recent)} partner requests in the last 24 hours, the daily limit "
            f"({DAILY_REQUEST_CAP}); you can send the next {when(until)}.",
            until,
        )
