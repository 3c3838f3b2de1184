"""Order tracking: where every order of the run stands, and the positions its fills made.

Theory of operation
-------------------
The run's :class:`OrderTracker` is what strategies, the risk layer's
protections and the shutdown read to know an order's status. It follows the
one lifecycle table (:mod:`framework.execution.lifecycle`): it learns of an
order when a strategy sends it (``on_intent``: NEW, or a cancel / replace
request), when the risk layer lets it through (``admitted``), and from the
bus (``on_event``, subscribed before any strategy so a strategy's
``on_order`` already sees the new status).

- A move the table does not have is never applied: it is counted in
  ``unexpected`` (``"<status>:<trigger>"``) and logged with the order's
  recent history.
- Fills update the shared :class:`~framework.model.positions.PositionBook` exactly
  once per ``(venue, execution_id)``, whatever the status: a fill that races
  a cancel is still a fill. ``filled <= size`` is checked on every fill; a
  breach is counted in ``violations`` and logged, never hidden.
- An order in UNKNOWN stays in the open index (it is exposure until the
  venue says otherwise); ``unknown_orders`` lists them for the resolver.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

import msgspec

from framework.execution.lifecycle import (
    TABLE,
    TERMINAL,
    OrderStatus,
    Trigger,
    trigger_for,
)
from framework.model.events import (
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderReplaced,
    OrderResolved,
    OrderUnknown,
    Side,
)
from framework.model.orders import CancelOrder, ReplaceOrder, SubmitOrder
from framework.model.positions import PositionBook

__all__ = ["OrderState", "OrderStatus", "OrderTracker", "TrackedOrder"]

log = logging.getLogger(__name__)

OrderState = OrderStatus
"""The former name of :class:`~framework.execution.lifecycle.OrderStatus`."""

_HISTORY = 12  # transitions kept per order, for the log of an unexpected event
_ACCEPTED, _PARTIALLY_FILLED = OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED


class TrackedOrder:
    """What the run knows of one order now."""

    __slots__ = (
        "acknowledged",
        "client_order_id",
        "filled",
        "history",
        "in_doubt",
        "price",
        "side",
        "size",
        "state",
        "strategy",
        "symbol",
        "unknown_since_ns",
        "venue",
        "venue_order_id",
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
        self.state = OrderStatus.NEW
        self.venue_order_id = ""
        self.acknowledged = False  # the venue has shown it holds (or held) the order
        self.history: deque[tuple[Trigger, OrderStatus, OrderStatus]] = deque(maxlen=_HISTORY)  # (trigger, before, after)
        self.unknown_since_ns = 0
        self.in_doubt = ""  # the request whose answer was lost: submit / cancel / replace

    @classmethod
    def from_record(cls, rec: Any) -> TrackedOrder:
        """An order as the journal (or a venue's open-order list) records it: a
        :class:`framework.journal.OpenOrder`; its status is the caller's to set."""
        order = cls(SubmitOrder(rec.strategy, rec.venue, rec.symbol, rec.client_order_id, Side(rec.side), rec.price, rec.size))
        order.filled, order.venue_order_id = rec.filled, rec.venue_order_id
        return order

    @property
    def remaining(self) -> int:
        return max(self.size - self.filled, 0)

    def history_text(self) -> str:
        """The recent transitions, for a log line: ``trigger: before -> after, ...``."""
        return ", ".join(f"{t.value}: {b.value} -> {a.value}" for t, b, a in self.history) or "none"

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
        self.violations: Counter[str] = Counter()
        self.duplicate_fills = 0
        # Called with an order the run believed over that the venue shows working
        # (a late acknowledgement after a lost answer): the router pulls it.
        self.on_stray: Callable[[TrackedOrder], None] | None = None
        # This run's journalled record of an order the tracker no longer holds
        # (closed in an earlier session), or None: set by a resumed run.
        self.recall: Callable[[str], Any] | None = None

    # -- from strategies and the router ---------------------------------------

    def on_intent(self, intent: SubmitOrder | CancelOrder | ReplaceOrder) -> None:
        """Record what a strategy sends, before the risk layer sees it."""
        if isinstance(intent, SubmitOrder):
            self._orders[intent.client_order_id] = self._open[intent.client_order_id] = TrackedOrder(intent)
            return
        known = self._orders.get(intent.client_order_id)
        if known is not None:
            trigger = Trigger.REQUEST_CANCEL if isinstance(intent, CancelOrder) else Trigger.REQUEST_REPLACE
            self.apply(known, trigger)

    def admitted(self, client_order_id: str) -> None:
        """The risk layer let a new order through: it is on its way to the venue."""
        order = self._orders.get(client_order_id)
        if order is not None and order.state is OrderStatus.NEW:
            self.apply(order, Trigger.ADMIT)

    def restore(self, positions: PositionBook, open_orders: Iterable[Any], executions: Iterable[tuple[str, str]] = ()) -> None:
        """Take over a restarted run's journalled positions, open orders and the
        ``(venue, execution_id)`` of the executions already in those positions."""
        self.positions = positions
        self._executions.update(executions)
        for rec in open_orders:
            order = TrackedOrder.from_record(rec)
            order.acknowledged = bool(rec.venue_order_id)
            order.state = _restored_status(rec.state, rec.filled)
            if order.state is OrderStatus.UNKNOWN:
                order.in_doubt = "submit" if not order.acknowledged else "cancel"
            self._orders[order.client_order_id] = self._open[order.client_order_id] = order

    def adopt(self, order: Any) -> None:
        """Take over one working order found at the venue (a resumed run's reconcile).
        Its fill starts at what the run has booked of it: the venue's count comes
        in as executions (a drop copy replays them), never from the order record."""
        known = self._orders.get(order.client_order_id)
        self.restore(self.positions, [msgspec.structs.replace(order, filled=known.filled if known is not None else 0)])

    # -- from the bus -----------------------------------------------------------

    def on_event(self, event: OrderEvent) -> None:
        """Follow an order event (subscribe this before any strategy)."""
        if type(event) is OrderFilled:
            self._on_fill(event)
            return
        order = self._orders.get(event.client_order_id) or self._recalled(event.client_order_id)
        if order is None:
            self.unexpected[f"unknown:{type(event).__name__}"] += 1
            return
        trigger = trigger_for(event, order.state)
        if trigger is None:
            return
        if event.venue_order_id:
            order.venue_order_id = event.venue_order_id
        kind = type(event)
        if kind is OrderAccepted or kind is OrderReplaced:
            order.acknowledged = True
            if event.size:  # type: ignore[attr-defined]
                order.price, order.size = event.price, event.size  # type: ignore[attr-defined]
        elif kind is OrderUnknown:
            order.in_doubt = event.request or order.in_doubt or "submit"  # type: ignore[attr-defined]
            order.unknown_since_ns = event.ts_recv
        elif kind is OrderResolved and event.outcome == "found":  # type: ignore[attr-defined]
            # Its fills count only as their executions arrive (exactly once), not from the answer.
            order.acknowledged = True
        self.apply(order, trigger)

    def _recalled(self, client_order_id: str) -> TrackedOrder | None:
        """An order of this run closed in an earlier session, back from the journal
        (as it was closed), so that news of it -- it works at the venue after all --
        is judged by the table like any other."""
        rec = self.recall(client_order_id) if self.recall is not None else None
        if rec is None:
            return None
        order = TrackedOrder.from_record(rec)
        order.state = OrderStatus(rec.state)
        self._orders[client_order_id] = order
        if order.state.is_open:
            self._open[client_order_id] = order
        return order

    def _reopened(self, order: TrackedOrder) -> None:
        """The venue works an order the run had closed: open again, to be pulled."""
        log.error("order %s is working at %s although the run had closed it: pulling it", order.client_order_id, order.venue)
        self.violations["working at the venue after it was closed here"] += 1
        self._open[order.client_order_id] = order
        if self.on_stray is not None:
            self.on_stray(order)

    def _on_fill(self, event: OrderFilled) -> None:
        key = (event.venue, event.execution_id)
        if key in self._executions:
            self.duplicate_fills += 1
            return
        self._executions.add(key)
        order = self._orders.get(event.client_order_id) or self._recalled(event.client_order_id)
        strategy = order.strategy if order is not None else event.strategy
        self.positions.apply_fill(strategy, event.venue, event.symbol, event.side, event.price, event.size, event.fee)
        if order is None:
            self.unexpected["unknown:OrderFilled"] += 1
            return
        order.acknowledged = True
        order.filled = max(order.filled + event.size, event.filled)
        if order.filled > order.size:
            self.violations["filled>size"] += 1
            log.error("order %s filled %d of size %d (execution %s); history %s",
                      order.client_order_id, order.filled, order.size, event.execution_id, order.history_text())  # fmt: skip
        full = event.remaining == 0 or order.filled >= order.size
        self.apply(order, Trigger.FILL_FULL if full else Trigger.FILL)

    def apply(self, order: TrackedOrder, trigger: Trigger) -> bool:
        """Move ``order`` by ``trigger`` along the table; False (counted, logged) if it
        has no such move. A rejected order the venue shows working is reopened and pulled."""
        before = order.state
        after = TABLE[before].get(trigger)  # next_status, inlined: this runs on every order event
        if after is None:
            self.unexpected[f"{before.value}:{trigger.value}"] += 1
            log.warning("order %s: %s in %s is not in the lifecycle table (ignored); history %s",
                        order.client_order_id, trigger.value, before.value, order.history_text())  # fmt: skip
            return False
        if after is _ACCEPTED and order.filled > 0:
            after = _PARTIALLY_FILLED
        order.history.append((trigger, before, after))
        order.state = after
        if after in TERMINAL:
            self._open.pop(order.client_order_id, None)
        elif before is OrderStatus.REJECTED:  # the table's one move from a terminal status to an open one
            self._reopened(order)
        return True

    # -- reads (what StrategyContext, protections and the resolver call) ----------

    def order(self, client_order_id: str) -> TrackedOrder | None:
        return self._orders.get(client_order_id)

    def open_orders(self, strategy: str | None = None, symbol: str | None = None) -> list[TrackedOrder]:
        return [
            o
            for o in self._open.values()
            if (strategy is None or o.strategy == strategy) and (symbol is None or o.symbol == symbol)
        ]

    def unknown_orders(self, venue: str | None = None) -> list[TrackedOrder]:
        """Orders whose outcome is in doubt (UNKNOWN), oldest first."""
        return [o for o in self._open.values() if o.state is OrderStatus.UNKNOWN and (venue is None or o.venue == venue)]

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


def _restored_status(value: str, filled: int) -> OrderStatus:
    """The status a journalled open order resumes in: in doubt stays in doubt (the
    journal has already put there every order whose request was in flight when the
    last session ended, ``Journal.restore``); anything else resumes working."""
    if value == OrderStatus.UNKNOWN.value:
        return OrderStatus.UNKNOWN
    return OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.ACCEPTED
