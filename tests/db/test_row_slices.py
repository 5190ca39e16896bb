import asyncio
import time

from db.stores._values import BUILD_SLICE_SECONDS, built_in_slices


async def test_building_many_rows_lets_the_event_loop_run_between_slices() -> None:
    """A long list of rows is built in slices of about BUILD_SLICE_SECONDS: another task runs in between (a cold
    pool of a thousand rows held the loop ~20 ms at once), and the objects come back in the rows' order."""
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0)

    def slow_build(row: int) -> int:
        time.sleep(0.0002)  # ~10× a cold row's cost
        return row * 2

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    started = len(ticks)
    built = await built_in_slices(range(200), slow_build)  # ~40 ms of building
    task.cancel()
    assert built == [row * 2 for row in range(200)]
    assert len(ticks) - started >= 5
    gaps = [b - a for a, b in zip(ticks[started:], ticks[started + 1 :], strict=False)]
    assert max(gaps) < BUILD_SLICE_SECONDS + 16 * 0.0002 + 0.02  # a slice, its last 16 rows, a busy machine's slack


async def test_a_short_list_is_built_in_one_go() -> None:
    assert await built_in_slices([1, 2, 3], str) == ["1", "2", "3"]
    assert await built_in_slices([], str) == []
