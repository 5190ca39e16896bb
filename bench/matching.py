"""Partner-matching benchmark: ``python -m bench.matching [--sizes 1000,10000,50000,100000]``.

Each size runs in a fresh subprocess (so peak RSS is per size) on a synthetic but realistic cohort
generated with a fixed seed:

* 5 projects (E-commerce ≈ 50 %), Backend:Frontend ≈ 2:1, backend capacity 1, frontend capacity 1–3;
* real IANA zones between UTC-8 and UTC+3 (weighted towards Africa and Europe);
* availability written in the bot's syntax (weekday evenings, weekend blocks) and parsed by
  :func:`bot.services.availability.parse_availability`;
* random offered/wanted skills and stack preferences.

Reported per size: wall time and peak RSS of :func:`optimal_matching` beside the floor (scoring every pair
of every bucket once, as the solver does: encoding, the score tables, every block; a certificate must look
at every pair) and the issue-17 targets (50k ≤ 8 s, 100k ≤ 30 s, ≤ 2 GB); whether the solver's own answer
is certified optimal (every sparse bucket ``…-proven``); and the total score of the optimal, greedy and
Gale–Shapley matchings as a fraction of a reference:

* exact optimum = dense assignment of every bucket (``dense_limit`` = ∞) where that is computable
  (≤ ``EXACT_MAX`` learners);
* above that, the optimum by column generation run to the end, certified by LP duality independently of
  the solver's own check (see :func:`_exact_reference`); if the certificate fails, the dual bound is used,
  so the printed fraction is a lower bound on the true fraction of the optimum.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from bot.services.availability import parse_availability
from bot.services.matching import (
    Learner,
    MatchResult,
    gale_shapley_matching,
    greedy_matching,
    optimal_matching,
)
from bot.services.matching.buckets import _bucket_edges, _prepare, _score_all
from bot.services.matching.flow import _solve_priced
from bot.services.matching.scoring import _encode, _score_block

SEED = 20260112
WEEK_OF = date(2026, 1, 12)
NOW = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
EXACT_MAX = 10_000
DEFAULT_SIZES = (1_000, 10_000, 50_000, 100_000)
QUICK_SIZES = (1_000, 10_000)

PROJECT_WEIGHTS = {
    "ecommerce": 0.50,
    "social-media-feed": 0.14,
    "movie-recommendation": 0.13,
    "job-board": 0.12,
    "online-poll-system": 0.11,
}
# (zone, weight): UTC-8 … UTC+3
ZONES = {
    "America/Los_Angeles": 3,
    "America/Denver": 1,
    "America/Chicago": 2,
    "America/New_York": 4,
    "America/Sao_Paulo": 2,
    "Atlantic/Cape_Verde": 1,
    "Europe/London": 4,
    "Africa/Accra": 8,
    "Africa/Lagos": 14,
    "Europe/Berlin": 3,
    "Africa/Cairo": 5,
    "Africa/Johannesburg": 5,
    "Africa/Kigali": 4,
    "Africa/Nairobi": 12,
    "Africa/Addis_Ababa": 5,
    "Europe/Istanbul": 2,
}
BACKEND_SKILLS = ["django", "drf", "graphql", "postgres", "redis", "celery", "docker", "ci", "testing", "auth"]
FRONTEND_SKILLS = ["react", "nextjs", "typescript", "tailwind", "react-native", "pwa", "ui-design", "accessibility"]
STACKS = [
    (frozenset({"rest"}), 50),
    (frozenset({"graphql"}), 25),
    (frozenset(), 15),
    (frozenset({"rest", "graphql"}), 10),
]


def _availability_text(rng: random.Random) -> str:
    items: list[str] = []
    kind = rng.random()
    start = rng.choice([17, 18, 18, 19, 19, 20, 20.5, 21])
    length = rng.choice([2, 2, 3, 3, 4])
    end = (start + length) % 24

    def t(x: float) -> str:
        return f"{int(x)}:30" if x % 1 else str(int(x))

    if kind < 0.45:
        items.append(f"weekdays {t(start)}-{t(end)}")
    elif kind < 0.8:
        days = sorted(rng.sample(["mon", "tue", "wed", "thu", "fri"], rng.randint(2, 4)), key="montuewedthufri".index)
        items.append(f"{'/'.join(days)} {t(start)}-{t(end)}")
    else:
        items.append(f"daily {t(start - 10)}-{t(start - 10 + rng.choice([1, 1.5, 2]))}")  # mornings
    if rng.random() < 0.75:
        ws = rng.choice([8, 9, 10, 10, 11, 13, 14, 15])
        items.append(f"{rng.choice(['sat', 'sun', 'weekends', 'sat', 'weekends'])} {ws}-{ws + rng.choice([2, 3, 4])}")
    return ", ".join(items)


def generate_cohort(n: int, seed: int = SEED) -> list[Learner]:
    """A realistic cohort of ``n`` learners (deterministic for a given seed)."""
    rng = random.Random(seed + n)
    zones = list(ZONES)
    zone_w = list(ZONES.values())
    tzs = {z: ZoneInfo(z) for z in zones}
    projects = list(PROJECT_WEIGHTS)
    proj_w = list(PROJECT_WEIGHTS.values())
    stacks = [s for s, _ in STACKS]
    stack_w = [w for _, w in STACKS]
    out: list[Learner] = []
    for i in range(n):
        track: Literal["backend", "frontend"] = "backend" if rng.random() < 2 / 3 else "frontend"
        tz = rng.choices(zones, zone_w)[0]
        mine, theirs = (BACKEND_SKILLS, FRONTEND_SKILLS) if track == "backend" else (FRONTEND_SKILLS, BACKEND_SKILLS)
        out.append(
            Learner(
                user_id=10_000_000 + i,
                track=track,
                project=rng.choices(projects, proj_w)[0],
                custom_title=None,
                tz_name=tz,
                windows=parse_availability(_availability_text(rng), tzs[tz], WEEK_OF),
                offers=frozenset(rng.sample(mine, rng.randint(1, 4))),
                wants=frozenset(rng.sample(theirs, rng.randint(1, 3))),
                stack=rng.choices(stacks, stack_w)[0],
                capacity=1 if track == "backend" else rng.choice([1, 2, 2, 3]),
                display_name=f"learner{i}",
            )
        )
    return out


def _exact_reference(learners: list[Learner]) -> tuple[float, bool]:
    """The optimum per bucket by column generation run to the end (no round limit), and whether it is
    certified: the solver's frontend prices ``y_f ≥ 0`` go into the weak-duality bound

        OPT ≤ Σ_f cap_f · y_f + Σ_b (sum of the cap_b largest values of (s_bf − y_f)⁺ over ALL f),

    evaluated here over every pair of the bucket, independently of the solver; bound == total proves
    the optimum. If a bucket is not certified its bound is used instead (an upper bound). Not timed.
    """
    buckets, _ = _prepare(learners, (), None)
    total, certified = 0.0, True
    for bucket in buckets:
        nb, nf = len(bucket.backs), len(bucket.fronts)
        if not nb or not nf:
            continue
        enc = _encode(bucket.backs, bucket.fronts, NOW)
        edges = _bucket_edges(bucket, False, 10, NOW, enc)
        pairs, edges, proven, prices = _solve_priced(edges, bucket.bcap, bucket.fcap, max_rounds=1000)
        assert prices is not None and len(set(pairs)) == len(pairs), "cohort has capacity ≥ 2 on both sides"
        full = edges.full
        assert full is not None
        value = float(sum(int(full[b, f]) for b, f in pairs))
        y_f = prices[1].astype(np.float64)
        bound = float((bucket.fcap * y_f).sum())
        kmax = int(bucket.bcap.max())
        step = max(1, 4_000_000 // nf)
        for start in range(0, nb, step):
            sl = slice(start, min(nb, start + step))
            red = np.maximum(0.0, _score_block(enc, sl) - y_f[None, :])
            if kmax < nf:
                red = -np.partition(-red, kmax - 1, axis=1)[:, :kmax]
            red = -np.sort(-red, axis=1)
            mask = np.arange(red.shape[1])[None, :] < bucket.bcap[sl][:, None]
            bound += float((red * mask).sum())
        ok = proven and abs(bound - value) < 1e-6
        certified &= ok
        total += value if ok else bound
    return total, certified


def _score_every_pair_s(learners: list[Learner]) -> float:
    """The floor of a certified optimum: scoring every pair of every bucket once (the duality check must look
    at each pair), the way the solver does (encoding, score tables, row blocks on its threads), nothing else."""
    buckets, _ = _prepare(learners, (), None)
    started = time.perf_counter()
    for bucket in buckets:
        if bucket.backs and bucket.fronts:
            _score_all(_encode(bucket.backs, bucket.fronts, NOW), bucket)
    return time.perf_counter() - started


def _peak_rss_mb() -> float:
    """Peak RSS of this process plus the largest of its finished children (the solver's flow worker process,
    flow.py): an upper bound on what they held at once. Linux: KiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def _check(result: MatchResult, learners: list[Learner]) -> None:
    cap = {lr.user_id: lr.capacity for lr in learners}
    seen: set[tuple[int, int]] = set()
    count: dict[int, int] = {}
    for b, f, s in result.pairs:
        assert (b, f) not in seen and s > 0
        seen.add((b, f))
        count[b] = count.get(b, 0) + 1
        count[f] = count.get(f, 0) + 1
    assert all(count[u] <= cap[u] for u in count)
    assert all(lr.user_id in count or lr.user_id in result.unmatched for lr in learners)


def worker(n: int, timing_only: bool = False) -> dict[str, Any]:
    """Run one size in this process and return its measurements."""
    learners = generate_cohort(n)
    # The solver imports SciPy and OR-Tools on first use; imported here so the figure is the solve. (The
    # bot's first round after a start pays those imports once: ~0.35 s, in the matching cog's worker thread.)
    import scipy.optimize  # noqa: F401
    from ortools.graph.python import min_cost_flow  # noqa: F401

    rss_before = _peak_rss_mb()
    t0 = time.perf_counter()
    opt = optimal_matching(learners, now=NOW)
    wall = time.perf_counter() - t0
    rss = _peak_rss_mb()
    _check(opt, learners)
    if timing_only:
        return {"n": n, "wall_s": wall, "peak_rss_mb": rss, "optimal_total": opt.total_score}
    floor_s = _score_every_pair_s(learners)
    t1 = time.perf_counter()
    greedy = greedy_matching(learners, now=NOW)
    t_greedy = time.perf_counter() - t1
    t2 = time.perf_counter()
    gs = gale_shapley_matching(learners, now=NOW)
    t_gs = time.perf_counter() - t2
    _check(greedy, learners)
    _check(gs, learners)
    if n <= EXACT_MAX:
        exact = optimal_matching(learners, dense_limit=10**9, now=NOW)
        reference, ref_kind = float(exact.total_score), "exact (dense LSA)"
    else:
        reference, certified = _exact_reference(learners)
        ref_kind = "exact (column generation, duality-certified)" if certified else "LP dual upper bound"
    return {
        "n": n,
        "wall_s": wall,
        "peak_rss_mb": rss,
        "rss_before_mb": rss_before,
        "method": opt.method,
        "skew": _skew(learners),
        "floor_s": floor_s,
        "pairs": len(opt.pairs),
        "unmatched": len(opt.unmatched),
        "optimal_total": opt.total_score,
        "greedy_total": greedy.total_score,
        "gs_total": gs.total_score,
        "greedy_s": t_greedy,
        "gs_s": t_gs,
        "reference": reference,
        "reference_kind": ref_kind,
    }


def _run_worker(n: int, timing_only: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.matching", "--worker", str(n)] + (["--timing-only"] if timing_only else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(n: int, repeat: int = 1) -> dict[str, Any]:
    """Run :func:`worker` for ``n`` in a fresh interpreter, plus ``repeat - 1`` timing-only runs (each in its
    own interpreter): ``wall_s`` is the best, ``wall_median_s`` the median, ``peak_rss_mb`` the largest."""
    m = _run_worker(n, False)
    walls, rss = [float(m["wall_s"])], [float(m["peak_rss_mb"])]  # type: ignore[arg-type]
    for _ in range(repeat - 1):
        t = _run_worker(n, True)
        assert t["optimal_total"] == m["optimal_total"], "non-deterministic result"
        walls.append(float(t["wall_s"]))  # type: ignore[arg-type]
        rss.append(float(t["peak_rss_mb"]))  # type: ignore[arg-type]
    m["wall_s"], m["wall_median_s"], m["peak_rss_mb"], m["runs"] = (
        min(walls),
        float(np.median(walls)),
        max(rss),
        len(walls),
    )
    return m


# n → (seconds, MB, fraction of the optimum): issue 17 asks 50k ≤ 8 s and 100k ≤ 30 s within 2 GB, both optimal.
TARGETS = {10_000: (3.0, None, 1.0), 50_000: (8.0, 2048.0, 1.0), 100_000: (30.0, 2048.0, 1.0)}


def _proven(method: str) -> bool:
    """Whether every bucket's answer is exact: dense LSA, milp, or sparse with its duality proof."""
    parts = [p.split("×")[0] for p in method.split(", ") if p]
    return all(not p.startswith("sparse") or p.endswith("-proven") for p in parts)


def _skew(learners: list[Learner]) -> str:
    n = len(learners)
    ecommerce = sum(1 for lr in learners if lr.project == "ecommerce") / n
    backs = sum(1 for lr in learners if lr.track == "backend")
    return f"E-commerce {ecommerce:.0%} · Backend:Frontend {backs / max(1, n - backs):.2f}"


def _frac(x: float, ref: float) -> float:
    return x / ref if ref else 1.0


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows for the ``python -m bench`` aggregator (quick = 1k and 10k only)."""
    rows: list[dict[str, Any]] = []
    for n in QUICK_SIZES if quick else DEFAULT_SIZES:
        m = measure(n)
        secs, mb, frac_target = TARGETS.get(n, (None, None, None))
        frac = _frac(float(m["optimal_total"]), float(m["reference"]))
        floor = float(m["floor_s"])
        wall = float(m["wall_s"])
        rows.append(
            {
                "figure": f"matching {n:,} learners: wall time (s) · floor {floor:.2f} s (scoring every pair once)"
                f" · ratio {wall / floor if floor else float('inf'):.1f}×",
                "value": round(wall, 3),
                "target": f"≤ {secs:g} s" if secs else "—",
                "passed": secs is None or wall <= secs,
            }
        )
        rows.append(
            {
                "figure": f"matching {n:,} learners: peak RSS (MB)",
                "value": round(float(m["peak_rss_mb"]), 1),
                "target": f"≤ {mb:.0f} MB (2 GB)" if mb else "—",
                "passed": mb is None or float(m["peak_rss_mb"]) <= mb,
            }
        )
        rows.append(
            {
                "figure": f"matching {n:,} learners: cohort",
                "value": str(m["skew"]),
                "target": "info",
                "passed": None,
            }
        )
        proven = _proven(str(m["method"]))
        rows.append(
            {
                "figure": f"matching {n:,} learners: solver's answer certified optimal (duality)",
                "value": "yes" if proven else f"no ({m['method']})",
                "target": "yes" if n >= 50_000 else "info",
                "passed": proven if n >= 50_000 else None,
            }
        )
        # 100 % target: the score must equal the exact optimum (an integer), i.e. fraction ≥ 1 - 1e-12
        ok = frac_target is None or frac >= frac_target - 1e-12
        rows.append(
            {
                "figure": f"matching {n:,} learners: score / {m['reference_kind']}",
                "value": round(frac, 6),
                "target": f"≥ {frac_target:.1%}" if frac_target else "info",
                "passed": ok,
            }
        )
    return rows


def _table(results: list[dict[str, Any]]) -> str:
    head = [
        "learners",
        "wall s best/median",
        "floor s",
        "ratio",
        "target",
        "peak RSS MB",
        "certified",
        "optimal",
        "greedy",
        "Gale–Shapley",
        "reference",
        "method",
    ]
    lines = []
    for m in results:
        ref = float(m["reference"])
        exact = m["reference_kind"].startswith("exact")  # type: ignore[union-attr]

        def pct(x: object, exact: bool = exact, ref: float = ref) -> str:
            v = _frac(float(x), ref)  # type: ignore[arg-type]
            return f"{v:.4%}" + ("" if exact else " ≥")

        lines.append(
            [
                f"{m['n']:,}",
                f"{float(m['wall_s']):.2f} / {float(m.get('wall_median_s', m['wall_s'])):.2f}",  # type: ignore[arg-type]
                f"{float(m['floor_s']):.2f}",  # type: ignore[arg-type]
                f"{float(m['wall_s']) / max(float(m['floor_s']), 1e-9):.1f}×",  # type: ignore[arg-type]
                f"≤ {TARGETS[int(m['n'])][0]:g} s" if int(m["n"]) in TARGETS else "—",  # type: ignore[call-overload]
                f"{float(m['peak_rss_mb']):.0f}",  # type: ignore[arg-type]
                "yes" if _proven(str(m["method"])) else "no",
                pct(m["optimal_total"]),
                pct(m["greedy_total"]),
                pct(m["gs_total"]),
                f"{m['reference_kind']} = {ref:,.0f}",
                str(m["method"]),
            ]
        )
    widths = [max(len(h), *(len(row[i]) for row in lines)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:>{w}}}" if i < 10 else f"{{:<{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*row) for row in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES))
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per size (best and median shown)")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--timing-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.timing_only)))
        return 0
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s.strip()]
    results = []
    for n in sizes:
        results.append(measure(n, max(1, args.repeat)))
        print(f"done {n:,}", file=sys.stderr, flush=True)
    print(_table(results))
    print(
        "\nfractions are total score / reference; '≥' = reference is an upper bound, so the true fraction "
        "of the optimum is at least the figure shown. Wall time and RSS are for optimal_matching alone "
        "(RSS = peak of the whole worker process incl. the generated cohort); best / median of --repeat runs, "
        "each in a fresh process. Reference and baselines are not timed."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
