"""Skill tags: frontend basics are known, common spellings map, unknown tags get a did-you-mean."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.services.skills import SKILL_TAGS, nearest_skill, parse_skills, skill_suggestions


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("css", {"css"}),
        ("html, css, javascript", {"html", "css", "javascript"}),
        ("HTML5 CSS3 js", {"html", "css", "javascript"}),
        ("tailwindcss, next.js, reactjs", {"tailwind", "nextjs", "react"}),
        ("typescript, accessibility, testing", {"typescript", "accessibility", "testing"}),
        ("jest, wcag, scss", {"testing", "accessibility", "css"}),
    ],
)
def test_frontend_skills_are_known(text: str, tags: set[str]) -> None:
    assert parse_skills(text) == frozenset(tags)


def test_unknown_skill_gets_the_nearest_and_the_corrected_list() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_skills("python, graphq, docker")
    msg = str(exc.value)
    assert "Did you mean `graphql` for `graphq`?" in msg
    assert "Try `python, graphql, docker`." in msg
    with pytest.raises(InvalidInput) as exc:
        parse_skills("djnago, typscript")
    assert "Try `django, typescript`." in str(exc.value)


def test_unknown_skill_without_a_close_tag_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_skills("django, cobol")
    msg = str(exc.value)
    assert "`cobol`" in msg and "Did you mean" not in msg and "Valid tags: django" in msg
    assert nearest_skill("cobol") is None
    assert nearest_skill("reakt") == "react"
    assert nearest_skill("tailwnd") == "tailwind"


def test_autocomplete_offers_the_new_tags() -> None:
    assert skill_suggestions("react, cs")[0] == "react, css"
    assert "html" in skill_suggestions("ht")
    assert all(t == t.lower() for t in SKILL_TAGS) and len(set(SKILL_TAGS)) == len(SKILL_TAGS)
