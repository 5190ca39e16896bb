"""Curated learning topics shipped with the bot (one TOML file per topic in topics/)."""

from importlib.resources import files
from importlib.resources.abc import Traversable


def topics_dir() -> Traversable:
    return files(__name__) / "topics"
