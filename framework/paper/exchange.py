"""The paper exchange: one simulated venue matching our orders against the real book.

Theory of operation
-------------------
Market data is the venue's own (``book_of(symbol)`` returns the adapter's
current L2/L3 book; ``on_book``/``on_trade`` receive its bus events). Orders
never leave the process: ``submit``/``cancel``/``replace`` reach the simulated
matching engine ``latency`` later (clock timers, so a :class:`SimClock` drives
it in tests and replays), in the order they were sent.

On arrival a submit is validated (else ``OrderRejected``), acknowledged with
``OrderAccepted``, and its marketable part walks the opposite levels best
first at each level's price (taker fills), never taking displayed size our
earlier orders already took in the same book state
(:class:`~framework.paper.liquidity.LiquidityLedger`). IOC, FOK and market
orders then cancel what is left (``OrderCanceled``); GTC, DAY and GTT orders
rest with a queue position (:mod:`framework.paper.queue`) and later fill as
maker at their own price on prints at or through it, or when a new book state
shows the opposite side at or through it (the real market reached our price:
we fill from the displayed crossing size, not yet taken in this state).
A full fill is reported by ``OrderFilled.remaining == 0``, with no separate
``OrderCanceled``. A post-only order that would cross is rejected.

Replace follows FIX cancel/replace: ``size`` is the new **total** size
(filled included); ``0`` keeps the old price or size. Only a size decrease at
the same price keeps the queue position. DAY orders are treated as GTC (the
paper venue has no session). Our paper orders never match one another.

Execution ids are ``<prefix>-<n>``. The default prefix carries the venue and
the clock's wall time at construction, so a restarted live-clock run never
reuses one; on a simulated clock (which may start at the same time again) pass
``id_prefix`` with something unique per session, e.g. the journal's
``session`` number, since the journal drops a repeated execution id as a
duplicate.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from framework.model.events import (
    BookDelta,
    BookSnapshot,
    CancelRejected,
    Event,
    Liquidity,
    OrderCanceled,
    OrderExpired,
    OrderRejected,
    Side,
    Trade,
)
from framework.model.orders import (
    CancelOrder,
    OrderType,
    ReplaceOrder,
    SubmitOrder,
    TimeInForce,
)
from framework.paper.fees import fee
from framework.paper.liquidity import LiquidityLedger
from framework.paper.queue import (
    PaperOrder,
    allocate_print,
    fill_size,
    priority,
    shrink_queue,
)
from framework.paper.refusals import TAKE_AND_GO, replace_refusal, submit_refusal
from framework.paper.reports import PaperReports
from framework.paper.restore import RestorableOrder, restored_order
from framework.paper.settings import PaperSettings
from framework.plugin.venue import VenueOrder
from framework.runtime.bus import Bus, Subscription
from framework.runtime.clock import Clock, TimerHandle

__all__ = ["PaperExchange"]


class PaperExchange:
    """A simulated venue for ``mode: paper``; see the module docs.

    ``book_of(symbol)`` returns the venue's current book for ``symbol`` (an
    object with ``levels(side)`` best first and ``size_at(side, price)``) or
    raises ``KeyError`` for a symbol it does not carry.
    """

    def __init__(
        self,
        venue: str,
        bus: Bus,
        clock: Clock,
        book_of: Callable[[str], Any],
        settings: PaperSettings | None = None,
        *,
        id_prefix: str | None = None,
    ) -> None:
        self.venue = venue
        self.settings = settings or PaperSettings()
        self._bus = bus
        self._clock = clock
        self._book_of = book_of
        self._prefix = id_prefix or f"paper-{venue}-{clock.wall_ns()}"
        self._rng = random.Random(self.settings.seed)
        self._ledger = LiquidityLedger()
        self._live: dict[str, PaperOrder] = {}  # client order id -> working order
        self._resting: dict[str, list[PaperOrder]] = {}  # symbol -> resting orders
        self._timers: set[TimerHandle] = set()
        self._last_arrival = 0
        self._seq = 0
        self._subs: list[Subscription] = []
        self._reports = PaperReports(venue, bus, clock, self._prefix)

    # -- the venue-adapter side ---------------------------------------

    async def submit(self, order: SubmitOrder) -> None:
        """Send a new order; it takes effect after the configured latency."""
        self._send(self._arrive_submit, order)

    async def cancel(self, cancel: CancelOrder) -> None:
        """Cancel a working order (by client order id, else venue order id)."""
        self._send(self._arrive_cancel, cancel)

    async def replace(self, replace: ReplaceOrder) -> None:
        """Change price and/or total size of a working order (FIX semantics)."""
        self._send(self._arrive_replace, replace)

    async def find_orders(self, orders: Iterable[Any]) -> dict[str, VenueOrder]:
        """Of ``orders`` (tracked orders in doubt), those working here, by client id."""
        found = {}
        for o in orders:
            live = self._live.get(o.client_order_id)
            if live is not None:
                found[o.client_order_id] = VenueOrder(o.client_order_id, live.venue_order_id, live.filled)
        return found

    def open_orders(self) -> list[PaperOrder]:
        """Orders working now, oldest first (treat as read-only)."""
        return sorted(self._live.values(), key=lambda o: o.seq)

    def restore(self, orders: Iterable[RestorableOrder]) -> int:
        """Put journalled open orders back (a restarted paper run); returns how many.

        They rest at the back of their level: the queue position is taken from
        the first book state seen after the restore. No event is published,
        except ``OrderExpired`` for a GTT order whose time
        passed while the run was down.
        """
        count = 0
        for rec in orders:
            if rec.client_order_id in self._live or rec.size - rec.filled <= 0:
                continue
            order = restored_order(rec, rec.venue_order_id or self._new_venue_id(), self._next_seq())
            if order.tif is TimeInForce.GTT and order.expire_ns <= self._clock.wall_ns():
                self._reports.order_event(OrderExpired, order, order.venue_order_id, reason="expired")
                continue
            self._live[order.client_order_id] = order
            self._resting.setdefault(order.symbol, []).append(order)
            self._schedule_expiry(order)
            count += 1
        return count

    async def start(self) -> None:
        """Start matching: subscribe to the venue's market data (see :meth:`attach`)."""
        self.attach()

    async def stop(self) -> None:
        """Stop matching (see :meth:`close`)."""
        self.close()

    def book(self, symbol: str) -> Any:
        """The venue's current book of ``symbol`` (what orders match against)."""
        return self._book_of(symbol)

    def attach(self) -> list[Subscription]:
        """Subscribe to this venue's book and trade events on the bus."""
        if not self._subs:
            self._subs = [
                self._bus.subscribe(
                    self.on_book, (BookSnapshot, BookDelta), venue=self.venue, name=f"paper:{self.venue}:book"
                ),
                self._bus.subscribe(self.on_trade, Trade, venue=self.venue, name=f"paper:{self.venue}:trade"),
            ]
        return self._subs

    def close(self) -> None:
        """Drop messages still in flight and every timer; unsubscribe."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for order in self._live.values():
            if order.expiry is not None:
                order.expiry.cancel()
        for sub in self._subs:
            self._bus.unsubscribe(sub)
        self._subs = []

    # -- market data ---------------------------------------------------

    def on_book(self, event: Event) -> None:
        """A new state of ``event.symbol``'s book (the adapter updated it first)."""
        if event.venue != self.venue:
            return
        symbol = event.symbol
        self._ledger.reset(symbol)
        resting = self._resting.get(symbol)
        if not resting:
            return
        book = self._book_of(symbol)
        for order in resting:
            shrink_queue(order, book.size_at(order.side, order.price))
        for order in sorted(resting, key=priority):
            if order.remaining > 0:
                self._take(order, book, Liquidity.MAKER)

    def on_trade(self, event: Trade) -> None:
        """A print on the venue's tape: move queues, fill what it reached."""
        if event.venue != self.venue or event.size <= 0:
            return
        resting = self._resting.get(event.symbol)
        if not resting:
            return
        for side in (Side.BUY, Side.SELL):
            if event.aggressor is side:
                continue  # a buyer lifting asks never reaches our bids, and vice versa
            ours = sorted((o for o in resting if o.side is side), key=priority)
            fills = allocate_print(ours, event.price, event.size, self.settings.partial_fills)
            for order, lots in fills:
                self._fill(order, order.price, lots, Liquidity.MAKER)

    # -- arrivals --------------------------------------------------------

    def _send(self, arrive: Callable[[Any], None], message: Any) -> None:
        delay = self.settings.latency_ns
        if self.settings.jitter_ns:
            delay += self._rng.randint(0, self.settings.jitter_ns)
        # One connection: a later message never overtakes an earlier one.
        when = max(self._clock.now_ns() + delay, self._last_arrival)
        self._last_arrival = when
        cell: list[TimerHandle] = []
        cell.append(self._clock.call_at(when, self._arrived, cell, arrive, message))
        self._timers.add(cell[0])

    def _arrived(self, cell: list[TimerHandle], arrive: Callable[[Any], None], message: Any) -> None:
        self._timers.discard(cell[0])
        arrive(message)

    def _arrive_submit(self, order: SubmitOrder) -> None:
        problem, book = submit_refusal(order, self.venue, self._live, self._clock.wall_ns(), self._book_of)
        if problem:
            self._reports.order_event(OrderRejected, order, "", reason=problem)
            return
        po = PaperOrder(
            order.client_order_id,
            order.strategy,
            self._new_venue_id(),
            order.symbol,
            Side(order.side),
            order.price,
            order.size,
            order_type=order.order_type,
            tif=order.tif,
            post_only=order.post_only,
            expire_ns=order.expire_ns,
            seq=self._next_seq(),
        )
        self._live[po.client_order_id] = po
        self._reports.accepted(po)
        if order.tif is TimeInForce.FOK and not self._fok_fillable(po, book):
            self._done(po, "fok: not enough liquidity")
            return
        self._take(po, book, Liquidity.TAKER)
        if po.remaining == 0:
            return
        if order.order_type is OrderType.MARKET or order.tif in TAKE_AND_GO:
            self._done(po, f"{order.tif.value}: unfilled remainder")
            return
        self._rest(po, book)

    def _arrive_cancel(self, cancel: CancelOrder) -> None:
        order = self._find(cancel.client_order_id, cancel.venue_order_id)
        if order is None:
            self._reports.order_event(CancelRejected, cancel, cancel.venue_order_id, reason="unknown or no longer working order")
            return
        self._done(order, "canceled")

    def _arrive_replace(self, rep: ReplaceOrder) -> None:
        order = self._find(rep.client_order_id, rep.venue_order_id)
        if order is None:
            self._reports.order_event(CancelRejected, rep, rep.venue_order_id, reason="unknown or no longer working order")
            return
        price = rep.price or order.price
        size = rep.size or order.size
        book = self._book_of(order.symbol)
        problem = replace_refusal(order, price, size, book)
        if problem:
            self._reports.order_event(CancelRejected, rep, order.venue_order_id, reason=problem)
            return
        keeps_place = price == order.price and size <= order.size
        order.price, order.size = price, size
        self._reports.replaced(order)
        if keeps_place:
            return
        self._unrest(order)
        self._take(order, book, Liquidity.TAKER)
        if order.remaining > 0:
            self._rest(order, book)

    # -- matching --------------------------------------------------------

    def _take(self, order: PaperOrder, book: Any, liquidity: Liquidity) -> None:
        """Fill ``order`` from the displayed opposite levels it crosses.

        A taker fills at each level's price (one execution per level); a
        resting order (maker) that the market reached fills once, at its own price.
        """
        levels = self._ledger.available(book, order.symbol, order.side, order.price)
        if not levels:
            return
        offered = sum(size for _, size in levels)
        if fill_size(offered, order.remaining, self.settings.partial_fills) == 0:
            return
        maker_lots = 0
        for price, size in levels:
            lots = min(size, order.remaining - maker_lots)
            self._ledger.take(order.symbol, order.side.opposite, price, lots)
            if liquidity is Liquidity.TAKER:
                self._fill(order, price, lots, liquidity)  # one execution per level
                if order.remaining == 0:
                    return
            else:
                maker_lots += lots
                if maker_lots == order.remaining:
                    break
        if maker_lots:
            self._fill(order, order.price, maker_lots, liquidity)  # one at our price

    def _fok_fillable(self, order: PaperOrder, book: Any) -> bool:
        levels = self._ledger.available(book, order.symbol, order.side, order.price)
        return sum(size for _, size in levels) >= order.remaining

    def _rest(self, order: PaperOrder, book: Any) -> None:
        order.queue_ahead = book.size_at(order.side, order.price)
        self._resting.setdefault(order.symbol, []).append(order)
        self._schedule_expiry(order)

    def _schedule_expiry(self, order: PaperOrder) -> None:
        if order.tif is TimeInForce.GTT and order.expiry is None:
            delay = order.expire_ns - self._clock.wall_ns()
            order.expiry = self._clock.call_later(delay, self._expire, order)

    def _unrest(self, order: PaperOrder) -> None:
        resting = self._resting.get(order.symbol)
        if resting and order in resting:
            resting.remove(order)

    def _expire(self, order: PaperOrder) -> None:
        if self._live.get(order.client_order_id) is order:
            self._forget(order)
            self._reports.order_event(OrderExpired, order, order.venue_order_id, reason="expired")

    # -- reporting -------------------------------------------------------

    def _fill(self, order: PaperOrder, price: int, lots: int, liquidity: Liquidity) -> None:
        order.filled += lots
        bps = self.settings.taker_fee_bps if liquidity is Liquidity.TAKER else self.settings.maker_fee_bps
        self._reports.filled(order, price, lots, liquidity, fee(price, lots, bps))
        if order.remaining == 0:
            self._forget(order)

    def _done(self, order: PaperOrder, reason: str) -> None:
        self._forget(order)
        self._reports.order_event(OrderCanceled, order, order.venue_order_id, reason=reason)

    def _forget(self, order: PaperOrder) -> None:
        self._live.pop(order.client_order_id, None)
        self._unrest(order)
        if order.expiry is not None:
            order.expiry.cancel()
            order.expiry = None

    def _find(self, client_order_id: str, venue_order_id: str) -> PaperOrder | None:
        order = self._live.get(client_order_id) if client_order_id else None
        if order is None and venue_order_id:
            order = next((o for o in self._live.values() if o.venue_order_id == venue_order_id), None)
        return order

    def _new_venue_id(self) -> str:
        return f"{self._prefix}-o{self._next_seq()}"

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq
