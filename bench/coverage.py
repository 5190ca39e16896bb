"""Every learner partnered (issue 14): ``python -m bench.coverage [--seeds 20]``.

A generated cohort of the programme's real shape (67 learners; per project Backend / Frontend: E-Commerce
21 / 11, Online Poll 2 / 4, Job Board 5 / 3, Social Media Feed 3 / 1, Movie Recommendation 2 / 0, 15 on
custom projects), African time zones, evening and weekend availability written in the bot's syntax. Each
cohort is run through today's round (one-to-one, the solver alone) and through the round's policies
(``bot.services.matching.balance.solve_round``): one-to-one with the last resorts, and ``balance:auto``.

The figure: the share of learners with a cross-track partner on their project, out of the learners whose
project has someone on the other track (target ≥ 95 %), plus the share of all learners with anyone.
Deterministic (fixed seeds); no timing.
"""

from __future__ import annotations

import argparse
import random
import statistics
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.availability import parse_availability
from bot.services.matching import Learner, optimal_matching
from bot.services.matching.balance import Balance, balanced_capacities, cross_track_coverage, solve_round
from bot.services.matching.reasons import UnmatchedCode

SEED = 20261201
WEEK_OF = date(2026, 12, 7)
NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
TARGET = 0.95

# (project, backend learners, frontend learners), from 67 public learner repos of the programme.
SHAPE: tuple[tuple[str, int, int], ...] = (
    ("ecommerce", 21, 11),
    ("online-poll-system", 2, 4),
    ("job-board", 5, 3),
    ("social-media-feed", 3, 1),
    ("movie-recommendation", 2, 0),
)
CUSTOM_LEARNERS = 15
CUSTOM_TITLES = ("Study Planner", "Recipe Finder", "Event Tickets", "Health Tracker", "Local Market", "Quiz App")
ZONES = {
    "Africa/Lagos": 20,
    "Africa/Nairobi": 14,
    "Africa/Accra": 8,
    "Africa/Johannesburg": 7,
    "Africa/Kigali": 5,
    "Africa/Cairo": 5,
    "Africa/Addis_Ababa": 4,
    "Africa/Kampala": 3,
    "Africa/Casablanca": 1,
}
# Evening and weekend study time, local: (text, weight). A few learners only have one short slot.
AVAILABILITY = {
    "weekdays 18-22, weekends 10-18": 18,
    "weekdays 19-22": 12,
    "mon-thu 20-23, sat 9-13": 8,
    "weekends 9-17": 8,
    "sat 10-16, sun 14-20": 6,
    "mon/wed/fri 18-21": 6,
    "tue/thu 19-22, sun 15-19": 5,
    "weekdays 6-8, sat 7-10": 3,
    "sun 8-10": 2,
    "weekdays 12-13": 2,
}
SKILLS = ("django", "postgres", "docker", "graphql", "rest", "react", "typescript", "css", "nextjs", "testing")


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def cohort(seed: int = SEED) -> list[Learner]:
    """The 67 learners of the programme's shape, with zones, availability and skills drawn from `seed`."""
    rng = random.Random(seed)
    specs: list[tuple[str, str | None, str]] = []
    for project, backends, frontends in SHAPE:
        specs += [(project, None, "backend")] * backends + [(project, None, "frontend")] * frontends
    for _ in range(CUSTOM_LEARNERS):
        specs.append(("other", rng.choice(CUSTOM_TITLES), rng.choice(("backend", "backend", "frontend"))))
    out = []
    for uid, (project, title, track) in enumerate(specs, start=1):
        zone = _pick(rng, ZONES)
        windows = parse_availability(_pick(rng, AVAILABILITY), ZoneInfo(zone), WEEK_OF)
        out.append(
            Learner(
                user_id=uid,
                track="backend" if track == "backend" else "frontend",
                project=project,
                custom_title=title,
                tz_name=zone,
                windows=windows,
                offers=frozenset(rng.sample(SKILLS, 2)),
                wants=frozenset(rng.sample(SKILLS, 2)),
                stack=frozenset(),
                display_name=f"learner {uid}",
            )
        )
    return out


def measure(seed: int = SEED) -> dict[str, tuple[int, int, int]]:
    """Per policy: (covered, eligible, learners with anyone) on one cohort; "at capacity": (left so by today's
    round, by balance:auto, 0)."""
    learners = cohort(seed)
    ones = {lr.user_id: 1 for lr in learners}
    today = optimal_matching(learners, (), ones, now=NOW)
    one = solve_round(learners, (), ones, now=NOW)
    slots = balanced_capacities(learners, ones, (), {}, Balance.AUTO)
    auto = solve_round(learners, (), slots, now=NOW)
    out = {}
    for name, pairs in (
        ("today", today.pairs),
        ("one-to-one", one.result.pairs),
        ("auto", auto.result.pairs),
    ):
        covered, eligible = cross_track_coverage(learners, pairs)
        anyone = len({uid for a, b, _ in pairs for uid in (a, b)})
        out[name] = (covered, eligible, anyone)
    full = UnmatchedCode.PARTNERS_AT_CAPACITY
    at_capacity = [sum(r.code is full for r in res.reasons.values()) for res in (today, auto.result)]
    out["at capacity"] = (at_capacity[0], at_capacity[1], 0)
    return out


def run(quick: bool) -> list[dict[str, Any]]:
    seeds = [SEED + i for i in range(5 if quick else 20)]
    results = [measure(s) for s in seeds]
    rows: list[dict[str, Any]] = []
    for name, label in (
        ("today", "today's round (one-to-one, no last resorts)"),
        ("one-to-one", "balance:one-to-one + last resorts"),
        ("auto", "balance:auto + last resorts"),
    ):
        share = statistics.fmean(r[name][0] / r[name][1] for r in results)
        worst = min(r[name][0] / r[name][1] for r in results)
        anyone = statistics.fmean(r[name][2] / 67 for r in results)
        passed = worst >= TARGET if name == "auto" else None
        target = f"≥ {TARGET:.0%}" if name == "auto" else "info"
        rows.append(
            {
                "figure": f"cross-track coverage, {label} (mean, {len(seeds)} cohorts)",
                "value": round(share, 3),
                "target": target,
                "passed": passed,
            }
        )
        rows.append(
            {"figure": f"  worst cohort, {label}", "value": round(worst, 3), "target": target, "passed": passed}
        )
        rows.append(
            {"figure": f"  learners with anyone, {label}", "value": round(anyone, 3), "target": "info", "passed": None}
        )
    for i, label in enumerate(("today's round", "balance:auto + last resorts")):
        rows.append(
            {
                "figure": f"left with 'all compatible partners are at capacity', {label} (mean)",
                "value": round(statistics.fmean(r["at capacity"][i] for r in results), 1),
                "target": "info",
                "passed": None,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coverage")
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    print("cohort: 67 learners; cross-track coverage = learners with a partner on the other track of their project,")
    print("out of learners whose project has someone on the other track")
    print(f"{'seed':>10}  {'today':>14}  {'one-to-one+':>14}  {'auto':>14}")
    for seed in (SEED + i for i in range(args.seeds)):
        m = measure(seed)
        cells = [f"{m[n][0]:>3}/{m[n][1]:<3} {m[n][0] / m[n][1]:>5.1%}" for n in ("today", "one-to-one", "auto")]
        print(f"{seed:>10}  " + "  ".join(f"{c:>14}" for c in cells))
    for row in run(quick=args.seeds <= 5):
        print(f"{row['figure']:<70} {row['value']:>6}  {row['target']}")


if __name__ == "__main__":
    main()
