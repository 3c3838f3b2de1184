"""Schedule entries fire from the simulated clock, interval and cron alike."""

from __future__ import annotations

import asyncio

from framework.config import ScheduleEntry
from framework.runtime.clock import NS_PER_S, LiveClock, SimClock
from framework.runtime.schedule import Schedule


def test_interval_and_cron_fire_in_simulated_time() -> None:
    clock = SimClock()  # wall clock starts at 2026-01-01T00:00:00Z
    schedule = Schedule(clock)
    log: list[tuple[str, int]] = []
    schedule.add(ScheduleEntry("tick", "cancel_all", every=30 * NS_PER_S), lambda: log.append(("tick", clock.now_ns())))
    schedule.add(
        ScheduleEntry("five", "halt", cron="*/5 * * * *", timezone="Europe/London"),
        lambda: log.append(("five", clock.now_ns())),
    )
    schedule.start()
    clock.advance(10 * 60 * NS_PER_S)
    ticks = [t for name, t in log if name == "tick"]
    fives = [t for name, t in log if name == "five"]
    assert ticks == [30 * NS_PER_S * k for k in range(1, 21)]
    # cron: at 00:00 (the start instant), then 00:05 and 00:10
    assert fives == [0, 300 * NS_PER_S, 600 * NS_PER_S]
    assert schedule.fired == {"tick": 20, "five": 3}
    schedule.stop()
    clock.advance(60 * NS_PER_S)
    assert schedule.fired == {"tick": 20, "five": 3}


def test_a_failing_action_does_not_stop_the_schedule() -> None:
    clock = SimClock()
    schedule = Schedule(clock)

    def boom() -> None:
        raise RuntimeError("x")

    schedule.add(ScheduleEntry("bad", "halt", every=NS_PER_S), boom)
    schedule.start()
    clock.advance(3 * NS_PER_S)
    assert schedule.fired["bad"] == 3


async def test_live_schedule_runs_on_apscheduler() -> None:
    schedule = Schedule(LiveClock())
    done = asyncio.Event()
    schedule.add(ScheduleEntry("soon", "cancel_all", every=NS_PER_S // 20), done.set)
    schedule.start()
    try:
        await asyncio.wait_for(done.wait(), 5)
    finally:
        schedule.stop()
    assert schedule.fired["soon"] >= 1
