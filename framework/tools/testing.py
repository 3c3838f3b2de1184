"""Test doubles shipped in the box: drive a strategy with scripted books.

:class:`StrategyHarness` builds a strategy the way a run does -- a real bus,
a simulated clock, real L2 books, the real order tracker -- but routes its
orders to a :class:`RecordingRouter` that keeps them for assertions and acts
as a well-behaved venue: every order is accepted, cancels cancel, replaces
restate the order. Fills are scripted with :meth:`StrategyHarness.fill`.

    h = StrategyHarness(MarketMaker, MarketMakerParams(size=5), symbols=["X"])
    h.book("X", bids=[(99, 10)], asks=[(101, 10)])
    assert [(o.side, o.price) for o in h.submitted()] == [(Side.BUY, 98), (Side.SELL, 102)]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import msgspec

from framework.books.l2book import L2Book
from framework.execution.tracker import OrderTracker
from framework.model.events import (
    BookDelta,
    BookSnapshot,
    Level,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderReplaced,
    Trade,
)
from framework.model.orders import CancelOrder, Intent, ReplaceOrder, SubmitOrder
from framework.plugin.strategy import OrderRouter, Strategy, StrategyContext
from framework.runtime.bus import Bus
from framework.runtime.clock import SimClock

__all__ = ["RecordingRouter", "StrategyHarness"]


class RecordingRouter(OrderRouter):
    """Keeps every intent; answers like a venue that accepts everything.

    ``budget_left`` is what ``ctx.budget()`` reports; ``deny_all`` makes every
    intent an ``OrderDenied`` instead.
    """

    def __init__(self, bus: Bus, clock: SimClock, tracker: OrderTracker) -> None:
        self.bus = bus
        self.clock = clock
        self.tracker = tracker
        self.intents: list[Intent] = []
        self.budget_left = 1_000
        self.deny_all = False
        self._venue_ids = itertools.count(1)

    def budget(self, venue: str) -> int:
        return self.budget_left

    def send(self, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        self.intents.append(intent)
        self.tracker.on_intent(intent)
        now = self.clock.now_ns()
        head = (intent.venue, intent.symbol, now, now, intent.client_order_id, intent.strategy)
        if self.deny_all:
            self.bus.publish(OrderDenied(*head, "", message="denied by the harness"))
        elif isinstance(intent, SubmitOrder):
            self.tracker.admitted(intent.client_order_id)
            self.bus.publish(OrderAccepted(*head, f"v{next(self._venue_ids)}", intent.side, intent.price, intent.size))
        elif isinstance(intent, CancelOrder):
            self.bus.publish(OrderCanceled(*head, intent.venue_order_id, "canceled"))
        else:
            order = self.tracker.order(intent.client_order_id)
            remaining = intent.size - (order.filled if order is not None else 0)
            self.bus.publish(OrderReplaced(*head, intent.venue_order_id, intent.price, intent.size, remaining))


class StrategyHarness:
    """One strategy, wired as a run wires it, fed by scripted market data."""

    def __init__(
        self,
        strategy_cls: type[Strategy[Any]],
        params: msgspec.Struct,
        *,
        symbols: Sequence[str] = ("X",),
        venue: str = "sim",
        name: str = "s1",
    ) -> None:
        self.clock = SimClock()
        self.bus = Bus(self.clock)
        self.tracker = OrderTracker()
        self.router = RecordingRouter(self.bus, self.clock, self.tracker)
        self.venue = venue
        self.books = {s: L2Book(venue, s) for s in symbols}
        self.ctx = StrategyContext(name, venue, list(symbols), self.clock, self.router, self.books.get, self.tracker)
        self.strategy = strategy_cls(self.ctx, params)
        self.ctx.timer_handler = self.strategy.on_timer
        self.bus.subscribe(self.tracker.on_event, OrderEvent)
        self.bus.subscribe(self.strategy.on_book, (BookSnapshot, BookDelta))
        self.bus.subscribe(self.strategy.on_trade, Trade)
        def own_orders(event: OrderEvent) -> None:
            if event.strategy == name:
                self.strategy.on_order(event)

        self.bus.subscribe(own_orders, OrderEvent)
        self._exec_ids = itertools.count(1)
        self.strategy.on_start()

    # -- scripting ---------------------------------------------------------

    def book(self, symbol: str, bids: Sequence[Level], asks: Sequence[Level]) -> None:
        """Replace ``symbol``'s book (best first) and tell the strategy."""
        self.books[symbol].apply_snapshot(bids, asks)
        now = self.clock.now_ns()
        self.bus.publish(BookSnapshot(self.venue, symbol, now, now, tuple(bids), tuple(asks)))

    def trade(self, symbol: str, price: int, size: int) -> None:
        now = self.clock.now_ns()
        self.bus.publish(Trade(self.venue, symbol, now, now, price, size))

    def fill(self, client_order_id: str, size: int, price: int | None = None) -> None:
        """Fill ``size`` lots of a working order (at its price unless given)."""
        order = self.tracker.order(client_order_id)
        assert order is not None, f"no order {client_order_id!r}"
        now = self.clock.now_ns()
        filled = order.filled + size
        self.bus.publish(
            OrderFilled(
                self.venue, order.symbol, now, now, client_order_id, order.strategy, order.venue_order_id,
                f"x{next(self._exec_ids)}", order.side, order.price if price is None else price, size,
                filled, max(order.size - filled, 0),
            )
        )  # fmt: skip

    def advance_ms(self, ms: int) -> None:
        self.clock.advance(ms * 1_000_000)

    # -- assertions ----------------------------------------------------------

    def submitted(self) -> list[SubmitOrder]:
        return [i for i in self.router.intents if isinstance(i, SubmitOrder)]

    def cancels(self) -> list[CancelOrder]:
        return [i for i in self.router.intents if isinstance(i, CancelOrder)]

    def replaces(self) -> list[ReplaceOrder]:
        return [i for i in self.router.intents if isinstance(i, ReplaceOrder)]

    def clear(self) -> None:
        """Forget the intents recorded so far."""
        self.router.intents.clear()


class ScriptedVenueSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Settings of :class:`ScriptedVenue`: a seeded random walk of top-of-book."""

    mid: int = 500
    half_spread: int = 2
    size: int = 50
    interval_ms: int = 100
    seed: int = 1


class ScriptedVenue:
    """A venue adapter with no network: books walk randomly on the run's clock.

    For tests of the run itself (and paper mode): it publishes a snapshot per
    symbol at start, then one level change per symbol every ``interval_ms``,
    and accepts no live orders (route it in paper mode).
    """

    def __init__(self, ctx: Any, settings: ScriptedVenueSettings | None) -> None:
        import random

        from framework.plugin.venue import VenueLimits

        self.ctx = ctx
        self.settings = settings or ScriptedVenueSettings()
        self.limits = VenueLimits()
        self.instruments: dict[str, Any] = {}
        self._books = {s: L2Book(ctx.name, s) for s in ctx.symbols}
        self._rng = random.Random(self.settings.seed)
        self._timer: Any = None
        self.updates = 0

    def book(self, symbol: str) -> L2Book | None:
        return self._books.get(symbol)

    async def start(self) -> None:
        from framework.model.events import StreamState, StreamStatus

        now = self.ctx.clock.now_ns()
        self.ctx.bus.publish(StreamStatus(self.ctx.name, "", now, now, StreamState.LIVE))
        s = self.settings
        for symbol, book in self._books.items():
            bids, asks = [(s.mid - s.half_spread, s.size)], [(s.mid + s.half_spread, s.size)]
            book.apply_snapshot(bids, asks)
            self.ctx.bus.publish(BookSnapshot(self.ctx.name, symbol, now, now, tuple(bids), tuple(asks)))
        self._timer = self.ctx.clock.call_later(s.interval_ms * 1_000_000, self._step)

    def _step(self) -> None:
        s = self.settings
        now = self.ctx.clock.now_ns()
        for symbol, book in self._books.items():
            mid = (book.mid_x2() or 2 * s.mid) // 2 + self._rng.choice((-1, 0, 1))
            bids, asks = [(mid - s.half_spread, self._rng.randint(1, s.size))], [(mid + s.half_spread, self._rng.randint(1, s.size))]
            book.apply_snapshot(bids, asks)
            self.updates += 1
            self.ctx.bus.publish(BookSnapshot(self.ctx.name, symbol, now, now, tuple(bids), tuple(asks)))
        self._timer = self.ctx.clock.call_later(s.interval_ms * 1_000_000, self._step)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    async def submit(self, order: SubmitOrder) -> None:
        raise NotImplementedError("the scripted venue trades in paper mode only")

    async def cancel(self, cancel: CancelOrder) -> None:
        raise NotImplementedError("the scripted venue trades in paper mode only")

    async def replace(self, replace: ReplaceOrder) -> None:
        raise NotImplementedError("the scripted venue trades in paper mode only")
