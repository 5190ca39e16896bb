"""Skill tags learners offer and want. Nothing here imports discord."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from bot.errors import InvalidInput

__all__ = ["MAX_SKILLS", "SKILL_ALIASES", "SKILL_TAGS", "nearest_skill", "parse_skills", "skill_suggestions"]

SKILL_TAGS: tuple[str, ...] = (
    # backend
    "django",
    "drf",
    "graphql",
    "postgres",
    "redis",
    "celery",
    "docker",
    "ci",
    "testing",
    "auth",
    "api-design",
    "python",
    # frontend
    "html",
    "css",
    "javascript",
    "react",
    "nextjs",
    "typescript",
    "tailwind",
    "react-native",
    "pwa",
    "ui-design",
    "accessibility",
    "state-management",
    "vue",
    # both
    "git",
)

#: Common spellings accepted as input and mapped to a canonical tag.
SKILL_ALIASES: dict[str, str] = {
    "django-rest-framework": "drf",
    "djangorestframework": "drf",
    "postgresql": "postgres",
    "psql": "postgres",
    "ci/cd": "ci",
    "cicd": "ci",
    "ci-cd": "ci",
    "tests": "testing",
    "authentication": "auth",
    "api": "api-design",
    "next.js": "nextjs",
    "next": "nextjs",
    "ts": "typescript",
    "reactnative": "react-native",
    "rn": "react-native",
    "a11y": "accessibility",
    "ui": "ui-design",
    "ux": "ui-design",
    "redux": "state-management",
    "state": "state-management",
    "github": "git",
    "html5": "html",
    "css3": "css",
    "scss": "css",
    "sass": "css",
    "js": "javascript",
    "es6": "javascript",
    "reactjs": "react",
    "react.js": "react",
    "nextjs13": "nextjs",
    "tailwindcss": "tailwind",
    "vuejs": "vue",
    "vue.js": "vue",
    "wcag": "accessibility",
    "figma": "ui-design",
    "zustand": "state-management",
    "jest": "testing",
    "pytest": "testing",
    "cypress": "testing",
    "playwright": "testing",
    "unit-testing": "testing",
    "rest": "api-design",
    "rest-api": "api-design",
    "restful": "api-design",
    "jwt": "auth",
    "oauth": "auth",
    "python3": "python",
    "postgre": "postgres",
    "github-actions": "ci",
    "docker-compose": "docker",
}

MAX_SKILLS = 10
_SPLIT = re.compile(r"[,\s]+")
_TAG_SET = frozenset(SKILL_TAGS)


def _canonical(token: str) -> str | None:
    t = token.strip().lower().lstrip("#")
    if t in _TAG_SET:
        return t
    return SKILL_ALIASES.get(t)


def nearest_skill(token: str) -> str | None:
    """The tag closest to an unknown one (`djnago` → `django`, `typscript` → `typescript`), or None."""
    t = token.strip().lower().lstrip("#")
    if not t:
        return None
    found = process.extractOne(t, [*SKILL_TAGS, *SKILL_ALIASES], scorer=fuzz.ratio, score_cutoff=70)
    if found is None:
        return None
    return _canonical(found[0])


def parse_skills(text: str | None) -> frozenset[str]:
    """Parse comma/space separated tags (case-insensitive). Empty text → empty set.

    Raises InvalidInput for an unknown tag (listing the valid ones) or more than ``MAX_SKILLS`` tags.
    """
    if not text or not text.strip():
        return frozenset()
    tags: set[str] = set()
    unknown: list[str] = []
    fixed: list[str | None] = []  # the list as it would read with each unknown tag replaced by its nearest
    for token in _SPLIT.split(text.strip()):
        if not token:
            continue
        tag = _canonical(token)
        if tag is None:
            unknown.append(token[:30])
            fixed.append(nearest_skill(token))
        else:
            tags.add(tag)
            fixed.append(tag)
    if unknown:
        quoted = ", ".join(f"`{u}`" for u in unknown[:5])
        guesses = {u: g for u in unknown[:5] if (g := nearest_skill(u)) is not None}
        hint = ""
        if guesses:
            hint = " Did you mean " + ", ".join(f"`{g}` for `{u}`" for u, g in guesses.items()) + "?"
            if None not in fixed:
                hint += f" Try `{', '.join(dict.fromkeys(t for t in fixed if t))}`."
        raise InvalidInput(f"Unknown skill tag {quoted}.{hint} Valid tags: {', '.join(SKILL_TAGS)}.")
    if len(tags) > MAX_SKILLS:
        raise InvalidInput(f"Pick at most {MAX_SKILLS} skill tags (you gave {len(tags)}).")
    return frozenset(tags)


def skill_suggestions(current_text: str | None, limit: int = 25) -> list[str]:
    """Autocomplete values for a comma list: the text so far with its last item completed.

    ``"django, gr"`` → ``["django, graphql"]``. Tags already in the list are not offered again.
    Ranking: prefix matches first, then substring matches, each in ``SKILL_TAGS`` order.
    """
    text = current_text or ""
    parts = [p for p in _SPLIT.split(text) if p]
    ends_with_sep = bool(text) and bool(_SPLIT.fullmatch(text[-1]))
    partial = "" if ends_with_sep or not parts else parts.pop()
    chosen: list[str] = []
    for p in parts:
        tag = _canonical(p) or p.lower()
        if tag not in chosen:
            chosen.append(tag)
    q = partial.lower().lstrip("#")
    prefix = [t for t in SKILL_TAGS if t.startswith(q) and t not in chosen]
    alias = [
        tag for a, tag in SKILL_ALIASES.items() if q and a.startswith(q) and tag not in chosen and tag not in prefix
    ]
    substring = [t for t in SKILL_TAGS if q and q in t and t not in chosen and t not in prefix and t not in alias]
    lead = ", ".join(chosen)
    out: list[str] = []
    for tag in [*prefix, *dict.fromkeys(alias), *substring]:
        value = f"{lead}, {tag}" if lead else tag
        if len(value) <= 100:
            out.append(value)
        if len(out) >= limit:
            break
    return out
