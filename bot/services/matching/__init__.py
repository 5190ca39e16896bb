"""Partner matching: hard rules, a soft score, suggestions and cohort-wide optimal assignment.

``scoring`` (learners, the score, suggestions, the vectorised matrix), ``solving`` (the optimal
assignment and its proof of optimality), ``baselines`` (greedy and Gale–Shapley, for the bench),
``reasons`` (why someone got no partner, as codes). Nothing here imports discord, db or cogs.
"""

from bot.services.matching.baselines import gale_shapley_matching, greedy_matching
from bot.services.matching.reasons import Unmatched, UnmatchedCode, advice, reason_text
from bot.services.matching.scoring import (
    MAX_SCORE,
    MIN_OVERLAP_MINUTES,
    PROJECTS,
    Learner,
    ScoreBreakdown,
    compatible,
    project_key,
    project_label,
    score_matrix,
    score_pair,
    suggest,
)
from bot.services.matching.solving import MatchResult, optimal_matching

__all__ = [
    "MAX_SCORE",
    "MIN_OVERLAP_MINUTES",
    "PROJECTS",
    "Learner",
    "MatchResult",
    "ScoreBreakdown",
    "Unmatched",
    "UnmatchedCode",
    "advice",
    "compatible",
    "gale_shapley_matching",
    "greedy_matching",
    "optimal_matching",
    "project_key",
    "project_label",
    "reason_text",
    "score_matrix",
    "score_pair",
    "suggest",
]
