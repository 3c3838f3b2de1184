"""Orders in doubt: asking the venue what became of an order whose answer was lost.

Theory of operation
-------------------
When the answer to an insert, cancel or replace is lost (a timeout, a 5xx, a
connection reset after sending) the router publishes
:class:`~framework.model.events.OrderUnknown` and the order is UNKNOWN: the venue may
hold it or not, so the risk layer keeps counting it as open. Any venue event
about the order (an acknowledgement, a fill, a cancel on the order stream)
resolves it on its own. Otherwise the :class:`UnknownResolver` asks:

1. ``resolve_after`` after the order became unknown (the venue has had time
   to process a late request), it asks the venue's route which of the
   venue's unknown orders it holds open (``find_orders``: one query per
   venue and round, whatever the number of orders);
2. an order the venue holds is ``found`` (it works, with the venue's fill);
   one it does not hold is ``not_found`` if the venue never acknowledged it
   (the insert never took effect) or ``gone`` if it did (cancelled or done:
   the fills, if any, come as executions);
3. a round that cannot ask (the venue is unreachable) is repeated every
   ``resolve_every``; an order still unknown after ``resolve_within`` is
   logged as an error and stays UNKNOWN -- open exposure -- until the venue
   says otherwise. Losing track of an order is never resolved by guessing.

Each answer is published as :class:`~framework.model.events.OrderResolved`, which
the tracker, the journal, the risk layer and the strategy all see.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any

import msgspec

from framework.config.duration import MILLISECOND, SECOND, Duration
from framework.execution.lifecycle import OrderStatus
from framework.execution.tracker import OrderTracker, TrackedOrder
from framework.model.errors import VenueError
from framework.model.events import OrderResolved, OrderUnknown
from framework.plugin.venue import VenueOrder
from framework.runtime.bus import Bus
from framework.runtime.clock import Clock
from framework.runtime.episode import Episode

__all__ = ["ExecutionSettings", "FindOrders", "UnknownResolver"]

log = logging.getLogger(__name__)

FindOrders = Callable[[Sequence[TrackedOrder]], Awaitable[Mapping[str, VenueOrder]]]
"""A route's ``find_orders``: of these orders, the ones the venue holds open, by client id."""


class ExecutionSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The ``execution:`` section: how orders in doubt are resolved (see :mod:`framework.execution.resolver`)."""

    resolve_after: Annotated[Duration, msgspec.Meta(ge=MILLISECOND, description="first ask the venue this long after an answer was lost")] = SECOND
    resolve_every: Annotated[Duration, msgspec.Meta(ge=MILLISECOND, description="ask again this often while the venue cannot tell")] = SECOND
    resolve_within: Annotated[Duration, msgspec.Meta(ge=MILLISECOND, description="after this long an order still in doubt is reported as an error (it stays open exposure)")] = 30 * SECOND


class UnknownResolver:
    """Resolves the run's UNKNOWN orders from their venues; see the module docs."""

    def __init__(self, bus: Bus, clock: Clock, tracker: OrderTracker, settings: ExecutionSettings | None = None) -> None:
        self.bus = bus
        self.clock = clock
        self.tracker = tracker
        self.settings = settings or ExecutionSettings()
        self._finders: dict[str, FindOrders] = {}
        self._timers: dict[str, Any] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._given_up: set[str] = set()
        self.resolved: dict[str, int] = {"found": 0, "not_found": 0, "gone": 0}
        self.queries = 0
        self._unanswered: dict[str, Episode] = {}  # venue -> its asks failing (one WARNING per episode)

    def add_venue(self, venue: str, find_orders: FindOrders | None) -> None:
        """Where to ask about ``venue``'s orders (``None``: the venue cannot be asked)."""
        if find_orders is not None:
            self._finders[venue] = find_orders

    def attach(self) -> None:
        self.bus.subscribe(self.on_unknown, OrderUnknown, name="resolver")

    def on_unknown(self, event: Any) -> None:
        self._schedule(event.venue, self.settings.resolve_after)

    def check(self, venue: str) -> None:
        """Ask ``venue`` soon if the tracker holds any of its orders in doubt (a resumed run)."""
        if self.tracker.unknown_orders(venue):
            self._schedule(venue, self.settings.resolve_after)

    def _schedule(self, venue: str, delay_ns: int) -> None:
        if venue not in self._timers:
            self._timers[venue] = self.clock.call_later(delay_ns, self._start_round, venue)

    def _start_round(self, venue: str) -> None:
        self._timers.pop(venue, None)
        task = asyncio.get_running_loop().create_task(self.round(venue), name=f"resolve:{venue}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def round(self, venue: str) -> None:
        """Ask ``venue`` once about its orders in doubt; resolve what it can tell."""
        orders = self.tracker.unknown_orders(venue)
        if not orders:
            return
        find = self._finders.get(venue)
        held: Mapping[str, VenueOrder] | None = None
        if find is not None:
            self.queries += 1
            try:
                held = await find(orders)
            except VenueError as exc:
                self._asking(venue).seen(f"{len(orders)} orders in doubt: {exc}")
            else:
                self._asking(venue).over()
        now = self.clock.now_ns()
        waiting = False
        for order in orders:
            if order.state is not OrderStatus.UNKNOWN:
                continue  # a venue event resolved it meanwhile
            if now - order.unknown_since_ns < self.settings.resolve_after:
                waiting = True  # too fresh: a late request may still be on its way
            elif held is not None:
                self._resolve(order, held.get(order.client_order_id), now)
            elif now - order.unknown_since_ns >= self.settings.resolve_within:
                self._give_up(order)
            else:
                waiting = True
        if waiting:
            self._schedule(venue, self.settings.resolve_every)

    def _asking(self, venue: str) -> Episode:
        """``venue``'s asks failing, as one episode (a WARNING, then INFO per round)."""
        episode = self._unanswered.get(venue)
        if episode is None:
            episode = self._unanswered[venue] = Episode(
                log, self.clock, f"{venue}: cannot ask the venue about its orders in doubt", "asking again", logging.INFO)
        return episode

    def _resolve(self, order: TrackedOrder, found: VenueOrder | None, now: int) -> None:
        if found is not None:
            outcome, filled, venue_id, why = "found", found.filled, found.venue_order_id, "the venue holds it open"
        elif order.acknowledged:
            outcome, filled, venue_id, why = "gone", order.filled, order.venue_order_id, "the venue no longer holds it"
        else:
            outcome, filled, venue_id, why = "not_found", order.filled, "", "the venue never had it"
        self.resolved[outcome] += 1
        log.info("order %s in doubt (%s lost): %s", order.client_order_id, order.in_doubt or "request", why)
        self.bus.publish(OrderResolved(order.venue, order.symbol, 0, now, order.client_order_id, order.strategy,
                                       venue_id, outcome, filled, why))  # fmt: skip

    def _give_up(self, order: TrackedOrder) -> None:
        if order.client_order_id not in self._given_up:
            self._given_up.add(order.client_order_id)
            log.error("order %s is still in doubt after %.0f s and its venue cannot be asked: it stays open exposure",
                      order.client_order_id, self.settings.resolve_within / SECOND)  # fmt: skip

    async def close(self) -> None:
        """Stop asking (at shutdown)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
