"""Project announcement rules: validation of what learners type, catalog rules, the staff CSV export.

Nothing here imports discord.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from bot.errors import InvalidInput, NotFound
from bot.services.text import clean_line
from bot.services.tracks import TRACKS
from db.stores.announcements import Announcement, PartnerInterest
from db.stores.catalog import CatalogProject
from db.stores.first_week import ReminderRecord

TITLE_MAX = 100
SUMMARY_MAX = 500
STACK_ITEMS_MAX = 15
STACK_ITEM_MAX = 30
REPO_MAX = 200
CATALOG_NAME_MAX = 80

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


def _one_line(text: str, limit: int, empty: str, too_long: str) -> str:
    """`text` cleaned to one line; refused with `empty`, or past `limit` characters with `too_long` ({n}: length)."""
    cleaned = clean_line(text or "")
    if not cleaned:
        raise InvalidInput(empty)
    if len(cleaned) > limit:
        raise InvalidInput(too_long.format(n=len(cleaned)))
    return cleaned


def validate_title(title: str) -> str:
    return _one_line(
        title,
        TITLE_MAX,
        "`title` can't be empty: give your project a short name, e.g. `ShopLite API`.",
        f"`title` is {{n}} characters; keep it to {TITLE_MAX} or fewer.",
    )


def validate_summary(summary: str) -> str:
    lines = [clean_line(line) for line in (summary or "").splitlines()]
    cleaned = "\n".join(lines).strip()
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    if not cleaned:
        raise InvalidInput("`summary` can't be empty: say in a sentence or two what you are building.")
    if len(cleaned) > SUMMARY_MAX:
        raise InvalidInput(
            f"`summary` is {len(cleaned)} characters; shorten it to {SUMMARY_MAX} or fewer "
            "(put the details in your repo's README)."
        )
    return cleaned


def parse_stack(text: str | None) -> tuple[str, ...]:
    """`Django, DRF , postgres,,Docker` → ('Django', 'DRF', 'postgres', 'Docker'), duplicates dropped."""
    if text is None:
        return ()
    items: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"[,;\n]", text):
        item = clean_line(raw)
        if not item:
            continue
        if len(item) > STACK_ITEM_MAX:
            raise InvalidInput(
                f"`stack` item `{item[:40]}` is too long ({len(item)} characters, at most {STACK_ITEM_MAX}); "
                "separate technologies with commas, e.g. `Django, PostgreSQL, Docker`."
            )
        if item.lower() not in seen:
            seen.add(item.lower())
            items.append(item)
    if len(items) > STACK_ITEMS_MAX:
        raise InvalidInput(f"`stack` lists {len(items)} technologies; name your main {STACK_ITEMS_MAX} at most.")
    return tuple(items)


def validate_repo(url: str | None) -> str | None:
    """An http(s) URL with a real-looking host; empty means none."""
    if url is None:
        return None
    cleaned = url.strip().strip("<>")
    if not cleaned:
        return None
    hint = "Give the full address, e.g. `https://github.com/you/your-project`."
    if len(cleaned) > REPO_MAX:
        raise InvalidInput(f"`repo` is {len(cleaned)} characters; at most {REPO_MAX}. {hint}")
    if any(ch.isspace() for ch in cleaned):
        raise InvalidInput(f"`repo` can't contain spaces. {hint}")
    parts = urlsplit(cleaned)
    if parts.scheme.lower() not in ("http", "https"):
        shown = cleaned[:60]
        raise InvalidInput(f"`repo` must start with http:// or https:// (got `{shown}`). {hint}")
    try:
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise InvalidInput(f"`repo` has a malformed address. {hint}") from None
    if not host or "." not in host or not _HOST_RE.match(host) or parts.username or parts.password:
        raise InvalidInput(f"`repo` has no valid web address host. {hint}")
    return cleaned


def normalize_track(track: str | None) -> str | None:
    if track is None:
        return None
    value = track.strip().lower()
    if value not in TRACKS:
        raise InvalidInput("`track` must be `backend` or `frontend`.")
    return value


def default_track(track: str | None, member_tracks: Iterable[str]) -> str:
    """The track option, or the one the member's role says; both roles or none → ask."""
    chosen = normalize_track(track)
    if chosen is not None:
        return chosen
    tracks = sorted(set(member_tracks))
    if len(tracks) == 1:
        return tracks[0]
    if not tracks:
        raise InvalidInput(
            "I can't tell your track: you hold neither the Backend nor the Frontend role. "
            "Add `track:` to the command (or ask staff for your track role)."
        )
    raise InvalidInput("You hold both the Backend and Frontend roles: add `track:` to say which one this project is.")


# --- catalog -------------------------------------------------------------------------------


def _wanted(value: str) -> str:
    # `project:ecommerce` pasted from a command line, or `#ecommerce`, still names ecommerce.
    wanted = clean_line(value or "").lower()
    return re.sub(r"^(?:project\s*[:=]\s*|#)", "", wanted).strip()


def nearest_projects(value: str, catalog: Sequence[CatalogProject], limit: int = 2) -> list[CatalogProject]:
    """Active projects whose key, name or track variant is closest to `value` (rapidfuzz WRatio), best first."""
    wanted = _wanted(value)
    if len(wanted) < 3:
        return []
    scored: list[tuple[float, int, CatalogProject]] = []
    for i, project in enumerate(p for p in catalog if p.active):
        haystacks = (project.key, project.name, project.backend_variant, project.frontend_variant)
        score = max(fuzz.WRatio(wanted, h.lower()) for h in haystacks)
        if score >= 75:
            scored.append((-score, i, project))
    return [p for *_, p in sorted(scored, key=lambda t: (t[0], t[1]))][:limit]


def resolve_project(value: str, catalog: Sequence[CatalogProject]) -> CatalogProject:
    """Find an active project by key or name (case-insensitive); unknown → NotFound naming the nearest."""
    wanted = _wanted(value)
    active = [p for p in catalog if p.active]
    for project in active:
        if wanted in (project.key, project.name.lower()):
            return project
    for project in active:
        if wanted in (project.backend_variant.lower(), project.frontend_variant.lower()):
            return project
    names = [p.name for p in active]
    close = nearest_projects(value, active)
    hint = f" Did you mean {' or '.join(f'{p.name} (`{p.key}`)' for p in close)}?" if close else ""
    shown = (value or "").strip()[:60]
    raise NotFound(
        f"`{shown}` is not a project in the catalog.{hint} Pick one from the list: {', '.join(names)} "
        "(choose Other for your own idea)."
    )


def project_choices(query: str, catalog: Sequence[CatalogProject], limit: int = 25) -> list[CatalogProject]:
    """Autocomplete: prefix matches first, then word-prefix and substring matches, catalog order kept."""
    q = clean_line(query or "").lower()
    active = [p for p in catalog if p.active]
    if not q:
        return active[:limit]

    def rank(p: CatalogProject) -> int | None:
        haystacks = [p.name.lower(), p.key, p.backend_variant.lower(), p.frontend_variant.lower()]
        if any(h.startswith(q) for h in haystacks):
            return 0
        if any(w.startswith(q) for h in haystacks for w in re.split(r"[\s\-/]+", h)):
            return 1
        if any(q in h for h in haystacks):
            return 2
        return None

    ranked = [(r, i, p) for i, p in enumerate(active) if (r := rank(p)) is not None]
    return [p for _, _, p in sorted(ranked, key=lambda t: (t[0], t[1]))][:limit]


def catalog_key(name: str, key: str | None = None) -> str:
    """The stable key of a catalog entry: given, or derived from the name (`Job Board` → `job-board`)."""
    raw = (key if key else name).strip().lower()
    derived = re.sub(r"[^a-z0-9]+", "-", raw).strip("-")[:32].strip("-")
    if not derived or not _KEY_RE.match(derived):
        raise InvalidInput("The project key must use letters, digits and dashes, e.g. `chat-app`.")
    return derived


def validate_catalog_name(name: str) -> str:
    return _one_line(
        name,
        CATALOG_NAME_MAX,
        "Give the project a name, e.g. `Chat App`.",
        f"The project name is {{n}} characters; keep it to {CATALOG_NAME_MAX}.",
    )


def project_label(project: CatalogProject | None, announcement: Announcement) -> str:
    """How an announcement's project reads: the catalog name, or the learner's title for Other."""
    if project is None:
        return announcement.project_key
    if project.is_custom:
        return f"{project.name}: {announcement.title}"
    return project.name


# --- export --------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "user_id",
    "display_name",
    "project",
    "track",
    "title",
    "summary",
    "stack",
    "repo",
    "timezone",
    "looking_for_partner",
    "posted",
    "created_at",
    "updated_at",
    "withdrawn_at",
    "late",
    "left_guild",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell spreadsheets will not run as a formula (OWASP CSV injection guidance)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def message_link(guild_id: int, channel_id: int | None, message_id: int | None) -> str:
    if channel_id is None or message_id is None:
        return ""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class Csv:
    filename: str
    text: str
    rows: int


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> tuple[str, int]:
    import csv  # staff exports only: not loaded at start

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
        n += 1
    return out.getvalue(), n


def announcements_csv(
    announcements: Iterable[Announcement], catalog: Sequence[CatalogProject], guild_id: int, stamp: datetime
) -> Csv:
    names = {p.key: p for p in catalog}
    text, n = write_csv(
        EXPORT_COLUMNS,
        (
            (
                a.user_id,
                a.display_name,
                names[a.project_key].name if a.project_key in names else a.project_key,
                a.track,
                a.title,
                a.summary,
                ", ".join(a.stack),
                a.repo or "",
                a.timezone or "",
                "yes" if a.looking_for_partner else "no",
                message_link(guild_id, a.channel_id, a.message_id),
                _iso(a.created_at),
                _iso(a.updated_at),
                _iso(a.withdrawn_at),
                "yes" if a.late else "no",
                _iso(a.left_guild_at),
            )
            for a in announcements
        ),
    )
    return Csv(f"announcements-{stamp:%Y%m%d-%H%M}.csv", text, n)


def interest_csv(rows: Iterable[tuple[Announcement, PartnerInterest]], stamp: datetime) -> Csv:
    text, n = write_csv(
        ("announcement_id", "announcer_id", "announcer_name", "project", "track", "interested_user_id", "pressed_at"),
        ((a.id, a.user_id, a.display_name, a.project_key, a.track, p.user_id, _iso(p.created_at)) for a, p in rows),
    )
    return Csv(f"partner-interest-{stamp:%Y%m%d-%H%M}.csv", text, n)


def reminders_csv(rows: Iterable[ReminderRecord], stamp: datetime) -> Csv:
    text, n = write_csv(
        ("user_id", "cohort_start", "kind", "status", "detail", "at"),
        ((r.user_id, r.cohort_start.isoformat(), r.kind, r.status, r.detail or "", _iso(r.at)) for r in rows),
    )
    return Csv(f"reminders-{stamp:%Y%m%d-%H%M}.csv", text, n)
