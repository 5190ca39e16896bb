"""compose.yaml: PostgreSQL and two shards that the bot's own settings accept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_postgres_and_two_shards_on_it(tmp_path: Path) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    shards = {name: s for name, s in services.items() if name.startswith("shard")}
    assert set(shards) == {"shard0", "shard1"}
    seen: set[int] = set()
    for shard in shards.values():
        env = {k: str(v) for k, v in shard["environment"].items()}
        assert shard["depends_on"]["postgres"]["condition"] == "service_healthy"
        env["DATABASE_URL"] = env["DATABASE_URL"].replace("${POSTGRES_PASSWORD:-}", "pw")
        settings = load_settings({**env, "DATABASE_PATH": str(tmp_path / "n.db")}, require_token=False)
        assert settings.database_url == "postgresql://nexus:pw@postgres:5432/nexus"
        assert settings.shard_count == 2 and settings.guild_id is None
        assert settings.shard_ids is not None
        seen.update(settings.shard_ids)
    assert seen == {0, 1}


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a postgresql:// URL"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT='two' must be a whole number"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "shard 2 does not exist with SHARD_COUNT=2"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "a"}, "SHARD_IDS='a' must list shard numbers"),
    ],
)
def test_bad_database_url_and_shards_are_refused_with_one_line(
    tmp_path: Path, env: dict[str, str], needle: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        load_settings({**env, "DATABASE_PATH": str(tmp_path / "n.db")}, require_token=False)


def test_shards_default_to_all_and_guilds_go_to_their_shard(tmp_path: Path) -> None:
    settings = load_settings({"SHARD_COUNT": "3", "DATABASE_PATH": str(tmp_path / "n.db")}, require_token=False)
    assert settings.shard_ids == (0, 1, 2) and all(settings.owns_guild(g << 22) for g in range(6))
    one = load_settings(
        {"SHARD_COUNT": "3", "SHARD_IDS": "1", "DATABASE_PATH": str(tmp_path / "n.db")}, require_token=False
    )
    assert [g for g in range(6) if one.owns_guild(g << 22)] == [1, 4]
    assert "secret" not in repr(
        load_settings(
            {"DATABASE_URL": "postgresql://u:secret@h/d", "DATABASE_PATH": str(tmp_path / "n.db")}, require_token=False
        )
    )
