"""Why a learner got no partner: codes, and their text and advice rendered in one place.

The solver and the round decide with :class:`UnmatchedCode`; only :func:`reason_text` and
:func:`advice` turn a code into words, so nothing parses an English sentence back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Unmatched", "UnmatchedCode", "advice", "reason_text"]


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
