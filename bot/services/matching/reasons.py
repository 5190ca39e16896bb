"""Why a learner got no partner: codes, and their text and advice rendered in one place.

The solver and the round decide with :class:`UnmatchedCode`; only :func:`reason_text` and
:func:`advice` turn a code into words, so nothing parses an English sentence back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PairCode", "Refused", "Unmatched", "UnmatchedCode", "advice", "reason_text", "refusal"]


class UnmatchedCode(StrEnum):
    NO_TRACK = "no_track"
    NO_PROJECT = "no_project"
    NO_CUSTOM_TITLE = "no_custom_title"
    OWN_CAPACITY = "own_capacity"  # already has as many partners as they asked for
    NO_PARTNER_LOOKING = "no_partner_looking"  # nobody of the other track on the project is in the pool
    PARTNERS_AT_CAPACITY = "partners_at_capacity"
    ALL_BLOCKED = "all_blocked"  # every partner candidate was declined, unpaired or blocked
    NO_SHARED_TIME = "no_shared_time"
    SLOT_TAKEN = "slot_taken"  # a request was accepted while the round ran


@dataclass(frozen=True)
class Unmatched:
    code: UnmatchedCode
    opposite: str = ""  # "Backend" / "Frontend": the track they would pair with
    project: str = ""  # the project label of their bucket


def reason_text(reason: Unmatched) -> str:
    """The reason in words (staff summary, exports, the learner's DM)."""
    opp, project = reason.opposite, reason.project
    match reason.code:
        case UnmatchedCode.NO_TRACK:
            return "no track chosen"
        case UnmatchedCode.NO_PROJECT:
            return "no project chosen"
        case UnmatchedCode.NO_CUSTOM_TITLE:
            return "no custom project title set"
        case UnmatchedCode.OWN_CAPACITY:
            return "already has as many partners as they asked for"
        case UnmatchedCode.NO_PARTNER_LOOKING:
            return f"no {opp} learner on {project} is looking for a partner yet"
        case UnmatchedCode.PARTNERS_AT_CAPACITY:
            return "all compatible partners are at capacity"
        case UnmatchedCode.ALL_BLOCKED:
            return f"every {opp} learner on {project} was declined, unpaired or blocked"
        case UnmatchedCode.NO_SHARED_TIME:
            return f"no {opp} learner on {project} is free at the same times (≥ 1 h/week)"
        case UnmatchedCode.SLOT_TAKEN:
            return "a partner request was accepted while the round ran, so the pair it chose for you could not be made"


def advice(code: UnmatchedCode | None) -> str:
    """What a learner left unmatched can do next (``None``: a reason without a code, e.g. an old round)."""
    if code is UnmatchedCode.NO_SHARED_TIME:
        return (
            "Widen your availability with `/match join availability:<more windows>`, or ask someone directly "
            "with `/match request`."
        )
    if code is UnmatchedCode.PARTNERS_AT_CAPACITY:
        return (
            "Everyone compatible already has their partners. Ask someone directly with `/match request`, "
            "or ask a Backend learner to raise their `max_partners` — staff run another round soon."
        )
    if code is UnmatchedCode.ALL_BLOCKED:
        return "Ask staff in the channel: they can help you find a partner on another project."
    if code is UnmatchedCode.OWN_CAPACITY:
        return "Raise `max_partners` with `/match join max_partners:<n>` if you want another partner."
    return (
        "You stay in the pool: you'll be matched when someone joins (`/match suggest` shows new learners), "
        "or ask someone directly with `/match request`."
    )


class PairCode(StrEnum):
    """Why two learners may not pair (the one rule in rules.py decides; only :func:`refusal` words it)."""

    SAME_TRACK = "same_track"
    OTHER_PROJECT = "other_project"
    BLOCKED_BY_THEM = "blocked_by_them"
    BLOCKED_BY_ME = "blocked_by_me"
    ENDED_BEFORE = "ended_before"
    DECLINED_RECENTLY = "declined_recently"  # within the re-ask cooldown (requests: the request limits word it)
    ALREADY_PARTNERS = "already_partners"
    ME_LEFT = "me_left"
    ME_FULL = "me_full"
    THEM_LEFT = "them_left"
    THEM_PAUSED = "them_paused"
    THEM_FULL = "them_full"
    REVERSE_PENDING = "reverse_pending"


@dataclass(frozen=True)
class Refused:
    """A refusal and what its words need: the other learner's name (already made inert), their project title,
    the end of their pause, the capacity that is full."""

    code: PairCode
    name: str = ""
    track: str = ""  # the (shared) track label, for SAME_TRACK
    title: str = ""  # their project title, for OTHER_PROJECT
    paused_until: int = 0  # unix time, for THEM_PAUSED
    capacity: int = 1  # max_partners of the learner who is full


def refusal(refused: Refused, *, accepting: bool = False) -> str:
    """The refusal in words (the user's reply). `accepting`: the addressee pressed Accept; the capacity refusals
    then read as the store's own (it checks capacity again inside the transaction that makes the pair)."""
    name, code = refused.name, refused.code
    if accepting and code in (PairCode.ME_FULL, PairCode.THEM_FULL):
        return (
            f"{name} already has as many partners as they asked for, so this pairing can't be made. "
            "`/match suggest` shows who is still looking."
        )
    match code:
        case PairCode.SAME_TRACK:
            return (
                f"{name} is on the {refused.track} track like you; partners pair Backend with Frontend. "
                "`/match suggest` lists learners on the other track."
            )
        case PairCode.OTHER_PROJECT:
            return (
                f"{name} builds a different project ({refused.title}); partners build the same project. "
                "`/match suggest` lists learners on yours."
            )
        case PairCode.BLOCKED_BY_THEM:
            return f"{name} asked not to get partner requests from you. `/match suggest` shows other good partners."
        case PairCode.BLOCKED_BY_ME:
            return (
                f"You blocked partner requests from {name}. If you've changed your mind, ask staff "
                "to lift it (`/match unblock`)."
            )
        case PairCode.ENDED_BEFORE:
            return (
                f"You and {name} ended a pairing before, so you can't be paired again unless staff lift "
                "it (`/match unblock`). `/match suggest` shows other learners."
            )
        case PairCode.DECLINED_RECENTLY:
            return f"You and {name} declined a request recently; `/match suggest` shows other good partners."
        case PairCode.ALREADY_PARTNERS:
            return f"You and {name} are already partners; `/match status` shows your pair."
        case PairCode.ME_LEFT:
            return "You left partner matching; `/match join` opts you in again first."
        case PairCode.ME_FULL:
            return (
                f"You already have as many partners as you asked for ({refused.capacity}). "
                "Raise it with `/match join max_partners:<n>` to look for another."
            )
        case PairCode.THEM_LEFT:
            return f"{name} left partner matching; `/match suggest` shows who is looking."
        case PairCode.THEM_PAUSED:
            return f"{name} paused matching until <t:{refused.paused_until}:D>; ask them then, or try someone else."
        case PairCode.THEM_FULL:
            return f"{name} already has as many partners as they asked for ({refused.capacity})."
        case PairCode.REVERSE_PENDING:
            return (
                f"{name} already asked you! Answer their request (in your DMs, or in the project channel) "
                "with **Accept**."
            )
