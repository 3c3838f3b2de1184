"""Clocks: simulated time moves only when told and fires timers in order."""

from __future__ import annotations

import asyncio

import pytest

from framework.runtime.clock import NS_PER_MS, LiveClock, SimClock


def test_sim_clock_stands_still_until_advanced() -> None:
    clock = SimClock(start_ns=100)
    assert clock.now_ns() == 100
    assert clock.now_ns() == 100
    clock.advance(50)
    assert clock.now_ns() == 150
    assert clock.wall_ns() - clock.now_ns() == SimClock().wall_ns()


def test_timers_fire_in_time_order_then_scheduling_order() -> None:
    clock = SimClock()
    fired: list[tuple[str, int]] = []
    clock.call_at(30, lambda: fired.append(("c", clock.now_ns())))
    clock.call_at(10, lambda: fired.append(("a", clock.now_ns())))
    clock.call_at(10, lambda: fired.append(("b", clock.now_ns())))
    clock.call_later(20, lambda: fired.append(("mid", clock.now_ns())))
    assert clock.advance_to(25) == 3
    assert fired == [("a", 10), ("b", 10), ("mid", 20)]
    assert clock.now_ns() == 25
    clock.advance(100)
    assert fired[-1] == ("c", 30)


def test_cancelled_timer_does_not_fire_and_timer_fires_once() -> None:
    clock = SimClock()
    fired: list[int] = []
    handle = clock.call_later(5, fired.append, 1)
    clock.call_later(6, fired.append, 2)
    handle.cancel()
    clock.advance(10)
    clock.advance(10)
    assert fired == [2]
    assert clock.pending == 0


def test_timers_scheduled_by_timers_run_until_idle() -> None:
    clock = SimClock()
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(clock.now_ns())
        if len(ticks) < 5:
            clock.call_later(10, tick)

    clock.call_later(10, tick)
    clock.run_until_idle()
    assert ticks == [10, 20, 30, 40, 50]


def test_sim_clock_refuses_to_go_back() -> None:
    clock = SimClock(start_ns=10)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance_to(5)


async def test_sim_sleep_resumes_when_time_passes() -> None:
    clock = SimClock()
    woke: list[int] = []

    async def sleeper() -> None:
        await clock.sleep_ns(1_000)
        woke.append(clock.now_ns())

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    clock.advance(999)
    await asyncio.sleep(0)
    assert woke == []
    clock.advance(1)
    await asyncio.wait_for(task, 1)
    assert woke == [1_000]


async def test_live_clock_timer_and_sleep() -> None:
    clock = LiveClock()
    start = clock.now_ns()
    done = asyncio.get_running_loop().create_future()
    clock.call_later(5 * NS_PER_MS, done.set_result, True)
    assert await asyncio.wait_for(done, 1)
    await clock.sleep_ns(NS_PER_MS)
    assert clock.now_ns() - start >= 5 * NS_PER_MS
    assert clock.wall_ns() > 1_700_000_000 * 10**9
