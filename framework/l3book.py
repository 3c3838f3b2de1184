"""Order-by-order (L3) book, as the dYdX full-node stream maintains it.

Theory of operation
-------------------
Every resting order is a small mutable record ``[side, price, size, filled,
remaining, level]`` in ``_orders`` (id -> record). Each price level is a list
``[aggregate_remaining, fifo]`` where ``fifo`` is an insertion-ordered dict id
-> record: a place appends at the back, a remove deletes in O(1), iteration is
queue order. The record points at its level, so an update or remove finds the
level without a price lookup.

A level is *visible* (part of the L2 view, best prices, depth) while its
aggregate remaining is positive. An order whose remaining is 0 (fully filled,
or over-filled and clamped) keeps its place in the queue until it is removed,
but contributes nothing, and a level holding only such orders is not visible.
Each side keeps an ascending list of its visible prices; the best price is a
plain attribute, recomputed only when the best level stops being visible.

Operations follow the dYdX rules (see the venue reference, book maintenance):
``place`` appends, ``update`` sets the **absolute** filled amount (it may go
down), ``remove`` deletes. Messy input never raises: unknown ids, duplicate
places, decreasing or excessive fills are handled as documented on each method
and counted in ``stats`` (:mod:`framework.bookstats`). Malformed values (a side
that is not +-1, a float price, a negative size) are programming errors in the
caller and raise ``ValueError``/``TypeError`` without changing the book.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Hashable, Iterable, Iterator
from typing import Any, NamedTuple

from framework.bookstats import (
    CROSSED,
    DUPLICATE_PLACE,
    FILL_DECREASED,
    OVERFILL,
    SNAPSHOTS,
    UNKNOWN_REMOVE,
    UNKNOWN_UPDATE,
    BookStats,
)
from framework.events import Level, Side
from framework.l2book import BookView, side_is_bid

__all__ = ["L3Book", "RestingOrder"]

# Record and level layouts (lists: index access is the cheapest mutable slot).
_SIDE, _PRICE, _SIZE, _FILLED, _REM, _LEVEL = range(6)
_AGG, _FIFO = 0, 1


class RestingOrder(NamedTuple):
    """A snapshot of one resting order, as :meth:`L3Book.order` returns it."""

    order_id: Hashable
    side: Side
    price: int
    size: int
    filled: int
    remaining: int


class L3Book(BookView):
    """An order-by-order book for one instrument, with an always-consistent L2 view.

    Order ids are opaque hashables (dYdX: ``(owner, number, client_id, flags,
    clob_pair)``). Sides are ``Side`` or its int value (1 buy, -1 sell).
    """

    __slots__ = (
        "venue",
        "symbol",
        "best_bid_price",
        "best_ask_price",
        "stats",
        "_orders",
        "_bid_levels",
        "_ask_levels",
        "_bid_prices",
        "_ask_prices",
    )

    def __init__(self, venue: str = "", symbol: str = "") -> None:
        self.venue = venue
        self.symbol = symbol
        self.stats = BookStats()
        self._orders: dict[Hashable, list[Any]] = {}
        self._bid_levels: dict[int, list[Any]] = {}
        self._ask_levels: dict[int, list[Any]] = {}
        self._bid_prices: list[int] = []
        self._ask_prices: list[int] = []
        self.best_bid_price: int | None = None
        self.best_ask_price: int | None = None

    def __repr__(self) -> str:
        return (
            f"L3Book({self.venue!r}, {self.symbol!r}, orders={len(self._orders)}, "
            f"best={self.best_bid_price}/{self.best_ask_price})"
        )

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    # --- operations ------------------------------------------------------------

    def place(
        self, order_id: Hashable, side: Side | int, price: int, size: int, filled: int = 0
    ) -> bool:
        """Append an order at the back of its level; False if ignored.

        A place whose id is already resting is ignored (the resting order keeps
        its queue position) and counted as ``duplicate_place``. ``filled`` >
        ``size`` is counted as ``overfill`` and the remaining clamped at 0.
        """
        orders = self._orders
        if order_id in orders:
            self.stats[DUPLICATE_PLACE] += 1
            return False
        if type(price) is not int or type(size) is not int or type(filled) is not int:
            raise TypeError(f"price, size and filled must be ints, not {price!r}, {size!r}, {filled!r}")
        remaining = size - filled
        if remaining <= 0 or filled < 0:
            remaining = self._odd_amounts(size, filled)
        if side == 1:
            lvl = self._bid_levels.get(price)
            if lvl is None:
                lvl = self._bid_levels[price] = [0, {}]
            rec = [1, price, size, filled, remaining, lvl]
        elif side == -1:
            lvl = self._ask_levels.get(price)
            if lvl is None:
                lvl = self._ask_levels[price] = [0, {}]
            rec = [-1, price, size, filled, remaining, lvl]
        else:
            raise ValueError(f"side must be Side.BUY (1) or Side.SELL (-1), not {side!r}")
        lvl[_FIFO][order_id] = rec
        orders[order_id] = rec
        if remaining:
            if not lvl[_AGG]:
                self._show(rec[_SIDE], price)
            lvl[_AGG] += remaining
        return True

    def update(self, order_id: Hashable, filled: int) -> bool:
        """Set an order's **absolute** filled amount; False if the id is unknown.

        An unknown id is ignored and counted (``unknown_update``). A lower
        filled amount than before is applied (dYdX block sync resets fills)
        and counted as ``fill_decreased``; more than the size is counted as
        ``overfill`` and leaves a remaining of 0. The order keeps its place in
        the queue either way.
        """
        rec = self._orders.get(order_id)
        if rec is None:
            self.stats[UNKNOWN_UPDATE] += 1
            return False
        if type(filled) is not int:
            raise TypeError(f"filled must be an int, not {filled!r}")
        if filled < rec[_FILLED]:
            if filled < 0:
                raise ValueError(f"filled must be >= 0, not {filled}")
            self.stats[FILL_DECREASED] += 1
        rec[_FILLED] = filled
        remaining = rec[_SIZE] - filled
        if remaining < 0:
            self.stats[OVERFILL] += 1
            remaining = 0
        old = rec[_REM]
        if remaining != old:
            rec[_REM] = remaining
            lvl = rec[_LEVEL]
            before = lvl[_AGG]
            after = before + remaining - old
            lvl[_AGG] = after
            if not before:
                self._show(rec[_SIDE], rec[_PRICE])
            elif not after:
                self._hide(rec[_SIDE], rec[_PRICE])
        return True

    def remove(self, order_id: Hashable) -> bool:
        """Delete an order; False (and counted as ``unknown_remove``) if unknown."""
        rec = self._orders.pop(order_id, None)
        if rec is None:
            self.stats[UNKNOWN_REMOVE] += 1
            return False
        lvl = rec[_LEVEL]
        fifo = lvl[_FIFO]
        del fifo[order_id]
        remaining = rec[_REM]
        if remaining:
            agg = lvl[_AGG] - remaining
            lvl[_AGG] = agg
            if not agg:
                self._hide(rec[_SIDE], rec[_PRICE])
        if not fifo:
            if rec[_SIDE] == 1:
                del self._bid_levels[rec[_PRICE]]
            else:
                del self._ask_levels[rec[_PRICE]]
        return True

    def apply_snapshot(self, orders: Iterable[tuple[Hashable, int, int, int, int]]) -> None:
        """Replace the whole book with ``(id, side, price, size, filled)`` orders.

        Orders join their level in the order given (FIFO). Atomic: the new book
        is built aside and swapped in, so a malformed entry raises and leaves
        the current book unchanged. Irregularities inside the snapshot (a
        repeated id: the first wins) are counted like live ones.
        """
        fresh = L3Book(self.venue, self.symbol)
        for order_id, side, price, size, filled in orders:
            fresh.place(order_id, side, price, size, filled)
        self._orders = fresh._orders
        self._bid_levels, self._ask_levels = fresh._bid_levels, fresh._ask_levels
        self._bid_prices, self._ask_prices = fresh._bid_prices, fresh._ask_prices
        self.best_bid_price, self.best_ask_price = fresh.best_bid_price, fresh.best_ask_price
        self.stats.update(fresh.stats)
        self.stats[SNAPSHOTS] += 1

    def clear(self) -> None:
        """Remove every order (statistics are kept)."""
        self._orders = {}
        self._bid_levels, self._ask_levels = {}, {}
        self._bid_prices, self._ask_prices = [], []
        self.best_bid_price = self.best_ask_price = None

    # --- reads -----------------------------------------------------------------

    def best_bid(self) -> Level | None:
        """``(price, aggregate remaining)`` of the best bid, or None."""
        p = self.best_bid_price
        return None if p is None else (p, self._bid_levels[p][_AGG])

    def best_ask(self) -> Level | None:
        """``(price, aggregate remaining)`` of the best ask, or None."""
        p = self.best_ask_price
        return None if p is None else (p, self._ask_levels[p][_AGG])

    def size_at(self, side: Side | int, price: int) -> int:
        """Aggregate remaining at ``price`` on ``side`` (0 if no level)."""
        lvl = (self._bid_levels if side_is_bid(side) else self._ask_levels).get(price)
        return 0 if lvl is None else int(lvl[_AGG])

    def order(self, order_id: Hashable) -> RestingOrder | None:
        """The resting order ``order_id``, or None."""
        rec = self._orders.get(order_id)
        if rec is None:
            return None
        side = Side(rec[_SIDE])
        return RestingOrder(order_id, side, rec[_PRICE], rec[_SIZE], rec[_FILLED], rec[_REM])

    def queue_position(self, order_id: Hashable) -> int | None:
        """Remaining size resting ahead of ``order_id`` at its level, or None."""
        rec = self._orders.get(order_id)
        if rec is None:
            return None
        ahead = 0
        for other in rec[_LEVEL][_FIFO].values():
            if other is rec:
                return ahead
            ahead += other[_REM]
        raise AssertionError("order missing from its level")  # the invariant is broken

    def level_orders(self, side: Side | int, price: int) -> list[Hashable]:
        """Ids resting at ``price`` on ``side``, front of the queue first."""
        levels = self._bid_levels if side_is_bid(side) else self._ask_levels
        lvl = levels.get(price)
        return [] if lvl is None else list(lvl[_FIFO])

    def orders_in_queue_order(self, side: Side | int) -> Iterator[Hashable]:
        """Ids of ``side``, best level first and FIFO within a level.

        Includes orders with a remaining of 0 (still queued until removed).
        """
        bid = side_is_bid(side)
        levels = self._bid_levels if bid else self._ask_levels
        for price in sorted(levels, reverse=bid):
            yield from list(levels[price][_FIFO])

    # --- internals -------------------------------------------------------------

    def _odd_amounts(self, size: int, filled: int) -> int:
        """Remaining for a place whose amounts are not the plain case."""
        if size < 0 or filled < 0:
            raise ValueError(f"size and filled must be >= 0, not {size}, {filled}")
        if filled > size:
            self.stats[OVERFILL] += 1
        return 0

    def _show(self, side: int, price: int) -> None:
        """A level's aggregate went from 0 to positive: add it to the view."""
        if side == 1:
            insort(self._bid_prices, price)
            best = self.best_bid_price
            if best is None or price > best:
                ask = self.best_ask_price
                crossed_before = best is not None and ask is not None and best >= ask
                self.best_bid_price = price
                if ask is not None and price >= ask and not crossed_before:
                    self.stats[CROSSED] += 1
        else:
            insort(self._ask_prices, price)
            best = self.best_ask_price
            if best is None or price < best:
                bid = self.best_bid_price
                crossed_before = best is not None and bid is not None and bid >= best
                self.best_ask_price = price
                if bid is not None and bid >= price and not crossed_before:
                    self.stats[CROSSED] += 1

    def _hide(self, side: int, price: int) -> None:
        """A level's aggregate fell to 0: take it out of the view."""
        if side == 1:
            prices = self._bid_prices
            del prices[bisect_left(prices, price)]
            if price == self.best_bid_price:
                self.best_bid_price = prices[-1] if prices else None
        else:
            prices = self._ask_prices
            del prices[bisect_left(prices, price)]
            if price == self.best_ask_price:
                self.best_ask_price = prices[0] if prices else None
