"""Team threads and the words of a last resort (issue 14). Discord-free.

A learner with several partners (the scarcer track of a balanced round, or anyone who raised `max_partners`)
talks with all of them in ONE team thread: every pair of the team points at it (`pair.thread_id`), so
features that post to "the pair's thread" reach the whole team. :func:`team_of` decides whose thread a new
pair joins; the sections below are added to a pair's intro.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.services import pairing
from bot.services.availability import overlap_minutes
from bot.services.matching.balance import PairKind
from bot.services.text import user_text
from db.stores.matching import Pair

__all__ = ["Team", "dm_label", "kind_section", "team_of", "team_section"]


@dataclass(frozen=True)
class Team:
    """Where a pair talks: `hub_id` is the member with other partners (None: a plain pair); `thread_id` the
    team's thread when one is open already (the pair joins it), else None (open one)."""

    hub_id: int | None
    thread_id: int | None
    pairs: tuple[Pair, ...]  # every active pair of the hub (this one included)


def team_of(pair: Pair, backend_pairs: Sequence[Pair], frontend_pairs: Sequence[Pair]) -> Team:
    """The team a pair belongs to, from each member's active pairs (this one included). The hub is the member
    with more partners (ties: the one who already has a thread with another partner, else the Frontend
    learner, usually the scarcer track)."""
    others_b = [p for p in backend_pairs if p.id != pair.id]
    others_f = [p for p in frontend_pairs if p.id != pair.id]
    if not others_b and not others_f:
        return Team(None, pair.thread_id, (pair,))
    threaded_b = next((p.thread_id for p in others_b if p.thread_id), None)
    threaded_f = next((p.thread_id for p in others_f if p.thread_id), None)
    if len(others_f) > len(others_b) or (len(others_f) == len(others_b) and (threaded_f or not threaded_b)):
        hub, pairs, thread = pair.frontend_id, frontend_pairs, threaded_f
    else:
        hub, pairs, thread = pair.backend_id, backend_pairs, threaded_b
    return Team(hub, pair.thread_id or thread, tuple(sorted(pairs, key=lambda p: p.id)))


def team_section(hub: pairing.PairContext, partners: Sequence[pairing.PairContext], now: datetime) -> tuple[str, str]:
    """Every partner's local time now and their weekly overlap with the hub, for all of the team to read."""
    lines = [f"{hub.mention}: {pairing.local_time(hub.learner.tz_name, now)}"]
    for p in partners:
        shared = overlap_minutes(hub.learner.windows, p.learner.windows)
        overlap = (
            f"{pairing.hours_text(shared)}/week with {hub.mention}"
            if shared
            else f"no shared hour with {hub.mention} (asynchronous)"
        )
        lines.append(f"{p.mention}: {pairing.local_time(p.learner.tz_name, now)} · {overlap}")
    return (f"Your team ({len(partners) + 1} learners): local times now and overlap", "\n".join(lines))


def kind_section(kind: PairKind, a: pairing.PairContext, b: pairing.PairContext) -> tuple[str, str] | None:
    """How a last-resort pair works, said plainly in its intro."""
    if kind is PairKind.ASYNC:
        return (
            "Asynchronous partners",
            "You share no free hour in the week, so you'll collaborate asynchronously: write your plans and "
            "questions here, review each other's pull requests, and agree the API in a shared doc. If your "
            "schedules change, `/match join availability:` updates yours.",
        )
    if kind is PairKind.BUDDY:
        track = "Backend" if a.learner.track == "backend" else "Frontend"
        other = "Frontend" if track == "Backend" else "Backend"
        return (
            "Study buddies",
            f"No {other} learner on {user_text(a.project_label)} is looking for a partner yet, so you two "
            f"({track}) study together on the same project: compare designs, review each other's code. "
            f"Staff pair you with a {other} learner as soon as one joins.",
        )
    return None


def dm_label(kind: PairKind, opposite: str) -> tuple[str, str]:
    """(what the partner is called, a note) in the round's DM."""
    if kind is PairKind.ASYNC:
        return "partner", " You share no free hour each week, so you'll collaborate asynchronously in your thread."
    if kind is PairKind.BUDDY:
        return "study buddy", f" No {opposite} learner on your project is looking yet: you study together meanwhile."
    return "partner", ""
