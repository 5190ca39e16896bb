import csv
import io
from datetime import UTC, datetime

import pytest

from bot.errors import InvalidInput, NotFound
from bot.services import projects
from db.stores.announcements import Announcement
from db.stores.catalog import CatalogProject
from tests import factories

CATALOG = [
    CatalogProject("ecommerce", "E-Commerce", "E-Commerce Backend", "Product Catalog", False, 10, True),
    CatalogProject(
        "social-feed", "Social Media Feed", "Social Media Feed Backend", "Social Media Feed Frontend", False, 20, True
    ),
    CatalogProject("job-board", "Job Board", "Job Board Backend", "Job Board Frontend", False, 40, True),
    CatalogProject("retired", "Retired Idea", "R B", "R F", False, 60, False),
    CatalogProject("other", "Other", "Custom Backend project", "Custom Frontend project", True, 1000, True),
]
NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    ["https://github.com/alice/shop", "http://gitlab.example.org/a/b?x=1", " <https://github.com/a/b> "],
)
def test_valid_repo_urls(url: str) -> None:
    assert projects.validate_repo(url) == url.strip().strip("<>")


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("ftp://github.com/a", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("github.com/alice/shop", "http:// or https://"),
        ("https://", "host"),
        ("https://localhost/x", "host"),
        ("https://user:pw@github.com/x", "host"),
        ("https://git hub.com/x", "spaces"),
        ("https://github.com:99999/x", "malformed"),
        ("https://" + "a" * 300 + ".com", "at most"),
    ],
)
def test_bad_repo_urls_say_what_to_do(url: str, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle) as info:
        projects.validate_repo(url)
    assert "https://github.com/you/your-project" in str(info.value)


def test_empty_repo_is_none() -> None:
    assert projects.validate_repo(None) is None
    assert projects.validate_repo("   ") is None


def test_stack_parsing() -> None:
    assert projects.parse_stack("Django, DRF , postgres,,Docker; django") == ("Django", "DRF", "postgres", "Docker")
    assert projects.parse_stack(None) == ()
    assert projects.parse_stack(" , ") == ()
    with pytest.raises(InvalidInput, match="at most 30"):
        projects.parse_stack("x" * 31)
    with pytest.raises(InvalidInput, match="15 at most"):
        projects.parse_stack(",".join(f"t{i}" for i in range(16)))


def test_title_and_summary() -> None:
    assert projects.validate_title("  Shop\tLite \x00 API ") == "Shop Lite API"
    with pytest.raises(InvalidInput, match="empty"):
        projects.validate_title(" \x01 ")
    with pytest.raises(InvalidInput, match="100 or fewer"):
        projects.validate_title("x" * 101)
    assert projects.validate_summary("line one  \n\n\n\nline two") == "line one\n\nline two"
    with pytest.raises(InvalidInput, match="500 or fewer"):
        projects.validate_summary("y" * 501)
    # Mentions are kept as text (the bot's AllowedMentions makes them inert): shown, never pinging.
    assert projects.validate_summary("hi @everyone <@&123>") == "hi @everyone <@&123>"


def test_tracks() -> None:
    assert projects.default_track(None, ["backend"]) == "backend"
    assert projects.default_track("Frontend", ["backend"]) == "frontend"
    with pytest.raises(InvalidInput, match="neither"):
        projects.default_track(None, [])
    with pytest.raises(InvalidInput, match="both"):
        projects.default_track(None, ["backend", "frontend"])
    with pytest.raises(InvalidInput):
        projects.normalize_track("fullstack")


def test_resolve_project_by_key_name_or_variant() -> None:
    assert projects.resolve_project("ecommerce", CATALOG).key == "ecommerce"
    assert projects.resolve_project("e-commerce", CATALOG).key == "ecommerce"
    assert projects.resolve_project("Product Catalog", CATALOG).key == "ecommerce"
    with pytest.raises(NotFound, match="Did you mean Job Board") as info:
        projects.resolve_project("job bord", CATALOG)
    assert "Other" in str(info.value)
    with pytest.raises(NotFound):
        projects.resolve_project("retired", CATALOG)  # removed projects take no new announcements


def test_project_choices_autocomplete() -> None:
    assert [p.key for p in projects.project_choices("", CATALOG)] == ["ecommerce", "social-feed", "job-board", "other"]
    assert projects.project_choices("feed", CATALOG)[0].key == "social-feed"
    assert [p.key for p in projects.project_choices("cat", CATALOG)] == ["ecommerce"]
    assert projects.project_choices("zzz", CATALOG) == []


def test_catalog_keys() -> None:
    assert projects.catalog_key("Chat App") == "chat-app"
    assert projects.catalog_key("x", "My-Key") == "my-key"
    with pytest.raises(InvalidInput):
        projects.catalog_key("!!!")


def make(**over: object) -> Announcement:
    return factories.announcement(
        **{"guild_id": 9, "user_id": 42, "title": '=HYPERLINK("http://evil")', "summary": "+1 great, shop"}
        | {"repo": "https://github.com/a/b", "display_name": "@alice", "channel_id": 5, "message_id": 6}
        | {"created_at": NOW, "updated_at": NOW}
        | over
    )


def test_export_csv_columns_and_formula_safety() -> None:
    export = projects.announcements_csv([make(), make(id=2, user_id=43, title="-2+3", late=True)], CATALOG, 9, NOW)
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == list(projects.EXPORT_COLUMNS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["title"] == '\'=HYPERLINK("http://evil")'
    assert first["summary"] == "'+1 great, shop"
    assert first["display_name"] == "'@alice"
    assert first["project"] == "E-Commerce"
    assert first["posted"] == "https://discord.com/channels/9/5/6"
    assert first["stack"] == "Django, DRF"
    assert rows[2][rows[0].index("title")] == "'-2+3"
    assert rows[2][rows[0].index("late")] == "yes"
    assert export.rows == 2 and export.filename.endswith(".csv")


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1"])
def test_csv_safe(cell: str) -> None:
    assert projects.csv_safe(cell).startswith("'")
    assert projects.csv_safe("plain") == "plain"


def test_unknown_project_suggests_the_nearest_by_key_name_or_variant() -> None:
    with pytest.raises(NotFound) as info:
        projects.resolve_project("ecomerce", CATALOG)
    assert "Did you mean E-Commerce (`ecommerce`)?" in str(info.value)
    with pytest.raises(NotFound) as info:
        projects.resolve_project("Product Catalg", CATALOG)  # a typo of a track variant
    assert "Did you mean E-Commerce" in str(info.value)
    with pytest.raises(NotFound) as info:
        projects.resolve_project("socialfeed", CATALOG)  # the key without its dash
    assert "Social Media Feed (`social-feed`)" in str(info.value)
    # Pasted from a command line.
    assert projects.resolve_project("project:job-board", CATALOG).key == "job-board"
    assert [p.key for p in projects.nearest_projects("jobbord", CATALOG)] == ["job-board"]
    assert projects.nearest_projects("zz", CATALOG) == []
    assert projects.nearest_projects("retired idea", CATALOG) == []  # inactive projects are never suggested
