"""The first-week chart PNG: it decodes, its bars measure the data, and odd cohorts still draw."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.charts import CATALOG  # the seeded catalog, as the benchmark draws it
from bot.services.charts import (
    BACKGROUND,
    BAR_HEIGHT,
    BAR_WIDTH,
    BAR_X,
    FONT_CHARACTERS,
    LABEL_WIDTH,
    MARGIN,
    MAX_PROJECTS,
    TRACK_COLOURS,
    WIDTH,
    FirstWeekProgress,
    chart_size,
    chart_title,
    drawable,
    fit_text,
    nice_scale,
    render_first_week_chart,
    render_first_week_chart_async,
)

# Announced per project: (Backend, Frontend).
ANNOUNCED = {
    "ecommerce": (31, 27),
    "social-feed": (22, 25),
    "movie-recommendation": (18, 20),
    "job-board": (14, 9),
    "online-poll": (12, 16),
    "other": (3, 1),
}
COUNTS = {
    (key, track): n for key, both in ANNOUNCED.items() for track, n in zip(("backend", "frontend"), both, strict=True)
}
BOARD = FirstWeekProgress(
    CATALOG, COUNTS, announced=198, learners=300, days_left=3, track_learners={"backend": 150, "frontend": 150}
)
COLOUR_TRACK = {colour: track for track, colour in TRACK_COLOURS.items()}


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def bars(image: Image.Image) -> list[tuple[str, int, int]]:
    """(track, top row, length in px) of every bar in a track colour, top to bottom.

    Bars start at BAR_X; a bar is a run of rows whose pixel just right of BAR_X has a track colour, and
    its length is the run of that colour along its middle row.
    """
    pixels = image.load()
    assert pixels is not None
    found: list[tuple[str, int, int]] = []
    y = 0
    while y < image.height:
        colour = pixels[BAR_X + 1, y]
        if colour not in COLOUR_TRACK:
            y += 1
            continue
        top = y
        while y < image.height and pixels[BAR_X + 1, y] == colour:
            y += 1
        middle = (top + y) // 2
        length = 0
        while BAR_X + length < image.width and pixels[BAR_X + length, middle] == colour:
            length += 1
        found.append((COLOUR_TRACK[colour], top, length))  # type: ignore[index]
    return found


def test_board_png_decodes_at_its_size_and_is_small() -> None:
    png = render_first_week_chart(BOARD)
    image = decode(png)
    assert image.size == chart_size(BOARD)
    assert image.width == WIDTH == 800
    assert 300 < image.height < 700
    assert len(png) < 100 * 1024
    assert image.getpixel((2, 2)) == BACKGROUND


def test_bar_lengths_are_proportional_to_the_data() -> None:
    found = bars(decode(render_first_week_chart(BOARD)))
    # Two target bars (announced of each track's learners), then Backend and Frontend per project.
    assert [track for track, _, _ in found] == ["backend", "frontend"] * (1 + len(CATALOG))
    targets, projects = found[:2], found[2:]
    assert targets[0][2] == round(BAR_WIDTH * 100 / 150)  # 100 backend learners announced of 150
    assert targets[1][2] == round(BAR_WIDTH * 98 / 150)
    expected = [COUNTS[(key, track)] for key, _ in CATALOG for track in ("backend", "frontend")]
    scale, _ = nice_scale(max(expected))
    assert scale == 40
    for (_, _, length), count in zip(projects, expected, strict=True):
        assert length == round(BAR_WIDTH * count / scale)
    # Bars go down the image in catalog order.
    assert [top for _, top, _ in found] == sorted(top for _, top, _ in found)


def test_empty_cohort_renders() -> None:
    empty = FirstWeekProgress([], {}, announced=0, learners=0, days_left=7)
    image = decode(render_first_week_chart(empty))
    assert image.size == chart_size(empty)
    assert image.width == WIDTH
    assert bars(image) == []
    assert chart_title(empty) == "No learners found yet — 7 days left"


def test_project_with_zero_learners_draws_no_bar_and_keeps_the_others() -> None:
    progress = FirstWeekProgress(
        [("a", "Busy"), ("z", "Nobody yet"), ("b", "Half")],
        {("a", "backend"): 10, ("a", "frontend"): 4, ("b", "backend"): 5},
        announced=19,
        learners=40,
        days_left=1,
        track_learners={"backend": 20, "frontend": 20},
    )
    found = bars(decode(render_first_week_chart(progress)))
    projects = found[2:]
    assert [(track, length) for track, _, length in projects] == [
        ("backend", BAR_WIDTH),  # 10 of a 10-wide axis
        ("frontend", round(BAR_WIDTH * 4 / 10)),
        ("backend", round(BAR_WIDTH * 5 / 10)),
    ]
    # "Nobody yet" sits between Busy and Half: a gap of two bar rows where it is drawn empty.
    assert projects[2][1] - projects[1][1] > 2 * (projects[1][1] - projects[0][1])
    assert chart_title(progress) == "19 of 40 announced — last day"


def test_all_zero_counts_render_against_their_target() -> None:
    progress = FirstWeekProgress(CATALOG, {}, 0, 300, 7, track_learners={"backend": 150, "frontend": 150})
    image = decode(render_first_week_chart(progress))
    assert bars(image) == []
    assert image.size == chart_size(progress)


def test_long_project_names_are_cut_before_the_bars() -> None:
    long_name = "An extraordinarily long project name that staff typed into the catalog " * 2
    progress = FirstWeekProgress(
        [("long", long_name), ("short", "Job Board")],
        {("long", "backend"): 3, ("short", "frontend"): 2},
        announced=5,
        learners=10,
        days_left=2,
    )
    image = decode(render_first_week_chart(progress))
    found = bars(image)
    assert found[0][0] == "backend"  # the long project's bar (the target bar, all learners, is not a track colour)
    top, bottom = found[0][1] - 6, found[0][1] + 2 * BAR_HEIGHT + 6  # its row, label included
    gutter = image.crop((MARGIN + LABEL_WIDTH + 2, top, BAR_X - 1, bottom))
    assert gutter.getcolors() == [(gutter.width * gutter.height, BACKGROUND)]  # no text ran into the gap
    # The label itself: cut with an ellipsis, within the label column, drawn in the chart's font.
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    font = ImageFont.load_default(size=15)
    label = fit_text(draw, long_name, font, LABEL_WIDTH)
    assert label.endswith("…") and long_name.startswith(label[:-1])
    assert draw.textlength(label, font=font) <= LABEL_WIDTH
    assert fit_text(draw, "Job Board", font, LABEL_WIDTH) == "Job Board"


def test_many_projects_are_capped_and_counted() -> None:
    catalog = [(f"p{i}", f"Project {i}") for i in range(MAX_PROJECTS + 5)]
    counts = {(f"p{i}", "backend"): 1 for i in range(MAX_PROJECTS + 5)}
    capped = FirstWeekProgress(catalog, counts, 17, 40, 4)
    fitting = FirstWeekProgress(catalog[:MAX_PROJECTS], {}, 12, 40, 4)
    image = decode(render_first_week_chart(capped))
    assert len([b for b in bars(image) if b[0] == "backend"]) == MAX_PROJECTS
    assert image.height == chart_size(fitting)[1] + 22  # one "and 5 more projects" line, no more rows


def test_projects_left_the_catalog_still_count() -> None:
    progress = FirstWeekProgress([("a", "A")], {("a", "backend"): 2, ("gone", "frontend"): 1}, 3, 3, 5)
    found = bars(decode(render_first_week_chart(progress)))
    assert [(track, length) for track, _, length in found] == [
        ("backend", BAR_WIDTH),
        ("frontend", round(BAR_WIDTH / 2)),
    ]


def test_titles_follow_the_progress_line_wording() -> None:
    assert chart_title(BOARD) == "198 of 300 announced — 3 days left"
    over = FirstWeekProgress(CATALOG, COUNTS, 310, 300, 0, over=True)
    assert chart_title(over) == "300 of 300 announced — first week over"


def test_text_is_drawable_in_the_bundled_font() -> None:
    font = ImageFont.load_default(size=20)
    missing = bytes(font.getmask("\uffff"))
    assert [c for c in FONT_CHARACTERS if c != " " and bytes(font.getmask(c)) == missing] == []
    assert drawable("Café — Ølé × 2") == "Cafe - ?le x 2"
    assert set(drawable("Проект «Ω»")) <= FONT_CHARACTERS


@pytest.mark.parametrize(
    ("largest", "expected"), [(0, (1, 1)), (1, (1, 1)), (4, (4, 1)), (9, (10, 2)), (31, (40, 10)), (163, (200, 50))]
)
def test_nice_scale(largest: int, expected: tuple[int, int]) -> None:
    assert nice_scale(largest) == expected


async def test_async_variant_returns_the_same_bytes() -> None:
    assert await render_first_week_chart_async(BOARD) == render_first_week_chart(BOARD)


def test_importing_the_service_does_not_load_pillow() -> None:
    code = "import sys, bot.services.charts; print('PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
