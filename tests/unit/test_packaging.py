"""README, Dockerfile, .env.example and code stay in step (no Docker engine runs here)."""

import re
import tomllib
from pathlib import Path

import discord

from bot.permissions import INVITE_PERMISSIONS, INVITE_PERMISSIONS_VALUE

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_invite_permission_integer_matches_code_and_readme() -> None:
    assert discord.Permissions(**dict.fromkeys(INVITE_PERMISSIONS, True)).value == INVITE_PERMISSIONS_VALUE
    assert f"permissions={INVITE_PERMISSIONS_VALUE}" in README
    assert "scope=bot+applications.commands" in README
    for name in INVITE_PERMISSIONS:
        label = name.replace("_", " ").title().replace("In Threads", "in Threads")
        assert f"| {label} |" in README, f"README's permission table misses {label}"


def test_dockerfile_installs_like_the_readme_and_copies_every_package() -> None:
    assert "RUN pip install ." in DOCKERFILE and "`pip install .`" in README
    assert re.search(r"^FROM python:3\.1[1-9]-slim", DOCKERFILE, re.M)
    assert "USER nexus" in DOCKERFILE and 'VOLUME ["/app/data"]' in DOCKERFILE
    assert 'CMD ["python", "-m", "bot"]' in DOCKERFILE
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package} ./{package}" in DOCKERFILE, f"Dockerfile does not copy {package}/"
    assert "docker build -t nexus-bot ." in README
    assert "-v nexus-data:/app/data" in README


def test_env_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    config_source = (ROOT / "bot" / "config.py").read_text()
    read = set(re.findall(r'_env\(env, "([A-Z_]+)"\)', config_source))
    assert read, "no settings found in bot/config.py"
    for key in read:
        assert re.search(rf"^{key}=", example, re.M), f".env.example misses {key}"


def test_ci_runs_the_readme_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert '.venv/bin/pip install -e ".[dev]"' in ci and '.venv/bin/pip install -e ".[dev]"' in README
    assert ".venv/bin/python -m pytest" in ci and ".venv/bin/python -m pytest" in README
    assert ".venv/bin/ruff check ." in ci


def test_the_image_compiles_the_sources_it_runs_from() -> None:
    # The bot runs from /app's sources with PYTHONDONTWRITEBYTECODE set: without bytecode compiled at build
    # time, every start of the container compiles every module again.
    assert "PYTHONDONTWRITEBYTECODE=1" in DOCKERFILE
    compiled = re.search(r"^RUN python -m compileall -q (.+)$", DOCKERFILE, re.M)
    assert compiled is not None and {"bot", "cogs", "db"} <= set(compiled[1].split())
    assert DOCKERFILE.index("COPY db ./db") < compiled.start() < DOCKERFILE.index("USER nexus")
