"""The ``schedule:`` section: timed actions, on APScheduler or the simulated clock.

Each entry fires ``every`` a duration or on a ``cron`` expression in its time
zone. APScheduler's triggers compute every fire time in both modes, so an
entry means the same thing everywhere:

- live and paper runs on the wall clock hand the jobs to APScheduler's
  ``AsyncIOScheduler``;
- simulated-clock runs (replay, tests) schedule the same triggers' fire times
  on the :class:`~framework.runtime.clock.SimClock`, so they fire in simulated time and
  repeat bit for bit.

What an entry does is resolved by the run into a plain callable (cancel all,
flatten, halt, or a strategy method); a failing action is logged and the
schedule goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from framework.runtime.clock import NS_PER_S, Clock, SimClock

__all__ = ["Schedule", "trigger_for"]

log = logging.getLogger(__name__)


def trigger_for(entry: Any, start: dt.datetime) -> BaseTrigger:
    """The APScheduler trigger of a validated ``ScheduleEntry``."""
    zone = ZoneInfo(entry.timezone)
    if entry.cron is not None:
        return CronTrigger.from_crontab(entry.cron, timezone=zone)
    every = dt.timedelta(microseconds=entry.every // 1000)
    # First fire one interval after the start, not at once.
    return IntervalTrigger(seconds=every.total_seconds(), start_date=start + every, timezone=zone)


class Schedule:
    """The run's schedule entries, each bound to its action."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._jobs: list[tuple[Any, Callable[[], None]]] = []
        self._scheduler: Any = None
        self._timers: list[Any] = []
        self.fired: dict[str, int] = {}

    def add(self, entry: Any, action: Callable[[], None]) -> None:
        self._jobs.append((entry, action))
        self.fired[entry.name] = 0

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock.wall_ns() / NS_PER_S, dt.UTC)

    def start(self) -> None:
        if not self._jobs:
            return
        if isinstance(self._clock, SimClock):
            for entry, action in self._jobs:
                self._arm_sim(entry, action, trigger_for(entry, self._now()), None)
            return
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(timezone=dt.UTC)
        for entry, action in self._jobs:
            self._scheduler.add_job(
                self._run, trigger_for(entry, self._now()), args=(entry, action), name=entry.name,
                misfire_grace_time=1, coalesce=True, max_instances=1,
            )  # fmt: skip
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()

    def _arm_sim(self, entry: Any, action: Callable[[], None], trigger: BaseTrigger, previous: dt.datetime | None) -> None:
        now = self._now()
        when = trigger.get_next_fire_time(previous, now)
        if when is None:
            return
        delay_ns = max(int((when - now).total_seconds() * NS_PER_S), 0)

        def fire() -> None:
            self._run(entry, action)
            self._arm_sim(entry, action, trigger, when)

        self._timers.append(self._clock.call_later(delay_ns, fire))

    def _run(self, entry: Any, action: Callable[[], None]) -> None:
        self.fired[entry.name] += 1
        try:
            action()
        except Exception:
            log.exception("schedule entry %s failed", entry.name)
