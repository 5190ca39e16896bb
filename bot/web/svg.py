"""The first-week chart as inline SVG for the dashboard: the PNG's data and layout rules (bot/services/charts.py),
drawn as vectors so it is sharp on a phone and readable without JavaScript. Every text is escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

from bot.services.charts import (
    TRACK_COLOURS,
    TRACK_LABELS,
    FirstWeekProgress,
    bar_length,
    chart_rows,
    nice_scale,
    target_rows,
)
from bot.services.tracks import TRACKS

WIDTH = 640
LABEL = 170
BAR_X = LABEL + 10
VALUE = 70
BAR_W = WIDTH - BAR_X - VALUE
ROW = 40
BAR_H = 14


def rgb(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def first_week_svg(progress: FirstWeekProgress) -> Markup:
    """Per-track target bars, then announced learners per project and track (every project, not only 12)."""
    rows = chart_rows(progress)
    targets = target_rows(progress)
    parts: list[str] = []
    y = 8
    for label, done, target, colour in targets:
        length = bar_length(done, target, BAR_W)
        parts.append(
            f'<text x="0" y="{y + 13}" class="c-lbl">{escape(label)}</text>'
            f'<rect x="{BAR_X}" y="{y}" width="{BAR_W}" height="18" fill="#eaeef2"/>'
            f'<rect class="bar target" data-track="{escape(label)}" data-value="{done}" x="{BAR_X}" y="{y}" '
            f'width="{length}" height="18" fill="{rgb(colour)}"/>'
            f'<text x="{BAR_X + BAR_W + 6}" y="{y + 13}" class="c-val">{done} of {target}</text>'
        )
        y += 28
    y += 16
    largest = max((progress.counts.get((k, t), 0) for k, _ in rows for t in TRACKS), default=0)
    scale, step = nice_scale(largest)
    top = y
    for key, name in rows:
        parts.append(f'<text x="0" y="{y + BAR_H + 3}" class="c-lbl">{escape(name[:28])}</text>')
        for i, t in enumerate(TRACKS):
            count = progress.counts.get((key, t), 0)
            length = bar_length(count, scale, BAR_W)
            bar_y = y + i * (BAR_H + 3)
            parts.append(
                f'<rect class="bar" data-project="{escape(key)}" data-track="{t}" data-value="{count}" '
                f'x="{BAR_X}" y="{bar_y}" width="{length}" height="{BAR_H}" fill="{rgb(TRACK_COLOURS[t])}">'
                f"<title>{escape(name)} · {TRACK_LABELS[t]}: {count}</title></rect>"
                f'<text x="{BAR_X + length + 4}" y="{bar_y + BAR_H - 3}" class="c-num">{count}</text>'
            )
        y += ROW
    for tick in range(0, scale + 1, step) if rows else ():
        x = BAR_X + bar_length(tick, scale, BAR_W)
        parts.insert(0, f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{y}" stroke="#d8dee4"/>')
        parts.append(f'<text x="{x}" y="{y + 14}" class="c-num" text-anchor="middle">{tick}</text>')
    legend = "".join(
        f'<rect x="{BAR_X + i * 110}" y="{y + 26}" width="12" height="12" fill="{rgb(TRACK_COLOURS[t])}"/>'
        f'<text x="{BAR_X + i * 110 + 16}" y="{y + 37}" class="c-lbl">{TRACK_LABELS[t]}</text>'
        for i, t in enumerate(TRACKS)
    )
    height = y + 46
    return Markup(
        f'<svg id="first-week-chart" role="img" aria-labelledby="chart-title" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">Learners announced per project and track</title>'
        f"<style>.c-lbl{{font:13px sans-serif;fill:#1f2328}}.c-val,.c-num{{font:12px sans-serif;fill:#57606a}}</style>"
        f"{''.join(parts)}{legend}</svg>"
    )
