"""The in-process ingress limiter: a :class:`BudgetWindow` plus prioritised waiters.

Theory of operation
-------------------
``try_acquire`` is the synchronous fast path: the window's
:meth:`~framework.risk.window.BudgetWindow.admit`, bound to the clock, one
Python frame per message. It refuses whenever a waiter of the same or a higher
priority is queued (the wait queue keeps the window's ``ceiling`` equal to the
most urgent kind waiting), so nothing overtakes a cancel and messages of one
kind leave in FIFO order.

``await acquire(kind, timeout_ns=...)`` takes the fast path when it can and
otherwise queues a waiter in its kind's FIFO. One timer (on the injected
clock) fires when the budget next frees for the most urgent waiter; the pump
then admits waiters strictly by priority -- cancel, replace, new order, query --
stopping at the first that does not fit, so a lower kind never slips past a
higher one that is still waiting. A waiter with a deadline gets a second timer;
if that fires first the waiter leaves the queue and its ``acquire`` raises
:class:`~framework.model.errors.Denied` (``RATE_LIMITED``). Admission and denial both
happen inside clock callbacks, one at a time, so a message denied for being
late can never be admitted afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from framework.model.errors import Denied
from framework.model.events import DenyReason
from framework.plugin.venue import MessageKind
from framework.risk.waiters import Waiter, WaitQueue
from framework.risk.window import PPM, BudgetRule, BudgetWindow, LimiterStats
from framework.runtime.clock import Clock, LiveClock, TimerHandle

__all__ = ["IngressLimiter"]

log = logging.getLogger(__name__)


class IngressLimiter:
    """The ingress budget of one venue account, for the tasks of one process.

    ``try_acquire(kind, count=1) -> bool`` admits now or refuses now (a refusal
    is counted as denied); it never jumps a queued waiter.
    """

    try_acquire: Callable[..., bool]

    def __init__(self, rule: BudgetRule, clock: Clock, *, name: str = "") -> None:
        self.name = name
        self.clock = clock
        # LiveClock.now_ns is time.monotonic_ns; reading the builtin directly saves
        # a Python frame (~60 ns) per message.
        now = time.monotonic_ns if type(clock) is LiveClock else clock.now_ns
        self.window = BudgetWindow(rule, clock.now_ns(), clock=now)
        self._waiters = WaitQueue(on_top=self._set_ceiling)
        self.try_acquire = self.window.admit  # type: ignore[method-assign]
        self._wake: TimerHandle | None = None

    def _set_ceiling(self, kind: int) -> None:
        self.window.ceiling = kind

    @property
    def stats(self) -> LimiterStats:
        return self.window.stats

    @property
    def rule(self) -> BudgetRule:
        return self.window.rule

    async def acquire(self, kind: int, *, count: int = 1, timeout_ns: int | None = None) -> None:
        """Wait until ``count`` messages of ``kind`` are admitted.

        ``timeout_ns=None`` waits as long as it takes (what cancels use); otherwise
        raises :class:`Denied` (``RATE_LIMITED``) once ``timeout_ns`` has passed.
        """
        window, now = self.window, self.clock.now_ns()
        if kind < window.ceiling and window.try_acquire(kind, now, count):
            return
        if window.next_free_ns(kind, now, count) is None:
            window.stats.denied[kind] += count
            raise Denied(
                DenyReason.RATE_LIMITED,
                f"{self.name}: {count} messages exceed the whole budget of {self.rule.cap}",
            )
        waiter = Waiter(kind, count, asyncio.get_running_loop().create_future(), now)
        self._waiters.push(waiter, self.clock, timeout_ns, self._expire)
        self._schedule()
        try:
            await waiter.future
        except asyncio.CancelledError:
            if self._waiters.remove(waiter):
                self._pump()
            raise
        stats = self.window.stats
        stats.waited += 1
        stats.wait_ns_total += self.clock.now_ns() - waiter.since_ns

    def remaining(self, kind: int = MessageKind.NEW_ORDER) -> int:
        """Messages of ``kind`` that may be sent now without waiting (0 while others wait)."""
        if kind >= self._waiters.top:
            return 0
        return self.window.remaining(self.clock.now_ns(), kind)

    def throttled(self) -> None:
        """The venue pushed back (HTTP 429 / RESOURCE_EXHAUSTED): halve the rate, then
        recover linearly to the full rate (AIMD; see :mod:`framework.risk.window`)."""
        window = self.window
        if window.throttled(self.clock.now_ns()):
            log.warning("%s: the venue throttled us (signal %d): rate cut to %.1f%%, back to 100%% in %.0f s",
                        self.name, window.stats.throttle_signals, window.throttle_ppm / 1e4,
                        (PPM - window.throttle_ppm) * window.rule.recover_ns / PPM / 1e9)  # fmt: skip
        else:
            log.info("%s: the venue throttled us (signal %d) within the hold-off of the last cut: not cut again",
                     self.name, window.stats.throttle_signals)  # fmt: skip
        self._schedule()

    @property
    def waiting(self) -> int:
        """Waiters queued now, all kinds."""
        return len(self._waiters)

    async def close(self) -> None:
        """Deny whatever still waits (the run is stopping)."""
        if self._wake is not None:
            self._wake.cancel()
        while (head := self._waiters.head()) is not None:
            self._waiters.pop_head()
            if head.deadline is not None:
                head.deadline.cancel()
            head.deny(self.name, self.clock.now_ns())

    # -- the pump -----------------------------------------------------------

    def _pump(self) -> None:
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        now = self.clock.now_ns()
        window, waiters = self.window, self._waiters
        while (head := waiters.head()) is not None:
            if not window.try_acquire(head.kind, now, head.count):
                self._schedule()
                return
            waiters.pop_head()
            head.admit()

    def _schedule(self) -> None:
        """Arm the wake timer for when the most urgent waiter's budget frees."""
        head = self._waiters.head()
        if head is None:
            if self._wake is not None:
                self._wake.cancel()
                self._wake = None
            return
        now = self.clock.now_ns()
        when = self.window.next_free_ns(head.kind, now, head.count)
        when = now if when is None else max(when, now)
        if self._wake is not None:
            if self._wake.when_ns <= when:
                return
            self._wake.cancel()
        self._wake = self.clock.call_at(when, self._pump)

    def _expire(self, waiter: Waiter) -> None:
        if waiter.future.done() or not self._waiters.remove(waiter):
            return
        self.window.stats.denied[waiter.kind] += waiter.count
        waiter.deny(self.name, self.clock.now_ns())
        # Its leaving may unblock the kinds behind it.
        self._pump()
