"""Order tracking: the lifecycle of every order the run sends, and positions.

Theory of operation
-------------------
The run's :class:`OrderTracker` is the one place that knows each order's
state. It learns of an order when a strategy sends it (``on_intent``) and
follows it from the bus (``on_event``, subscribed before any strategy so a
strategy's ``on_order`` already sees the new state). Fills update the shared
:class:`~framework.positions.PositionBook` exactly once per
``(venue, execution_id)``, whatever the order's state: a fill that races a
cancel is still a fill.

The lifecycle is a table, not code::

    PENDING ──► ACCEPTED ──► PARTIALLY_FILLED ──► FILLED
       │           │   ▲            │
       │           ▼   │ (cancel    ▼
       │      PENDING_CANCEL  rejected)  CANCELED
       ├──► DENIED   (our risk layer; terminal)
       └──► REJECTED (the venue; terminal)

Venues may report out of order (an IOC filled before its ack), so every
state may move to a fill or a terminal state; what the table does not allow
is counted in ``unexpected`` and ignored, never raised.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from framework.events import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    Side,
)
from framework.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.positions import PositionBook

__all__ = ["OrderState", "OrderTracker", "TrackedOrder"]


class OrderState(enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    PENDING_CANCEL = "pending_cancel"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    DENIED = "denied"

    @property
    def is_open(self) -> bool:
        return self in _OPEN


_OPEN = {OrderState.PENDING, OrderState.ACCEPTED, OrderState.PENDING_CANCEL, OrderState.PARTIALLY_FILLED}
_S = OrderState
# state -> states it may move to
TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    _S.PENDING: frozenset({_S.ACCEPTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.REJECTED, _S.DENIED, _S.PENDING_CANCEL}),
    _S.ACCEPTED: frozenset({_S.ACCEPTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.PENDING_CANCEL}),
    _S.PENDING_CANCEL: frozenset({_S.ACCEPTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED}),
    _S.PARTIALLY_FILLED: frozenset({_S.ACCEPTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.PENDING_CANCEL}),
    _S.FILLED: frozenset(),
    _S.CANCELED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.DENIED: frozenset(),
}


class TrackedOrder:
    """What the run knows of one order now."""

    __slots__ = (
        "client_order_id", "strategy", "venue", "symbol", "side", "price", "size",
        "filled", "state", "venue_order_id", "before_cancel",
    )  # fmt: skip

    def __init__(self, order: SubmitOrder) -> None:
        self.client_order_id = order.client_order_id
        self.strategy = order.strategy
        self.venue = order.venue
        self.symbol = order.symbol
        self.side = order.side
        self.price = order.price
        self.size = order.size
        self.filled = 0
        self.state = OrderState.PENDING
        self.venue_order_id = ""
        self.before_cancel = OrderState.PENDING

    @property
    def remaining(self) -> int:
        return max(self.size - self.filled, 0)

    @property
    def is_open(self) -> bool:
        return self.state.is_open

    def __repr__(self) -> str:
        return (
            f"TrackedOrder({self.client_order_id!r}, {self.side.name} {self.remaining}/{self.size} "
            f"@ {self.price} {self.symbol}, {self.state.value})"
        )


class OrderTracker:
    """Every order of the run by client id, and the positions its fills made."""

    def __init__(self, positions: PositionBook | None = None) -> None:
        self.positions = positions or PositionBook()
        self._orders: dict[str, TrackedOrder] = {}
        # Open orders only, so reads on every book event do not scan history.
        self._open: dict[str, TrackedOrder] = {}
        self._executions: set[tuple[str, str]] = set()
        self.unexpected: Counter[str] = Counter()
        self.duplicate_fills = 0

    # -- from strategies ------------------------------------------------------

    def on_intent(self, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        """Record what a strategy sends, before the risk layer sees it."""
        if isinstance(intent, SubmitOrder):
            order = TrackedOrder(intent)
            self._orders[intent.client_order_id] = self._open[intent.client_order_id] = order
        elif isinstance(intent, CancelOrder):
            working = self._orders.get(intent.client_order_id)
            if working is not None and working.is_open and working.state is not OrderState.PENDING_CANCEL:
                working.before_cancel = working.state
                self._move(working, OrderState.PENDING_CANCEL)

    def restore(self, positions: PositionBook, open_orders: Iterable[Any]) -> None:
        """Take over a restarted run's journalled positions and open orders."""
        self.positions = positions
        for rec in open_orders:
            order = TrackedOrder(
                SubmitOrder(rec.strategy, rec.venue, rec.symbol, rec.client_order_id, Side(rec.side), rec.price, rec.size)
            )
            order.filled = rec.filled
            order.venue_order_id = rec.venue_order_id
            order.state = OrderState.PARTIALLY_FILLED if rec.filled else OrderState.ACCEPTED
            self._orders[order.client_order_id] = self._open[order.client_order_id] = order

    # -- from the bus -----------------------------------------------------------

    def on_event(self, event: OrderEvent) -> None:
        """Follow an order event (subscribe this before any strategy)."""
        if isinstance(event, OrderFilled):
            self._on_fill(event)
            return
        order = self._orders.get(event.client_order_id)
        if order is None:
            self.unexpected[f"unknown:{type(event).__name__}"] += 1
            return
        if event.venue_order_id:
            order.venue_order_id = event.venue_order_id
        if isinstance(event, OrderAccepted):
            if not order.is_open:  # a late ack of an order already done
                self.unexpected[f"{order.state.value}->accepted"] += 1
                return
            if event.size:
                order.price, order.size = event.price, event.size  # a replace restates them
            if order.state is not OrderState.PENDING_CANCEL:
                self._move(order, OrderState.PARTIALLY_FILLED if order.filled else OrderState.ACCEPTED)
        elif isinstance(event, OrderCanceled):
            self._move(order, OrderState.CANCELED)
        elif isinstance(event, OrderRejected):
            self._move(order, OrderState.REJECTED)
        elif isinstance(event, OrderDenied):
            if order.state is OrderState.PENDING_CANCEL:
                return  # a denied cancel or replace: the order itself still works
            self._move(order, OrderState.DENIED)
        elif isinstance(event, CancelRejected) and order.state is OrderState.PENDING_CANCEL:
            self._move(order, order.before_cancel)

    def _on_fill(self, event: OrderFilled) -> None:
        key = (event.venue, event.execution_id)
        if key in self._executions:
            self.duplicate_fills += 1
            return
        self._executions.add(key)
        order = self._orders.get(event.client_order_id)
        strategy = order.strategy if order is not None else event.strategy
        self.positions.apply_fill(strategy, event.venue, event.symbol, event.side, event.price, event.size, event.fee)
        if order is None:
            self.unexpected["unknown:OrderFilled"] += 1
            return
        order.filled = max(order.filled + event.size, event.filled)
        done = event.remaining == 0 or order.filled >= order.size
        self._move(order, OrderState.FILLED if done else OrderState.PARTIALLY_FILLED)

    def _move(self, order: TrackedOrder, to: OrderState) -> None:
        if to in TRANSITIONS[order.state]:
            order.state = to
            if not to.is_open:
                self._open.pop(order.client_order_id, None)
        else:
            self.unexpected[f"{order.state.value}->{to.value}"] += 1

    # -- reads (what StrategyContext calls) ---------------------------------------

    def order(self, client_order_id: str) -> TrackedOrder | None:
        return self._orders.get(client_order_id)

    def open_orders(self, strategy: str | None = None, symbol: str | None = None) -> list[TrackedOrder]:
        return [
            o
            for o in self._open.values()
            if (strategy is None or o.strategy == strategy) and (symbol is None or o.symbol == symbol)
        ]

    def position(self, strategy: str, venue: str, symbol: str) -> int:
        return self.positions.position(strategy, venue, symbol)

    def avg_entry(self, strategy: str, venue: str, symbol: str) -> Fraction | None:
        return self.positions.get(strategy, venue, symbol).avg_entry

    def realized(self, strategy: str, venue: str, symbol: str | None) -> int:
        return sum(p.realized - p.fees for p in self._positions(strategy, venue, symbol))

    def fees(self, strategy: str, venue: str, symbol: str | None) -> int:
        return sum(p.fees for p in self._positions(strategy, venue, symbol))

    def unrealized(self, strategy: str, venue: str, symbol: str, mark: Fraction) -> Fraction:
        p = self.positions.get(strategy, venue, symbol)
        return mark * p.qty - p.cost

    def _positions(self, strategy: str, venue: str, symbol: str | None) -> list[Any]:
        if symbol is not None:
            return [self.positions.get(strategy, venue, symbol)]
        return [pos for (s, v, _), pos in self.positions.items() if s == strategy and v == venue]
