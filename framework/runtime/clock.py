"""The one clock every component reads.

Nothing in ``framework/`` reads time any other way: components are handed a
:class:`Clock` and call ``now_ns()`` (monotonic, for intervals and deadlines),
``wall_ns()`` (epoch, for timestamps people read), ``call_at``/``call_later``
(timers) and ``await sleep_ns(...)``.

- :class:`LiveClock` reads the OS clocks and schedules on the running asyncio
  loop.
- :class:`SimClock` moves only when told (``advance``/``advance_to``/
  ``run_until_idle``); timers fire in time order, ties in scheduling order, and
  the clock reads the timer's time while its callback runs. Rate-limit tests
  and replays run on it and are bit-for-bit repeatable.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["NS_PER_MS", "NS_PER_S", "Clock", "LiveClock", "SimClock", "TimerHandle", "let_woken_tasks_run"]

NS_PER_S = 1_000_000_000
NS_PER_MS = 1_000_000


class TimerHandle:
    """A scheduled callback; ``cancel()`` stops it from firing."""

    __slots__ = ("when_ns", "_callback", "_args", "cancelled", "_native")

    def __init__(self, when_ns: int, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when_ns = when_ns
        self._callback = callback
        self._args = args
        self.cancelled = False
        self._native: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        self.cancelled = True
        if self._native is not None:
            self._native.cancel()

    def _run(self) -> None:
        if not self.cancelled:
            self.cancelled = True  # a timer fires once
            self._callback(*self._args)


class Clock(Protocol):
    """What components are given instead of ``time`` and ``asyncio.sleep``."""

    def now_ns(self) -> int:
        """Monotonic nanoseconds; only differences mean anything."""
        ...

    def wall_ns(self) -> int:
        """Nanoseconds since the Unix epoch (UTC)."""
        ...

    def call_at(self, when_ns: int, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` once ``now_ns()`` reaches ``when_ns``."""
        ...

    def call_later(self, delay_ns: int, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` after ``delay_ns``."""
        ...

    async def sleep_ns(self, delay_ns: int) -> None:
        """Suspend the calling task for ``delay_ns`` of this clock's time."""
        ...


class LiveClock:
    """The OS clocks, with timers on the running asyncio loop."""

    def now_ns(self) -> int:
        return time.monotonic_ns()

    def wall_ns(self) -> int:
        return time.time_ns()

    def call_at(self, when_ns: int, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return self.call_later(when_ns - self.now_ns(), callback, *args)

    def call_later(self, delay_ns: int, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        handle = TimerHandle(self.now_ns() + delay_ns, callback, args)
        loop = asyncio.get_running_loop()
        handle._native = loop.call_later(max(delay_ns, 0) / NS_PER_S, handle._run)
        return handle

    async def sleep_ns(self, delay_ns: int) -> None:
        await asyncio.sleep(max(delay_ns, 0) / NS_PER_S)


class SimClock:
    """Simulated time: it moves only when told, and fires timers in order.

    ``start_ns`` is the monotonic reading at creation; ``wall_offset_ns`` is
    added to it for ``wall_ns()`` (default: 2026-01-01T00:00:00Z).
    """

    def __init__(self, start_ns: int = 0, wall_offset_ns: int = 1_767_225_600 * NS_PER_S) -> None:
        self._now = start_ns
        self._wall_offset = wall_offset_ns
        self._timers: list[tuple[int, int, TimerHandle]] = []
        self._seq = itertools.count()

    def now_ns(self) -> int:
        return self._now

    def wall_ns(self) -> int:
        return self._now + self._wall_offset

    def call_at(self, when_ns: int, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        handle = TimerHandle(max(when_ns, self._now), callback, args)
        heapq.heappush(self._timers, (handle.when_ns, next(self._seq), handle))
        return handle

    def call_later(self, delay_ns: int, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return self.call_at(self._now + delay_ns, callback, *args)

    async def sleep_ns(self, delay_ns: int) -> None:
        future = asyncio.get_running_loop().create_future()
        self.call_later(delay_ns, _resolve, future)
        await future

    @property
    def pending(self) -> int:
        """Timers scheduled and not yet fired or cancelled."""
        return sum(1 for _, _, h in self._timers if not h.cancelled)

    def next_timer_ns(self) -> int | None:
        """When the next live timer fires, or ``None``."""
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def advance_to(self, when_ns: int) -> int:
        """Move to ``when_ns``, firing every timer due on the way; returns how many fired."""
        if when_ns < self._now:
            raise ValueError(f"SimClock cannot go back from {self._now} to {when_ns}")
        fired = 0
        while self._timers and self._timers[0][0] <= when_ns:
            at, _, handle = heapq.heappop(self._timers)
            if handle.cancelled:
                continue
            self._now = at
            handle._run()
            fired += 1
        self._now = when_ns
        return fired

    def advance(self, delta_ns: int) -> int:
        """Move forward by ``delta_ns``; see :meth:`advance_to`."""
        return self.advance_to(self._now + delta_ns)

    def run_until_idle(self, limit_ns: int | None = None) -> int:
        """Fire timers (including ones they schedule) until none is left or ``limit_ns``."""
        fired = 0
        while (nxt := self.next_timer_ns()) is not None and (limit_ns is None or nxt <= limit_ns):
            fired += self.advance_to(nxt)
        return fired


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def let_woken_tasks_run(turns: int = 4) -> None:
    """Give the tasks a :class:`SimClock` timer just woke (order routing, gate
    waits, paper latency) a few loop turns to run before simulated time moves on.
    Not a sleep: no time passes on any clock."""
    for _ in range(turns):
        await asyncio.sleep(0)
