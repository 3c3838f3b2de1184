"""Order-by-order (L3) book, as the dYdX full-node stream maintains it.

Theory of operation
-------------------
Every resting order is a small mutable record ``[size, filled, remaining,
level, order_id]`` in ``_orders`` (id -> record). Each price level is a list
``[aggregate_remaining, fifo, price, side, is_best]`` where ``fifo`` is an
insertion-ordered dict id -> record: a place appends at the back, a remove
deletes in O(1), iteration is queue order. The record points at its level, so
an update or remove needs no price lookup. (Keying ``fifo`` by ``id(record)``
to save hashing dYdX's 5-tuple ids measured slower: the ``id()`` call costs
more than the tuple hash.)

A level is *visible* (part of the L2 view, best prices, depth) while its
aggregate remaining is positive. An order whose remaining is 0 (fully filled,
or over-filled and clamped) keeps its place in the queue until it is removed,
but contributes nothing, and a level holding only such orders is not visible.
Each side keeps an ascending list of its visible prices; the best price is a
plain attribute, recomputed only when the best level stops being visible. The
``(price, size)`` answers of :meth:`L3Book.best_bid`/:meth:`L3Book.best_ask`
are cached too: the best level carries an is-best flag, and a write that
changes its aggregate renews the cached tuple. That costs a flag test per
write and saves building a tuple per read (strategies read after every
change); ``python -m bench books`` measures both kinds of read.

Operations follow the dYdX rules (see the venue reference, book maintenance):
``place`` appends, ``update`` sets the **absolute** filled amount (it may go
down), ``remove`` deletes. Messy input never raises: unknown ids, duplicate
places, decreasing or excessive fills are handled as documented on each method
and counted in ``stats`` (:mod:`framework.books.bookstats`). Malformed values (a side
that is not +-1, a float price, a negative size) are programming errors in the
caller and raise ``ValueError``/``TypeError`` without changing the book.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, NamedTuple

from framework.books.bookstats import (
    CROSSED,
    DUPLICATE_PLACE,
    FILL_DECREASED,
    OVERFILL,
    SNAPSHOTS,
    UNKNOWN_REMOVE,
    UNKNOWN_UPDATE,
    BookStats,
)
from framework.books.l2book import BookView, side_is_bid
from framework.model.events import Level, Side

__all__ = ["L3Book", "RestingOrder"]

# Record and level layouts. Lists, because index access is the cheapest
# mutable slot; the hot paths use the literal indices (a constant load, where
# these names would be global loads) with these names in comments.
_SIZE, _FILLED, _REM, _LEVEL, _ID = range(5)
_AGG, _FIFO, _PRICE, _SIDE, _IS_BEST = range(5)


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

    ``best_bid_price``/``best_ask_price`` (int or None) are plain attributes,
    the cheapest read there is; treat them as read-only. ``stats`` is the
    :class:`~framework.books.bookstats.BookStats` of what was absorbed rather than
    raised.
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
        "_best_bid",
        "_best_ask",
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
        # best_bid()/best_ask() answers, kept current by every write that
        # touches a best level (the level carries an is-best flag for that)
        self._best_bid: Level | None = None
        self._best_ask: Level | None = None

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
        remaining = size - filled
        # one type test covers size and filled: a float in either makes remaining a float
        if remaining <= 0 or filled < 0 or type(remaining) is not int or type(price) is not int:
            remaining = _clamped_remaining(price, size, filled)
        if side == 1:
            levels = self._bid_levels
            side = 1
        elif side == -1:
            levels = self._ask_levels
            side = -1
        else:
            raise ValueError(f"side must be Side.BUY (1) or Side.SELL (-1), not {side!r}")
        orders = self._orders
        if order_id in orders:
            self.stats[DUPLICATE_PLACE] += 1
            return False
        lvl = levels.get(price)
        if lvl is None:
            lvl = levels[price] = [0, {}, price, side, False]
        rec = orders[order_id] = [size, filled, remaining, lvl, order_id]
        lvl[1][order_id] = rec  # lvl[1]: fifo; lvl[0] below: aggregate remaining
        if remaining:
            agg = lvl[0]
            lvl[0] = agg + remaining
            if not agg:
                self._show(lvl)
            elif lvl[4]:  # the best level: refresh the cached best tuple
                self._refresh_best(lvl)
        elif filled > size:
            self.stats[OVERFILL] += 1
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
        remaining = rec[0] - filled  # size - filled
        if filled < rec[1] or remaining < 0 or type(remaining) is not int:
            remaining = self._odd_update(rec, filled)
        rec[1] = filled  # rec: [size, filled, remaining, level, id]
        old = rec[2]
        if remaining != old:
            rec[2] = remaining
            lvl = rec[3]
            before = lvl[0]
            after = before + remaining - old
            lvl[0] = after
            if not before:
                self._show(lvl)
            elif not after:
                self._hide(lvl)
            elif lvl[4]:
                self._refresh_best(lvl)
        return True

    def remove(self, order_id: Hashable) -> bool:
        """Delete an order; False (and counted as ``unknown_remove``) if unknown."""
        rec = self._orders.pop(order_id, None)
        if rec is None:
            self.stats[UNKNOWN_REMOVE] += 1
            return False
        lvl = rec[3]  # lvl: [aggregate, fifo, price, side, is_best]
        fifo = lvl[1]
        del fifo[order_id]
        remaining = rec[2]
        if remaining:
            agg = lvl[0] - remaining
            lvl[0] = agg
            if not agg:
                self._hide(lvl)
            elif lvl[4]:
                self._refresh_best(lvl)
        if not fifo:
            if lvl[3] == 1:
                del self._bid_levels[lvl[2]]
            else:
                del self._ask_levels[lvl[2]]
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
        self._best_bid, self._best_ask = fresh._best_bid, fresh._best_ask
        self.stats.update(fresh.stats)
        self.stats[SNAPSHOTS] += 1

    def clear(self) -> None:
        """Remove every order (statistics are kept)."""
        self._orders = {}
        self._bid_levels, self._ask_levels = {}, {}
        self._bid_prices, self._ask_prices = [], []
        self.best_bid_price = self.best_ask_price = None
        self._best_bid = self._best_ask = None

    # --- reads -----------------------------------------------------------------

    def best_bid(self) -> Level | None:
        """``(price, aggregate remaining)`` of the best bid, or None."""
        return self._best_bid

    def best_ask(self) -> Level | None:
        """``(price, aggregate remaining)`` of the best ask, or None."""
        return self._best_ask

    def _sizes(self, bid: bool) -> Callable[[int], int]:
        levels = self._bid_levels if bid else self._ask_levels
        return lambda price: int(levels[price][_AGG])

    def size_at(self, side: Side | int, price: int) -> int:
        """Aggregate remaining at ``price`` on ``side`` (0 if no level)."""
        # Sides compared inline: L3 consumers (a codec's deltas) ask per touched level.
        if side == 1:
            lvl = self._bid_levels.get(price)
        elif side == -1:
            lvl = self._ask_levels.get(price)
        else:
            side_is_bid(side)  # raises the usual error
        return 0 if lvl is None else lvl[0]  # lvl[0]: aggregate remaining, always an int

    def order(self, order_id: Hashable) -> RestingOrder | None:
        """The resting order ``order_id``, or None."""
        rec = self._orders.get(order_id)
        if rec is None:
            return None
        lvl = rec[_LEVEL]
        return RestingOrder(
            order_id, Side(lvl[_SIDE]), lvl[_PRICE], rec[_SIZE], rec[_FILLED], rec[_REM]
        )

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
        return [] if lvl is None else [rec[_ID] for rec in lvl[_FIFO].values()]

    def orders_in_queue_order(self, side: Side | int) -> Iterator[Hashable]:
        """Ids of ``side``, best level first and FIFO within a level.

        Includes orders with a remaining of 0 (still queued until removed).
        """
        bid = side_is_bid(side)
        levels = self._bid_levels if bid else self._ask_levels
        for price in sorted(levels, reverse=bid):
            yield from [rec[_ID] for rec in levels[price][_FIFO].values()]

    # --- internals -------------------------------------------------------------

    def _odd_update(self, rec: list[Any], filled: int) -> int:
        """Validate and count an update off the plain path; its new remaining."""
        if type(filled) is not int:
            raise TypeError(f"filled must be an int (lots), not {filled!r}")
        if filled < 0:
            raise ValueError(f"filled must be >= 0, not {filled}")
        if filled < rec[_FILLED]:
            self.stats[FILL_DECREASED] += 1
        if filled > rec[_SIZE]:
            self.stats[OVERFILL] += 1
            return 0
        return int(rec[_SIZE] - filled)

    def _show(self, lvl: list[Any]) -> None:
        """A level's aggregate went from 0 to positive: add it to the view."""
        price = lvl[_PRICE]
        if lvl[_SIDE] == 1:
            insort(self._bid_prices, price)
            best = self.best_bid_price
            if best is None or price > best:
                ask = self.best_ask_price
                was_crossed = best is not None and ask is not None and best >= ask
                self._set_best(lvl)
                if ask is not None and price >= ask and not was_crossed:
                    self.stats[CROSSED] += 1
        else:
            insort(self._ask_prices, price)
            best = self.best_ask_price
            if best is None or price < best:
                bid = self.best_bid_price
                was_crossed = best is not None and bid is not None and bid >= best
                self._set_best(lvl)
                if bid is not None and bid >= price and not was_crossed:
                    self.stats[CROSSED] += 1

    def _hide(self, lvl: list[Any]) -> None:
        """A level's aggregate fell to 0: take it out of the view."""
        price = lvl[_PRICE]
        if lvl[_SIDE] == 1:
            prices = self._bid_prices
            del prices[bisect_left(prices, price)]
            if lvl[_IS_BEST]:
                lvl[_IS_BEST] = False
                self._set_best(self._bid_levels[prices[-1]] if prices else None, 1)
        else:
            prices = self._ask_prices
            del prices[bisect_left(prices, price)]
            if lvl[_IS_BEST]:
                lvl[_IS_BEST] = False
                self._set_best(self._ask_levels[prices[0]] if prices else None, -1)

    def _set_best(self, lvl: list[Any] | None, side: int = 0) -> None:
        """Make ``lvl`` the best level of its side (None: ``side`` is empty)."""
        if lvl is not None:
            side = lvl[_SIDE]
            lvl[_IS_BEST] = True
        if side == 1:
            old = self._best_bid
            if old is not None and lvl is not None and old[0] != lvl[_PRICE]:
                self._bid_levels[old[0]][_IS_BEST] = False
            self.best_bid_price = None if lvl is None else lvl[_PRICE]
            self._best_bid = None if lvl is None else (lvl[_PRICE], lvl[_AGG])
        else:
            old = self._best_ask
            if old is not None and lvl is not None and old[0] != lvl[_PRICE]:
                self._ask_levels[old[0]][_IS_BEST] = False
            self.best_ask_price = None if lvl is None else lvl[_PRICE]
            self._best_ask = None if lvl is None else (lvl[_PRICE], lvl[_AGG])

    def _refresh_best(self, lvl: list[Any]) -> None:
        """The best level's aggregate changed: renew the cached answer."""
        if lvl[_SIDE] == 1:
            self._best_bid = (lvl[_PRICE], lvl[_AGG])
        else:
            self._best_ask = (lvl[_PRICE], lvl[_AGG])


def _clamped_remaining(price: int, size: int, filled: int) -> int:
    """Validate a place's values off the plain path; its remaining (>= 0)."""
    if type(price) is not int or type(size) is not int or type(filled) is not int:
        raise TypeError(f"price, size, filled must be ints, not {price!r}, {size!r}, {filled!r}")
    if size < 0 or filled < 0:
        raise ValueError(f"size and filled must be >= 0, not {size}, {filled}")
    return max(0, size - filled)
