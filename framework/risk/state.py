"""What pre-trade checks read: positions, open orders, prices and PnL.

Kept up to date from the run's order and market events (:meth:`RiskState.on_event`)
and from the orders the risk layer lets through (:meth:`RiskState.order_sent`),
so an order counts as open -- at its worst case -- from the moment it is
approved, not from when the venue acknowledges it.

Units: positions and sizes in lots, prices in ticks, cash in tick x lot units
of the instrument. :meth:`RiskState.pnl` turns those into the quote currency
with the instrument's tick and lot sizes (exact :class:`~decimal.Decimal`), or
leaves them in tick x lot units when the instrument is not known.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from framework.model.events import (
    BookSnapshot,
    Event,
    Instrument,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderResolved,
    Side,
    Trade,
)
from framework.model.orders import ReplaceOrder, SubmitOrder

__all__ = ["OpenOrder", "RiskState"]

Key = tuple[str, str, str]  # (strategy, venue, symbol)


class OpenOrder:
    """An order that may still trade: approved, acknowledged or partly filled."""

    __slots__ = ("before_replace", "price", "remaining", "side", "strategy", "symbol", "venue")

    def __init__(self, strategy: str, venue: str, symbol: str, side: Side, price: int, remaining: int) -> None:
        self.strategy = strategy
        self.venue = venue
        self.symbol = symbol
        self.side = side
        self.price = price
        self.remaining = remaining
        self.before_replace: tuple[int, int] | None = None  # (price, remaining) a refused replace restores

    @property
    def key(self) -> Key:
        return (self.strategy, self.venue, self.symbol)


class RiskState:
    """Positions, open orders, marks and cash per ``(strategy, venue, symbol)``.

    ``instruments(venue, symbol)`` returns the :class:`Instrument` (or ``None``);
    ``mid_source(venue, symbol)`` the current mid in ticks (or ``None``), e.g.
    from the adapters' books -- without it the mid comes from ``BookSnapshot``.
    """

    def __init__(
        self,
        instruments: Callable[[str, str], Instrument | None] | None = None,
        mid_source: Callable[[str, str], int | None] | None = None,
    ) -> None:
        self._instruments = instruments or (lambda venue, symbol: None)
        self._mid_source = mid_source
        self.positions: Counter[Key] = Counter()
        self.cash: Counter[Key] = Counter()
        self.orders: dict[str, OpenOrder] = {}
        self._open_by_strategy: Counter[str] = Counter()
        self._open_by_key: Counter[Key] = Counter()
        self._open_lots: dict[Key, list[int]] = {}  # key -> [buy lots, sell lots]
        self._mids: dict[tuple[str, str], int] = {}
        self._lasts: dict[tuple[str, str], int] = {}
        self._keys_by_strategy: dict[str, set[Key]] = {}

    # -- reading -----------------------------------------------------------

    def instrument(self, venue: str, symbol: str) -> Instrument | None:
        return self._instruments(venue, symbol)

    def position(self, strategy: str, venue: str, symbol: str) -> int:
        """Signed lots held (+ long, - short)."""
        return self.positions[(strategy, venue, symbol)]

    def open_lots(self, strategy: str, venue: str, symbol: str) -> tuple[int, int]:
        """Lots still working in ``(buy, sell)`` orders."""
        lots = self._open_lots.get((strategy, venue, symbol))
        return (lots[0], lots[1]) if lots else (0, 0)

    def open_orders(self, strategy: str, venue: str | None = None, symbol: str | None = None) -> int:
        """Open orders of ``strategy`` (on one instrument when venue and symbol are given)."""
        if venue is None or symbol is None:
            return self._open_by_strategy[strategy]
        return self._open_by_key[(strategy, venue, symbol)]

    def order(self, client_order_id: str) -> OpenOrder | None:
        return self.orders.get(client_order_id)

    def mid(self, venue: str, symbol: str) -> int | None:
        """Mid price in ticks (a half tick rounds down), or ``None`` without a two-sided book."""
        if self._mid_source is not None:
            return self._mid_source(venue, symbol)
        return self._mids.get((venue, symbol))

    def last(self, venue: str, symbol: str) -> int | None:
        """Last trade price in ticks (the tape's, or our own last fill)."""
        return self._lasts.get((venue, symbol))

    def mark(self, venue: str, symbol: str) -> int | None:
        """Mid if there is one, else last."""
        mid = self.mid(venue, symbol)
        return mid if mid is not None else self.last(venue, symbol)

    def side_of(self, order: SubmitOrder | ReplaceOrder) -> Side | None:
        """The side of a new order, or of the order a replace changes (``None``: unknown)."""
        if isinstance(order, SubmitOrder):
            return order.side
        old = self.orders.get(order.client_order_id)
        return old.side if old is not None else None

    def exposure_after(self, order: SubmitOrder | ReplaceOrder) -> tuple[int, int]:
        """Worst-case ``(long, short)`` lots of the strategy in the instrument if
        ``order`` is sent and every open order fills: position plus open buys,
        position minus open sells, with ``order`` in (a replace's old size out)."""
        pos = self.position(order.strategy, order.venue, order.symbol)
        buys, sells = self.open_lots(order.strategy, order.venue, order.symbol)
        side = self.side_of(order)
        if isinstance(order, ReplaceOrder):
            old = self.orders.get(order.client_order_id)
            if old is not None:
                buys, sells = (buys - old.remaining, sells) if old.side is Side.BUY else (buys, sells - old.remaining)
        if side is Side.BUY:
            buys += order.size
        elif side is Side.SELL:
            sells += order.size
        return pos + buys, pos - sells

    def pnl(self, strategy: str) -> Decimal:
        """Net PnL of ``strategy`` (realised and marked, fees included) in the quote currency."""
        return sum((self._key_pnl(k) for k in self._keys_by_strategy.get(strategy, ())), Decimal(0))

    def run_pnl(self) -> Decimal:
        """Net PnL of every strategy together."""
        return sum((self.pnl(s) for s in self._keys_by_strategy), Decimal(0))

    def strategies_in(self, venue: str, symbol: str) -> list[str]:
        return [s for s, keys in self._keys_by_strategy.items() if (s, venue, symbol) in keys]

    def _key_pnl(self, key: Key) -> Decimal:
        _, venue, symbol = key
        qty = self.positions[key]
        mark = self.mark(venue, symbol)
        units = self.cash[key] + (qty * mark if qty and mark is not None else 0)
        inst = self.instrument(venue, symbol)
        return Decimal(units) * inst.tick_size * inst.lot_size if inst is not None else Decimal(units)

    # -- updating ------------------------------------------------------------

    def order_sent(self, order: SubmitOrder | ReplaceOrder) -> None:
        """``order`` passed the checks: count it open at once."""
        if isinstance(order, SubmitOrder):
            self._open(order.client_order_id, OpenOrder(
                order.strategy, order.venue, order.symbol, order.side, order.price, order.size))  # fmt: skip
            return
        old = self.orders.get(order.client_order_id)
        if old is not None:
            old.before_replace = (old.price, old.remaining)
            self._set(old, order.price, order.size)

    def order_denied(self, order: SubmitOrder | ReplaceOrder) -> None:
        """``order`` was refused after it was counted (the gate found no budget):
        a new order is no longer open, a replace leaves the order as it was."""
        if isinstance(order, SubmitOrder):
            self._close(order.client_order_id)
            return
        old = self.orders.get(order.client_order_id)
        if old is not None and old.before_replace is not None:
            self._set(old, *old.before_replace)
            old.before_replace = None

    def _set(self, order: OpenOrder, price: int, remaining: int) -> None:
        self._move_lots(order, -order.remaining)
        order.price, order.remaining = price, remaining
        self._move_lots(order, order.remaining)

    def on_event(self, event: Event) -> None:
        """Fold one bus event in (order events, fills, book snapshots, trades).

        ``OrderDenied`` is not folded here: the risk layer that denies knows whether
        it was a new order or a replace and calls :meth:`order_denied`. An order in
        doubt (``OrderUnknown``) stays open -- it may rest at the venue -- until an
        ``OrderResolved`` or a venue event closes it."""
        kind = type(event)
        if kind is OrderFilled:
            self._filled(event)  # type: ignore[arg-type]
        elif kind is OrderCanceled or kind is OrderRejected or kind is OrderExpired:
            self._close(event.client_order_id)  # type: ignore[attr-defined]
        elif kind is OrderResolved and event.outcome != "found":  # type: ignore[attr-defined]
            self._close(event.client_order_id)  # type: ignore[attr-defined]
        elif kind is OrderAccepted:
            self._accepted(event)  # type: ignore[arg-type]
        elif kind is BookSnapshot:
            snap: Any = event
            if snap.bids and snap.asks:
                self._mids[(event.venue, event.symbol)] = (snap.bids[0][0] + snap.asks[0][0]) // 2
        elif kind is Trade and event.price:  # type: ignore[attr-defined]
            self._lasts[(event.venue, event.symbol)] = event.price  # type: ignore[attr-defined]

    def _accepted(self, event: OrderAccepted) -> None:
        if event.client_order_id in self.orders or not event.strategy or not event.size:
            return
        # An order we did not approve ourselves (found at reconciliation): count it.
        self._open(event.client_order_id, OpenOrder(
            event.strategy, event.venue, event.symbol, event.side, event.price, event.size))  # fmt: skip

    def _filled(self, fill: OrderFilled) -> None:
        key = (fill.strategy, fill.venue, fill.symbol)
        self._keys_by_strategy.setdefault(fill.strategy, set()).add(key)
        self.positions[key] += fill.side * fill.size
        self.cash[key] -= fill.side * fill.price * fill.size + fill.fee
        self._lasts.setdefault((fill.venue, fill.symbol), fill.price)
        order = self.orders.get(fill.client_order_id)
        if order is None:
            return
        done = min(fill.size, order.remaining)
        self._move_lots(order, -done)
        order.remaining -= done
        if fill.remaining == 0 or order.remaining <= 0:
            self._close(fill.client_order_id)

    def _open(self, client_order_id: str, order: OpenOrder) -> None:
        self._close(client_order_id)
        self.orders[client_order_id] = order
        self._open_by_strategy[order.strategy] += 1
        self._open_by_key[order.key] += 1
        self._keys_by_strategy.setdefault(order.strategy, set()).add(order.key)
        self._move_lots(order, order.remaining)

    def _close(self, client_order_id: str) -> None:
        order = self.orders.pop(client_order_id, None)
        if order is None:
            return
        self._open_by_strategy[order.strategy] -= 1
        self._open_by_key[order.key] -= 1
        self._move_lots(order, -order.remaining)

    def _move_lots(self, order: OpenOrder, lots: int) -> None:
        pair = self._open_lots.setdefault(order.key, [0, 0])
        pair[0 if order.side is Side.BUY else 1] += lots

    def restore(self, positions: dict[Key, Any], open_orders: list[Any]) -> None:
        """Take over a resumed run's journalled positions (``Position`` per key:
        qty, cost, realized, fees) and open orders (journal ``OpenOrder`` records),
        so limits count what the earlier sessions left, from the first intent on."""
        for key, pos in positions.items():
            self.positions[key] = pos.qty
            self.cash[key] = pos.realized - pos.fees - pos.cost  # so cash + qty x mark is the net PnL
            self._keys_by_strategy.setdefault(key[0], set()).add(key)
        for o in open_orders:
            if o.size - o.filled > 0:
                self._open(o.client_order_id, OpenOrder(o.strategy, o.venue, o.symbol, o.side, o.price, o.size - o.filled))
