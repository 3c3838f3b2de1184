"""Price-level (L2) order book: per side, price in ticks -> size in lots.

Theory of operation
-------------------
Each side keeps a dict ``price -> size`` and an ascending list of its prices
(``bisect`` keeps it sorted; a few hundred levels move in one ``memmove``).
The best price of each side is a plain attribute (``best_bid_price``,
``best_ask_price``), recomputed only when the best level goes away, so reading
it costs an attribute load. Sizes and prices are ints; nothing here uses float.

Three ways to change a side: :meth:`L2Book.apply_snapshot` (both sides,
atomically), :meth:`L2Book.set_level` (one level; size 0 deletes) and
:meth:`L2Book.replace_top` (the top levels to a depth, as the Polymarket
market-data stream sends them). A crossed book is flagged by
:attr:`L2Book.is_crossed` and counted in ``stats``; it never raises, so the
adapter decides when to resync.

:class:`BookView` holds the read side shared with the L3 book's aggregated
view.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction

from framework.books.bookstats import CROSSED, DELETE_ABSENT, SNAPSHOTS, BookStats
from framework.model.events import Level, Side

__all__ = ["BookView", "L2Book", "side_is_bid"]


def side_is_bid(side: Side | int) -> bool:
    """True for a bid (``Side.BUY``/1), False for an ask (``Side.SELL``/-1)."""
    if side == 1:
        return True
    if side == -1:
        return False
    raise ValueError(f"side must be Side.BUY (1) or Side.SELL (-1), not {side!r}")


def _check_int(what: str, value: object) -> None:
    # bool is an int subclass but never a price or size.
    if type(value) is not int:
        raise TypeError(f"{what} must be an int (ticks/lots), not {type(value).__name__}")


class BookView:
    """Read side of a book whose levels are kept in sorted price lists.

    Subclasses keep ``_bid_prices``/``_ask_prices`` (ascending lists of the
    prices of visible levels) and ``best_bid_price``/``best_ask_price``, and
    implement :meth:`_sizes` and :meth:`size_at` (and their own fast
    ``best_bid()``/``best_ask()``).
    """

    __slots__ = ()

    best_bid_price: int | None
    best_ask_price: int | None
    _bid_prices: list[int]
    _ask_prices: list[int]

    def _sizes(self, bid: bool) -> Callable[[int], int]:
        """Size of a visible level of one side, by price."""
        raise NotImplementedError

    def size_at(self, side: Side | int, price: int) -> int:
        """Size of the level at ``price`` on ``side`` (0 if none)."""
        raise NotImplementedError

    def spread(self) -> int | None:
        """Best ask minus best bid in ticks (negative if crossed), or None."""
        bid, ask = self.best_bid_price, self.best_ask_price
        return None if bid is None or ask is None else ask - bid

    def mid_x2(self) -> int | None:
        """Twice the mid price (bid + ask) in ticks: the mid without rounding."""
        bid, ask = self.best_bid_price, self.best_ask_price
        return None if bid is None or ask is None else bid + ask

    def mid(self) -> Fraction | None:
        """The exact mid price in ticks, as a Fraction."""
        x2 = self.mid_x2()
        return None if x2 is None else Fraction(x2, 2)

    @property
    def is_crossed(self) -> bool:
        """True when the best bid is at or above the best ask."""
        bid, ask = self.best_bid_price, self.best_ask_price
        return bid is not None and ask is not None and bid >= ask

    def depth(self, side: Side | int, n: int) -> list[Level]:
        """The best ``n`` levels of ``side``, best first."""
        bid = side_is_bid(side)
        if n <= 0:
            return []
        prices = self._bid_prices[: -n - 1 : -1] if bid else self._ask_prices[:n]
        size = self._sizes(bid)
        return [(p, size(p)) for p in prices]

    def levels(self, side: Side | int) -> list[Level]:
        """Every level of ``side``, best first."""
        bid = side_is_bid(side)
        size = self._sizes(bid)
        prices = reversed(self._bid_prices) if bid else self._ask_prices
        return [(p, size(p)) for p in prices]

    def cumulative_size(self, side: Side | int, to_price: int) -> int:
        """Total size of the levels of ``side`` at or better than ``to_price``."""
        bid = side_is_bid(side)
        if bid:
            prices = self._bid_prices[bisect_left(self._bid_prices, to_price) :]
        else:
            prices = self._ask_prices[: bisect_right(self._ask_prices, to_price)]
        size = self._sizes(bid)
        return sum(size(p) for p in prices)


class L2Book(BookView):
    """A price-level book for one instrument.

    ``best_bid_price``/``best_ask_price`` (int or None) are plain attributes,
    the cheapest read there is; treat them as read-only. ``stats`` counts what
    was absorbed rather than raised (see :mod:`framework.books.bookstats`): deletes
    of absent levels, transitions into a crossed book, snapshots.
    """

    __slots__ = (
        "venue",
        "symbol",
        "best_bid_price",
        "best_ask_price",
        "stats",
        "_bids",
        "_asks",
        "_bid_prices",
        "_ask_prices",
    )

    def __init__(self, venue: str = "", symbol: str = "") -> None:
        self.venue = venue
        self.symbol = symbol
        self.stats = BookStats()
        self._bids: dict[int, int] = {}
        self._asks: dict[int, int] = {}
        self._bid_prices: list[int] = []
        self._ask_prices: list[int] = []
        self.best_bid_price: int | None = None
        self.best_ask_price: int | None = None

    def __repr__(self) -> str:
        return (
            f"L2Book({self.venue!r}, {self.symbol!r}, bids={len(self._bids)}, "
            f"asks={len(self._asks)}, best={self.best_bid_price}/{self.best_ask_price})"
        )

    # --- reads ---------------------------------------------------------------

    def _sizes(self, bid: bool) -> Callable[[int], int]:
        return (self._bids if bid else self._asks).__getitem__

    def size_at(self, side: Side | int, price: int) -> int:
        """Size of the level at ``price`` on ``side`` (0 if none)."""
        return (self._bids if side_is_bid(side) else self._asks).get(price, 0)

    def best_bid(self) -> Level | None:
        """``(price, size)`` of the best bid, or None if there are no bids."""
        p = self.best_bid_price
        return None if p is None else (p, self._bids[p])

    def best_ask(self) -> Level | None:
        """``(price, size)`` of the best ask, or None if there are no asks."""
        p = self.best_ask_price
        return None if p is None else (p, self._asks[p])

    # --- writes --------------------------------------------------------------

    def clear(self) -> None:
        """Remove every level (statistics are kept)."""
        self._bids, self._asks = {}, {}
        self._bid_prices, self._ask_prices = [], []
        self.best_bid_price = self.best_ask_price = None

    def apply_snapshot(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace both sides with these levels, atomically.

        Levels may come in any order; size-0 levels are skipped. A negative
        size, a non-int value or a price given twice on one side raises
        ``ValueError``/``TypeError`` and leaves the book unchanged.
        """
        new_bids = _side_from_levels(bids, "bid")
        new_asks = _side_from_levels(asks, "ask")
        self._bids, self._asks = new_bids, new_asks
        self._bid_prices, self._ask_prices = sorted(new_bids), sorted(new_asks)
        self.best_bid_price = self._bid_prices[-1] if new_bids else None
        self.best_ask_price = self._ask_prices[0] if new_asks else None
        self.stats[SNAPSHOTS] += 1
        if self.is_crossed:
            self.stats[CROSSED] += 1

    def set_level(self, side: Side | int, price: int, size: int) -> None:
        """Set the size of one level; size 0 deletes it.

        Deleting a level that does not exist is counted (``delete_absent``)
        and otherwise ignored. A negative size raises ``ValueError``.
        """
        if type(price) is not int or type(size) is not int or size < 0:
            _bad_level(price, size)
        # The two sides are written out rather than shared through a helper:
        # this is the hot path of every L2 feed, and a call costs ~60 ns.
        if side == 1:
            levels = self._bids
            if size:
                if levels.get(price) is None:
                    insort(self._bid_prices, price)
                    best = self.best_bid_price
                    if best is None or price > best:
                        self._new_best_bid(price)
                levels[price] = size
            elif levels.pop(price, None) is None:
                self.stats[DELETE_ABSENT] += 1
            else:
                prices = self._bid_prices
                del prices[bisect_left(prices, price)]
                if price == self.best_bid_price:
                    self.best_bid_price = prices[-1] if prices else None
        elif side == -1:
            levels = self._asks
            if size:
                if levels.get(price) is None:
                    insort(self._ask_prices, price)
                    best = self.best_ask_price
                    if best is None or price < best:
                        self._new_best_ask(price)
                levels[price] = size
            elif levels.pop(price, None) is None:
                self.stats[DELETE_ABSENT] += 1
            else:
                prices = self._ask_prices
                del prices[bisect_left(prices, price)]
                if price == self.best_ask_price:
                    self.best_ask_price = prices[0] if prices else None
        else:
            side_is_bid(side)  # raises the error for a bad side

    def _new_best_bid(self, price: int) -> None:
        was_crossed = self.is_crossed
        self.best_bid_price = price
        if not was_crossed and self.is_crossed:
            self.stats[CROSSED] += 1

    def _new_best_ask(self, price: int) -> None:
        was_crossed = self.is_crossed
        self.best_ask_price = price
        if not was_crossed and self.is_crossed:
            self.stats[CROSSED] += 1

    def replace_top(self, side: Side | int, levels: Sequence[Level], depth: int) -> None:
        """Replace the top ``depth`` levels of ``side`` with ``levels``.

        The Polymarket market-data stream sends a side's book to a depth rather
        than deltas. The exact rule, with ``levels`` (best first, at most
        ``depth`` of them) describing the top of the side:

        * If ``len(levels) < depth`` the side was thinner than the depth, so
          ``levels`` is the whole side: everything else goes.
        * Otherwise let *worst* be the worst price in ``levels``. Afterwards the
          side holds ``levels`` plus every old level that is worse than *worst*
          **and** was not among the old top ``depth`` levels. Old levels at or
          better than *worst* that the update omits go away (the update
          describes that whole price range), and so do old top-``depth`` levels
          pushed below *worst* (the venue no longer reports them, so we cannot
          know they still exist). Deeper old levels stay: the update never
          described them.

        A size-0 entry describes an empty level (it is removed, and counts
        toward ``len(levels)`` and *worst*). Prices must be distinct and
        strictly best first; sizes >= 0; ``len(levels) <= depth``. A violation
        raises ``ValueError`` and leaves the book unchanged.
        """
        bid = side_is_bid(side)
        if depth < 1:
            raise ValueError(f"depth must be >= 1, not {depth}")
        if len(levels) > depth:
            raise ValueError(f"{len(levels)} levels given for depth {depth}")
        _check_best_first(levels, bid)
        was_crossed = self.is_crossed
        # Everything the rule drops is one run at the best end of the sorted
        # prices (the old top ``depth`` and all at or better than *worst*), and
        # the new levels all sit at or better than *worst*: so cut that run
        # off and put the update in its place, leaving deeper levels alone.
        fresh = [p for p, s in levels if s]
        if bid:
            book, prices = self._bids, self._bid_prices
            if len(levels) < depth:
                cut = 0
            else:
                cut = min(bisect_left(prices, levels[-1][0]), max(0, len(prices) - depth))
            for p in prices[cut:]:
                del book[p]
            fresh.reverse()  # ascending, like the list
            prices[cut:] = fresh
            self.best_bid_price = prices[-1] if prices else None
        else:
            book, prices = self._asks, self._ask_prices
            if len(levels) < depth:
                cut = len(prices)
            else:
                cut = max(bisect_right(prices, levels[-1][0]), min(len(prices), depth))
            for p in prices[:cut]:
                del book[p]
            prices[:cut] = fresh
            self.best_ask_price = prices[0] if prices else None
        for p, s in levels:
            if s:
                book[p] = s
        if not was_crossed and self.is_crossed:
            self.stats[CROSSED] += 1


def _side_from_levels(levels: Iterable[Level], what: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for price, size in levels:
        _check_int(f"{what} price", price)
        _check_int(f"{what} size", size)
        if size < 0:
            raise ValueError(f"{what} size must be >= 0, not {size} at {price}")
        if price in out:
            raise ValueError(f"{what} price {price} given twice")
        if size:
            out[price] = size
    return out


def _bad_level(price: object, size: object) -> None:
    _check_int("price", price)
    _check_int("size", size)
    raise ValueError(f"size must be >= 0, not {size}")


def _check_best_first(levels: Sequence[Level], bid: bool) -> None:
    prev: int | None = None
    for price, size in levels:
        _check_int("price", price)
        _check_int("size", size)
        if size < 0:
            raise ValueError(f"size must be >= 0, not {size} at {price}")
        if prev is not None and (price >= prev if bid else price <= prev):
            raise ValueError(f"levels must be distinct and best first: {price} after {prev}")
        prev = price
