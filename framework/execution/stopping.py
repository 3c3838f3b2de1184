"""The run's stop: pulling every order still open, round after round, and the
time that may take.

Each round first drains the router, so no insert is in flight and every open
order -- acknowledged or not yet -- goes in a batch; then it waits for order
events. A round that saw none but refusals re-sends the cancels still
unanswered, and a few such rounds in a row end it. The runner bounds the stop
by :func:`stop_budget_s` (the cancels' messages over the venues' rates, plus a
margin) and names every order still open at exit. The run's
:class:`~framework.execution.protection.Protection` runs it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from framework.model.events import CancelRejected, OrderDenied, OrderEvent
from framework.plugin.venue import MessageKind
from framework.runtime.bus import Bus
from framework.runtime.clock import NS_PER_S, Clock, SimClock, let_woken_tasks_run

__all__ = ["IDLE_ROUNDS", "RETRY_NS", "STOP_FACTOR", "STOP_MARGIN_S", "StopRounds", "stop_budget_s"]

_REFUSALS = (CancelRejected, OrderDenied)

STOP_MARGIN_S = 2.0
"""Added to the time the stop's cancels need at the venues' rates."""
STOP_FACTOR = 2
"""The stop budget allows this many times the time its cancels need (throttling, answers)."""
RETRY_NS = NS_PER_S
"""A stop round waits this long for order events before re-sending its cancels."""
IDLE_ROUNDS = 5
"""Stop rounds in a row without any order event, after which the stop gives up."""


def stop_budget_s(open_orders: Iterable[Any], gates: Mapping[str, Any], router: Any, clock: Clock) -> float:
    """How long the stop may take to cancel ``open_orders``: per venue, the
    wait until its limiter has room for the messages the cancels need
    (batched where the route batches), plus :data:`STOP_FACTOR` times those
    messages over the venue's rate; plus :data:`STOP_MARGIN_S`."""
    per_venue: dict[str, int] = {}
    for o in open_orders:
        per_venue[o.venue] = per_venue.get(o.venue, 0) + 1
    seconds = 0.0
    per_second = math.inf  # cancels per second of the slowest venue, for the inserts in flight
    for venue, n in per_venue.items():
        limiter = getattr(gates.get(venue), "limiter", None)
        rule = getattr(limiter, "rule", None)
        if rule is None:
            continue  # no ingress limit: nothing to wait for
        rate, batch = rule.cap * NS_PER_S / rule.window_ns, router.batch_size(venue)
        per_second = min(per_second, rate * batch)
        messages = math.ceil(n / batch)
        seconds += _room_wait_s(limiter, messages, clock) + STOP_FACTOR * messages / rate
    if router.in_flight and per_second < math.inf:
        seconds += STOP_FACTOR * router.in_flight / per_second  # inserts going out may need a cancel too
    return STOP_MARGIN_S + seconds


def _room_wait_s(limiter: Any, messages: int, clock: Clock) -> float:
    """Until the limiter's window has room for ``messages`` cancels (a window
    a churning run filled frees only as its messages age out)."""
    window = getattr(limiter, "window", None)  # the in-process limiter's; Redis: unknown, 0
    if window is None:
        return 0.0
    now = clock.now_ns()
    when = window.next_free_ns(MessageKind.CANCEL, now, min(messages, window.rule.cap))
    return 0.0 if when is None else (when - now) / NS_PER_S


class StopRounds:
    """The run's stop (see the module docs): pulls every order ``tracker`` holds
    open with ``pull`` (:meth:`Protection.pull
    <framework.execution.protection.Protection.pull>`), round after round."""

    def __init__(self, bus: Bus, clock: Clock, tracker: Any, router: Any, pull: Callable[..., int]) -> None:
        self.bus = bus
        self.clock = clock
        self.tracker = tracker
        self.router = router
        self.pull = pull
        self._progress: asyncio.Event | None = None
        self._answers = 0  # order events other than refusals, while the run stops

    async def run(self) -> None:
        """Pull until none is open or :data:`IDLE_ROUNDS` rounds in a row saw no
        progress (an order event other than a refusal). The caller bounds the time."""
        progress = self._progress = asyncio.Event()
        sub = self.bus.subscribe(self._order_event, OrderEvent, name="protection:stop")
        try:
            idle = 0
            while idle < IDLE_ROUNDS:
                await self._drain()
                open_orders = self.tracker.open_orders()
                if not open_orders:
                    return
                seen = self._answers
                # Drained: no insert in flight, so every open order can go in a batch;
                # after a round without progress, the unanswered cancels go again.
                self.pull(open_orders, again=idle > 0, unacked="batch")
                await self._drain()
                if self.tracker.open_orders():
                    await self._pause(RETRY_NS, progress)
                idle = idle + 1 if self._answers == seen else 0
        finally:
            self.bus.unsubscribe(sub)
            self._progress = None

    def _order_event(self, event: OrderEvent) -> None:
        # A refusal is no progress: a cancel for an order the venue no longer
        # has is refused every round, and must not keep the stop going.
        if type(event) in _REFUSALS or self._progress is None:
            return
        self._answers += 1
        self._progress.set()

    async def _drain(self) -> None:
        """The router's drain; a simulated clock is moved meanwhile, since the
        messages in flight may wait on its timers (gate, paper latency)."""
        clock = self.clock
        if not isinstance(clock, SimClock):
            await self.router.drain()
            return
        while self.router.in_flight:
            await let_woken_tasks_run()
            nxt = clock.next_timer_ns()
            if nxt is not None and self.router.in_flight:
                clock.advance_to(nxt)

    async def _pause(self, ns: int, progress: asyncio.Event) -> None:
        """Wait up to ``ns`` of the run's clock for an order event. A simulated
        clock is moved here, timer by timer, since nothing else moves it once
        the run is stopping (a paper exchange answers on its latency timers)."""
        progress.clear()
        clock = self.clock
        if isinstance(clock, SimClock):
            end = clock.now_ns() + ns
            while not progress.is_set():
                nxt = clock.next_timer_ns()
                clock.advance_to(end if nxt is None or nxt > end else nxt)
                await let_woken_tasks_run()
                if clock.now_ns() >= end:
                    return
            return
        timer = clock.call_later(ns, progress.set)
        try:
            await progress.wait()
        finally:
            timer.cancel()
