"""The strategy API: a base class with callbacks, and the context it trades through.

A strategy subclasses :class:`Strategy`, declares its typed parameters as a
``msgspec.Struct`` (validated from the YAML like the rest of the config) and
registers through the ``backplane_strategies`` hook. The run calls its
callbacks from the bus -- plain calls on the event path -- and hands it a
:class:`StrategyContext` to send orders and read state.

Orders leave only through the context: it assigns the client order id
(unique across sessions and runs, see :mod:`framework.model.ids`), tracks
the order, and passes it to the run's order router, which runs the risk layer
(pre-trade checks, ingress budget) before anything reaches a venue or the
paper exchange. A strategy that raises is halted alone by the run: its orders
are cancelled and the run goes on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from framework.model.events import (
    BookDelta,
    BookSnapshot,
    OrderEvent,
    Side,
    StreamStatus,
    TimerFired,
    Trade,
)
from framework.model.ids import id_prefix
from framework.model.orders import (
    CancelOrder,
    OrderType,
    ReplaceOrder,
    SubmitOrder,
    TimeInForce,
)

if TYPE_CHECKING:
    from framework.runtime.clock import Clock

__all__ = ["OrderRouter", "Strategy", "StrategyContext"]

P = TypeVar("P", bound=msgspec.Struct)


class OrderRouter:
    """What a context sends intents to; the run provides the real one.

    ``send`` returns at once: the outcome (accepted, denied, filled, ...)
    arrives as events.
    """

    def send(self, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        raise NotImplementedError

    def budget(self, venue: str) -> int:
        """Ingress messages the venue account may send now."""
        raise NotImplementedError


class StrategyContext:
    """A strategy's handle on the run: orders out, state in.

    Positions, PnL and open orders are read from the run's shared
    :class:`~framework.model.positions.PositionBook` and order tracker, so the
    strategy, the risk layer and the journal agree.
    """

    def __init__(
        self,
        name: str,
        venue: str,
        symbols: list[str],
        clock: Clock,
        router: OrderRouter,
        books: Callable[[str], Any],
        state: Any,
        *,
        id_tag: str = "",
    ) -> None:
        self.name = name
        self.venue = venue
        self.symbols = list(symbols)
        self.clock = clock
        self._router = router
        self._books = books
        self._state = state  # framework.model.positions-style state: positions, open orders, PnL
        # Ids are ``<name>-<id_tag>-<n>``; the run gives each session its own
        # tag (framework.model.ids.session_tag), so a resumed run never reuses an id
        # that may still rest at the venue. Without a tag (tests): ``<name>-<n>``.
        self._id_prefix = id_prefix(name, id_tag)
        self._ids = itertools.count(1)
        self._timers: dict[str, Any] = {}
        # The run points this at the strategy's guarded ``on_timer``.
        self.timer_handler: Callable[[TimerFired], None] = lambda event: None

    # -- orders ------------------------------------------------------------

    def _next_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids)}"

    def submit_limit(
        self,
        symbol: str,
        side: Side,
        price: int,
        size: int,
        *,
        tif: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        reduce_only: bool = False,
        expire_ns: int = 0,
    ) -> str:
        """Send a limit order (price in ticks, size in lots); returns its client id."""
        order = SubmitOrder(
            self.name, self.venue, symbol, self._next_id(), side, price, size,
            OrderType.LIMIT, tif, post_only, reduce_only, expire_ns,
        )  # fmt: skip
        self._router.send(order)
        return order.client_order_id

    def submit_market(self, symbol: str, side: Side, size: int, worst_price: int, *, reduce_only: bool = False) -> str:
        """Send a market order that trades no worse than ``worst_price`` (IOC)."""
        order = SubmitOrder(
            self.name, self.venue, symbol, self._next_id(), side, worst_price, size,
            OrderType.MARKET, TimeInForce.IOC, False, reduce_only,
        )  # fmt: skip
        self._router.send(order)
        return order.client_order_id

    def cancel(self, client_order_id: str) -> None:
        """Cancel one of this strategy's working orders."""
        symbol, venue_id = self._ids_of(client_order_id)
        self._router.send(CancelOrder(self.name, self.venue, symbol, client_order_id, venue_id))

    def replace(self, client_order_id: str, price: int, size: int) -> None:
        """Move a working order to ``price``/``size`` (cancel-replace at the venue)."""
        symbol, venue_id = self._ids_of(client_order_id)
        self._router.send(ReplaceOrder(self.name, self.venue, symbol, client_order_id, venue_id, price, size))

    def _ids_of(self, client_order_id: str) -> tuple[str, str]:
        order = self._state.order(client_order_id)
        return (order.symbol, order.venue_order_id) if order is not None else ("", "")

    def cancel_all(self, symbol: str | None = None) -> int:
        """Cancel every working order (of ``symbol``); returns how many cancels were sent."""
        ids = [o.client_order_id for o in self.open_orders(symbol)]
        for cid in ids:
            self.cancel(cid)
        return len(ids)

    # -- state -------------------------------------------------------------

    def order(self, client_order_id: str) -> Any:
        """The tracked order (state, price, size, filled, remaining) or None."""
        return self._state.order(client_order_id)

    def open_orders(self, symbol: str | None = None) -> list[Any]:
        return self._state.open_orders(self.name, symbol)

    def position(self, symbol: str) -> int:
        """Signed position in lots."""
        return self._state.position(self.name, self.venue, symbol)

    def avg_entry(self, symbol: str) -> Fraction | None:
        return self._state.avg_entry(self.name, self.venue, symbol)

    def realized_pnl(self, symbol: str | None = None) -> int:
        """Realized PnL in tick x lot units, fees included."""
        return self._state.realized(self.name, self.venue, symbol)

    def unrealized_pnl(self, symbol: str) -> Fraction:
        """Unrealized PnL against the current mid, in tick x lot units."""
        book = self._books(symbol)
        mid = book.mid() if book is not None else None
        if mid is None:
            return Fraction(0)
        return self._state.unrealized(self.name, self.venue, symbol, mid)

    def fees(self, symbol: str | None = None) -> int:
        return self._state.fees(self.name, self.venue, symbol)

    def book(self, symbol: str) -> Any:
        """The current book of a subscribed symbol (``L2Book``/``L3Book``)."""
        return self._books(symbol)

    def budget(self) -> int:
        """Ingress messages this venue account may send now without waiting."""
        return self._router.budget(self.venue)

    # -- timers ------------------------------------------------------------

    def set_timer(self, name: str, every_ns: int) -> None:
        """Call ``on_timer`` every ``every_ns`` of the run's clock until cancelled."""
        self.cancel_timer(name)
        self._timers[name] = self.clock.call_later(every_ns, self._fire, name, every_ns)

    def cancel_timer(self, name: str) -> None:
        handle = self._timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def cancel_timers(self) -> None:
        for name in list(self._timers):
            self.cancel_timer(name)

    def _fire(self, name: str, every_ns: int) -> None:
        self._timers[name] = self.clock.call_later(every_ns, self._fire, name, every_ns)
        now = self.clock.now_ns()
        self.timer_handler(TimerFired(self.venue, "", now, now, name))


class Strategy(Generic[P]):
    """Base class of strategies. Override the callbacks you need.

    ``self.params`` holds the validated parameters, ``self.ctx`` the context.
    Callbacks run on the event path: keep them short, never block.
    """

    def __init__(self, ctx: StrategyContext, params: P) -> None:
        self.ctx = ctx
        self.params = params

    def on_start(self) -> None:
        """The run started; subscribed books may still be empty."""

    def on_stop(self) -> None:
        """The run is stopping; the framework cancels open orders after this."""

    def on_book(self, event: BookSnapshot | BookDelta) -> None:
        """A subscribed book changed; read it with ``self.ctx.book(event.symbol)``."""

    def on_trade(self, event: Trade) -> None:
        """A print on a subscribed symbol."""

    def on_order(self, event: OrderEvent) -> None:
        """One of this strategy's orders changed: accepted, (partially) filled,
        cancelled, rejected by the venue, or denied by the risk layer."""

    def on_timer(self, event: TimerFired) -> None:
        """A timer set with ``ctx.set_timer`` or a schedule entry fired."""

    def on_stream_status(self, event: StreamStatus) -> None:
        """A stream of this strategy's venue changed state (stale, resyncing, live ...)."""
