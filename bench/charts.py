"""Chart library benchmark: `python -m bench.charts [--renders 50] [--learners 300]`.

Which library draws the first-week chart (`/project board`, the daily digest) at the least cost to
the bot's memory budget? For Pillow (the renderer in `bot/services/charts.py`) and for matplotlib
(Agg, the same chart drawn with its object API, no pyplot), each in a fresh subprocess:

* import time: wall clock of the library's `import` (floor: the bare interpreter's start-up);
* RSS after the import and after the first chart, minus the RSS before (floor: the bare
  interpreter's RSS), once in a bare interpreter and once in a process that has already imported
  the bot and every cog (numpy included), which is what the bot itself would pay;
* render time p50/p99 over `--renders` charts of a realistic board: the catalog's 6 projects ×
  2 tracks, `--learners` learners of whom about two thirds have announced; PNG size.

A library that is not installed is reported as skipped (only the chosen one, Pillow, is pinned).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.services.charts import (
    TRACK_COLOURS,
    TRACKS,
    FirstWeekProgress,
    chart_executor,
    chart_title,
    render_first_week_chart,
    trim_heap,
)

LIBRARIES = ("pillow", "matplotlib")
IMPORTS = {"pillow": "PIL", "matplotlib": "matplotlib"}
CATALOG = (
    ("ecommerce", "E-Commerce"),
    ("social-feed", "Social Media Feed"),
    ("movie-recommendation", "Movie Recommendation"),
    ("job-board", "Job Board"),
    ("online-poll", "Online Poll System"),
    ("other", "Other"),
)
WEIGHTS = (0.34, 0.18, 0.16, 0.12, 0.14, 0.06)
RSS_DELTA_TARGET_MB = 10.0  # the bot's budget: ~110 MB under load today, ≤ 100 MB targeted
RENDER_P99_TARGET_MS = 500.0  # drawn in a worker thread; well inside Discord's 3 s window
PNG_TARGET_KB = 100.0
BURST = 8  # members pressing /project board in the same moment


def realistic_progress(learners: int = 300, seed: int = 7) -> FirstWeekProgress:
    """Half the learners per track; about two thirds announced, spread over the catalog like a real cohort."""
    rng = random.Random(seed)
    counts: dict[tuple[str, str], int] = {}
    for track in TRACKS:
        for _ in range(round(learners / 2 * 0.66)):
            key = rng.choices([k for k, _ in CATALOG], WEIGHTS)[0]
            counts[(key, track)] = counts.get((key, track), 0) + 1
    announced = sum(counts.values())
    return FirstWeekProgress(
        projects=CATALOG,
        counts=counts,
        announced=announced,
        learners=learners,
        days_left=3,
        track_learners={"backend": learners // 2, "frontend": learners - learners // 2},
    )


def render_matplotlib(progress: FirstWeekProgress) -> bytes:
    """The same chart with matplotlib's object API (Figure + Agg canvas: no pyplot, no global state)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    colours = {t: tuple(c / 255 for c in rgb) for t, rgb in TRACK_COLOURS.items()}
    names = [name for _, name in progress.projects]
    figure = Figure(figsize=(8, 5.2), dpi=100)
    FigureCanvasAgg(figure)
    target_ax, ax = figure.subplots(2, 1, height_ratios=(1, 4))
    figure.subplots_adjust(left=0.24, right=0.86)
    figure.suptitle(chart_title(progress), x=0.03, ha="left", fontsize=16)
    for i, t in enumerate(TRACKS):
        done = sum(n for (_, track), n in progress.counts.items() if track == t)
        total = progress.track_learners.get(t, 0)
        target_ax.barh(i, total, color="#eaeef2")
        target_ax.barh(i, done, color=colours[t])
        target_ax.text(total, i, f" {done} of {total}", va="center")
    target_ax.set_yticks(range(len(TRACKS)), [t.title() for t in TRACKS])
    target_ax.invert_yaxis()
    target_ax.set_xticks([])
    for i, t in enumerate(TRACKS):
        values = [progress.counts.get((key, t), 0) for key, _ in progress.projects]
        positions = [p + i * 0.4 for p in range(len(names))]
        bars = ax.barh(positions, values, height=0.38, color=colours[t], label=t.title())
        ax.bar_label(bars, padding=3, fontsize=8)
    ax.set_yticks([p + 0.2 for p in range(len(names))], names)
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    ax.set_title("Learners announced per project", loc="left", fontsize=11)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def rss_mb() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    import psutil  # not Linux: psutil's figure (its own import is then inside the floor)

    return float(psutil.Process().memory_info().rss) / 2**20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def preload_bot() -> None:
    """Everything the running bot has imported before it draws its first chart."""
    import pkgutil

    import cogs

    importlib.import_module("bot.app.nexus_bot")
    for module in pkgutil.iter_modules(cogs.__path__):
        importlib.import_module(f"cogs.{module.name}")


def worker(library: str, renders: int, learners: int, in_bot: bool) -> dict[str, Any]:
    """Runs in a fresh interpreter: one library's import, memory and render figures."""
    if in_bot:
        preload_bot()
    before = rss_mb()
    loaded = IMPORTS[library] in sys.modules
    progress = realistic_progress(learners)
    started = time.perf_counter()
    if library == "pillow":
        from PIL import Image, ImageDraw, ImageFont  # noqa: F401

        render = render_first_week_chart
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401

        render = render_matplotlib
    if in_bot:  # the bot's path, for either library: on the chart thread, heap trimmed after each chart
        draw = render

        def on_chart_thread(progress: FirstWeekProgress) -> bytes:
            try:
                return draw(progress)
            finally:
                trim_heap()

        def render(progress: FirstWeekProgress) -> bytes:
            return chart_executor().submit(on_chart_thread, progress).result()

    import_s = time.perf_counter() - started
    after_import = rss_mb()
    started = time.perf_counter()
    png = render(progress)
    first_s = time.perf_counter() - started
    after_render = rss_mb()
    times: list[float] = []
    for _ in range(renders):
        started = time.perf_counter()
        png = render(progress)
        times.append(time.perf_counter() - started)
    burst = None
    if library == "pillow" and in_bot:
        burst = burst_rss_delta(progress) + (rss_mb() - before)
    return {
        "library": library,
        "in_bot": in_bot,
        "already_loaded": loaded,
        "rss_before_mb": before,
        "import_ms": import_s * 1000,
        "rss_import_delta_mb": after_import - before,
        "rss_render_delta_mb": after_render - before,
        "rss_after_renders_delta_mb": rss_mb() - before,
        "rss_burst_delta_mb": burst,
        "first_render_ms": first_s * 1000,
        "render_p50_ms": percentile(times, 50) * 1000,
        "render_p99_ms": percentile(times, 99) * 1000,
        "png_kb": len(png) / 1024,
        "renders": renders,
    }


def burst_rss_delta(progress: FirstWeekProgress, at_once: int = BURST, rounds: int = 6) -> float:
    """Extra RSS once `at_once` members ask for a chart together, `rounds` times, through the async variant."""
    import asyncio

    from bot.services.charts import render_first_week_chart_async

    async def bursts() -> None:
        for _ in range(rounds):
            await asyncio.gather(*(render_first_week_chart_async(progress) for _ in range(at_once)))

    before = rss_mb()
    asyncio.run(bursts())
    return rss_mb() - before


def installed(library: str) -> bool:
    return importlib.util.find_spec(IMPORTS[library]) is not None


def child(library: str, renders: int, learners: int, in_bot: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.charts", "--worker", library, "--renders", str(renders)]
    cmd += ["--learners", str(learners)] + (["--in-bot"] if in_bot else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def floor(starts: int = 5) -> dict[str, float]:
    """The bare interpreter: start-up wall time and RSS (what every figure above is compared with)."""
    walls: list[float] = []
    for _ in range(starts):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        walls.append(time.perf_counter() - started)
    code = "from bench.charts import rss_mb; print(rss_mb())"
    rss = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    code = "from bench.charts import preload_bot, rss_mb; preload_bot(); print(rss_mb())"
    bot = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    return {"startup_ms": statistics.median(walls) * 1000, "rss_mb": rss, "bot_rss_mb": bot}


def measure(renders: int, learners: int) -> dict[str, Any]:
    results: dict[str, Any] = {"floor": floor(), "renders": renders, "learners": learners}
    for library in LIBRARIES:
        if not installed(library):
            results[library] = None
            continue
        results[library] = {
            "bare": child(library, renders, learners, in_bot=False),
            "bot": child(library, renders, learners, in_bot=True),
        }
    return results


def run(quick: bool) -> list[dict[str, Any]]:
    m = measure(20 if quick else 50, 300)
    f = m["floor"]
    rows: list[dict[str, Any]] = [
        {"figure": "bare interpreter: start-up (ms)", "value": f["startup_ms"], "target": "info", "passed": None},
        {"figure": "bare interpreter: RSS (MB)", "value": f["rss_mb"], "target": "info", "passed": None},
        {"figure": "bot + cogs imported: RSS (MB)", "value": f["bot_rss_mb"], "target": "info", "passed": None},
    ]
    for library in LIBRARIES:
        result = m[library]
        chosen = library == "pillow"
        if result is None:
            rows.append({"figure": f"{library}: not installed", "value": "skipped", "target": "info", "passed": None})
            continue
        bare, bot = result["bare"], result["bot"]

        def row(
            figure: str, value: float, target: float | None, unit: str, lib: str = library, chosen: bool = chosen
        ) -> dict[str, Any]:
            if not chosen or target is None:
                return {"figure": f"{lib}: {figure}", "value": value, "target": "info", "passed": None}
            return {
                "figure": f"{lib}: {figure}",
                "value": value,
                "target": f"≤ {target:g} {unit}",
                "passed": value <= target,
            }

        rows += [
            row("import time (ms)", bare["import_ms"], None, "ms"),
            row("RSS Δ after import, bare (MB)", bare["rss_import_delta_mb"], None, "MB"),
            row("RSS Δ after 1 chart, bare (MB)", bare["rss_render_delta_mb"], None, "MB"),
            row("RSS Δ after 1 chart, in the bot (MB)", bot["rss_render_delta_mb"], None, "MB"),
            row(
                f"RSS Δ after {bot['renders'] + 1} charts, in the bot (MB)",
                bot["rss_after_renders_delta_mb"],
                RSS_DELTA_TARGET_MB,
                "MB",
            ),
            row(f"render p50 over {bare['renders']} (ms)", bare["render_p50_ms"], None, "ms"),
            row(f"render p99 over {bare['renders']} (ms)", bare["render_p99_ms"], RENDER_P99_TARGET_MS, "ms"),
            row("PNG size (KB)", bare["png_kb"], PNG_TARGET_KB, "KB"),
        ]
        if bot.get("rss_burst_delta_mb") is not None:
            rows.append(
                row(
                    f"RSS Δ after {BURST} charts at once ×6, in the bot (MB)",
                    bot["rss_burst_delta_mb"],
                    RSS_DELTA_TARGET_MB,
                    "MB",
                )
            )
    return rows


def print_report(m: dict[str, Any]) -> None:
    f = m["floor"]
    print(
        f"Board: {len(CATALOG)} projects × {len(TRACKS)} tracks, {m['learners']} learners; "
        f"{m['renders']} renders per library, each library in a fresh process."
    )
    print(
        f"Floors: bare interpreter start-up {f['startup_ms']:.0f} ms, RSS {f['rss_mb']:.1f} MB; "
        f"bot + cogs imported RSS {f['bot_rss_mb']:.1f} MB."
    )
    header = f"{'figure':<44} " + " ".join(f"{lib:>12}" for lib in LIBRARIES) + f" {'floor':>10} {'mpl/pil':>8}"
    print(header)
    print("-" * len(header))

    def line(label: str, key: str, where: str, floor_value: float | None, fmt: str = "{:.1f}") -> None:
        values = [None if m[lib] is None else m[lib][where][key] for lib in LIBRARIES]
        cells = " ".join(f"{'skipped' if v is None else fmt.format(v):>12}" for v in values)
        floor_cell = "" if floor_value is None else fmt.format(floor_value)
        ratio = f"{values[1] / values[0]:.1f}x" if None not in values and values[0] else ""
        print(f"{label:<44} {cells} {floor_cell:>10} {ratio:>8}")

    line("import time (ms)", "import_ms", "bare", f["startup_ms"], "{:.0f}")
    line("RSS Δ after import, bare (MB)", "rss_import_delta_mb", "bare", f["rss_mb"])
    line("RSS Δ after 1 chart, bare (MB)", "rss_render_delta_mb", "bare", f["rss_mb"])
    line(f"RSS Δ after {m['renders'] + 1} charts, bare (MB)", "rss_after_renders_delta_mb", "bare", f["rss_mb"])
    line("import time in the bot (ms)", "import_ms", "bot", None, "{:.0f}")
    line("RSS Δ after import, in the bot (MB)", "rss_import_delta_mb", "bot", f["bot_rss_mb"])
    line("RSS Δ after 1 chart, in the bot (MB)", "rss_render_delta_mb", "bot", f["bot_rss_mb"])
    line(
        f"RSS Δ after {m['renders'] + 1} charts, in the bot (MB)", "rss_after_renders_delta_mb", "bot", f["bot_rss_mb"]
    )
    burst = m["pillow"]["bot"].get("rss_burst_delta_mb") if m["pillow"] else None
    if burst is not None:
        label = f"RSS Δ after {BURST} at once ×6, in the bot (MB)"
        print(f"{label:<44} {burst:>12.1f} {'n/a':>12} {f['bot_rss_mb']:>10.1f}")
    line("first render (ms)", "first_render_ms", "bare", None, "{:.0f}")
    line("render p50 (ms)", "render_p50_ms", "bare", None)
    line("render p99 (ms)", "render_p99_ms", "bare", None)
    line("PNG size (KB)", "png_kb", "bare", None)
    print("floor: the bare interpreter's start-up / RSS (import and bare rows), the bot's RSS (in-the-bot rows);")
    print("Δ rows are added on top of that floor; mpl/pil = matplotlib's figure over Pillow's.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.charts")
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--in-bot", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--save", metavar="DIR", help="also write each library's chart as DIR/<library>.png")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.renders, args.learners, args.in_bot)))
        return 0
    m = measure(args.renders, args.learners)
    print_report(m)
    if args.save:
        folder = Path(args.save)
        folder.mkdir(parents=True, exist_ok=True)
        progress = realistic_progress(args.learners)
        (folder / "pillow.png").write_bytes(render_first_week_chart(progress))
        if installed("matplotlib"):
            (folder / "matplotlib.png").write_bytes(render_matplotlib(progress))
        print(f"charts written to {folder}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
