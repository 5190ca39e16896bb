"""First-week chart as a PNG: announced learners per project and track, against the first-week target.

Discord-free: the cog gathers the same figures `/project board` and the digest use, passes them as a
`FirstWeekProgress` and attaches the bytes. Pillow is imported inside the render function, so a bot
that never draws a chart never loads it (bench/charts.py: import and memory figures).
"""

from __future__ import annotations

import asyncio
import io
import math
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.services.first_week import days_left_text
from bot.services.tracks import TRACKS

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

TRACK_LABELS = {"backend": "Backend", "frontend": "Frontend"}

# Okabe–Ito blue and orange: told apart with every common colour-vision deficiency, and in greyscale.
TRACK_COLOURS: dict[str, tuple[int, int, int]] = {"backend": (0, 114, 178), "frontend": (230, 159, 0)}
BACKGROUND = (255, 255, 255)
TEXT = (31, 35, 40)
MUTED = (87, 96, 106)
GRID = (216, 222, 228)
TARGET_TRACK = (234, 238, 242)  # the unfilled part of a target bar: learners still to announce

WIDTH = 800
MARGIN = 24
LABEL_WIDTH = 196  # project names are cut with "…" to fit this
BAR_X = MARGIN + LABEL_WIDTH + 12
VALUE_WIDTH = 92  # room right of the bars for "123 of 456"
BAR_WIDTH = WIDTH - MARGIN - VALUE_WIDTH - BAR_X
BAR_HEIGHT = 14
TARGET_BAR_HEIGHT = 18
ROW_GAP = 14  # between projects
ROW_HEIGHT = 2 * BAR_HEIGHT + 4 + ROW_GAP
MAX_PROJECTS = 12  # a longer catalog lists the rest as "and N more" (the board's table has them all)
EM_DASH = "—"

# What Pillow's bundled font (Aileron, `ImageFont.load_default(size=...)`) can draw; anything else would
# be a box, so `drawable` folds accents away ("Café" → "Cafe") and draws "?" for the rest.
FONT_CHARACTERS = frozenset(chr(c) for c in range(32, 127)) | frozenset("©«°±´·»‘’“”…‹›⁄™")
REPLACEMENTS = {"—": "-", "–": "-", "‐": "-", "−": "-", "×": "x", "\u00a0": " "}


@dataclass(frozen=True)
class FirstWeekProgress:
    """What `/project board` shows, as plain data.

    `projects` = [(key, name)] in catalog order and `counts` = {(project_key, track): announced}, as
    `first_week.count_table` takes them; `announced` of `learners` is the roster progress line;
    `track_learners` = {track: learners holding that track's role}, the per-track target (optional).
    """

    projects: Sequence[tuple[str, str]]
    counts: Mapping[tuple[str, str], int]
    announced: int
    learners: int
    days_left: int
    over: bool = False
    track_learners: Mapping[str, int] = field(default_factory=dict)


def chart_title(progress: FirstWeekProgress) -> str:
    when = days_left_text(progress.days_left, progress.over)
    if progress.learners <= 0:
        return f"No learners found yet — {when}"
    return f"{min(progress.announced, progress.learners)} of {progress.learners} announced — {when}"


def drawable(text: str) -> str:
    """`text` in characters the bundled font has (accents folded, other letters as "?")."""
    out: list[str] = []
    for char in text:
        if char in FONT_CHARACTERS:
            out.append(char)
        elif char in REPLACEMENTS:
            out.append(REPLACEMENTS[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if c in FONT_CHARACTERS)
            out.append(base or "?")
    return "".join(out)


def chart_rows(progress: FirstWeekProgress) -> list[tuple[str, str]]:
    """Catalog projects, then projects no longer in the catalog that still have announcements."""
    known = {key for key, _ in progress.projects}
    extra = sorted({key for key, _ in progress.counts if key not in known})
    return list(progress.projects) + [(key, key) for key in extra]


def shown_rows(progress: FirstWeekProgress) -> tuple[list[tuple[str, str]], int]:
    """The project rows drawn (at most MAX_PROJECTS) and how many more there are."""
    rows = chart_rows(progress)
    return rows[:MAX_PROJECTS], max(0, len(rows) - MAX_PROJECTS)


def target_rows(progress: FirstWeekProgress) -> list[tuple[str, int, int, tuple[int, int, int]]]:
    """(label, announced, target, colour) per track, or one row for all learners when tracks are unknown."""
    if not progress.track_learners:
        return [("All learners", progress.announced, progress.learners, TEXT)]
    announced = {t: sum(n for (_, track), n in progress.counts.items() if track == t) for t in TRACKS}
    return [(TRACK_LABELS[t], announced[t], progress.track_learners.get(t, 0), TRACK_COLOURS[t]) for t in TRACKS]


def chart_size(progress: FirstWeekProgress) -> tuple[int, int]:
    shown, hidden = shown_rows(progress)
    height = (
        MARGIN
        + 34  # title
        + 42  # subtitle
        + len(target_rows(progress)) * (TARGET_BAR_HEIGHT + 10)
        + 22
        + 30  # per-project heading and legend
        + max(1, len(shown)) * ROW_HEIGHT
        - ROW_GAP
        + 30  # axis labels
        + (22 if hidden else 0)
        + MARGIN
    )
    return WIDTH, height


def nice_scale(largest: int) -> tuple[int, int]:
    """(axis maximum, tick step): a 1/2/5 × 10^k step, at most 5 steps, the maximum covering `largest`."""
    if largest <= 0:
        return 1, 1
    raw = largest / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(largest / step), step


def bar_length(value: int, scale: int, width: int = BAR_WIDTH) -> int:
    if scale <= 0 or value <= 0:
        return 0
    return round(width * min(value, scale) / scale)


def fit_text(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | Any, width: int) -> str:
    """`text` made drawable and cut with an ellipsis so it is at most `width` pixels wide."""
    text = drawable(text)
    if draw.textlength(text, font=font) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if draw.textlength(text[:mid].rstrip() + "…", font=font) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def palette() -> list[int]:
    """The PNG's palette: every flat colour exactly, plus ramps for anti-aliased text edges on white."""
    colours = [BACKGROUND, TEXT, MUTED, GRID, TARGET_TRACK, *TRACK_COLOURS.values()]
    for ink in (TEXT, MUTED):
        for step in range(1, 24):
            a = step / 24
            colours.append(tuple(round(ink[i] * a + BACKGROUND[i] * (1 - a)) for i in range(3)))  # type: ignore[arg-type]
    flat = [channel for colour in colours for channel in colour]
    return flat + flat[-3:] * (256 - len(colours))


def render_first_week_chart(progress: FirstWeekProgress) -> bytes:
    """The chart as PNG bytes (800 px wide; height grows with the catalog)."""
    from PIL import Image, ImageDraw, ImageFont  # lazy: only processes that draw a chart pay for Pillow

    def font(size: int) -> Any:
        return ImageFont.load_default(size=size)

    title_font, heading_font, label_font, small_font = font(26), font(17), font(15), font(13)
    shown, hidden = shown_rows(progress)
    targets = target_rows(progress)
    rows_height = max(1, len(shown)) * ROW_HEIGHT - ROW_GAP
    image = Image.new("RGB", chart_size(progress), BACKGROUND)
    draw = ImageDraw.Draw(image)

    # Title; the bundled font has no em dash, so it is drawn as a rule.
    x, y = float(MARGIN), MARGIN
    parts = chart_title(progress).split(EM_DASH)
    dash = title_font.size * 0.8
    for i, part in enumerate(parts):
        if i:
            x += 6
            draw.rectangle((round(x), y + 17, round(x + dash) - 1, y + 18), fill=TEXT)
            x += dash + 6
        part = drawable(part.strip())
        draw.text((x, y), part, TEXT, title_font, stroke_width=0.4, stroke_fill=TEXT)
        x += draw.textlength(part, font=title_font)
    y += 34
    if progress.learners > 0:
        percent = math.floor(100 * min(progress.announced, progress.learners) / progress.learners + 1e-9)
        subtitle = f"First-week target: every learner announces. {percent}% there."
    else:
        subtitle = "First-week target: every learner (Backend or Frontend role) announces."
    draw.text((MARGIN, y), subtitle, MUTED, label_font)
    y += 42

    for label, done, target, colour in targets:
        middle = y + TARGET_BAR_HEIGHT // 2
        draw.text((MARGIN, middle), label, TEXT, label_font, anchor="lm")
        draw.rectangle((BAR_X, y, BAR_X + BAR_WIDTH - 1, y + TARGET_BAR_HEIGHT - 1), fill=TARGET_TRACK)
        length = bar_length(done, target)
        if length:
            draw.rectangle((BAR_X, y, BAR_X + length - 1, y + TARGET_BAR_HEIGHT - 1), fill=colour)
        value = f"{done} of {target}"
        draw.text((BAR_X + BAR_WIDTH + 8, middle), value, TEXT, label_font, anchor="lm")
        y += TARGET_BAR_HEIGHT + 10
    y += 22

    draw.text((MARGIN, y), "Learners announced per project", TEXT, heading_font, stroke_width=0.3, stroke_fill=TEXT)
    legend_x = WIDTH - MARGIN
    for t in reversed(TRACKS):  # right-aligned legend: ■ Backend  ■ Frontend
        legend_x -= round(draw.textlength(TRACK_LABELS[t], font=label_font))
        draw.text((legend_x, y + 10), TRACK_LABELS[t], TEXT, label_font, anchor="lm")
        legend_x -= 18
        draw.rectangle((legend_x, y + 4, legend_x + 11, y + 15), fill=TRACK_COLOURS[t])
        legend_x -= 16
    y += 30

    largest = max((progress.counts.get((key, t), 0) for key, _ in shown for t in TRACKS), default=0)
    scale, step = nice_scale(largest)
    top, bottom = y, y + rows_height
    ticks = range(0, scale + 1, step) if shown else range(0)
    for tick in ticks:  # gridlines first, so bars sit on top of them
        tick_x = BAR_X + bar_length(tick, scale) - (1 if tick else 0)
        draw.line((tick_x, top - 4, tick_x, bottom + 4), fill=GRID if tick else MUTED, width=1)
    if not shown:
        draw.text((MARGIN, y + BAR_HEIGHT), "No projects in the catalog yet.", MUTED, label_font, anchor="lm")
    for key, name in shown:
        label = fit_text(draw, name, label_font, LABEL_WIDTH)
        draw.text((MARGIN, y + BAR_HEIGHT + 2), label, TEXT, label_font, anchor="lm")
        for i, t in enumerate(TRACKS):
            bar_y = y + i * (BAR_HEIGHT + 4)
            count = progress.counts.get((key, t), 0)
            length = bar_length(count, scale)
            if length:
                draw.rectangle((BAR_X, bar_y, BAR_X + length - 1, bar_y + BAR_HEIGHT - 1), fill=TRACK_COLOURS[t])
            draw.text((BAR_X + length + 6, bar_y + BAR_HEIGHT // 2), str(count), MUTED, small_font, anchor="lm")
        y += ROW_HEIGHT
    y = bottom + 8
    for tick in ticks:
        draw.text((BAR_X + bar_length(tick, scale), y), str(tick), MUTED, small_font, anchor="mt")
    y += 22
    if hidden:
        more = f"and {hidden} more project{'s' if hidden != 1 else ''}: see /project board"
        draw.text((MARGIN, y), more, MUTED, label_font)

    # Flat colours and anti-aliased text on white: a fixed palette keeps every bar colour exact and the file small
    # (~13 KB for the catalog's 6 projects); zlib's default level, as optimize=True costs 4x the time for 10%.
    paletted = Image.new("P", (1, 1))
    paletted.putpalette(palette())
    out = io.BytesIO()
    image.quantize(palette=paletted, dither=Image.Dither.NONE).save(out, format="PNG")
    return out.getvalue()


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_malloc_trim: Callable[[int], int] | Literal[False] | None = False  # False: not looked up yet


def chart_executor() -> ThreadPoolExecutor:
    """The one thread charts are drawn on, started with the first chart.

    Not `asyncio.to_thread`: each of the default pool's threads keeps a malloc arena of Pillow's
    buffers, so 8 charts at once grew RSS by ~25 MB there against ~9.5 MB on one thread.
    """
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nexus-chart")
        return _executor


def trim_heap() -> None:
    """Hand the heap Pillow just freed back to the OS (glibc's malloc_trim; a no-op elsewhere).

    Without it the freed image buffers stay in the bot's RSS: +7 to +10 MB after 50 charts, +3 MB with it.
    """
    global _malloc_trim
    if _malloc_trim is False:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL(None).malloc_trim
        except Exception:  # not glibc (musl, macOS, Windows): nothing to trim with
            _malloc_trim = None
    if _malloc_trim is not None:
        _malloc_trim(0)


def render_on_chart_thread(progress: FirstWeekProgress) -> bytes:
    try:
        return render_first_week_chart(progress)
    finally:
        trim_heap()


async def render_first_week_chart_async(progress: FirstWeekProgress) -> bytes:
    """`render_first_week_chart` off the event loop (on the chart thread), so the bot keeps answering while it draws."""
    return await asyncio.get_running_loop().run_in_executor(chart_executor(), render_on_chart_thread, progress)
