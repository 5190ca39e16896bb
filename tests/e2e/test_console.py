"""`nexus-bot sandbox --script`: the README's first command, run non-interactively."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sandbox.console import humanize_mentions, parse_options, split_command

ROOT = Path(__file__).resolve().parents[2]


def run_script(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--script", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_tour_script_passes() -> None:
    result = run_script(ROOT / "sandbox" / "scripts" / "tour.txt")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Script finished: 0 failed step(s)." in result.stdout
    assert "its status reads: Announce your capstone: /project announce" in result.stdout
    assert "#prodevprojectnexus" in result.stdout  # mentions are shown by name


def test_failing_step_makes_the_script_exit_non_zero(tmp_path: Path) -> None:
    script = tmp_path / "bad.txt"
    script.write_text('/nexus about\nexpect "no such text anywhere"\n/nope\n')
    result = run_script(script)
    assert result.returncode == 1
    assert "2 failed step(s)" in result.stdout


def test_option_parsing() -> None:
    assert split_command("/project list track:backend looking_for_partner:true") == (
        "project list",
        {"track": "backend", "looking_for_partner": True},
    )
    assert parse_options('title:"My shop: v2" summary:two words here') == {
        "title": "My shop: v2",
        "summary": "two words here",
    }
    assert parse_options("channel:#general member:@bob") == {"channel": "general", "member": "bob"}


def test_mentions_are_humanized() -> None:
    names = {("#", 1): "general", ("@&", 2): "Staff", ("@", 3): "bob"}
    assert humanize_mentions("<#1> <@&2> <@3> <@!3> <@9>", names) == "#general @Staff @bob @bob <@9>"
    assert humanize_mentions("<t:1796256000:R>", names) == "Thu 03 Dec 2026 00:00 UTC"
