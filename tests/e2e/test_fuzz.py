"""Hostile input through the sandbox: every string option of every command, with hypothesis.

The bot runs once for the module in a background event loop; hypothesis drives it synchronously.
Zero unexpected errors (the generic `error id` reply), every payload within Discord's limits (the
sandbox rejects anything else), no payload can ping everyone, here or a role, and no message notifies a
member its template did not name (the sandbox resolves each message's pings as Discord does; hostile text
mentions a bystander whom no option names).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sandbox.fuzz import HOSTILE_SAMPLES, Fuzzer, Target, fuzz_targets, fuzz_world, hostile_text
from sandbox.nexus import NexusSandbox

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoopThread, NexusSandbox, Fuzzer]]:
    runner = LoopThread()
    nexus = NexusSandbox(Path(tmp_path_factory.mktemp("fuzz")), world=fuzz_world(), log_level="WARNING")
    runner.run(nexus.start())
    runner.run(nexus.setup_guild())
    try:
        yield runner, nexus, Fuzzer(nexus)
    finally:
        runner.run(nexus.close())
        runner.stop()


hostile = st.one_of(
    st.sampled_from(HOSTILE_SAMPLES),
    st.text(max_size=120),
    st.text(alphabet=st.sampled_from("\"*-()^:+~@#<>&|`\\'\n\u200b\u202e"), max_size=40),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE_SAMPLES), st.text(max_size=30)),
)


def sandbox_fuzzing(max_examples: int) -> settings:
    """Hypothesis settings for examples run against the live sandbox: reproducible, no deadline, and no shrinking
    (each example is real interactions: failures are reported as found instead of shrunk for minutes)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def test_every_string_option_is_fuzzed(fuzz_env: tuple[LoopThread, NexusSandbox, Fuzzer]) -> None:
    _, nexus, _ = fuzz_env
    targets = fuzz_targets(nexus)
    assert any(t.path == "nexus setup" for t in targets) or targets, "no string options found"


@sandbox_fuzzing(max_examples=12)
@given(data=st.data())
def test_hostile_strings_never_crash_or_ping(
    fuzz_env: tuple[LoopThread, NexusSandbox, Fuzzer], data: st.DataObject
) -> None:
    runner, nexus, fuzzer = fuzz_env
    targets: list[Target] = fuzz_targets(nexus)
    for target in targets:
        text = hostile_text(data.draw(hostile, label=f"/{target.path} {target.option}"), fuzzer.role_id, fuzzer.user_id)
        runner.run(fuzzer.dispatch(target, text, as_staff=data.draw(st.booleans(), label="as staff")))
    report = fuzzer.report
    assert report.unexpected_errors == [], report.unexpected_errors[:5]
    assert report.unsettled == [], report.unsettled[:5]
    assert report.mention_leaks == [], report.mention_leaks[:5]
    fuzzer.check_pings(nexus.server.state.pings)  # messages sent after their interaction settled, too
    assert report.ping_leaks == [], report.ping_leaks[:5]
    assert not nexus.server.rejections, "\n".join(str(r) for r in nexus.server.rejections[:5])
